"""Alert lifecycle: run the criteria's triggers over the indicators, open and resolve alerts.

Against the version in force (the newest agreed one) an evaluation opens, keeps and resolves
alerts, opens reviews and enqueues notifications; it is idempotent, so the daily job and a
manual run can both happen without a second alert, review or message. Against a draft or an
older version it is a *backtest*: it only reports what would have fired and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction

from config.freshness import operation_changed
from criteria.models import CriteriaVersion, Operation
from criteria.services import review_due, version_in_force
from metrics.alerts.notifications import (
    alert_opened_emit,
    alert_resolved_emit,
    review_opened_emit,
)
from metrics.detection.detectors import Episode, Firing
from metrics.detection.evaluate import (
    Check,
    checks_for_version,
    episodes_find,
    version_resolve,
)
from metrics.detection.indicators import indicator_series
from metrics.models import (
    Alert,
    AlertEvent,
    Review,
)

log = logging.getLogger(__name__)


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
    found = [(c, episodes_find(c, series, through, operation.go_live)) for c in checks]
    if write:
        _alerts_sync(operation=operation, version=resolved, through=through, found=found)
    firings = [e.firing for _, episodes in found for e in episodes]
    return sorted(firings, key=lambda f: (f.opened_on, f.indicator, f.rule))


# --------------------------------------------------------------------------------------------
# Writing alerts


def _event(alert: Alert, to_state: str, *, actor=None, note: str = "", from_state: str = ""):
    operation_changed(alert.operation_id)
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
    alert_opened_emit(alert, check.target)
    if check.target is not None:
        review = Review.objects.create(
            alert=alert,
            owner=check.target.owner,
            due_on=review_due(opened_on=f.opened_on, target=check.target),
        )
        review_opened_emit(review)
    return alert


def _alert_auto_resolve(alert: Alert, on: date, note: str) -> None:
    before = alert.state
    alert.state = Alert.State.RESOLVED
    alert.resolved_on = on
    alert.save(update_fields=["state", "resolved_on", "updated_at"])
    _event(alert, Alert.State.RESOLVED, from_state=before, note=note)
    alert_resolved_emit(alert, note)


def _snooze_expire(alert: Alert, through: date) -> None:
    if alert.state == Alert.State.SNOOZED and alert.snooze_until and alert.snooze_until < through:
        alert.state = Alert.State.OPEN
        alert.save(update_fields=["state", "updated_at"])
        _event(alert, Alert.State.OPEN, from_state=Alert.State.SNOOZED, note="Snooze expired")
