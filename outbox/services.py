"""Write events in the caller's transaction; deliver them at least once.

`event_emit` is called inside the transaction that makes the change (an alert opening, a
review decided, a pause, criteria agreed): the event and one delivery row per subscribed
endpoint and e-mail address commit or roll back with it. After the commit a task tries each
delivery; a failure is retried with exponential backoff until `give_up_at` (24 hours by
default), then the delivery is marked failed and shows on the delivery log, where it can be
retried. The periodic sweep re-enqueues deliveries whose task was lost (the process died
between commit and enqueue, or the worker was killed mid-send and its lease ran out).
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.jobs import enqueue_on_commit
from outbox.addresses import OPENER, AddressRefused, url_check
from outbox.models import Delivery, Event, WebhookEndpoint
from outbox.signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


DELIVER_TASK = "outbox.tasks.delivery_attempt_task"


def _enqueue(delivery_id: int) -> None:
    """After the current transaction commits (at once outside one)."""
    enqueue_on_commit(DELIVER_TASK, delivery_id)


def event_emit(
    *,
    operation: Any,
    type: str,
    data: dict[str, Any],
    text: str,
    subject: str = "",
    email_text: str = "",
    html: str = "",
    emails: Iterable[str] = (),
) -> Event:
    """Record one event and its deliveries in the current transaction; enqueue them after it
    commits. `operation` is a criteria Operation; `emails` get the text (and html) by e-mail."""
    now = timezone.now()
    give_up_at = now + timedelta(hours=settings.STOPLINE_OUTBOX_GIVE_UP_HOURS)
    with transaction.atomic():
        event = Event.objects.create(
            organization_id=operation.organization_id,
            operation=operation,
            type=type,
            data=data,
            text=text,
            subject=subject[:250],
            email_text=email_text,
            html=html,
        )
        # One delivery per URL (delivery_once_per_target): of two endpoints with one URL, the
        # older one that takes this event gets it.
        endpoints: dict[str, WebhookEndpoint] = {}
        for endpoint in WebhookEndpoint.objects.filter(
            operation=operation, is_active=True
        ).order_by("id"):
            if endpoint.subscribes_to(type):
                endpoints.setdefault(endpoint.url, endpoint)
        rows = [
            Delivery(
                event=event,
                endpoint=endpoint,
                channel=Delivery.Channel.WEBHOOK,
                target=url,
                next_attempt_at=now,
                give_up_at=give_up_at,
            )
            for url, endpoint in endpoints.items()
        ]
        rows += [
            Delivery(
                event=event,
                channel=Delivery.Channel.EMAIL,
                target=address,
                next_attempt_at=now,
                give_up_at=give_up_at,
            )
            for address in dict.fromkeys(e.strip().lower() for e in emails if "@" in e)
        ]
        for delivery in Delivery.objects.bulk_create(rows):
            _enqueue(delivery.pk)
    return event


def endpoint_test_emit(*, endpoint: WebhookEndpoint) -> Delivery:
    """A test event delivered to one endpoint only (the "send test event" button)."""
    operation = endpoint.operation
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.create(
            organization_id=operation.organization_id,
            operation=operation,
            type="test.ping",
            data={"endpoint": endpoint.pk},
            text=f"Test event from Stopline for {operation.title}: this endpoint receives it.",
        )
        delivery = Delivery.objects.create(
            event=event,
            endpoint=endpoint,
            channel=Delivery.Channel.WEBHOOK,
            target=endpoint.url,
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=settings.STOPLINE_OUTBOX_GIVE_UP_HOURS),
        )
        _enqueue(delivery.pk)
    return delivery


def event_envelope(event: Event) -> dict[str, Any]:
    """The JSON body of a Stopline-format webhook."""
    operation = event.operation
    return {
        "id": event.uid,
        "type": event.type,
        "created": event.created_at.isoformat(),
        "operation": (
            {"slug": operation.slug, "title": operation.title} if operation is not None else None
        ),
        "text": event.text,
        "data": event.data,
    }


def delivery_body(delivery: Delivery) -> bytes:
    event = delivery.event
    endpoint = delivery.endpoint
    if endpoint is not None and endpoint.payload_format == WebhookEndpoint.Format.SLACK:
        payload: dict[str, Any] = {"text": event.text}
    else:
        payload = event_envelope(event)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _post(delivery: Delivery) -> int:
    endpoint = delivery.endpoint
    if endpoint is None:
        raise DeliveryFailed("The endpoint was deleted.")
    body = delivery_body(delivery)
    request = urllib.request.Request(  # noqa: S310 - a facilitator's configured http(s) URL
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Stopline-Webhooks/1",
            SIGNATURE_HEADER: signature_header(secret=endpoint.secret, body=body),
            EVENT_ID_HEADER: delivery.event.uid,
            EVENT_TYPE_HEADER: delivery.event.type,
        },
    )
    try:
        url_check(endpoint.url)  # again: the name may resolve elsewhere now
        with OPENER.open(request, timeout=settings.STOPLINE_WEBHOOK_TIMEOUT) as response:
            return response.status
    except AddressRefused as exc:
        raise DeliveryFailed(str(exc)) from exc
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}", status_code=exc.code) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def _mail(delivery: Delivery) -> None:
    event = delivery.event
    subject = event.subject or event.text.split(". ")[0]
    message = EmailMultiAlternatives(
        subject[:200],
        event.email_text or event.text,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.target],
    )
    if event.html:
        message.attach_alternative(event.html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def backoff_seconds(attempts: int) -> float:
    """Exponential: base, 2·base, 4·base, ... capped (30 s doubling to one hour by default)."""
    base = settings.STOPLINE_OUTBOX_BACKOFF_SECONDS
    return min(base * 2 ** max(0, attempts - 1), settings.STOPLINE_OUTBOX_BACKOFF_MAX_SECONDS)


def delivery_attempt(*, delivery_id: int) -> float | None:
    """Try one delivery if it is due and nobody else is sending it. Returns the seconds until
    the next try after a failure, None when there is nothing more to do now."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.STOPLINE_OUTBOX_LEASE_SECONDS)
    claimed = (
        Delivery.objects.filter(pk=delivery_id, next_attempt_at__lte=now + timedelta(seconds=1))
        .filter(
            Q(status=Delivery.Status.PENDING)
            | Q(status=Delivery.Status.SENDING, lease_until__lt=now)
        )
        .update(status=Delivery.Status.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("event__operation", "endpoint").get(pk=delivery_id)
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            _mail(delivery)
            code = None
        else:
            code = _post(delivery)
    except DeliveryFailed as exc:
        log.warning("delivery %s to %s failed: %s", delivery.pk, delivery.target, exc)
        done = timezone.now()
        wait = backoff_seconds(delivery.attempts)
        delivery.last_status_code = exc.status_code
        delivery.last_response = str(exc)[:2000]
        delivery.lease_until = None
        if done + timedelta(seconds=wait) > delivery.give_up_at:
            delivery.status = Delivery.Status.FAILED
            wait = None
        else:
            delivery.status = Delivery.Status.PENDING
            delivery.next_attempt_at = done + timedelta(seconds=wait)
        delivery.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "lease_until",
                "last_status_code",
                "last_response",
            ]
        )
        return wait
    delivery.status = Delivery.Status.DELIVERED
    delivery.delivered_at = timezone.now()
    delivery.lease_until = None
    delivery.last_status_code = code
    delivery.last_response = f"HTTP {code}" if code else "sent"
    delivery.save(
        update_fields=["status", "delivered_at", "lease_until", "last_status_code", "last_response"]
    )
    return None


def deliveries_due(*, grace_seconds: float = 0) -> list[int]:
    """Deliveries that should be in flight but may have no task: pending and due (plus a
    grace so that a task about to run is not doubled), or sending with an expired lease."""
    now = timezone.now()
    return list(
        Delivery.objects.filter(
            Q(
                status=Delivery.Status.PENDING,
                next_attempt_at__lte=now - timedelta(seconds=grace_seconds),
            )
            | Q(status=Delivery.Status.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )


def outbox_sweep(*, grace_seconds: float = 0) -> int:
    """Enqueue every delivery that is due (see deliveries_due). Duplicates are harmless: a
    delivery is claimed before it is sent."""
    ids = deliveries_due(grace_seconds=grace_seconds)
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def delivery_retry_now(*, delivery: Delivery) -> Delivery:
    """Put a failed (or waiting) delivery back in the queue now, with a fresh 24 hours."""
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).exclude(status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            give_up_at=now + timedelta(hours=settings.STOPLINE_OUTBOX_GIVE_UP_HOURS),
            lease_until=None,
        )
        _enqueue(delivery.pk)
    delivery.refresh_from_db()
    return delivery
