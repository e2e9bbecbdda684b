"""Managing an operation's webhook endpoints and retrying deliveries (settings pages, API).
Every change is audited in the operation's audit trail."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.errors import StoplineError
from criteria.models import Operation
from criteria.services import audit_record
from outbox.addresses import AddressRefused, url_check
from outbox.models import Delivery, EventType, WebhookEndpoint
from outbox.services import delivery_retry_now, endpoint_test_emit

SUBSCRIBABLE = [t for t in EventType.values if t != EventType.TEST]


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoplineError("Give an http(s) URL.", fields={"url": "invalid"})
    try:
        url_check(url)
    except AddressRefused as exc:
        raise StoplineError(str(exc), fields={"url": "private"}) from exc
    return url


def _check_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(SUBSCRIBABLE))
    if unknown:
        raise StoplineError(
            f"Unknown event types: {', '.join(unknown)}.", fields={"event_types": "invalid"}
        )
    return [t for t in SUBSCRIBABLE if t in event_types]


def webhook_endpoint_create(
    *,
    operation: Operation,
    actor: AbstractBaseUser | None,
    url: str,
    event_types: list[str],
    payload_format: str = WebhookEndpoint.Format.STOPLINE,
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to people once)."""
    if payload_format not in WebhookEndpoint.Format.values:
        raise StoplineError("Choose the Stopline or the Slack format.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    url = _check_url(url)
    if WebhookEndpoint.objects.filter(operation=operation, url=url).exists():
        raise StoplineError(
            "This URL is an endpoint of this operation already: enable it, or remove it first.",
            fields={"url": "duplicate"},
        )
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            operation=operation,
            url=url,
            event_types=_check_types(event_types),
            payload_format=payload_format,
            description=description.strip()[:200],
            secret=secret,
            created_by=actor,
        )
        audit_record(
            operation=operation,
            actor=actor,
            action="webhook_created",
            summary=f"Webhook endpoint {endpoint.url} added "
            f"({', '.join(endpoint.event_types) or 'all events'})",
            detail={"endpoint": endpoint.pk},
        )
    return endpoint, secret


def webhook_endpoint_set_active(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None, active: bool
) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])
        audit_record(
            operation=endpoint.operation,
            actor=actor,
            action="webhook_enabled" if active else "webhook_disabled",
            summary=f"Webhook endpoint {endpoint.url} {'enabled' if active else 'disabled'}",
            detail={"endpoint": endpoint.pk},
        )
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> None:
    with transaction.atomic():
        audit_record(
            operation=endpoint.operation,
            actor=actor,
            action="webhook_deleted",
            summary=f"Webhook endpoint {endpoint.url} removed",
            detail={"endpoint": endpoint.pk},
        )
        # Deliveries still waiting for it cannot be sent any more.
        endpoint.deliveries.exclude(status=Delivery.Status.DELIVERED).update(
            status=Delivery.Status.FAILED, last_response="The endpoint was removed."
        )
        endpoint.delete()


def webhook_endpoint_test(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> Delivery:
    with transaction.atomic():
        delivery = endpoint_test_emit(endpoint=endpoint)
        audit_record(
            operation=endpoint.operation,
            actor=actor,
            action="webhook_tested",
            summary=f"Test event sent to {endpoint.url}",
            detail={"endpoint": endpoint.pk, "delivery": delivery.pk},
        )
    return delivery


def delivery_retry(*, delivery: Delivery, actor: AbstractBaseUser | None) -> Delivery:
    if delivery.status == Delivery.Status.DELIVERED:
        raise StoplineError("This delivery arrived already.")
    if delivery.channel == Delivery.Channel.WEBHOOK and delivery.endpoint_id is None:
        raise StoplineError("The endpoint of this delivery was removed.")
    with transaction.atomic():
        audit_record(
            operation=delivery.event.operation,
            actor=actor,
            action="delivery_retried",
            summary=f"Delivery of {delivery.event.type} to {delivery.target} retried",
            detail={"delivery": delivery.pk},
        )
        return delivery_retry_now(delivery=delivery)
