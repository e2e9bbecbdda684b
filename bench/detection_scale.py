"""Detection at scale: both alert tiers over a year of every operation's data, timed.

    python -m bench.detection_scale [--operations 1000] [--days 365] [--smoke]

Each simulated operation (in memory, fixed seeds, ~1,500 – 2,500 conversations a day, both
segments, every daily series) is evaluated the way the daily job evaluates it
(``metrics.detection.evaluate``: ``context_build`` fits the baselines and splits the
operation's false-warning budget, ``episodes_all`` runs every check): the breaches a workshop
agreed (escalation rate outside its range 3 days in a row, simple FCR over a pooled 7-day
window, complex FCR change detection, the daily feed going quiet) and the warning tier (two
calibrated EWMAs on each of the eight watched series) over 365 days after a 28-day baseline.

The warning limits come from the shipped table (``metrics/detection/data/warning_limits.json``),
so evaluating never simulates; the first evaluation of a process also reads that table (timed
apart). Reading the series from the database is not part of this figure (``bench.pages``
times the pages that do). The baseline of the same run is the least any check must do: one
pass computing each day's rate and 95 % Wilson interval for the same series. Times are this
process's CPU seconds (the machine may be shared; the wall-clock time is printed beside them).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from datetime import date, timedelta

from bench.common import Figure, figures_write, machine, table

START = date(2025, 1, 6)
TARGET_SECONDS = 10.0
BASELINE_DAYS = 28
WEEKDAY_VOLUME = (1.15, 1.1, 1.05, 1.0, 0.95, 0.75, 0.6)


def _count(rng: random.Random, n: int, p: float, tau: float = 0.008) -> int:
    """Successes among ``n`` at a true rate p + N(0, τ²): the normal approximation of the
    binomial, fast enough to build 1,000 operations' years."""
    if n <= 0:
        return 0
    q = min(max(p + rng.gauss(0, tau), 0.001), 0.999)
    return min(max(round(n * q + rng.gauss(0, math.sqrt(n * q * (1 - q)))), 0), n)


def operation(seed: int, days: int) -> dict:
    """One operation's indicator series (the keys of ``indicator_series``), in control."""
    from metrics.detection.indicators import KEYS, DayCounts, day_points

    rng = random.Random(seed)
    volume = rng.uniform(1500, 2500)
    esc, fcr_s, fcr_c, share = (
        rng.uniform(0.12, 0.2),
        rng.uniform(0.82, 0.9),
        rng.uniform(0.55, 0.65),
        rng.uniform(0.25, 0.4),
    )
    out: dict = {k: [] for k in KEYS}
    for i in range(days):
        day = START + timedelta(days=i)
        n = max(1, round(volume * WEEKDAY_VOLUME[day.weekday()] * rng.uniform(0.9, 1.1)))
        n_c = _count(rng, n, share)
        n_s = n - n_c
        known_s, known_c = round(n_s * 0.9), round(n_c * 0.9)
        comments = _count(rng, n, 0.15, 0)
        counts = DayCounts(
            day=day,
            simple=n_s,
            complex=n_c,
            escalated_simple=_count(rng, n_s, esc),
            escalated_complex=_count(rng, n_c, esc),
            resolved_simple=_count(rng, known_s, fcr_s),
            known_simple=known_s,
            resolved_complex=_count(rng, known_c, fcr_c),
            known_complex=known_c,
            human_requested=_count(rng, n, 0.06, 0.004),
            human_known=n,
            survey_comments=comments,
            survey_complaints=_count(rng, comments, 0.04, 0.004),
        )
        for key, point in day_points(counts).items():
            if point.n > 0:
                out[key].append(point)
    return out


def _checks():
    """The breaches a workshop agreed, and the daily feed going quiet."""
    from metrics.detection.detectors import CHANGE_DETECTED, NO_DATA, OUTSIDE_RANGE, Trigger
    from metrics.detection.evaluate import Check

    return [
        Check(
            "escalation_rate",
            "escalation_rate",
            Trigger(OUTSIDE_RANGE, for_days=3, range_min=0.08, range_max=0.25),
            None,
        ),
        Check(
            "fcr_simple", "fcr_simple", Trigger(OUTSIDE_RANGE, window_days=7, range_min=0.8), None
        ),
        Check("fcr_complex", "fcr_complex", Trigger(CHANGE_DETECTED, range_min=0.5), None),
        Check("conversations", "conversations", Trigger(NO_DATA, for_days=3), None),
    ]


def evaluate(series: dict, breaches: list) -> int:
    """Both tiers over one operation's series, as the daily job runs them; the number of
    episodes found."""
    from metrics.detection.evaluate import (
        FEED_INDICATOR,
        BaselineWindow,
        baseline_extend,
        context_build,
        episodes_all,
        warning_checks,
    )

    feed = series[FEED_INDICATOR]
    window = BaselineWindow(feed[0].day, feed[BASELINE_DAYS - 1].day, "the first 28 days")
    window = baseline_extend(window, [p.day for p in feed])
    agreed = [c.series for c in breaches if c.trigger.rule == "change_detected"]
    context = context_build(series, window, budget=2.0, live=False, agreed=agreed)
    checks = breaches + warning_checks(context)
    found = episodes_all(checks, series, feed[-1].day, context)
    return sum(len(episodes) for _, episodes in found)


def naive(series: dict) -> int:
    """The baseline: each day's rate and Wilson interval, once per watched series."""
    from metrics.detection import stats
    from metrics.detection.evaluate import WARNING_SERIES

    count = 0
    for key in WARNING_SERIES:
        for p in series[key]:
            if stats.wilson_interval(p.successes, p.n) is not None:
                count += 1
    return count


def run(*, operations: int, days: int) -> list[Figure]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # the evaluation reads STOPLINE_* settings; no database is used
    from metrics.detection import stats

    t = time.perf_counter()
    ops = [operation(seed, days + BASELINE_DAYS) for seed in range(operations)]
    built = time.perf_counter() - t
    breaches = _checks()

    t = time.process_time()
    for series in ops:
        naive(series)
    baseline = time.process_time() - t

    # The first evaluation of a process reads the shipped limit table.
    stats._table.cache_clear()
    t = time.process_time()
    evaluate(ops[0], breaches)
    first = time.process_time() - t

    t, wall = time.process_time(), time.perf_counter()
    episodes = sum(evaluate(series, breaches) for series in ops)
    cached, wall = time.process_time() - t, time.perf_counter() - wall
    print(
        f"detection: {operations:,} operations × {days} days after a 28-day baseline, both "
        f"tiers (4 agreed checks + 2 EWMAs on each of 8 series), series built in "
        f"{built:.1f} s; {episodes:,} episodes found"
    )
    print(
        f"  two-tier evaluation {cached:6.2f} s CPU ({wall:.2f} s wall; "
        f"{cached / operations * 1000:.2f} ms an operation)"
    )
    print(f"  rates + Wilson only {baseline:6.2f} s CPU")
    print(f"  first evaluation (reads the limit table) {first * 1000:.0f} ms CPU")
    return [
        Figure(
            f"detection, {operations:,} operations × {days} days (calibration cached)",
            cached,
            "s CPU",
            "rates + Wilson intervals only",
            baseline,
            f"≤ {TARGET_SECONDS:.0f} s" if operations >= 1000 else "",
            cached <= TARGET_SECONDS if operations >= 1000 else None,
        ),
        Figure(
            "detection, a process's first evaluation (reads the limit table)",
            first * 1000,
            "ms CPU",
            "",
            None,
            "",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--smoke", action="store_true", help="a small run (CI)")
    parser.add_argument("--figures", help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    operations = 20 if args.smoke else args.operations
    print(machine())
    figures = run(operations=operations, days=args.days)
    print(table(figures))
    figures_write(args.figures, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
