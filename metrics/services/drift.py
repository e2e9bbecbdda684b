"""Drift evaluation: run the criteria's triggers over the indicators, open and resolve alerts.

Against the version in force (the newest agreed one) an evaluation opens, keeps and resolves
alerts, opens reviews and enqueues notifications; it is idempotent, so the daily job and a
manual run can both happen without a second alert, review or message. Against a draft or an
older version it is a *backtest*: it only reports what would have fired and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import StoplineError
from accounts.models import Membership
from criteria.models import CriteriaVersion, IndicatorTarget, Operation
from criteria.services import review_due, version_in_force
from metrics import detectors
from metrics.detectors import Episode, Firing, Trigger
from metrics.indicators import Point, indicator_series, to_day_obs
from metrics.models import (
    Alert,
    AlertEvent,
    NotificationAttempt,
    OperationNotificationSettings,
    Review,
)

log = logging.getLogger(__name__)

# Indicator key in the criteria -> the series it is read from.
SERIES_OF = {
    "escalation_rate": "escalation_rate",
    "fcr_simple": "fcr_simple",
    "fcr_complex": "fcr_complex",
    "review_score": "review_score",
}
CASE_MIX_INDICATOR = "complex_share"
FEED_INDICATOR = "conversations"


@dataclass(frozen=True)
class Check:
    """One trigger to run: the indicator, its trigger, and the target it comes from (None for
    the built-in checks: case mix and the daily feed going quiet)."""

    indicator: str
    series: str
    trigger: Trigger
    target: IndicatorTarget | None


def local_yesterday(operation: Operation) -> date:
    """The operation's last complete local day: what the daily evaluation looks through."""
    now = timezone.now().astimezone(ZoneInfo(operation.timezone or "UTC"))
    return now.date() - timedelta(days=1)


def _float(value) -> float | None:
    return None if value is None else float(value)


def version_resolve(operation: Operation, version: str | int) -> CriteriaVersion:
    """'agreed' (the version in force), 'draft' (the latest, if it is a draft) or a number."""
    if version == "agreed":
        found = version_in_force(operation)
        if found is None:
            raise StoplineError(f"{operation.slug} has no agreed criteria version yet.")
        return found
    if version == "draft":
        found = operation.versions.order_by("-number").first()
        if found is None or not found.is_draft:
            raise StoplineError(f"{operation.slug} has no draft criteria version.")
        return found
    try:
        number = int(version)
    except (TypeError, ValueError) as exc:
        raise StoplineError(f"Unknown version {version!r}: use agreed, draft or a number.") from exc
    try:
        return operation.versions.get(number=number)
    except CriteriaVersion.DoesNotExist as exc:
        raise StoplineError(f"{operation.slug} has no criteria version {number}.") from exc


def checks_for_version(version: CriteriaVersion) -> list[Check]:
    checks = []
    for target in version.targets.select_related("owner"):
        if target.key not in SERIES_OF:
            continue
        trigger = Trigger(
            rule=target.rule,
            for_days=target.for_days,
            window_days=target.window_days,
            range_min=_float(target.range_min),
            range_max=_float(target.range_max),
        )
        checks.append(Check(target.key, SERIES_OF[target.key], trigger, target))
    checks.sort(key=lambda c: list(SERIES_OF).index(c.indicator))
    checks.append(
        Check(CASE_MIX_INDICATOR, CASE_MIX_INDICATOR, Trigger(rule=detectors.CASE_MIX), None)
    )
    checks.append(
        Check(
            FEED_INDICATOR,
            FEED_INDICATOR,
            Trigger(rule=detectors.NO_DATA, for_days=settings.STOPLINE_NO_DATA_DAYS),
            None,
        )
    )
    return checks


def _episodes(
    check: Check, series: dict[str, list[Point]], through: date, go_live: date | None = None
) -> list[Episode]:
    """The check's episodes through ``through``. Change detection (change_detected, case_mix)
    takes the pilot (the days before go-live, the last STOPLINE_BASELINE_DAYS_MAX of them) as
    its in-control reference when it has at least 14 days of data; otherwise the first
    STOPLINE_BASELINE_DAYS days with data."""
    days = to_day_obs(series[check.series])
    if check.trigger.rule == detectors.NO_DATA and check.series == "review_score":
        return []  # weekly: a day without a verdict is normal
    options: dict = {"baseline_days": settings.STOPLINE_BASELINE_DAYS}
    if go_live is not None and check.trigger.rule in (
        detectors.CHANGE_DETECTED,
        detectors.CASE_MIX,
    ):
        pilot = [d for d in days if d.date < go_live][-settings.STOPLINE_BASELINE_DAYS_MAX :]
        if len(pilot) >= detectors.MIN_BASELINE_DAYS:
            options = {"baseline": pilot}
    return detectors.evaluate_episodes(
        check.indicator, days, check.trigger, through=through, **options
    )


def drift_evaluate(
    *, operation: Operation, through: date, version: str | int = "agreed"
) -> list[Firing]:
    """Every episode the version's triggers find on the data up to ``through``, oldest first.

    Writes (alerts, events, reviews, notifications) only when ``version`` is the version in
    force; otherwise it is a backtest and the database is left as it was.
    """
    resolved = version_resolve(operation, version)
    in_force = version_in_force(operation)
    write = in_force is not None and resolved.pk == in_force.pk
    checks = checks_for_version(resolved)
    series = indicator_series(operation, end=through)
    found = [(c, _episodes(c, series, through, operation.go_live)) for c in checks]
    if write:
        _alerts_sync(operation=operation, version=resolved, through=through, found=found)
    firings = [e.firing for _, episodes in found for e in episodes]
    return sorted(firings, key=lambda f: (f.opened_on, f.indicator, f.rule))


def backtest_count(
    *,
    operation: Operation,
    version: CriteriaVersion,
    indicator: str,
    series: dict[str, list[Point]] | None = None,
) -> int | None:
    """How many times ``indicator``'s trigger in ``version`` would have fired on the data so
    far (``series``: the operation's indicator_series, if already read); None when the
    operation has no data for it. Writes nothing."""
    target = next((c for c in checks_for_version(version) if c.indicator == indicator), None)
    if target is None:
        return None
    if series is None:
        series = indicator_series(operation)
    if not series[target.series]:
        return None
    through = series[target.series][-1].day
    return len(_episodes(target, series, through, operation.go_live))


# --------------------------------------------------------------------------------------------
# Writing alerts


def _event(alert: Alert, to_state: str, *, actor=None, note: str = "", from_state: str = ""):
    return AlertEvent.objects.create(
        alert=alert, actor=actor, from_state=from_state, to_state=to_state, note=note
    )


def _alerts_sync(
    *,
    operation: Operation,
    version: CriteriaVersion,
    through: date,
    found: list[tuple[Check, list[Episode]]],
) -> None:
    with transaction.atomic():
        # One evaluation of an operation at a time: the daily job and a manual run serialise.
        Operation.objects.select_for_update().filter(pk=operation.pk).first()
        alerts = {
            (a.indicator, a.rule, a.opened_on): a
            for a in Alert.objects.filter(operation=operation).select_related("review")
        }
        live = {(a.indicator, a.rule): a for a in alerts.values() if not a.is_resolved}
        seen: set[int] = set()
        for check, episodes in found:
            for episode in episodes:
                f = episode.firing
                alert = alerts.get((f.indicator, f.rule, f.opened_on))
                if alert is None and episode.resolved_on is None:
                    alert = live.get((f.indicator, f.rule))
                    if alert is None:
                        alert = _alert_open(operation, version, check, f)
                        live[(f.indicator, f.rule)] = alert
                if alert is None:
                    continue  # an episode that ended before anyone was watching
                seen.add(alert.pk)
                if episode.resolved_on is not None and not alert.is_resolved:
                    _alert_auto_resolve(alert, episode.resolved_on, "Back in range")
                    # A later episode in the same data opens an alert of its own.
                    if live.get((f.indicator, f.rule)) is alert:
                        del live[(f.indicator, f.rule)]
                elif episode.resolved_on is None:
                    _snooze_expire(alert, through)
        for alert in list(live.values()):
            # An alert opened after `through` is not contradicted by looking at earlier days.
            if alert.pk not in seen and not alert.is_resolved and alert.opened_on <= through:
                _alert_auto_resolve(alert, through, "The trigger no longer fires on this data")


def _alert_open(operation: Operation, version: CriteriaVersion, check: Check, f: Firing) -> Alert:
    alert = Alert.objects.create(
        operation=operation,
        version=version,
        indicator=f.indicator,
        rule=f.rule,
        direction=f.direction,
        opened_on=f.opened_on,
        value=f.value,
        range_min=f.range[0],
        range_max=f.range[1],
    )
    _event(alert, Alert.State.OPEN, note=f"{f.indicator} {f.direction} ({f.rule})")
    if check.target is not None:
        Review.objects.create(
            alert=alert,
            owner=check.target.owner,
            due_on=review_due(opened_on=f.opened_on, target=check.target),
        )
    _notifications_enqueue(alert, check.target)
    return alert


def _alert_auto_resolve(alert: Alert, on: date, note: str) -> None:
    before = alert.state
    alert.state = Alert.State.RESOLVED
    alert.resolved_on = on
    alert.save(update_fields=["state", "resolved_on", "updated_at"])
    _event(alert, Alert.State.RESOLVED, from_state=before, note=note)


def _snooze_expire(alert: Alert, through: date) -> None:
    if alert.state == Alert.State.SNOOZED and alert.snooze_until and alert.snooze_until < through:
        alert.state = Alert.State.OPEN
        alert.save(update_fields=["state", "updated_at"])
        _event(alert, Alert.State.OPEN, from_state=Alert.State.SNOOZED, note="Snooze expired")


def notification_targets(alert: Alert, target: IndicatorTarget | None) -> list[tuple[str, str]]:
    """(channel, target) pairs: the trigger's recipients and the owner department's members
    by e-mail, and the operation's webhook if one is set."""
    emails: list[str] = []
    if target is not None:
        emails += [r for r in target.recipients or [] if "@" in r]
        emails += list(
            Membership.objects.filter(
                organization_id=alert.operation.organization_id, department=target.owner
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    out = [(NotificationAttempt.Channel.EMAIL, e) for e in dict.fromkeys(e.lower() for e in emails)]
    hook = (
        OperationNotificationSettings.objects.filter(operation=alert.operation)
        .values_list("webhook_url", flat=True)
        .first()
    )
    if hook:
        out.append((NotificationAttempt.Channel.WEBHOOK, hook))
    return out


def _notifications_enqueue(alert: Alert, target: IndicatorTarget | None) -> None:
    from metrics.tasks import notification_send

    for channel, to in notification_targets(alert, target):
        attempt = NotificationAttempt.objects.create(alert=alert, channel=channel, target=to)
        transaction.on_commit(lambda pk=attempt.pk: notification_send.delay(pk))
