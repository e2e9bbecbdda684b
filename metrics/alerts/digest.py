"""The weekly digest: all three indicators at one cadence, to every stakeholder, once a week.

Once per operation and ISO week: the WeeklyDigest row is created in the same transaction as
the `digest.weekly` event and its e-mail deliveries in the outbox, so a second beat, a retry or
a manual run for the same week finds the row and sends nothing. The outbox then delivers each
e-mail at least once (retried with backoff when the mail server is down) and never twice.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from criteria.models import IndicatorKey, IndicatorTarget, Operation
from criteria.services import version_in_force
from metrics.detection import indicators
from metrics.models import WeeklyDigest
from metrics.weeks import week_label, week_start_of
from outbox.models import EventType
from outbox.services import event_emit

IN_RANGE = "in range"
OUT_OF_RANGE = "out of range"
NO_DATA = "no data"


@dataclass(frozen=True)
class DigestLine:
    key: str
    label: str
    status: str
    value: float | None
    lo: float | None
    hi: float | None
    n: int
    range_text: str
    direction: str = ""  # "below" / "above" when out of range

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "value": self.value,
            "n": self.n,
            "direction": self.direction,
        }


def week_bounds(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing `day`."""
    monday = week_start_of(day)
    return monday, monday + timedelta(days=6)


def _status(target: IndicatorTarget, point: indicators.Point | None) -> tuple[str, str]:
    if point is None or point.n == 0 or point.rate is None:
        return NO_DATA, ""
    if target.range_min is not None and point.rate < float(target.range_min):
        return OUT_OF_RANGE, "below"
    if target.range_max is not None and point.rate > float(target.range_max):
        return OUT_OF_RANGE, "above"
    return IN_RANGE, ""


def digest_lines(*, operation: Operation, week_start: date) -> list[DigestLine]:
    """The week's value of each agreed indicator against its range (pooled over the week)."""
    version = version_in_force(operation)
    if version is None:
        return []
    week_end = week_start + timedelta(days=6)
    series = indicators.indicator_series(operation, start=week_start, end=week_end)
    lines = []
    for target in version.targets_in_order():
        points = series.get(target.key, [])
        if target.key == IndicatorKey.REVIEW_SCORE:
            point = points[-1] if points else None
        else:
            point = indicators.pooled(points, week_end, 7) if points else None
        status, direction = _status(target, point)
        lines.append(
            DigestLine(
                key=target.key,
                label=target.label,
                status=status,
                value=None if status == NO_DATA else point.rate,
                lo=None if status == NO_DATA else point.lo,
                hi=None if status == NO_DATA else point.hi,
                n=point.n if point else 0,
                range_text=target.range_display,
                direction=direction,
            )
        )
    return lines


def _recipients(operation: Operation) -> list[str]:
    emails = (
        Membership.objects.filter(
            organization_id=operation.organization_id,
            weekly_digest=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(set(emails))


def _claim(operation: Operation, week_start: date) -> WeeklyDigest | None:
    """The digest row to send, or None when this week's digest was sent already. Call inside
    a transaction: a concurrent claim waits for it and then finds the row."""
    try:
        with transaction.atomic():
            return WeeklyDigest.objects.create(operation=operation, week_start=week_start)
    except IntegrityError:
        pass
    # A row left failed by the at-most-once sender of earlier releases may be sent again.
    reclaimed = WeeklyDigest.objects.filter(
        operation=operation, week_start=week_start, status=WeeklyDigest.Status.FAILED
    ).update(status=WeeklyDigest.Status.SENDING, error="")
    if reclaimed:
        return WeeklyDigest.objects.get(operation=operation, week_start=week_start)
    return None


def weekly_digest_send(*, operation: Operation, week_start: date) -> WeeklyDigest | None:
    """Send the digest for the ISO week starting `week_start` (a Monday) once.

    Returns the digest row when this call sent it, None when it had been sent already or the
    operation has no agreed criteria to report against.
    """
    week_start, week_end = week_bounds(week_start)
    lines = digest_lines(operation=operation, week_start=week_start)
    if not lines:
        return None
    if WeeklyDigest.objects.filter(
        operation=operation, week_start=week_start, status=WeeklyDigest.Status.SENT
    ).exists():
        return None  # the common repeat, answered before rendering anything
    recipients = _recipients(operation)
    base = settings.SITE_URL.rstrip("/")
    out_of_range = [line for line in lines if line.status == OUT_OF_RANGE]
    no_data = [line for line in lines if line.status == NO_DATA]
    context = {
        "operation": operation,
        "lines": lines,
        "week_label": week_label(week_start),
        "week_start": week_start,
        "week_end": week_end,
        "out_of_range": out_of_range,
        "no_data": no_data,
        "operation_url": base + reverse("criteria:operation_detail", args=[operation.slug]),
        "preferences_url": base + reverse("preferences"),
        "week_number": _week_since_go_live(operation, week_end),
    }
    subject = f"Stopline weekly: {operation.title}, {context['week_label']}: " + (
        f"{len(out_of_range)} out of range" if out_of_range else "all in range"
    )
    if no_data and not out_of_range:
        subject = f"Stopline weekly: {operation.title}, {context['week_label']}: " + (
            f"{len(no_data)} without data"
        )
    text = render_to_string("metrics/email/digest.txt", context)
    html = render_to_string("metrics/email/digest.html", context)
    with transaction.atomic():
        digest = _claim(operation, week_start)
        if digest is None:
            return None
        url = context["operation_url"]
        event_emit(
            operation=operation,
            type=EventType.DIGEST_WEEKLY,
            data={
                "week": context["week_label"],
                "week_start": week_start.isoformat(),
                "lines": [{**line.as_dict(), "name": line.label} for line in lines],
                "url": url,
            },
            text=f"{subject}. {url}",
            subject=subject,
            email_text=text,
            html=html,
            emails=recipients,
        )
        digest.status = WeeklyDigest.Status.SENT
        digest.sent_at = timezone.now()
        digest.recipients = len(recipients)
        digest.summary = {"lines": [line.as_dict() for line in lines]}
        digest.save(update_fields=["status", "sent_at", "recipients", "summary"])
    return digest


def _week_since_go_live(operation: Operation, day: date) -> int | None:
    if operation.go_live is None or day < operation.go_live:
        return None
    return (day - operation.go_live).days // 7 + 1


def operations_for_digest() -> list[int]:
    """Operations with agreed criteria (the ones a digest can report on)."""
    return list(
        Operation.objects.filter(versions__status="agreed").distinct().values_list("pk", flat=True)
    )
