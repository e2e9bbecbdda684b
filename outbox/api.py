"""REST: an operation's webhook endpoints (the settings page's list, add, enable/disable, test
and remove). Every member of the organization reads; the facilitator changes. The signing
secret is in the answer to the POST that creates an endpoint, and never again."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import membership_can_manage_settings
from accounts.tokens import TokenAuthentication
from config.api_parsers import JSONParser
from criteria.access import operation_get_for_user
from criteria.serializers import TextField
from outbox.access import endpoint_get_for_operation
from outbox.endpoints import (
    SUBSCRIBABLE,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_endpoint_test,
)
from outbox.models import WebhookEndpoint
from outbox.selectors import endpoints_for_operation

AUTH = [TokenAuthentication, SessionAuthentication]
PARSERS = [JSONParser]  # JSON bodies only: a form's "0" is not a boolean


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "payload_format",
            "is_active",
            "created_at",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown in this answer only.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE),
        required=False,
        default=list,
        help_text="Empty: every event.",
    )
    payload_format = serializers.ChoiceField(
        choices=WebhookEndpoint.Format.choices, default=WebhookEndpoint.Format.STOPLINE
    )
    description = TextField(max_length=200, required=False, default="", allow_blank=True)


class StrictBooleanField(serializers.BooleanField):
    """true or false, and only those: 0, 1 or "yes" are not booleans (DRF would take them)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    is_active = StrictBooleanField(required=False, help_text="Absent: unchanged.")


class DeliveryQueuedSerializer(serializers.Serializer):
    delivery_id = serializers.IntegerField()


def _managed(request: Request, slug: str):
    """The operation if the caller may change its settings: 404 outside, 403 for readers."""
    operation, membership = operation_get_for_user(request.user, slug)
    if not membership_can_manage_settings(membership):
        raise PermissionDenied("Only the facilitator changes the webhook endpoints.")
    return operation


class WebhookEndpointListView(APIView):
    """GET .../webhooks/: the endpoints (no secrets); POST adds one and answers its secret."""

    authentication_classes = AUTH
    parser_classes = PARSERS

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        return Response(
            WebhookEndpointSerializer(endpoints_for_operation(operation), many=True).data
        )

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation = _managed(request, slug)
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = webhook_endpoint_create(
            operation=operation, actor=request.user, **data.validated_data
        )
        body = WebhookEndpointSerializer(endpoint).data | {"secret": secret}
        return Response(body, status=201, headers={"Cache-Control": "no-store"})


class WebhookEndpointDetailView(APIView):
    """GET one endpoint; PATCH {"is_active": ...} enables or disables it; DELETE removes it."""

    authentication_classes = AUTH
    parser_classes = PARSERS

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request: Request, slug: str, endpoint_id: int) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        return Response(
            WebhookEndpointSerializer(endpoint_get_for_operation(operation, endpoint_id)).data
        )

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer)
    def patch(self, request: Request, slug: str, endpoint_id: int) -> Response:
        endpoint = endpoint_get_for_operation(_managed(request, slug), endpoint_id)
        data = WebhookEndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        active = data.validated_data.get("is_active")
        if active is not None and active != endpoint.is_active:
            endpoint = webhook_endpoint_set_active(
                endpoint=endpoint, actor=request.user, active=active
            )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, endpoint_id: int) -> Response:
        endpoint = endpoint_get_for_operation(_managed(request, slug), endpoint_id)
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        return Response(status=204)


class WebhookEndpointTestView(APIView):
    """POST .../webhooks/<id>/test/: queue a signed test event to the endpoint (202)."""

    authentication_classes = AUTH
    parser_classes = PARSERS

    @extend_schema(request=None, responses={202: DeliveryQueuedSerializer})
    def post(self, request: Request, slug: str, endpoint_id: int) -> Response:
        endpoint = endpoint_get_for_operation(_managed(request, slug), endpoint_id)
        delivery = webhook_endpoint_test(endpoint=endpoint, actor=request.user)
        return Response({"delivery_id": delivery.pk}, status=202)
