"""Deliver alert notifications: e-mail and a Slack-compatible webhook, each try logged.

Every try is a NotificationAttempt row. A try is claimed with a conditional update (pending →
sending), so a redelivered task never sends twice; a failed try records the error and, below
the cap, creates the next attempt row for the task to retry with backoff.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from metrics.models import Alert, NotificationAttempt

log = logging.getLogger(__name__)


def alert_message(alert: Alert) -> str:
    what = {
        "below": "fell below its range",
        "above": "rose above its range",
        "change": "changed significantly",
        "no_data": "has no data",
        "mix": "shows a case-mix shift",
    }.get(alert.direction, alert.direction)
    url = settings.STOPLINE_BASE_URL.rstrip("/") + reverse(
        "metrics:alert_detail", args=[alert.operation.slug, alert.pk]
    )
    return (
        f"[Stopline] {alert.operation.title}: {alert.indicator} {what} on {alert.opened_on} "
        f"(value {alert.value_display}, range {alert.range_display}). {url}"
    )


def _send(attempt: NotificationAttempt) -> str:
    text = alert_message(attempt.alert)
    if attempt.channel == NotificationAttempt.Channel.EMAIL:
        send_mail(
            subject=text.split(". ")[0][:200],
            message=text,
            from_email=None,
            recipient_list=[attempt.target],
        )
        return "sent"
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - the operation's own configured https URL
        attempt.target, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(  # noqa: S310
        request, timeout=settings.STOPLINE_WEBHOOK_TIMEOUT
    ) as response:
        return f"HTTP {response.status}"


def notification_deliver(*, attempt_id: int) -> NotificationAttempt | None:
    """Try one attempt. Returns the next attempt to schedule after a failure, else None."""
    claimed = NotificationAttempt.objects.filter(
        pk=attempt_id, status=NotificationAttempt.Status.PENDING
    ).update(status=NotificationAttempt.Status.SENDING)
    if not claimed:
        return None  # sent, failed or being sent by another delivery of the same task
    attempt = NotificationAttempt.objects.select_related("alert__operation").get(pk=attempt_id)
    try:
        response = _send(attempt)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        log.warning("notification %s to %s failed: %s", attempt.pk, attempt.target, exc)
        with transaction.atomic():
            attempt.status = NotificationAttempt.Status.FAILED
            attempt.response = str(exc)[:2000]
            attempt.save(update_fields=["status", "response"])
            if attempt.attempt >= settings.STOPLINE_NOTIFICATION_ATTEMPTS:
                return None
            following, _ = NotificationAttempt.objects.get_or_create(
                alert=attempt.alert,
                channel=attempt.channel,
                target=attempt.target,
                attempt=attempt.attempt + 1,
            )
        return following
    attempt.status = NotificationAttempt.Status.SENT
    attempt.response = response[:2000]
    attempt.save(update_fields=["status", "response"])
    return None
