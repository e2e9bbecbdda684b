"""What alerts and reviews announce: events in the outbox, written in the transaction that
opened, resolved or decided them. The outbox delivers them at least once to the operation's
webhooks (signed) and, for an opened alert, by e-mail to the trigger's recipients and the
owning department. Texts name indicators as people read them, never by their keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import Membership
from criteria.models import IndicatorTarget, indicator_label
from metrics.models import Alert, Review
from outbox.models import EventType
from outbox.services import event_emit

WHAT = {
    "below": "fell below its range",
    "above": "rose above its range",
    "change": "changed significantly",
    "no_data": "has no data",
    "mix": "shows a case-mix shift",
}


def _url(alert: Alert) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "metrics:alert_detail", args=[alert.operation.slug, alert.pk]
    )


def _alert_data(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.pk,
        "indicator": alert.indicator,
        "indicator_name": indicator_label(alert.indicator),
        "rule": alert.rule,
        "direction": alert.direction,
        "opened_on": alert.opened_on.isoformat(),
        "value": alert.value,
        "range": {"min": alert.range_min, "max": alert.range_max},
        "state": alert.state,
        "url": _url(alert),
    }


def alert_message(alert: Alert) -> str:
    return (
        f"[Stopline] {alert.operation.title}: {indicator_label(alert.indicator)} "
        f"{WHAT.get(alert.direction, alert.direction)} on {alert.opened_on} "
        f"(value {alert.value_display}, range {alert.range_display}). {_url(alert)}"
    )


def alert_recipients(alert: Alert, target: IndicatorTarget | None) -> list[str]:
    """The trigger's recipients and the owning department's members, by e-mail."""
    if target is None:
        return []
    emails = [r for r in target.recipients or [] if "@" in r]
    emails += list(
        Membership.objects.filter(
            organization_id=alert.operation.organization_id, department=target.owner
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(e.lower() for e in emails))


def alert_opened_emit(alert: Alert, target: IndicatorTarget | None) -> None:
    text = alert_message(alert)
    event_emit(
        operation=alert.operation,
        type=EventType.ALERT_OPENED,
        data=_alert_data(alert),
        text=text,
        subject=text.split(". ")[0][:200],
        emails=alert_recipients(alert, target),
    )


def alert_resolved_emit(alert: Alert, note: str = "") -> None:
    label = indicator_label(alert.indicator)
    event_emit(
        operation=alert.operation,
        type=EventType.ALERT_RESOLVED,
        data={**_alert_data(alert), "resolved_on": str(alert.resolved_on or ""), "note": note},
        text=(
            f"[Stopline] {alert.operation.title}: the {label} alert of {alert.opened_on} is "
            f"resolved{': ' + note if note else ''}. {_url(alert)}"
        ),
    )


def review_opened_emit(review: Review) -> None:
    alert = review.alert
    event_emit(
        operation=alert.operation,
        type=EventType.REVIEW_OPENED,
        data={
            "review_id": review.pk,
            "owner": review.owner.name,
            "due_on": review.due_on.isoformat(),
            "alert": _alert_data(alert),
        },
        text=(
            f"[Stopline] {alert.operation.title}: {review.owner.name} reviews the "
            f"{indicator_label(alert.indicator)} alert by {review.due_on}. {_url(alert)}"
        ),
    )


def review_decided_emit(review: Review, decided_by: str) -> None:
    alert = review.alert
    what = {
        "continue": "continue as agreed",
        "adjust": "adjust the ranges in a new criteria draft",
        "pause": f"pause the AI for {review.pause_segment} cases",
    }.get(review.decision, review.decision)
    event_emit(
        operation=alert.operation,
        type=EventType.REVIEW_DECIDED,
        data={
            "review_id": review.pk,
            "decision": review.decision,
            "pause_segment": review.pause_segment,
            "reason": review.reason,
            "decided_by": decided_by,
            "alert": _alert_data(alert),
        },
        text=(
            f"[Stopline] {alert.operation.title}: review of the "
            f"{indicator_label(alert.indicator)} alert decided by {decided_by}: {what}. "
            f"{review.reason} {_url(alert)}"
        ),
    )
