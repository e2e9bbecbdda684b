from django.db.models import QuerySet

from criteria.models import Operation
from outbox.models import Delivery, WebhookEndpoint


def endpoints_for_operation(operation: Operation) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(operation=operation).order_by("id")


def deliveries_for_operation(operation: Operation, status: str = "") -> QuerySet[Delivery]:
    rows = Delivery.objects.filter(event__operation=operation).select_related("event", "endpoint")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")
