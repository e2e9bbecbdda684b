"""Reads for the guardrails page."""

from django.db.models import QuerySet

from criteria.models import Operation
from guardrails.models import FlagKey, Pause


def pauses_history(operation: Operation, limit: int = 50) -> QuerySet[Pause]:
    return Pause.objects.filter(operation=operation).order_by("-started_at", "-id")[:limit]


def flag_keys_for_operation(operation: Operation) -> QuerySet[FlagKey]:
    return FlagKey.objects.filter(operation=operation).select_related("created_by", "revoked_by")
