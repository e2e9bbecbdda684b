"""Who reaches which webhook endpoint: only those of the operation in the URL (404 otherwise),
for the settings pages and the API alike."""

from django.http import Http404

from criteria.models import Operation
from outbox.models import WebhookEndpoint


def endpoint_get_for_operation(operation: Operation, endpoint_id: int) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.select_related("operation").get(
            pk=endpoint_id, operation=operation
        )
    except WebhookEndpoint.DoesNotExist as exc:
        raise Http404 from exc
