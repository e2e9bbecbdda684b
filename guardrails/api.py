"""REST: the guardrail state of an operation, and the emergency stop and resume."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tokens import TokenAuthentication
from criteria.access import operation_get_for_user
from criteria.models import Operation
from criteria.serializers import NOT_BLANK, TextField
from guardrails.flags import flags_evaluate, standing_pauses
from guardrails.models import Pause, Segment
from guardrails.services import pause_end, pause_start

AUTH = [TokenAuthentication, SessionAuthentication]


class PauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = [
            "id",
            "segment",
            "source",
            "review_id",
            "reason",
            "started_by_name",
            "started_at",
            "ended_by_name",
            "ended_at",
            "end_reason",
        ]


class StopSerializer(serializers.Serializer):
    segment = serializers.ChoiceField(choices=Segment.choices)
    reason = TextField(max_length=2000, validators=[NOT_BLANK])


class GuardrailStateSerializer(serializers.Serializer):
    flags = serializers.DictField()
    standing = PauseSerializer(many=True)


def _state(operation: Operation) -> dict:
    return {
        "flags": {key: flag.value for key, flag in flags_evaluate(operation).items()},
        "standing": PauseSerializer(standing_pauses(operation).values(), many=True).data,
    }


class GuardrailStateView(APIView):
    """GET .../guardrails/: the flags' values and the pauses that stand."""

    authentication_classes = AUTH

    @extend_schema(responses=GuardrailStateSerializer)
    def get(self, request: Request, slug: str) -> Response:
        operation, _ = operation_get_for_user(request.user, slug)
        return Response(_state(operation))


class GuardrailStopView(APIView):
    """POST .../guardrails/pause/ or .../resume/ with a segment and a reason."""

    authentication_classes = AUTH
    action_name = ""

    # 201 when a pause starts, 200 when it stood already (and for a resume).
    @extend_schema(
        request=StopSerializer,
        responses={200: GuardrailStateSerializer, 201: GuardrailStateSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operation, membership = operation_get_for_user(request.user, slug)
        data = StopSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.action_name == "pause":
            _, created = pause_start(
                operation=operation,
                source=Pause.Source.EMERGENCY,
                membership=membership,
                **data.validated_data,
            )
            return Response(_state(operation), status=201 if created else 200)
        pause_end(operation=operation, membership=membership, **data.validated_data)
        return Response(_state(operation))


GuardrailPauseView = type("GuardrailPauseView", (GuardrailStopView,), {"action_name": "pause"})
GuardrailResumeView = type("GuardrailResumeView", (GuardrailStopView,), {"action_name": "resume"})
