"""A whole simulated operation (both segments, every daily series) and both alert tiers run
over it, without a database: the scenarios of ``bench.detection`` and of the acceptance tests.

Needs Django settings (the evaluation reads STOPLINE_* settings) but no database.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from metrics.detection import stats
from metrics.detection.detectors import (
    BREACH,
    CHANGE_DETECTED,
    NO_DATA,
    OUTSIDE_RANGE,
    REARM_DAYS,
    WARNING,
    Episode,
    Trigger,
)
from metrics.detection.evaluate import (
    FEED_INDICATOR,
    BaselineWindow,
    Check,
    baseline_extend,
    context_build,
    episodes_all,
    family,
    warning_checks,
)
from metrics.detection.indicators import KEYS, DayCounts, Point, day_points

START = date(2025, 1, 6)  # a Monday
WEEKDAY_VOLUME = (1.15, 1.1, 1.05, 1.0, 0.95, 0.75, 0.6)
WEEKDAY_RATE = (-0.01, -0.01, 0.0, 0.0, 0.005, 0.015, 0.02)
Level = Callable[[int], float]


def const(value: float) -> Level:
    return lambda i: value


def ramp(start: int, length: int, before: float, after: float) -> Level:
    """A level that moves linearly from ``before`` to ``after`` over ``length`` days."""

    def level(i: int) -> float:
        if i < start:
            return before
        if i >= start + length:
            return after
        return before + (after - before) * (i - start + 1) / length

    return level


def decay(start: int, before: float, after: float, days: float) -> Level:
    """An exponential slide from ``before`` towards ``after`` with time constant ``days``."""

    def level(i: int) -> float:
        if i < start:
            return before
        return after + (before - after) * math.exp(-(i - start + 1) / days)

    return level


@dataclass(frozen=True)
class Scenario:
    """Levels per day index; τ is the sd of the true daily rate around its level."""

    volume: float = 2000.0
    escalation: Level = field(default=const(0.15))
    fcr_simple: Level = field(default=const(0.88))
    fcr_complex: Level = field(default=const(0.62))
    complex_share: Level = field(default=const(0.30))
    complaint: Level = field(default=const(0.04))
    human_requested: float = 0.06
    survey_share: float = 0.15
    tau: float = 0.008
    spike_prob: float = 0.03
    spike_factor: float = 2.5


def simulate_operation(
    rng: random.Random, days: int, sc: Scenario = Scenario(), start: date = START
) -> dict[str, list[Point]]:
    """Every daily series of :func:`metrics.detection.indicators.indicator_series`, simulated
    with weekly seasonality (volume and escalation), overdispersion, volume spikes and
    binomial noise; 90 % of outcomes known."""
    out: dict[str, list[Point]] = {k: [] for k in KEYS}
    tau = sc.tau
    for i in range(days):
        day = start + timedelta(days=i)
        w = day.weekday()
        mean = (
            sc.volume * WEEKDAY_VOLUME[w] * (sc.spike_factor if rng.random() < sc.spike_prob else 1)
        )
        n = max(1, round(mean * math.exp(rng.gauss(0, 0.1))))
        n_complex = stats.simulate_day(rng, sc.complex_share(i), tau, n)
        n_simple = n - n_complex
        esc = min(max(sc.escalation(i) + WEEKDAY_RATE[w], 0.0), 1.0)
        known_s, known_c = round(n_simple * 0.9), round(n_complex * 0.9)
        comments = stats.binomial_draw(rng, n, sc.survey_share)
        counts = DayCounts(
            day=day,
            simple=n_simple,
            complex=n_complex,
            escalated_simple=stats.simulate_day(rng, esc, tau, n_simple),
            escalated_complex=stats.simulate_day(rng, esc, tau, n_complex),
            resolved_simple=stats.simulate_day(rng, sc.fcr_simple(i), tau, known_s),
            known_simple=known_s,
            resolved_complex=stats.simulate_day(rng, sc.fcr_complex(i), tau, known_c),
            known_complex=known_c,
            human_requested=stats.simulate_day(rng, sc.human_requested, tau / 2, n),
            human_known=n,
            survey_comments=comments,
            survey_complaints=stats.simulate_day(rng, sc.complaint(i), tau / 2, comments),
        )
        for key, point in day_points(counts).items():
            if point.n > 0:
                out[key].append(point)
    return out


# The criteria the way a workshop writes them.
WORKSHOP = (
    Check(
        "escalation_rate",
        "escalation_rate",
        Trigger(OUTSIDE_RANGE, for_days=3, range_min=0.08, range_max=0.25),
        None,
    ),
    Check("fcr_complex", "fcr_complex", Trigger(CHANGE_DETECTED, range_min=0.55), None),
    Check("fcr_simple", "fcr_simple", Trigger(OUTSIDE_RANGE, for_days=3, range_min=0.80), None),
)


def first_days(series: dict[str, list[Point]], days: int = 28) -> BaselineWindow:
    """The baseline window the product takes without an agreement or a pilot: the first
    ``days`` days with data, extended once more exist (evaluate.baseline_extend)."""
    feed = [p.day for p in series[FEED_INDICATOR]]
    window = BaselineWindow(feed[0], feed[days - 1], f"the first {days} days with data")
    return baseline_extend(window, feed)


def run_tiers(
    series: dict[str, list[Point]],
    *,
    breaches: tuple[Check, ...] = WORKSHOP,
    warnings: bool = True,
    budget: float = 2.0,
    baseline_days: int = 28,
) -> list[Episode]:
    """Both tiers over the series (no_data left out), oldest first."""
    window = first_days(series, baseline_days)
    agreed = [c.series for c in breaches if c.trigger.rule == CHANGE_DETECTED]
    context = context_build(series, window, budget=budget, live=False, agreed=agreed)
    checks = list(breaches) + (warning_checks(context) if warnings else [])
    through = series[FEED_INDICATOR][-1].day
    found = episodes_all(checks, series, through, context)
    episodes = [e for _, eps in found for e in eps if e.firing.rule != NO_DATA]
    # Range rules count from the end of the baseline too, so every tier sees the same days.
    watched_from = window.first_end or window.end
    episodes = [e for e in episodes if e.firing.opened_on > watched_from]
    return sorted(episodes, key=lambda e: (e.firing.opened_on, e.firing.severity))


def stories(episodes: list[Episode]) -> list[Episode]:
    """Alerts as a user counts them: a breach that follows a warning of the same indicator
    (open, or resolved within the re-arm days) is the same story, as the alert links it."""
    out: list[Episode] = []
    warnings = [e for e in episodes if e.firing.severity == WARNING]
    for e in episodes:
        if e.firing.severity == BREACH:
            f = e.firing
            linked = any(
                family(w.firing.indicator) == family(f.indicator)
                and w.firing.opened_on <= f.opened_on
                and (w.resolved_on is None or w.resolved_on >= f.opened_on - timedelta(REARM_DAYS))
                for w in warnings
            )
            if linked:
                continue
        out.append(e)
    return out


def first_alert(episodes: list[Episode], indicators: tuple[str, ...], onset: date) -> int | None:
    """Days from onset to the first alert (either tier) on one of ``indicators``; None if
    none opened on or after the onset."""
    days = [
        (e.firing.opened_on - onset).days
        for e in episodes
        if family(e.firing.indicator) in indicators and e.firing.opened_on >= onset
    ]
    return min(days) if days else None
