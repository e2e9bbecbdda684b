"""REST endpoints of the reviewer queue: same access rules and services as the pages."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import TokenAuthentication
from sampling.access import (
    operation_get_for_reviewer,
    review_item_get_for_reviewer,
    review_items_for_reviewer,
)
from sampling.models import ReviewItem, RubricScore
from sampling.services import review_item_next, review_item_score, transcript_read_log

AUTH = [TokenAuthentication, SessionAuthentication]


class ConversationSerializer(serializers.Serializer):
    conversation_id = serializers.CharField()
    complexity = serializers.CharField()
    escalated = serializers.BooleanField()
    human_requested = serializers.BooleanField(allow_null=True)
    csat = serializers.IntegerField(allow_null=True)
    language = serializers.CharField()


class ReviewItemSerializer(serializers.ModelSerializer):
    week = serializers.CharField(source="draw.week")
    status = serializers.CharField(help_text="pending, reserved, done or skipped")
    conversation = ConversationSerializer()

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "week",
            "stratum",
            "inclusion_probability",
            "is_double",
            "status",
            "reserved_until",
            "due",
            "skip_reason",
            "conversation",
        ]


class MessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    text = serializers.CharField()


class ReviewItemDetailSerializer(ReviewItemSerializer):
    messages = MessageSerializer(many=True, source="transcript_messages")
    asked_for_human_detected = serializers.BooleanField(allow_null=True)

    class Meta(ReviewItemSerializer.Meta):
        fields = [*ReviewItemSerializer.Meta.fields, "messages", "asked_for_human_detected"]


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = RubricScore
        fields = ["verdict", "acceptable", "critical_failed", "answers", "created_at"]


class ScoreInputSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Rubric item key -> answer (see the rubric).")


def _detail(item: ReviewItem, user, via: str) -> dict:
    transcript = transcript_read_log(item=item, user=user, via=via)
    item.transcript_messages = transcript.messages if transcript else []
    item.asked_for_human_detected = transcript.asked_for_human_detected if transcript else None
    return ReviewItemDetailSerializer(item).data


class ReviewItemListView(ListAPIView):
    """The caller's own review items of the operation (senior reviewers only; others 404)."""

    serializer_class = ReviewItemSerializer
    authentication_classes = AUTH

    def get_queryset(self):
        operation, _ = operation_get_for_reviewer(self.request.user, self.kwargs["slug"])
        return (
            review_items_for_reviewer(operation, self.request.user)
            .select_related("draw", "conversation")
            .order_by("done_at", "due", "id")
        )


class ReviewItemDetailView(APIView):
    authentication_classes = AUTH

    @extend_schema(responses=ReviewItemDetailSerializer)
    def get(self, request: Request, slug: str, item_id: int) -> Response:
        """One of the caller's items with its (redacted) transcript; the read is logged."""
        item, _ = review_item_get_for_reviewer(request.user, slug, item_id)
        return Response(_detail(item, request.user, "api"))


class ReviewItemScoreView(APIView):
    authentication_classes = AUTH

    @extend_schema(request=ScoreInputSerializer, responses={201: ScoreSerializer})
    def post(self, request: Request, slug: str, item_id: int) -> Response:
        """Score an item assigned to the caller (re-posting corrects the score)."""
        item, _ = review_item_get_for_reviewer(request.user, slug, item_id)
        data = ScoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        score = review_item_score(
            item=item, reviewer=request.user, answers=data.validated_data["answers"]
        )
        return Response(ScoreSerializer(score).data, status=status.HTTP_201_CREATED)


class ReviewItemNextView(APIView):
    authentication_classes = AUTH

    @extend_schema(
        request=None,
        responses={
            200: ReviewItemDetailSerializer,
            204: OpenApiResponse(description="Nothing left to review."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        """Reserve the caller's next item (or return the one already reserved)."""
        operation, _ = operation_get_for_reviewer(request.user, slug)
        item = review_item_next(operation=operation, reviewer=request.user)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = ReviewItem.objects.select_related("draw", "conversation").get(pk=item.pk)
        return Response(_detail(item, request.user, "api"))
