"""Drift-detection benchmark: detection delay and false alarms on simulated operations.

    python -m bench.detection [--quick] [--detail]

First, side by side for a whole operation (every series, both segments): the agreed rules
alone (breaches), the warning tier, and a naive Shewhart chart on every series; delay from
onset (median, p90) for a collapse, a slow decay and an in-range drift, and false alarms per
operation-year at 60, 500 and 2,000 conversations a day. ``--detail`` adds the older
per-indicator sections.

Every scenario is simulated with fixed seeds, so the figures are reproducible. A naive
detector (binomial-only 3-sigma Shewhart limits around the baseline mean, no weekday profile,
no overdispersion) runs on the same series for comparison. Not a timed test: it prints.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metrics.detection import stats
from metrics.detection.detectors import (
    CASE_MIX,
    CHANGE_DETECTED,
    NO_DATA,
    OUTSIDE_RANGE,
    REARM_DAYS,
    DayObs,
    Trigger,
    evaluate_episodes,
)

START = date(2025, 1, 6)  # a Monday
BASELINE = 28
# Contacts per weekday relative to the mean (Mon..Sun) and the weekday shift of the rate.
WEEKDAY_VOLUME = (1.15, 1.1, 1.05, 1.0, 0.95, 0.75, 0.6)
WEEKDAY_RATE = (-0.01, -0.01, 0.0, 0.0, 0.005, 0.015, 0.02)


@dataclass(frozen=True)
class Ops:
    """A simulated operation: volume, weekly seasonality, overdispersion, spikes, outages."""

    volume: float = 2000.0
    tau: float = 0.008  # sd of the true daily rate around its weekday level
    spike_prob: float = 0.03  # chance a day is a volume spike (campaign, incident)
    spike_factor: float = 2.5
    weekday_rate: tuple[float, ...] = WEEKDAY_RATE
    outages: frozenset[int] = frozenset()  # day indices with no data at all


def simulate(
    rng: random.Random,
    days: int,
    rate: Callable[[int], float],
    ops: Ops = Ops(),  # noqa: B008 - frozen dataclass, safe as a default
    volume: Callable[[int], float] | None = None,
) -> list[DayObs]:
    """Daily (successes, n) for ``days`` days from START; ``rate(i)`` is the level on day i."""
    out = []
    for i in range(days):
        if i in ops.outages:
            continue
        day = START + timedelta(days=i)
        w = day.weekday()
        mean = (volume(i) if volume else ops.volume) * WEEKDAY_VOLUME[w]
        if rng.random() < ops.spike_prob:
            mean *= ops.spike_factor
        n = max(1, round(mean * math.exp(rng.gauss(0, 0.1))))
        level = min(max(rate(i) + ops.weekday_rate[w], 0.0), 1.0)
        out.append(DayObs(day, stats.simulate_day(rng, level, ops.tau, n), n))
    return out


def ramp(start: int, length: int, before: float, after: float) -> Callable[[int], float]:
    """A level that moves linearly from ``before`` to ``after`` over ``length`` days."""

    def level(i: int) -> float:
        if i < start:
            return before
        if i >= start + length:
            return after
        return before + (after - before) * (i - start + 1) / length

    return level


Episodes = list[tuple[date, date | None]]  # (opened, resolved or None)


def _naive_episodes(
    days: Sequence[DayObs], out: Callable[[DayObs], bool], need: int, rearm: int
) -> Episodes:
    episodes: Episodes = []
    opened: date | None = None
    run_out = run_in = 0
    for d in days:
        is_out = out(d)
        run_out = run_out + 1 if is_out else 0
        run_in = 0 if is_out else run_in + 1
        if opened is None and run_out >= need:
            opened = d.date
        elif opened is not None and run_in >= rearm:
            episodes.append((opened, d.date))
            opened = None
    if opened is not None:
        episodes.append((opened, None))
    return episodes


def naive_shewhart(days: Sequence[DayObs]) -> Episodes:
    """Binomial-only 3σ limits around the pooled baseline mean; episodes re-arm like ours."""
    base = days[:BASELINE]
    p0 = sum(d.successes for d in base) / sum(d.n for d in base)
    return _naive_episodes(
        days[BASELINE:],
        lambda d: abs(d.successes / d.n - p0) > 3 * math.sqrt(p0 * (1 - p0) / d.n),
        1,
        REARM_DAYS,
    )


def point_outside(days: Sequence[DayObs], trigger: Trigger) -> Episodes:
    """Naive range rule: fire on the point estimate, no interval, episodes like ours."""
    lo = -1.0 if trigger.range_min is None else trigger.range_min
    hi = 2.0 if trigger.range_max is None else trigger.range_max
    need = trigger.for_days or 1
    return _naive_episodes(days, lambda d: not lo <= d.successes / d.n <= hi, need, need)


ESC_RANGE = {"range_min": 0.08, "range_max": 0.25}
ESC_DETECTORS: dict[str, Callable[[list[DayObs]], Episodes]] = {
    "outside_range for_days=3": lambda s: _opened(
        "escalation_rate", s, Trigger(OUTSIDE_RANGE, for_days=3, **ESC_RANGE)
    ),
    "outside_range window_days=7": lambda s: _opened(
        "escalation_rate", s, Trigger(OUTSIDE_RANGE, window_days=7, **ESC_RANGE)
    ),
    "change_detected (EWMA)": lambda s: _opened(
        "escalation_rate", s, Trigger(CHANGE_DETECTED, **ESC_RANGE)
    ),
    "change_detected (CUSUM)": lambda s: _opened(
        "escalation_rate", s, Trigger(CHANGE_DETECTED, **ESC_RANGE), method="cusum"
    ),
    "naive Shewhart 3σ binomial": naive_shewhart,
}


def _opened(indicator: str, series: list[DayObs], trigger: Trigger, **kw: Any) -> Episodes:
    # Range rules are only counted after the baseline too, so every detector sees the same days.
    first = series[BASELINE].date if trigger.rule in (OUTSIDE_RANGE, NO_DATA) else None
    return [
        (e.firing.opened_on, e.resolved_on)
        for e in evaluate_episodes(indicator, series, trigger, **kw)
        if first is None or e.firing.opened_on >= first
    ]


def _delay(episodes: Episodes, onset: date) -> int | str | None:
    """Days from onset to the first new alarm; "open" if a false alarm was still open then."""
    if any(o < onset and (r is None or r >= onset) for o, r in episodes):
        return "open"
    after = [o for o, _ in episodes if o >= onset]
    return (after[0] - onset).days if after else None


def _fmt_delays(delays: list[int | str | None]) -> str:
    found = [d for d in delays if isinstance(d, int)]
    missed = sum(1 for d in delays if d is None)
    already = sum(1 for d in delays if d == "open")
    tail = f"  missed {missed}/{len(delays)}, alarm already open {already}"
    if not found:
        return f"{'-':>7} {'-':>5} {'-':>5}{tail}"
    return f"{statistics.median(found):7.1f} {min(found):5d} {max(found):5d}{tail}"


def _row(name: str, text: str) -> None:
    print(f"  {name:<34} {text}")


def in_control(years: int) -> None:
    print(
        f"\n1. In control, 2,000/day, weekly seasonality, τ=0.008, 3 % volume spikes "
        f"({years} simulated years, each after a 28- or 56-day baseline)"
    )
    print(f"  {'detector':<34} false alarms per indicator-year (total)")
    level = ramp(10**9, 1, 0.17, 0.17)
    counts = dict.fromkeys(ESC_DETECTORS, 0)
    long_name = "change_detected (EWMA, 56-day)"
    counts[long_name] = 0
    for seed in range(years):
        # Days are drawn in order, so the first 28 + 365 days are the same in both series.
        series = simulate(random.Random(1000 + seed), 2 * BASELINE + 365, level)
        for name, detector in ESC_DETECTORS.items():
            counts[name] += len(detector(series[: BASELINE + 365]))
        counts[long_name] += len(
            evaluate_episodes(
                "escalation_rate", series, Trigger(CHANGE_DETECTED), baseline_days=2 * BASELINE
            )
        )
    for name, c in counts.items():
        _row(name, f"{c / years:6.2f}  ({c})")


def collapse(reps: int) -> None:
    onset_i = BASELINE + 70
    onset = START + timedelta(days=onset_i)
    print(f"\n2. Escalation collapse 17 % -> 1 % over 7 days, 2,000/day ({reps} runs)")
    print(f"  {'detector':<34} delay in days from onset: median   min   max")
    delays: dict[str, list[int | str | None]] = {name: [] for name in ESC_DETECTORS}
    level = ramp(onset_i, 7, 0.17, 0.01)
    for seed in range(reps):
        series = simulate(random.Random(2000 + seed), onset_i + 30, level)
        for name, detector in ESC_DETECTORS.items():
            delays[name].append(_delay(detector(series), onset))
    for name, ds in delays.items():
        _row(name, _fmt_delays(ds))


def fcr_decay(reps: int) -> None:
    onset_i = BASELINE + 60
    onset = START + timedelta(days=onset_i)
    days = onset_i + 90
    print(
        f"\n3. Complex FCR 62 % -> 45 % over 8 weeks while simple FCR holds at 88 % and the "
        f"complex share moves 35 % -> 50 % ({reps} runs)"
    )
    print(f"  {'detector':<34} delay in days from onset: median   min   max")
    share = ramp(onset_i, 56, 0.35, 0.50)
    fcr_c = ramp(onset_i, 56, 0.62, 0.45)
    flat = Ops(weekday_rate=(0.0,) * 7, tau=0.01)
    rows: dict[str, list[int | str | None]] = {
        "fcr_complex outside_range win=7": [],
        "fcr_complex change_detected": [],
        "fcr_complex naive Shewhart": [],
        "case mix (complex share)": [],
        "blended FCR outside_range win=7": [],
    }
    simple_alarms = 0
    for seed in range(reps):
        rng = random.Random(3000 + seed)
        mix = simulate(rng, days, share, flat)
        complex_n = {d.date: d.successes for d in mix}
        simple_n = {d.date: d.n - d.successes for d in mix}
        ci = {d.date: i for i, d in enumerate(mix)}
        cx = [
            DayObs(d, stats.simulate_day(rng, fcr_c(ci[d]), 0.01, n), n)
            for d, n in complex_n.items()
        ]
        sx = [DayObs(d, stats.simulate_day(rng, 0.88, 0.006, n), n) for d, n in simple_n.items()]
        blended = [
            DayObs(c.date, c.successes + s.successes, c.n + s.n)
            for c, s in zip(cx, sx, strict=True)
        ]
        rows["fcr_complex outside_range win=7"].append(
            _delay(
                _opened("fcr_complex", cx, Trigger(OUTSIDE_RANGE, window_days=7, range_min=0.55)),
                onset,
            )
        )
        rows["fcr_complex change_detected"].append(
            _delay(_opened("fcr_complex", cx, Trigger(CHANGE_DETECTED, range_min=0.55)), onset)
        )
        rows["fcr_complex naive Shewhart"].append(_delay(naive_shewhart(cx), onset))
        rows["case mix (complex share)"].append(
            _delay(_opened("complex_share", mix, Trigger(CASE_MIX)), onset)
        )
        rows["blended FCR outside_range win=7"].append(
            _delay(
                _opened("fcr", blended, Trigger(OUTSIDE_RANGE, window_days=7, range_min=0.70)),
                onset,
            )
        )
        simple_alarms += len(_opened("fcr_simple", sx, Trigger(CHANGE_DETECTED, range_min=0.85)))
    for name, ds in rows.items():
        _row(name, _fmt_delays(ds))
    years = reps * (days - BASELINE) / 365
    print(
        f"  fcr_simple change_detected (no change): {simple_alarms / years:.2f} false "
        f"alarms per indicator-year ({simple_alarms})"
    )


def low_volume(years: int) -> None:
    print(
        f"\n4. Low volume, ~60/day, escalation 12 % near a 10 % minimum, in control "
        f"({years} simulated years)"
    )
    print(f"  {'detector':<34} false alarms per indicator-year (total)")
    ops = Ops(volume=60.0, tau=0.01)
    level = ramp(10**9, 1, 0.12, 0.12)
    trig3 = Trigger(OUTSIDE_RANGE, for_days=3, range_min=0.10)
    trig1 = Trigger(OUTSIDE_RANGE, for_days=1, range_min=0.10)
    rows = {
        "outside_range for_days=1 (Wilson)": lambda s: _opened("escalation_rate", s, trig1),
        "outside_range for_days=3 (Wilson)": lambda s: _opened("escalation_rate", s, trig3),
        "point estimate below, 1 day": lambda s: point_outside(s[BASELINE:], trig1),
        "point estimate below, 3 days": lambda s: point_outside(s[BASELINE:], trig3),
        "change_detected (EWMA)": lambda s: _opened(
            "escalation_rate", s, Trigger(CHANGE_DETECTED, range_min=0.10)
        ),
        "naive Shewhart 3σ binomial": naive_shewhart,
    }
    counts = dict.fromkeys(rows, 0)
    for seed in range(years):
        series = simulate(random.Random(4000 + seed), BASELINE + 365, level, ops)
        for name, detector in rows.items():
            counts[name] += len(detector(series))
    for name, c in counts.items():
        _row(name, f"{c / years:6.2f}  ({c})")


def outages(reps: int) -> None:
    print(f"\n5. Outages: 4 days without data (no_data for_days=2), 2,000/day ({reps} runs)")
    onset_i = BASELINE + 40
    onset = START + timedelta(days=onset_i)
    ops = Ops(outages=frozenset(range(onset_i, onset_i + 4)))
    level = ramp(10**9, 1, 0.17, 0.17)
    delays: list[int | str | None] = []
    others = 0
    for seed in range(reps):
        series = simulate(random.Random(5000 + seed), onset_i + 30, level, ops)
        through = START + timedelta(days=onset_i + 29)
        fired = evaluate_episodes(
            "escalation_rate", series, Trigger(NO_DATA, for_days=2), through=through
        )
        delays.append(_delay([(e.firing.opened_on, e.resolved_on) for e in fired], onset))
        window = {onset + timedelta(days=k) for k in range(4)}
        for name, detector in ESC_DETECTORS.items():
            if name.startswith("naive"):
                continue
            others += sum(1 for d, _ in detector(series) if d in window)
    _row("no_data for_days=2", f"delay in days from the first missing day: {_fmt_delays(delays)}")
    _row("other detectors", f"firings dated on a missing day: {others}")


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def tiers_side_by_side(runs: int, years: int, seed_offset: int = 0) -> None:
    """The operation-level comparison of the issue: agreed rules alone, warning tier, naive."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from bench import operation as op
    from metrics.detection.evaluate import WARNING_SERIES, family

    def naive(series: dict) -> list[tuple[str, date, date | None]]:
        out = []
        for key in WARNING_SERIES:
            days = [p.obs for p in series[key] if p.n]
            if len(days) > BASELINE:
                out += [(key, o, r) for o, r in naive_shewhart(days)]
        return out

    def old(series: dict, keys: Sequence[str]) -> list[tuple[str, date, date | None]]:
        """The per-indicator change_detected of section B (calibrated on its own baseline to
        one false alarm per indicator-year), run on ``keys``."""
        out = []
        for key in keys:
            days = [p.obs for p in series[key] if p.n]
            trigger = Trigger(CASE_MIX if key == "complex_share" else CHANGE_DETECTED)
            out += [
                (key, e.firing.opened_on, e.resolved_on)
                for e in evaluate_episodes(key, days, trigger, baseline_days=BASELINE)
            ]
        return out

    def tiers(
        series: dict, old_keys: Sequence[str]
    ) -> dict[str, list[tuple[str, date, date | None]]]:
        both = op.run_tiers(series)
        agreed = [e for e in both if e.firing.severity == "breach"]
        warned = [e for e in both if e.firing.severity == "warning"]
        as_rows = lambda eps: [(e.firing.indicator, e.firing.opened_on, e.resolved_on) for e in eps]  # noqa: E731
        return {
            "agreed rules alone": as_rows(agreed),
            "warning tier": as_rows(warned),
            "naive Shewhart (all series)": naive(series),
            OLD: old(series, old_keys),
        }

    OLD = "old change_detected"
    names = ["agreed rules alone", "warning tier", "naive Shewhart (all series)", OLD]
    onset_i = BASELINE + 60
    onset = START + timedelta(days=onset_i)
    scenarios = [
        (
            "collapse: escalation path suppressed, 17 % -> 6 %",
            op.Scenario(escalation=op.ramp(onset_i, 1, 0.17, 0.06)),
            ("escalation_rate",),
            20,
        ),
        (
            "collapse at 500/day: 17 % -> 6 %",
            op.Scenario(volume=500, escalation=op.ramp(onset_i, 1, 0.17, 0.06)),
            ("escalation_rate",),
            20,
        ),
        (
            "collapse: escalation 17 % -> 1 % in 7 days",
            op.Scenario(escalation=op.ramp(onset_i, 7, 0.17, 0.01)),
            ("escalation_rate",),
            30,
        ),
        (
            "slow decay: complex FCR 62 % -> 45 % (τ 1 week)",
            op.Scenario(fcr_complex=op.decay(onset_i, 0.62, 0.45, 7)),
            ("fcr_complex",),
            60,
        ),
        (
            "slow decay: complex FCR 62 % -> 45 % (τ 2 weeks)",
            op.Scenario(fcr_complex=op.decay(onset_i, 0.62, 0.45, 14)),
            ("fcr_complex",),
            60,
        ),
        (
            "slow decay: complex FCR 62 % -> 50 % (τ 2 weeks)",
            op.Scenario(fcr_complex=op.decay(onset_i, 0.62, 0.50, 14)),
            ("fcr_complex",),
            60,
        ),
        (
            "slow decay: complex FCR 62 % -> 45 % in 4 weeks",
            op.Scenario(fcr_complex=op.ramp(onset_i, 28, 0.62, 0.45)),
            ("fcr_complex",),
            60,
        ),
        (
            "slow decay: complex FCR 62 % -> 50 % in 3 weeks",
            op.Scenario(fcr_complex=op.ramp(onset_i, 21, 0.62, 0.50)),
            ("fcr_complex",),
            60,
        ),
        (
            "slow decay: complex FCR 62 % -> 45 % in 8 weeks",
            op.Scenario(fcr_complex=op.ramp(onset_i, 56, 0.62, 0.45)),
            ("fcr_complex",),
            90,
        ),
        # The seed's own case (seed_demo_metrics), at its volume: the escalation path
        # suppressed, complex FCR sliding at the same time, the case mix shifting.
        *(
            (
                f"seed's case at 550/day (FCR in {days} d): {label}",
                op.Scenario(
                    volume=550,
                    escalation=op.ramp(onset_i, 1, 0.17, 0.05),
                    fcr_complex=op.ramp(onset_i, days, 0.58, 0.44),
                    complex_share=op.ramp(onset_i, 21, 0.30, 0.36),
                ),
                (key,),
                60,
            )
            for days, key, label in (
                (6, "escalation_rate", "escalation"),
                (6, "fcr_complex", "complex FCR"),
                (6, "fcr_simple", "simple FCR (quiet)"),
                (14, "fcr_complex", "complex FCR"),
            )
        ),
        (
            "in-range drift: escalation 15 % -> 20 % in 3 weeks",
            op.Scenario(escalation=op.ramp(onset_i, 21, 0.15, 0.20)),
            ("escalation_rate",),
            60,
        ),
    ]
    print(
        f"\nA. One operation, every series (2,000/day unless said), criteria as a workshop "
        f"writes them (escalation outside_range 8–25 % for_days 3, complex FCR change_detected,"
        f" simple FCR ≥ 80 % for_days 3); warning budget 2 a year. Delay in days from onset, "
        f"median / p90 ({runs} runs; 'open' = an earlier false alarm was still open at onset)."
    )
    print(f"  {'scenario':<58}" + "".join(f"{n:>28}" for n in names))
    for title, scenario, watched, horizon in scenarios:
        cells = {n: [] for n in names}
        already = dict.fromkeys(names, 0)
        for seed in range(runs):
            series = op.simulate_operation(
                random.Random(7000 + seed_offset + seed), onset_i + horizon, scenario
            )
            for name, rows in tiers(series, watched).items():
                rows = [r for r in rows if family(r[0]) in watched]
                if any(o < onset and (r is None or r >= onset) for _, o, r in rows):
                    already[name] += 1
                    cells[name].append(0.0)
                    continue
                after = [(o - onset).days for _, o, _ in rows if o >= onset]
                cells[name].append(float(min(after)) if after else math.inf)
        line = f"  {title:<58}"
        for name in names:
            values = cells[name]
            missed = sum(1 for v in values if v == math.inf)
            text = f"{statistics.median(values):g} / {_p90(values):g}".replace("inf", "never")
            extra = []
            if missed:
                extra.append(f"missed {missed}")
            if already[name]:
                extra.append(f"open {already[name]}")
            line += f"{text + (' (' + ', '.join(extra) + ')' if extra else ''):>28}"
        print(line)
    print(
        f"\n   False alarms per operation-year, in control ({years} simulated years per volume; "
        f"a breach following a warning of the same indicator counts once; no_data excluded)"
    )
    print(f"  {'volume':<58}" + "".join(f"{n:>28}" for n in names) + f"{'years with > 2':>18}")
    for volume in (60, 500, 2000):
        totals = dict.fromkeys(names, 0)
        over = 0
        for seed in range(years):
            series = op.simulate_operation(
                random.Random(8000 + seed_offset + seed + volume),
                BASELINE + 365,
                op.Scenario(volume=volume),
            )
            rows = tiers(series, WARNING_SERIES)
            for name in names:
                totals[name] += len(rows[name])
            if len(op.stories(op.run_tiers(series))) > 2:
                over += 1
        line = f"  {f'{volume:,} conversations a day':<58}"
        line += "".join(f"{totals[n] / years:>28.2f}" for n in names)
        print(line + f"{f'{over}/{years}':>18}")


def _first_alert_delays(scenario: Any, family_key: str, runs: int, seed: int, days: int) -> str:
    """Median / p90 days from the onset (day BASELINE + 60) to the first alert, either tier, on
    ``family_key``'s series, over ``runs`` simulated operations of ``days`` days."""
    from bench import operation as op
    from metrics.detection.evaluate import family

    onset = START + timedelta(days=BASELINE + 60)
    delays = []
    for i in range(runs):
        series = op.simulate_operation(random.Random(seed + i), days, scenario)
        episodes = [e for e in op.run_tiers(series) if family(e.firing.indicator) == family_key]
        first = op.first_alert(episodes, (family_key,), onset)
        delays.append(math.inf if first is None else float(first))
    return f"{statistics.median(delays):g} / {_p90(delays):g}".replace("inf", "never")


def follow_up_sweep(runs: int) -> None:
    """The seed's kind of case (escalation path suppressed, case mix shifting) with complex FCR
    declining in other shapes and at other volumes: where the follow-up watch decides."""
    from bench import operation as op

    onset_i = BASELINE + 60
    print(
        f"\nC. Escalation suppressed (17 % -> 5 %) with complex FCR declining from the same day: "
        f"the complex-FCR warning's delay, median / p90 ({runs} runs)"
    )
    for volume in (500, 2000):
        shapes = [
            *(
                (
                    f"62 % -> 45 %, time constant {d // 7} week{'s' if d > 7 else ''}",
                    op.decay(onset_i, 0.62, 0.45, d),
                )
                for d in (7, 14, 21)
            ),
            *(
                (f"58 % -> 44 % linearly over {d} days", op.ramp(onset_i, d, 0.58, 0.44))
                for d in (14, 28)
            ),
        ]
        for label, fcr in shapes:
            scenario = op.Scenario(
                volume=volume,
                escalation=op.ramp(onset_i, 1, 0.17, 0.05),
                fcr_complex=fcr,
                complex_share=op.ramp(onset_i, 21, 0.30, 0.36),
            )
            text = _first_alert_delays(scenario, "fcr_complex", runs, 9100, onset_i + 60)
            print(f"  {f'{volume:,} a day, complex FCR {label}':<58}{text:>16}")


def collapse_by_volume(runs: int) -> None:
    """The escalation path suppressed from one day on, at lower volumes than section A's: how
    soon either tier alerts."""
    from bench import operation as op

    onset_i = BASELINE + 60
    print(
        f"\nD. Escalation path suppressed from one day on, by volume: days to the first "
        f"escalation alert, median / p90 ({runs} runs)"
    )
    for volume in (60, 120, 250, 500):
        for after in (0.05, 0.01):
            scenario = op.Scenario(volume=volume, escalation=op.ramp(onset_i, 1, 0.17, after))
            text = _first_alert_delays(scenario, "escalation_rate", runs, 5100, onset_i + 30)
            label = f"{volume:,} a day, 17 % -> {after * 100:g} %"
            print(f"  {label:<58}{text:>16}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (smoke test)")
    parser.add_argument("--detail", action="store_true", help="the per-indicator sections too")
    parser.add_argument(
        "--seed-offset", type=int, default=0, help="other seeds for section A (not tuned on)"
    )
    args = parser.parse_args(argv)
    scale = 4 if args.quick else 1
    started = time.perf_counter()
    print("Stopline drift detection benchmark (simulated, fixed seeds)")
    tiers_side_by_side(max(4, 20 // scale), max(4, 20 // scale), args.seed_offset)
    follow_up_sweep(max(4, 40 // scale))
    collapse_by_volume(max(4, 30 // scale))
    if args.detail:
        print("\nB. Per indicator (limits calibrated to 1 false alarm per indicator-year)")
        in_control(max(2, 20 // scale))
        collapse(max(2, 10 // scale))
        fcr_decay(max(2, 8 // scale))
        low_volume(max(2, 10 // scale))
        outages(max(2, 10 // scale))
    print(f"\nran in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
