"""Evaluation against the criteria: which checks a version asks for, and the episodes each
finds on the indicator series. Pure reads: nothing here writes. ``metrics.alerts.lifecycle``
turns the episodes into alerts; a backtest (``backtest_count``) only counts them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.errors import StoplineError
from criteria.models import CriteriaVersion, IndicatorTarget, Operation
from criteria.services import version_in_force
from metrics.detection import detectors
from metrics.detection.detectors import Episode, Trigger
from metrics.detection.indicators import Point, indicator_series, to_day_obs

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


def episodes_find(
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
    return len(episodes_find(target, series, through, operation.go_live))
