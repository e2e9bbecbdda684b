"""Evaluation against the criteria: which checks a version asks for, and the episodes each
finds on the indicator series. Pure reads: nothing here writes. ``metrics.alerts.lifecycle``
turns the episodes into alerts; a backtest (``backtest_count``) only counts them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.errors import StoplineError
from criteria.models import CriteriaVersion, IndicatorTarget, Operation
from criteria.services import version_in_force
from metrics.detection import detectors, stats
from metrics.detection.detectors import Episode, Trigger
from metrics.detection.indicators import Point, indicator_series, to_day_obs
from metrics.models import WarningSettings

# Indicator key in the criteria -> the series it is read from.
SERIES_OF = {
    "escalation_rate": "escalation_rate",
    "fcr_simple": "fcr_simple",
    "fcr_complex": "fcr_complex",
    "review_score": "review_score",
}
CASE_MIX_INDICATOR = "complex_share"
FEED_INDICATOR = "conversations"
COMPLAINT_INDICATOR = "survey_complaints"
# The warning tier watches every daily rate of the operation, per segment where it has them,
# and the case mix, whatever rule was agreed.
WARNING_SERIES = (
    "escalation_rate",
    "escalation_rate_simple",
    "escalation_rate_complex",
    "fcr_simple",
    "fcr_complex",
    "human_requested",
    CASE_MIX_INDICATOR,
    COMPLAINT_INDICATOR,
)
# A segment's series belongs to the indicator the criteria name (for reviews and links).
FAMILY = {
    "escalation_rate_simple": "escalation_rate",
    "escalation_rate_complex": "escalation_rate",
}
DEFAULT_WARNING_BUDGET = 2.0
# Watched from the day the escalation rate falls (a warning or a breach below), the way each is
# watched: suppressing the path to a human breaks complex cases first
# (detectors.slide_follow_up_episodes).
ESCALATION_FAMILY = "escalation_rate"
FOLLOW_UP = {"fcr_complex": detectors.BELOW}
# The direction each series is watched in (detectors.BOTH_WAYS when absent): the one that hurts
# customers, where there is one.
WATCH = {
    "fcr_simple": detectors.BELOW,
    "fcr_complex": detectors.BELOW,
    "human_requested": detectors.ABOVE,
    COMPLAINT_INDICATOR: detectors.ABOVE,
}
# Watched for the rate falling to a third by the collapse CUSUM too: the path to a human
# suppressed.
COLLAPSE_WATCH = frozenset({"escalation_rate", "escalation_rate_simple", "escalation_rate_complex"})
# A series the agreed criteria watch with change detection gets this many times the
# false-alarm budget of the other series: a workshop that chose change detection asked to hear
# early of a change there. (Series named with range rules keep weight 1: their breach covers
# "out of range", and more budget there would only make, e.g., a steady simple FCR noisier.)
AGREED_WEIGHT = 3.0


def family(indicator: str) -> str:
    return FAMILY.get(indicator, indicator)


@dataclass(frozen=True)
class Check:
    """One trigger to run: the indicator, its trigger, the target it comes from (None for the
    built-in checks: the daily feed going quiet, and warnings on series no target names) and
    its tier."""

    indicator: str
    series: str
    trigger: Trigger
    target: IndicatorTarget | None
    severity: str = detectors.BREACH


@dataclass(frozen=True)
class BaselineWindow:
    """The local days change detection takes as normal, and why (shown on the dashboard)."""

    start: date
    end: date
    source: str
    # Set when the window was extended (baseline_extend): the end of the shorter baseline that
    # served the days up to ``end``.
    first_end: date | None = None


@dataclass(frozen=True)
class Context:
    """What change detection needs beyond one series: the baseline window, each series'
    fitted baseline, and each detector's share of the operation's budget."""

    window: BaselineWindow | None
    baselines: dict[str, detectors.FittedBaseline]  # on the window (its first part if extended)
    # per series, per EWMA λ: that detector's yearly false-alarm probability
    alphas: dict[str, dict[float, float]]
    budget: float
    data_end: date | None
    live: bool
    # The extended window's baselines (baseline_extend), per series that has one.
    extended: dict[str, detectors.FittedBaseline] = field(default_factory=dict)
    _days: dict[str, list[detectors.DayObs]] = field(default_factory=dict)
    # What checks on the same series share (detectors.change_warning_episodes).
    _memo: dict = field(default_factory=dict)

    def days(self, series: dict[str, list[Point]], key: str) -> list[detectors.DayObs]:
        """The series in the detectors' shape, converted once per evaluation."""
        if key not in self._days:
            self._days[key] = to_day_obs(series[key])
        return self._days[key]


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


def _local_date(operation: Operation, moment) -> date:
    return moment.astimezone(ZoneInfo(operation.timezone or "UTC")).date()


def baseline_window(
    operation: Operation, version: CriteriaVersion, days: list[date]
) -> BaselineWindow | None:
    """The baseline follows the agreement: the first STOPLINE_BASELINE_DAYS days with data
    since the newest agreed version (up to ``version``) that was agreed while data already
    existed and has that many days since; until one has, the one before it keeps serving.
    Without such a version: the pilot (the days before go-live, the last
    STOPLINE_BASELINE_DAYS_MAX of them, at least 14), else the first STOPLINE_BASELINE_DAYS
    days with data. None with fewer than 14 days."""
    wanted = settings.STOPLINE_BASELINE_DAYS
    if not days:
        return None
    agreed = operation.versions.filter(
        status=CriteriaVersion.Status.AGREED, number__lte=version.number, agreed_at__isnull=False
    ).order_by("-number")
    for v in agreed:
        since = _local_date(operation, v.agreed_at)
        if days[0] >= since or (operation.go_live and since < operation.go_live):
            continue  # agreed before the data (or the pilot) began: nothing to re-estimate
        after = [d for d in days if d >= since]
        if len(after) >= wanted:
            return baseline_extend(
                BaselineWindow(
                    after[0], after[wanted - 1], f"since criteria v{v.number} was agreed ({since})"
                ),
                after,
            )
    if operation.go_live is not None:
        pilot = [d for d in days if d < operation.go_live][-settings.STOPLINE_BASELINE_DAYS_MAX :]
        if len(pilot) >= detectors.MIN_BASELINE_DAYS:
            return BaselineWindow(pilot[0], pilot[-1], "the pilot before go-live")
    first = days[:wanted]
    if len(first) >= detectors.MIN_BASELINE_DAYS:
        window = BaselineWindow(first[0], first[-1], f"the first {len(first)} days with data")
        return baseline_extend(window, days)
    return None


def baseline_extend(window: BaselineWindow, days: list[date]) -> BaselineWindow:
    """A longer baseline once the data allow it: when STOPLINE_BASELINE_DAYS_MAX days with data
    exist from the window's start, the window grows to them (``first_end`` keeps where the
    shorter one ended). The shorter baseline still serves the days up to the new end, and a
    series that was warned on during those days keeps it (detectors.change_warning_episodes):
    a change is never folded into its own baseline. ``days``: the days with data, sorted."""
    longest = settings.STOPLINE_BASELINE_DAYS_MAX
    since = [d for d in days if d >= window.start]
    inside = sum(1 for d in since if d <= window.end)
    if window.first_end is not None or inside >= longest or len(since) < longest:
        return window
    end = since[longest - 1]
    source = (
        f"{window.source}, extended to {longest} days on {end} "
        f"(a series warned on before then keeps the first {inside})"
    )
    return BaselineWindow(window.start, end, source, first_end=window.end)


def warning_budget(operation: Operation) -> tuple[float, bool]:
    """(false warnings a year the operation accepts, whether a warning opens a review)."""
    row = (
        WarningSettings.objects.filter(operation=operation)
        .values_list("warning_budget_per_year", "warnings_open_review")
        .first()
    )
    return row if row else (DEFAULT_WARNING_BUDGET, False)


def detection_context(
    operation: Operation,
    version: CriteriaVersion,
    series: dict[str, list[Point]],
    *,
    live: bool,
    budget: float | None = None,
    agreed: Iterable[str] = (),
) -> Context:
    """The context of an operation's evaluation: its baseline window (baseline_window) and
    its false-warning budget (warning_budget), fitted over the series (context_build);
    ``agreed``: the indicators the criteria watch with change detection."""
    if budget is None:
        budget = warning_budget(operation)[0]
    window = baseline_window(operation, version, [p.day for p in series[FEED_INDICATOR]])
    return context_build(series, window, budget=budget, live=live, agreed=agreed)


def context_build(
    series: dict[str, list[Point]],
    window: BaselineWindow | None,
    *,
    budget: float = DEFAULT_WARNING_BUDGET,
    live: bool = True,
    agreed: Iterable[str] = (),
) -> Context:
    """Fit the baseline of every watched series over one window and split the budget: μ, the
    Poisson mean that keeps an in-control year within the budget (stats.poisson_mean_for), is
    shared between the fast and the slow detector (detectors.BUDGET_SHARES) and then between
    the series in proportion to their weight (Bonferroni): AGREED_WEIGHT for a series the
    criteria watch with change detection (``agreed``), 1 for the others. Pure."""
    feed = series.get(FEED_INDICATOR)
    baselines: dict[str, detectors.FittedBaseline] = {}
    extended: dict[str, detectors.FittedBaseline] = {}
    # The watched series in the detectors' shape, converted here once for the fit and kept
    # for the checks (Context.days).
    converted: dict[str, list[detectors.DayObs]] = {}
    if window is not None:
        first_end = window.first_end or window.end
        for key in WARNING_SERIES:
            if key not in series:
                continue
            obs = converted[key] = to_day_obs(series[key])
            days = []
            for d in obs:  # oldest first: stop after the window
                if d.date > window.end:
                    break
                if d.date >= window.start:
                    days.append(d)
            fitted = detectors.baseline_fit([d for d in days if d.date <= first_end])
            if fitted is None:
                continue
            baselines[key] = fitted
            longer = detectors.baseline_fit(days) if window.first_end else None
            if longer is not None:
                extended[key] = longer
    mu = stats.poisson_mean_for(budget)
    named = set(agreed)
    weights = {key: AGREED_WEIGHT if key in named else 1.0 for key in baselines}
    total = sum(weights.values()) or 1.0
    alphas = {
        key: {
            lam: min(0.5, mu * share * weight / total)
            for lam, share in zip(detectors.WARNING_LAMBDAS, detectors.BUDGET_SHARES, strict=True)
        }
        for key, weight in weights.items()
    }
    return Context(
        window,
        baselines,
        alphas,
        budget,
        feed[-1].day if feed else None,
        live,
        extended,
        converted,
    )


def warning_checks(
    context: Context, targets: dict[str, IndicatorTarget] | None = None
) -> list[Check]:
    """One warning check per watched series that has a baseline; ``targets`` (by key) give
    the owner and recipients of a warning on that indicator or one of its segments."""
    checks = []
    for key in WARNING_SERIES:
        if key not in context.baselines:
            continue
        rule = detectors.CASE_MIX if key == CASE_MIX_INDICATOR else detectors.CHANGE_DETECTED
        target = (targets or {}).get(family(key))
        checks.append(Check(key, key, Trigger(rule=rule), target, detectors.WARNING))
    return checks


def version_targets(version: CriteriaVersion) -> dict[str, IndicatorTarget]:
    """The version's targets by indicator key (one query)."""
    return {t.key: t for t in version.targets.select_related("owner")}


def checks_for_version(
    version: CriteriaVersion,
    context: Context | None = None,
    targets: dict[str, IndicatorTarget] | None = None,
) -> list[Check]:
    """The breaches the version's targets ask for, the feed check, and (given a context) one
    warning check per watched series that has a baseline. ``targets``: version_targets, if
    already read."""
    checks = []
    if targets is None:
        targets = version_targets(version)
    for target in targets.values():
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
        Check(
            FEED_INDICATOR,
            FEED_INDICATOR,
            Trigger(rule=detectors.NO_DATA, for_days=settings.STOPLINE_NO_DATA_DAYS),
            None,
        )
    )
    if context is not None:
        checks += warning_checks(context, targets)
    return checks


def episodes_find(
    check: Check,
    series: dict[str, list[Point]],
    through: date,
    go_live: date | None = None,
    context: Context | None = None,
) -> list[Episode]:
    """The check's episodes through ``through``.

    Warnings, and breaches of an agreed ``change_detected`` on a daily series, run the
    calibrated EWMA of the warning tier against the context's baseline (a breach uses the fast
    detector with the same limit, watching the same way, so it never adds a false alarm the
    warnings do not already count). ``no_data`` looks past the last day with data only in a
    live evaluation: a backtest over a file that ended is not an outage. Without a context (or
    for the weekly review score) change detection keeps its own baseline: the pilot, else the
    first STOPLINE_BASELINE_DAYS days with data."""
    days = context.days(series, check.series) if context else to_day_obs(series[check.series])
    rule = check.trigger.rule
    if rule == detectors.NO_DATA and check.series == "review_score":
        return []  # weekly: a day without a verdict is normal
    if rule == detectors.NO_DATA and context is not None and not context.live:
        end = min(through, context.data_end) if context.data_end else through
        return detectors.evaluate_episodes(check.indicator, days, check.trigger, through=end)
    changing = rule in (detectors.CHANGE_DETECTED, detectors.CASE_MIX)
    if changing and context is not None and check.series in context.baselines:
        warning = check.severity == detectors.WARNING
        return detectors.change_warning_episodes(
            check.indicator,
            days,
            context.baselines[check.series],
            extended=context.extended.get(check.series),
            alphas=context.alphas[check.series],
            rule=rule,
            severity=check.severity,
            direction=("mix" if rule == detectors.CASE_MIX else (None if warning else "change")),
            lams=detectors.WARNING_LAMBDAS if warning else (detectors.FAST_LAMBDA,),
            watch=WATCH.get(check.series, detectors.BOTH_WAYS),
            trigger_range=check.trigger.range,
            through=through,
            memo=context._memo,
            # An agreed change_detected is the warnings' fast tier, the CUSUM included: it
            # fires when they would, and adds no false alarm beyond their budget.
            collapse=check.series in COLLAPSE_WATCH,
        )
    options: dict = {"baseline_days": settings.STOPLINE_BASELINE_DAYS}
    if go_live is not None and changing:
        pilot = [d for d in days if d.date < go_live][-settings.STOPLINE_BASELINE_DAYS_MAX :]
        if len(pilot) >= detectors.MIN_BASELINE_DAYS:
            options = {"baseline": pilot}
    return detectors.evaluate_episodes(
        check.indicator, days, check.trigger, through=through, **options
    )


def evaluation_find(
    operation: Operation,
    version: CriteriaVersion,
    series: dict[str, list[Point]],
    through: date,
    *,
    live: bool,
) -> tuple[Context, list[tuple[Check, list[Episode]]]]:
    """Both tiers over the series: every check with its episodes, warnings first."""
    targets = version_targets(version)
    watched = [k for k, t in targets.items() if t.rule == detectors.CHANGE_DETECTED]
    context = detection_context(operation, version, series, live=live, agreed=watched)
    checks = checks_for_version(version, context, targets)
    return context, episodes_all(checks, series, through, context, go_live=operation.go_live)


def episodes_all(
    checks: list[Check],
    series: dict[str, list[Point]],
    through: date,
    context: Context,
    *,
    go_live: date | None = None,
) -> list[tuple[Check, list[Episode]]]:
    """Every check's episodes, warnings first, one warning story per family. Pure."""
    checks = sorted(checks, key=lambda c: c.severity != detectors.WARNING)
    found = [(c, episodes_find(c, series, through, go_live, context)) for c in checks]
    return _one_story_per_family(_follow_ups(found, series, through, context))


def _follow_ups(
    found: list[tuple[Check, list[Episode]]],
    series: dict[str, list[Point]],
    through: date,
    context: Context,
) -> list[tuple[Check, list[Episode]]]:
    """Add the follow-up watch (detectors.slide_follow_up_episodes) to the warnings of the
    FOLLOW_UP series: from the day before the escalation rate was seen falling (a warning or a
    breach below), for FOLLOW_UP_DAYS days with data. A fall within a watch already running
    starts no other. A follow-up episode that overlaps the series' own warning is one story
    with it, told by the one that opened first."""
    falls = sorted(
        e.firing.opened_on
        for check, episodes in found
        if family(check.indicator) == ESCALATION_FAMILY
        for e in episodes
        if e.firing.direction == detectors.BELOW
    )
    if not falls:
        return found
    out = []
    for check, episodes in found:
        key = check.series
        if check.severity != detectors.WARNING or key not in FOLLOW_UP:
            out.append((check, episodes))
            continue
        days = context.days(series, key)
        extra: list[Episode] = []
        watched_until: date | None = None
        # The baseline the series itself judges the days after the extended window's end by:
        # the longer one, unless the series was warned on before that end (it then keeps its
        # first, detectors.change_warning_episodes), so that both tell against one baseline.
        longer = context.extended.get(key)
        if longer is not None and any(e.firing.opened_on <= longer.end for e in episodes):
            longer = None
        for fell in falls:
            since = fell - timedelta(days=1)
            if watched_until is not None and since <= watched_until:
                continue
            base = context.baselines.get(key)
            if longer is not None and since > longer.end:
                base = longer
            if base is None or since <= base.end:
                continue
            extra += detectors.slide_follow_up_episodes(
                check.indicator,
                days,
                base,
                since,
                watch=FOLLOW_UP[key],
                through=through,
                memo=context._memo,
            )
            watched_until = _watch_end(days, since)
        out.append((check, _overlaps_merged(episodes + extra) if extra else episodes))
    return out


def _watch_end(days: list[detectors.DayObs], since: date) -> date:
    """The last day of a follow-up watch starting on ``since`` (its FOLLOW_UP_DAYS days with
    data; the watch may still be running)."""
    after = [d.date for d in days if d.date >= since][: detectors.FOLLOW_UP_DAYS]
    return after[-1] if len(after) == detectors.FOLLOW_UP_DAYS else date.max


def _overlaps_merged(episodes: list[Episode]) -> list[Episode]:
    """One episode per overlap, with the firing of the one that opened first."""
    ordered = sorted(episodes, key=lambda e: e.firing.opened_on)
    spans = ((e.firing.opened_on, e.resolved_on, e.firing) for e in ordered)
    return [Episode(firing, resolved) for _, resolved, firing in detectors.overlaps_merged(spans)]


def _one_story_per_family(
    found: list[tuple[Check, list[Episode]]],
) -> list[tuple[Check, list[Episode]]]:
    """A collapse of the escalation rate shows in the total and in both segments: one warning,
    not three. A warning on a series of a family (an indicator and its segments) that opens
    while another of the family is open is dropped; the first one tells the story."""
    kept: dict[str, list[Episode]] = {}
    candidates = sorted(
        (
            (e.firing.opened_on, i, e)
            for i, (c, episodes) in enumerate(found)
            if c.severity == detectors.WARNING
            for e in episodes
        ),
        key=lambda item: (item[0], item[1]),
    )
    keep: set[int] = set()
    for opened, _, episode in candidates:
        stories = kept.setdefault(family(episode.firing.indicator), [])
        if any(s.resolved_on is None or s.resolved_on >= opened for s in stories):
            continue
        stories.append(episode)
        keep.add(id(episode))
    return [
        (c, episodes if c.severity != detectors.WARNING else [e for e in episodes if id(e) in keep])
        for c, episodes in found
    ]


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
    checks = checks_for_version(version)
    target = next((c for c in checks if c.indicator == indicator), None)
    if target is None:
        return None
    if series is None:
        series = indicator_series(operation)
    if not series[target.series]:
        return None
    through = series[target.series][-1].day
    context = None
    if target.trigger.rule in (detectors.CHANGE_DETECTED, detectors.CASE_MIX):
        agreed = [c.indicator for c in checks if c.trigger.rule == detectors.CHANGE_DETECTED]
        context = detection_context(operation, version, series, live=False, agreed=agreed)
    return len(episodes_find(target, series, through, operation.go_live, context))
