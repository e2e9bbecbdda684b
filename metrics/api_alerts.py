"""REST endpoints for alerts and reviews: list, act, decide (writes go through services)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import TokenAuthentication
from criteria.access import operation_get_for_user
from metrics.access import alert_get_for_user, review_get_for_user
from metrics.alerts.reviews import ACTIONS, alert_act, review_decide
from metrics.models import Alert, Review
from metrics.selectors import alerts_for_operation, reviews_for_operation

AUTH = [TokenAuthentication, SessionAuthentication]


class AlertSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number")
    range = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "indicator",
            "rule",
            "severity",
            "direction",
            "opened_on",
            "value",
            "range",
            "evidence",
            "warning",
            "state",
            "snooze_until",
            "snooze_reason",
            "resolved_on",
            "version",
            "review",
        ]

    def get_range(self, alert: Alert) -> dict:
        return {"min": alert.range_min, "max": alert.range_max}

    def get_evidence(self, alert: Alert) -> dict | None:
        """Baseline and current rate, the detector's statistic and limit (change detection)."""
        if alert.statistic is None:
            return None
        return {
            "baseline_rate": alert.baseline_rate,
            "baseline_from": alert.baseline_start,
            "baseline_to": alert.baseline_end,
            "current_rate": alert.value,
            "detector": alert.detector,
            "statistic": alert.statistic,
            "limit": alert.limit,
        }

    def get_review(self, alert: Alert) -> int | None:
        try:
            return alert.review.pk if alert.review else None
        except Review.DoesNotExist:
            return None


class ReviewSerializer(serializers.ModelSerializer):
    alert = AlertSerializer()
    owner = serializers.CharField(source="owner.key")
    decided_by = serializers.CharField(source="decided_by.get_username", default=None)
    draft_version = serializers.IntegerField(source="draft_version.number", default=None)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "alert",
            "owner",
            "due_on",
            "overdue",
            "decision",
            "pause_segment",
            "reason",
            "decided_by",
            "decided_at",
            "draft_version",
        ]

    def get_overdue(self, review: Review) -> bool:
        return review.is_overdue(self.context["today"])


class AlertActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    until = serializers.DateField(required=False, allow_null=True, default=None)


class ReviewDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Review.Decision.values)
    reason = serializers.CharField()
    pause_segment = serializers.CharField(required=False, allow_blank=True, default="")


class AlertListView(ListAPIView):
    """Alerts of an operation, newest first (open and resolved)."""

    serializer_class = AlertSerializer
    authentication_classes = AUTH

    def get_queryset(self):
        operation, _ = operation_get_for_user(self.request.user, self.kwargs["slug"])
        queryset = alerts_for_operation(operation)
        state = self.request.query_params.get("state")
        if state == "open":
            queryset = queryset.exclude(state=Alert.State.RESOLVED)
        elif state in Alert.State.values:
            queryset = queryset.filter(state=state)
        severity = self.request.query_params.get("severity")
        if severity in Alert.Severity.values:
            queryset = queryset.filter(severity=severity)
        return queryset


class AlertActionView(APIView):
    """POST .../alerts/{id}/acknowledge|snooze|resolve/ (snooze: reason and until)."""

    authentication_classes = AUTH
    action_name = ""

    @extend_schema(request=AlertActionSerializer, responses=AlertSerializer)
    def post(self, request: Request, slug: str, alert_id: int) -> Response:
        alert, membership = alert_get_for_user(request.user, slug, alert_id)
        data = AlertActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_act(
            alert=alert,
            membership=membership,
            action=self.action_name,
            note=data.validated_data["reason"] or data.validated_data["note"],
            snooze_until=data.validated_data["until"],
        )
        return Response(AlertSerializer(alert).data)


ALERT_ACTION_VIEWS = {
    name: type(f"Alert{name.title()}View", (AlertActionView,), {"action_name": name})
    for name in ACTIONS
}


class ReviewListView(ListAPIView):
    serializer_class = ReviewSerializer
    authentication_classes = AUTH

    def get_queryset(self):
        operation, _ = operation_get_for_user(self.request.user, self.kwargs["slug"])
        return reviews_for_operation(operation).select_related("alert__version")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class ReviewDecideView(APIView):
    authentication_classes = AUTH

    @extend_schema(request=ReviewDecideSerializer, responses=ReviewSerializer)
    def post(self, request: Request, slug: str, review_id: int) -> Response:
        review, membership = review_get_for_user(request.user, slug, review_id)
        data = ReviewDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_decide(review=review, membership=membership, **data.validated_data)
        review = Review.objects.select_related(
            "alert__version", "owner", "decided_by", "draft_version"
        ).get(pk=review.pk)
        return Response(ReviewSerializer(review, context={"today": timezone.localdate()}).data)
