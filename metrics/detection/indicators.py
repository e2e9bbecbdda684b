"""The indicators per operation and local day, read from the daily aggregates (selectors).

Every series is a list of :class:`Point`, oldest first, one per local day *with data*: a day
without a DailyAggregate row (or with n = 0 for that rate) is absent, never a zero. Reading a
series costs a constant number of queries (one for the aggregates, one for the weekly review
scores) whatever the number of days, so a dashboard of a year stays fast.

Keys of :func:`indicator_series`:

- ``conversations``: successes = n = conversations that day (a count, rate None).
- ``complex_share``: complex conversations / all conversations.
- ``escalation_rate``, ``escalation_rate_simple``, ``escalation_rate_complex``: escalated /
  conversations, all and per segment.
- ``fcr_simple``, ``fcr_complex``: resolved first contact / conversations whose outcome is
  known (``unknown`` = conversations of the segment whose outcome is not known yet).
- ``fcr_blended``: both segments pooled; shown only beside the split, never instead of it.
- ``human_requested``: customers who asked for a human / those for whom it is known.
- ``survey_complaints``: survey comments that say the customer could not reach a person or
  was not understood / conversations with a survey comment.
- ``csat``: mean score (successes = sum of scores, n = answers; no interval).
- ``review_score``: the share of sampled conversations rated acceptable, one point per ISO
  week dated on the week's *last* day (Sunday), when the verdict is complete; lo/hi are the
  interval sampling computed (weighted), successes ≈ share × reviewed.

Rates carry a 95 % Wilson interval (``metrics.detection.stats.wilson_interval``); pooled windows of
7/14/28 days come from :func:`windows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from criteria.models import Operation
from metrics.detection import stats
from metrics.detection.detectors import DayObs
from metrics.models import DAILY_COUNT_FIELDS, Complexity, DailyAggregate, WeeklyReviewScore

WINDOWS = (7, 14, 28)

RATE_KEYS = (
    "complex_share",
    "escalation_rate",
    "escalation_rate_simple",
    "escalation_rate_complex",
    "fcr_simple",
    "fcr_complex",
    "fcr_blended",
    "human_requested",
    "survey_complaints",
)
KEYS = ("conversations", *RATE_KEYS, "csat", "review_score")


@dataclass(frozen=True)
class Point:
    """One local day (or pooled window ending that day) of one indicator.

    ``rate`` is successes / n with its 95 % interval ``lo``–``hi``; all three are None when
    n = 0. ``unknown`` counts conversations whose outcome is not known yet (FCR only).
    """

    day: date
    successes: int
    n: int
    rate: float | None
    lo: float | None
    hi: float | None
    unknown: int = 0

    @property
    def obs(self) -> DayObs:
        return DayObs(self.day, self.successes, self.n)


def rate_point(day: date, successes: int, n: int, unknown: int = 0) -> Point:
    interval = stats.wilson_interval(successes, n)
    lo, hi = interval if interval else (None, None)
    return Point(day, successes, n, successes / n if n else None, lo, hi, unknown)


@dataclass(frozen=True)
class DayCounts:
    """Both segments of one local day, as stored."""

    day: date
    simple: int = 0
    complex: int = 0
    escalated_simple: int = 0
    escalated_complex: int = 0
    resolved_simple: int = 0
    known_simple: int = 0
    resolved_complex: int = 0
    known_complex: int = 0
    human_requested: int = 0
    human_known: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    survey_comments: int = 0
    survey_complaints: int = 0

    @property
    def conversations(self) -> int:
        return self.simple + self.complex


_FIELDS = ("date", "segment", *DAILY_COUNT_FIELDS)


def daily_counts(
    operation: Operation, *, start: date | None = None, end: date | None = None
) -> list[DayCounts]:
    """The stored counts per local day in [start, end], oldest first. One query."""
    rows = DailyAggregate.objects.filter(operation=operation)
    if start is not None:
        rows = rows.filter(date__gte=start)
    if end is not None:
        rows = rows.filter(date__lte=end)
    by_day: dict[date, dict[str, int]] = {}
    for r in rows.order_by("date", "segment").values_list(*_FIELDS):
        day, segment, n, esc, res, known, human, human_known, csum, ccount, comments, compl = r
        acc = by_day.setdefault(day, {})
        seg = "complex" if segment == Complexity.COMPLEX else "simple"
        acc[seg] = acc.get(seg, 0) + n
        acc[f"escalated_{seg}"] = acc.get(f"escalated_{seg}", 0) + esc
        # An unknown outcome is "not known", so it adds to neither count.
        if res is not None:
            acc[f"resolved_{seg}"] = acc.get(f"resolved_{seg}", 0) + res
            acc[f"known_{seg}"] = acc.get(f"known_{seg}", 0) + known
        if human is not None:
            acc["human_requested"] = acc.get("human_requested", 0) + human
            acc["human_known"] = acc.get("human_known", 0) + human_known
        acc["csat_sum"] = acc.get("csat_sum", 0) + csum
        acc["csat_count"] = acc.get("csat_count", 0) + ccount
        acc["survey_comments"] = acc.get("survey_comments", 0) + comments
        acc["survey_complaints"] = acc.get("survey_complaints", 0) + compl
    return [DayCounts(day=d, **acc) for d, acc in by_day.items()]


def day_points(c: DayCounts) -> dict[str, Point]:
    """Every daily indicator of one day's counts (rates without data have n = 0)."""
    return _day_points(c)


def _day_points(c: DayCounts) -> dict[str, Point]:
    n = c.conversations
    d = c.day
    unknown_simple = c.simple - c.known_simple
    unknown_complex = c.complex - c.known_complex
    csat = Point(
        d, c.csat_sum, c.csat_count, c.csat_sum / c.csat_count if c.csat_count else None, None, None
    )
    return {
        "conversations": Point(d, n, n, None, None, None),
        "complex_share": rate_point(d, c.complex, n),
        "escalation_rate": rate_point(d, c.escalated_simple + c.escalated_complex, n),
        "escalation_rate_simple": rate_point(d, c.escalated_simple, c.simple),
        "escalation_rate_complex": rate_point(d, c.escalated_complex, c.complex),
        "fcr_simple": rate_point(d, c.resolved_simple, c.known_simple, unknown_simple),
        "fcr_complex": rate_point(d, c.resolved_complex, c.known_complex, unknown_complex),
        "fcr_blended": rate_point(
            d,
            c.resolved_simple + c.resolved_complex,
            c.known_simple + c.known_complex,
            unknown_simple + unknown_complex,
        ),
        "human_requested": rate_point(d, c.human_requested, c.human_known),
        "survey_complaints": rate_point(d, c.survey_complaints, c.survey_comments),
        "csat": csat,
    }


def review_score_points(
    operation: Operation, *, start: date | None = None, end: date | None = None
) -> list[Point]:
    """The weekly review score (segment "all"), dated on each week's Sunday. One query."""
    rows = WeeklyReviewScore.objects.filter(
        operation=operation,
        segment=WeeklyReviewScore.Segment.ALL,
        acceptable_share__isnull=False,
        reviewed__gt=0,
    ).order_by("week_start")
    points = []
    for r in rows.values_list(
        "week_start", "reviewed", "acceptable_share", "acceptable_lo", "acceptable_hi"
    ):
        week_start, reviewed, share, lo, hi = r
        day = week_start + timedelta(days=6)
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        successes = min(reviewed, max(0, round(share * reviewed)))
        points.append(Point(day, successes, reviewed, share, lo, hi))
    return points


def indicator_series(
    operation: Operation, *, start: date | None = None, end: date | None = None
) -> dict[str, list[Point]]:
    """Every indicator of :data:`KEYS` as a list of points on days with data (two queries).

    A rate whose n is 0 on a day (e.g. no complex conversations, or no known outcomes yet) is
    absent from that rate's list; ``conversations`` lists every day that has a row.
    """
    series: dict[str, list[Point]] = {k: [] for k in KEYS}
    for counts in daily_counts(operation, start=start, end=end):
        for key, point in _day_points(counts).items():
            if point.n > 0:
                series[key].append(point)
    series["review_score"] = review_score_points(operation, start=start, end=end)
    return series


def pooled(points: Iterable[Point], end: date, days: int) -> Point:
    """The pooled rate (Σ successes / Σ n) of the ``days`` local days ending on ``end``."""
    points = list(points)
    counts = {p.day: (p.successes, p.n) for p in points}
    unknown = sum(p.unknown for p in points if end - timedelta(days=days) < p.day <= end)
    rate = stats.pooled_window(counts, end, days)
    return rate_point(end, rate.successes, rate.n, unknown)


def windows(points: Sequence[Point], end: date, sizes: Iterable[int] = WINDOWS) -> dict[int, Point]:
    """The 7/14/28-day pooled windows ending on ``end``: {days: Point}."""
    points = list(points)
    return {size: pooled(points, end, size) for size in sizes}


def rolling(points: Sequence[Point], days: int) -> list[Point]:
    """The pooled ``days``-day window ending on each day with data (for a smoothed line)."""
    points = list(points)
    counts = {p.day: (p.successes, p.n) for p in points}
    out = []
    for p in points:
        rate = stats.pooled_window(counts, p.day, days)
        out.append(rate_point(p.day, rate.successes, rate.n))
    return out


def to_day_obs(points: Iterable[Point]) -> list[DayObs]:
    # tuple.__new__ rather than DayObs(...): every series of every operation is converted at
    # each evaluation, and the named tuple's own constructor costs a Python call per day.
    new = tuple.__new__
    return [new(DayObs, (p.day, p.successes, p.n)) for p in points if p.n > 0]


def day_obs(
    operation: Operation, key: str, *, start: date | None = None, end: date | None = None
) -> list[DayObs]:
    """One indicator's series in the shape the detectors read."""
    if key not in KEYS or key in ("conversations", "csat"):
        raise ValueError(f"{key!r} is not a rate indicator")
    if key == "review_score":
        return to_day_obs(review_score_points(operation, start=start, end=end))
    return to_day_obs(indicator_series(operation, start=start, end=end)[key])
