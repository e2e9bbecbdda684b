"""The operation dashboard's reads (selectors): indicator panels, missed handoffs, alerts.

Everything the page and the status PDF show about one period is read here with a fixed number
of queries, whatever the number of days: the agreed version and its targets, the daily
aggregates, the weekly review scores, the alerts and the reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from criteria.formatting import percent, range_text
from criteria.models import CriteriaVersion, IndicatorTarget, Operation
from criteria.services import version_in_force
from metrics.detection import indicators
from metrics.detection.indicators import Point, rate_point
from metrics.models import Alert, Review, WeeklyReviewScore
from metrics.reporting.charts import day_label, indicator_chart_svg

PERIODS = (28, 90, 365)
DEFAULT_PERIOD = 90

IN_RANGE = "in_range"
OUT_OF_RANGE = "out_of_range"
NO_DATA = "no_data"
STATUS_LABELS = {IN_RANGE: "in range", OUT_OF_RANGE: "out of range", NO_DATA: "no data"}

# key, label, what it measures; the order the dashboard shows them in.
PANELS = [
    ("escalation_rate", "Escalation rate", "handed to a human, all conversations"),
    ("fcr_simple", "FCR simple", "first-contact resolution, simple cases (known outcomes)"),
    ("fcr_complex", "FCR complex", "first-contact resolution, complex cases (known outcomes)"),
    ("review_score", "Review score", "sampled transcripts rated acceptable, per week"),
    ("human_requested", "Human requested", "customers who asked for a person"),
    ("complex_share", "Complex share", "complex conversations among all (the case mix)"),
]
LABELS = {key: label for key, label, _ in PANELS} | {
    "fcr_blended": "FCR blended",
    "conversations": "Daily data feed",
}
FEED_INDICATOR = "conversations"
WEEKLY_KEYS = ("review_score",)

# The escalation trend compares the last TREND_DAYS pooled with the TREND_DAYS before; it is
# "falling" when it dropped by at least TREND_DROP (relative) and the intervals do not overlap.
TREND_DAYS = 14
TREND_DROP = 0.2
# Missed handoffs "rise" when the latest week is at least MISSED_RISE times the mean of the
# MISSED_BASE_WEEKS weeks before it and at least MISSED_MIN_STEP higher.
MISSED_BASE_WEEKS = 4
MISSED_RISE = 1.25
MISSED_MIN_STEP = 0.02
STALE_AFTER_DAYS = 3  # days between the last data and the end of the period before we say so


def operation_today(operation: Operation) -> date:
    return datetime.now(ZoneInfo(operation.timezone)).date()


def week_since_go_live(go_live: date | None, day: date) -> str:
    """ "week 7 since go-live" (week 1 is the go-live day and the six after it)."""
    if go_live is None:
        return "go-live date not set"
    if day < go_live:
        days = (go_live - day).days
        return f"goes live in {days} day{'s' if days != 1 else ''} ({go_live.isoformat()})"
    return f"week {(day - go_live).days // 7 + 1} since go-live"


@dataclass(frozen=True)
class Assessment:
    """Where an indicator stands on its latest day with data.

    ``status`` follows the point estimate; ``clear`` says the whole 95 % interval is outside
    too (out of range beyond noise). ``since`` is the first day of the current run of days
    outside in the same direction (days without data neither extend nor break it);
    ``since_open`` means the run reaches back to the start of the period read.
    """

    status: str
    direction: str | None = None  # "below" | "above"
    clear: bool = False
    latest: Point | None = None
    since: date | None = None
    since_open: bool = False

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _direction(rate: float, lo: float | None, hi: float | None) -> str | None:
    if lo is not None and rate < lo:
        return "below"
    if hi is not None and rate > hi:
        return "above"
    return None


def assess(points: list[Point], band_min: float | None, band_max: float | None) -> Assessment:
    with_data = [p for p in points if p.rate is not None]
    if not with_data:
        return Assessment(NO_DATA)
    latest = with_data[-1]
    if band_min is None and band_max is None:
        return Assessment(IN_RANGE, latest=latest)
    direction = _direction(latest.rate, band_min, band_max)
    if direction is None:
        return Assessment(IN_RANGE, latest=latest)
    clear = (direction == "below" and latest.hi is not None and latest.hi < band_min) or (
        direction == "above" and latest.lo is not None and latest.lo > band_max
    )
    since = latest.day
    index = len(with_data) - 1
    while index > 0 and _direction(with_data[index - 1].rate, band_min, band_max) == direction:
        index -= 1
        since = with_data[index].day
    return Assessment(
        OUT_OF_RANGE, direction, clear, latest, since, since_open=index == 0 and len(with_data) > 1
    )


@dataclass
class Panel:
    key: str
    label: str
    explanation: str
    band_min: float | None
    band_max: float | None
    points: list[Point]
    assessment: Assessment
    target: IndicatorTarget | None = None
    window: Point | None = None  # the pooled last 7 days (daily indicators)
    markers: list[tuple[date, str]] = field(default_factory=list)
    chart: str = ""
    unknown: int = 0  # conversations in the period whose outcome is not known yet (FCR)
    pooled_days: int | None = None  # the status is judged on a pooled window of these days

    @property
    def range_text(self) -> str:
        return range_text(self.band_min, self.band_max, empty="")

    @property
    def weekly(self) -> bool:
        return self.key in WEEKLY_KEYS

    @property
    def status(self) -> str:
        return self.assessment.status

    @property
    def latest(self) -> Point | None:
        return self.assessment.latest

    def statement(self) -> str:
        """One plain sentence, e.g. "Escalation rate has been below its range (8 %–25 %)
        since 3 March."."""
        a = self.assessment
        if a.status == NO_DATA:
            return f"{self.label}: no data in this period."
        if self.weekly:
            when = "in the week to"
        elif self.pooled_days:
            when = f"over the {self.pooled_days} days to"
        else:
            when = "on"
        value = f"{percent(a.latest.rate)} {when} {_long_date(a.latest.day)}"
        if a.status == IN_RANGE:
            if self.range_text:
                return f"{self.label} is within its range ({self.range_text}): {value}."
            return f"{self.label}: {value}."
        since = _long_date(a.since)
        if self.weekly:
            since = f"the week to {since}"
        prefix = "at least " if a.since_open else ""
        noise = "" if a.clear else " (not yet beyond day-to-day noise)"
        return (
            f"{self.label} has been {a.direction} its range ({self.range_text}) since "
            f"{prefix}{since}: {value}{noise}."
        )


def _long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _band(target: IndicatorTarget | None) -> tuple[float | None, float | None]:
    if target is None:
        return None, None
    return (
        None if target.range_min is None else float(target.range_min),
        None if target.range_max is None else float(target.range_max),
    )


@dataclass(frozen=True)
class WeekPoint:
    """A weekly value (missed handoffs), dated on the week's Sunday like the review score."""

    day: date
    rate: float | None
    lo: float | None
    hi: float | None
    n: int
    count: float | None = None


def missed_handoff_points(operation: Operation, *, start: date, end: date) -> list[WeekPoint]:
    """The reviewers' estimate of missed handoffs per week (segment "all"). One query."""
    rows = WeeklyReviewScore.objects.filter(
        operation=operation,
        segment=WeeklyReviewScore.Segment.ALL,
        missed_handoff_share__isnull=False,
        week_start__gte=start - timedelta(days=6),
        week_start__lte=end,
    ).order_by("week_start")
    points = []
    for week_start, reviewed, share, lo, hi, count in rows.values_list(
        "week_start",
        "reviewed",
        "missed_handoff_share",
        "missed_handoff_lo",
        "missed_handoff_hi",
        "missed_handoff_count",
    ):
        day = week_start + timedelta(days=6)
        if start <= day <= end:
            points.append(WeekPoint(day, share, lo, hi, reviewed, count))
    return points


def missed_rising(points: list[WeekPoint]) -> bool:
    if len(points) < 2:
        return False
    latest = points[-1].rate
    base = [p.rate for p in points[-1 - MISSED_BASE_WEEKS : -1]]
    mean = sum(base) / len(base)
    return latest >= mean * MISSED_RISE and latest - mean >= MISSED_MIN_STEP


def escalation_falling(points: list[Point], end: date) -> bool:
    recent = indicators.pooled(points, end, TREND_DAYS)
    before = indicators.pooled(points, end - timedelta(days=TREND_DAYS), TREND_DAYS)
    if recent.rate is None or before.rate is None or before.rate == 0:
        return False
    return recent.rate <= before.rate * (1 - TREND_DROP) and recent.hi < before.lo


@dataclass
class HandoffCheck:
    """Escalations beside the reviewers' missed handoffs: the pattern that hid Klarna's
    problem is escalations falling while handoffs that should have happened rise."""

    points: list[WeekPoint]
    escalation_below: bool
    escalation_falling: bool
    rising: bool

    @property
    def latest(self) -> WeekPoint | None:
        return self.points[-1] if self.points else None

    @property
    def warning(self) -> bool:
        return (self.escalation_below or self.escalation_falling) and self.rising

    @property
    def unverified(self) -> bool:
        """Escalations low or falling and no review data to tell whether handoffs are missed."""
        return (self.escalation_below or self.escalation_falling) and not self.points

    def message(self) -> str:
        if self.warning:
            latest = self.latest
            trend = "is below its range" if self.escalation_below else "is falling"
            return (
                f"Escalation rate {trend} while the reviewers' estimate of missed handoffs "
                f"rises to {percent(latest.rate)} of non-escalated conversations (week to "
                f"{day_label(latest.day)}). Fewer escalations are not better service here: "
                "the AI may be keeping customers it should hand to a person."
            )
        if self.unverified:
            return (
                "Escalation rate is low or falling and no reviewed sample tells whether "
                "handoffs are being missed."
            )
        return ""


@dataclass
class Dashboard:
    operation: Operation
    version: CriteriaVersion | None
    start: date
    end: date
    days: int
    week_label: str
    panels: dict[str, Panel]
    blended: Point | None
    handoffs: HandoffCheck
    handoff_chart: str
    open_alerts: list[AlertRow]
    open_reviews: list[ReviewRow]

    @property
    def last_data_day(self) -> date | None:
        points = self.panels["escalation_rate"].points
        return points[-1].day if points else None

    @property
    def feed_gap(self) -> str:
        """ "No daily data since 20 November 2026 (11 days)." when the feed went quiet; data
        for yesterday is normal, the current day is rarely complete."""
        last = self.last_data_day
        if last is None:
            return ""
        gap = (self.end - last).days
        if gap < STALE_AFTER_DAYS:
            return ""
        return f"No daily data since {_long_date(last)} ({gap} days)."

    def panel_list(self) -> list[Panel]:
        return [self.panels[key] for key, _, _ in PANELS]


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    label: str


@dataclass(frozen=True)
class ReviewRow:
    review: Review
    label: str
    overdue: bool


def _alerts_and_reviews(
    operation: Operation, *, start: date, today: date
) -> tuple[list[AlertRow], list[ReviewRow], list[Alert]]:
    """Open alerts, undecided reviews, and every alert opened in the period (chart markers).
    Two queries."""
    alerts = list(
        Alert.objects.filter(operation=operation)
        .filter(Q(opened_on__gte=start) | ~Q(state=Alert.State.RESOLVED))
        .select_related("review__owner")
        .order_by("-opened_on", "-id")
    )
    open_alerts = [
        AlertRow(a, LABELS.get(a.indicator, a.indicator)) for a in alerts if not a.is_resolved
    ]
    reviews = (
        Review.objects.filter(alert__operation=operation, decision="")
        .select_related("alert", "owner")
        .order_by("due_on", "id")
    )
    open_reviews = [ReviewRow(r, _alert_label(r.alert), r.is_overdue(today)) for r in reviews]
    return open_alerts, open_reviews, [a for a in alerts if a.opened_on >= start]


def dashboard_get(
    operation: Operation,
    *,
    end: date | None = None,
    days: int = DEFAULT_PERIOD,
    chart_width: int = 640,
    chart_height: int = 200,
    charts: bool = True,
) -> Dashboard:
    """The dashboard of the `days` local days ending on `end` (default: today); `charts`
    False leaves the SVG out (the status report draws its own small ones)."""
    end = end or operation_today(operation)
    start = end - timedelta(days=days - 1)
    version = version_in_force(operation)
    targets = (
        {t.key: t for t in version.targets.select_related("owner")} if version is not None else {}
    )
    series = indicators.indicator_series(operation, start=start, end=end)
    open_alerts, open_reviews, marked = _alerts_and_reviews(
        operation, start=start, today=operation_today(operation)
    )

    panels: dict[str, Panel] = {}
    for key, label, explanation in PANELS:
        target = targets.get(key)
        band_min, band_max = _band(target)
        points = series[key]
        # A quiet feed ("conversations", no data) concerns every daily indicator.
        markers = [
            (a.opened_on, _alert_label(a))
            for a in marked
            if a.indicator == key or (a.indicator == FEED_INDICATOR and key not in WEEKLY_KEYS)
        ]
        pooled_days = (
            target.window_days
            if target is not None and target.window_days and key not in WEEKLY_KEYS
            else None
        )
        panel = Panel(
            key=key,
            pooled_days=pooled_days,
            label=label,
            explanation=explanation,
            band_min=band_min,
            band_max=band_max,
            points=points,
            # A trigger over a pooled window is judged on that window, as the detector does.
            assessment=assess(
                indicators.rolling(points, pooled_days) if pooled_days else points,
                band_min,
                band_max,
            ),
            target=target,
            markers=markers,
            unknown=sum(p.unknown for p in points),
        )
        if key not in WEEKLY_KEYS and points:
            panel.window = indicators.pooled(points, points[-1].day, 7)
        if charts:
            panel.chart = indicator_chart_svg(
                points,
                band_min=band_min,
                band_max=band_max,
                markers=markers,
                title=label,
                width=chart_width,
                height=chart_height,
                start=start,
                end=end,
                weekly=key in WEEKLY_KEYS,
            )
        panels[key] = panel

    blended_points = series["fcr_blended"]
    blended = (
        indicators.pooled(blended_points, blended_points[-1].day, 7) if blended_points else None
    )
    escalation = panels["escalation_rate"]
    missed = missed_handoff_points(operation, start=start, end=end)
    handoffs = HandoffCheck(
        points=missed,
        escalation_below=escalation.assessment.direction == "below",
        escalation_falling=escalation_falling(escalation.points, end),
        rising=missed_rising(missed),
    )
    handoff_chart = (
        indicator_chart_svg(
            missed,
            band_min=None,
            band_max=None,
            title="Missed handoffs (reviewers' estimate)",
            width=chart_width,
            height=chart_height,
            start=start,
            end=end,
            weekly=True,
        )
        if charts
        else ""
    )
    return Dashboard(
        operation=operation,
        version=version,
        start=start,
        end=end,
        days=days,
        week_label=week_since_go_live(operation.go_live, end),
        panels=panels,
        blended=blended,
        handoffs=handoffs,
        handoff_chart=handoff_chart,
        open_alerts=open_alerts,
        open_reviews=open_reviews,
    )


def _alert_label(alert: Alert) -> str:
    return f"{LABELS.get(alert.indicator, alert.indicator)}: {alert.get_direction_display()}"


def weekly_points(points: list[Point], *, end: date, weeks: int = 12) -> list[Point]:
    """Daily points pooled per ISO week (Monday–Sunday), dated on the Sunday, for the last
    `weeks` weeks up to the week of `end` (the latest week may be partial)."""
    last_sunday = end + timedelta(days=6 - end.weekday())
    out = []
    for w in range(weeks - 1, -1, -1):
        sunday = last_sunday - timedelta(weeks=w)
        monday = sunday - timedelta(days=6)
        s = n = unknown = 0
        for p in points:
            if monday <= p.day <= min(sunday, end):
                s += p.successes
                n += p.n
                unknown += p.unknown
        if n:
            out.append(rate_point(sunday, s, n, unknown))
    return out
