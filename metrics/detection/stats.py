"""Pure statistics for indicators and drift detection. No Django imports, no numpy.

Everything here works on plain numbers so that the detectors, the benchmarks and the tests can
share it. The method, its formulas and the calibration results are written up in
``docs/drift-detection.md``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

Z95 = 1.959963984540054  # two-sided 95 %
WEEKDAYS = 7


# --------------------------------------------------------------------------------------------
# Rates and intervals


def wilson_bounds(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a share ``p`` seen on ``n`` (n may be fractional, e.g.
    an effective sample size), clipped to [0, 1]; ``n > 0``. The formula is in
    :func:`wilson_interval`."""
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    With p̂ = successes / n:

        centre = (p̂ + z²/(2n)) / (1 + z²/n)
        half   = z / (1 + z²/n) · √( p̂(1 − p̂)/n + z²/(4n²) )
        (lo, hi) = (centre − half, centre + half)

    Unlike the Wald interval it stays inside [0, 1] and does not collapse to a point at
    p̂ = 0 or 1, which matters for low-volume days. ``n = 0`` means "no data" and returns
    ``None`` rather than (0, 1), so that callers cannot mistake a missing day for a known one.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return None
    p = successes / n
    lo, hi = wilson_bounds(p, n, z)
    # Rounding can push the exact ends a hair past p̂ or [0, 1]; pin them.
    lo = 0.0 if successes == 0 else min(p, lo)
    hi = 1.0 if successes == n else max(p, hi)
    return lo, hi


@dataclass(frozen=True)
class Rate:
    """A proportion with its counts; ``value`` and ``interval`` are ``None`` without data."""

    successes: int
    n: int

    @property
    def value(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.n)


def pooled_rate(counts: Iterable[tuple[int, int]]) -> Rate:
    """Pool (successes, n) pairs into one rate: Σ successes / Σ n.

    Pooling weights each conversation equally, so a quiet Sunday does not count as much as a
    busy Monday; days with n = 0 contribute nothing.
    """
    s = t = 0
    for successes, n in counts:
        s += successes
        t += n
    return Rate(s, t)


def pooled_window(counts: Mapping[date, tuple[int, int]], end: date, days: int) -> Rate:
    """The pooled rate of the ``days`` local days ending on ``end`` (inclusive), e.g. the
    7/14/28-day windows shown beside the daily values. Days absent from ``counts`` have no
    data and add nothing."""
    return pooled_rate(
        counts[d] for d in (end - timedelta(days=i) for i in range(days)) if d in counts
    )


# --------------------------------------------------------------------------------------------
# Control statistics


def ewma(values: Iterable[float | None], lam: float, start: float = 0.0) -> list[float | None]:
    """Exponentially weighted moving average (Roberts 1959).

        E_t = λ·x_t + (1 − λ)·E_{t−1},   E_0 = start

    A missing value (``None``) leaves E unchanged and yields ``None`` for that step: no data is
    no evidence. Being a running convex combination, E stays within [min, max] of the start and
    the values seen.
    """
    if not 0 < lam <= 1:
        raise ValueError("lam must be in (0, 1]")
    out: list[float | None] = []
    e = start
    for x in values:
        if x is None:
            out.append(None)
            continue
        e = lam * x + (1 - lam) * e
        out.append(e)
    return out


def ewma_sd(lam: float, t: int | None = None) -> float:
    """Standard deviation of the EWMA of i.i.d. N(0, 1) values after t steps from 0.

        σ_t = √( λ/(2 − λ) · (1 − (1 − λ)^(2t)) ),   σ_∞ = √(λ/(2 − λ))

    Using σ_t (not σ_∞) gives tighter limits right after a start or re-arm, so a change that
    is present from the first day is caught quickly.
    """
    base = lam / (2 - lam)
    if t is None:
        return math.sqrt(base)
    return math.sqrt(base * (1 - (1 - lam) ** (2 * t)))


def cusum(
    values: Iterable[float | None], k: float = 0.5, start: tuple[float, float] = (0.0, 0.0)
) -> list[tuple[float, float] | None]:
    """Two-sided tabular CUSUM (Page 1954) on standardised values.

        S⁺_t = max(0, S⁺_{t−1} + x_t − k)
        S⁻_t = max(0, S⁻_{t−1} − x_t − k)

    k is the reference value (half the shift, in standard deviations, to detect quickest).
    Signals when max(S⁺, S⁻) exceeds h. Missing values leave both sums unchanged.
    """
    hi, lo = start
    out: list[tuple[float, float] | None] = []
    for x in values:
        if x is None:
            out.append(None)
            continue
        hi = max(0.0, hi + x - k)
        lo = max(0.0, lo - x - k)
        out.append((hi, lo))
    return out


# --------------------------------------------------------------------------------------------
# Baseline: weekday profile and overdispersion


@dataclass(frozen=True)
class Baseline:
    """The in-control reference for one indicator, estimated from a baseline period.

    ``rates[w]`` is the pooled rate of weekday w (Monday = 0), ``rate_var[w]`` the variance
    of that estimate, ``tau2`` the between-day variance of the true daily rate beyond binomial
    sampling (overdispersion), ``volumes[w]`` the daily volumes seen (used to simulate).
    """

    rates: tuple[float, ...]
    rate_var: tuple[float, ...]
    tau2: float
    days: int
    volumes: tuple[tuple[int, ...], ...]
    phi: float
    # Per baseline day (d_i², binomial part b_i, τ² weight a_i) of the moment equation below;
    # kept so that calibration can draw plausible values of τ² (see tau2_draw).
    terms: tuple[tuple[float, float, float], ...] = ()
    dof: int = 0
    weekdays: tuple[int, ...] = tuple(range(WEEKDAYS))  # weekdays the operation has data on

    def expected(self, weekday: int) -> float:
        return self.rates[weekday]

    def day_variance(self, weekday: int, n: int) -> float:
        """Prediction variance of a day's rate: p(1−p)/n + τ² + Var(p̂_w)."""
        p = self.rates[weekday]
        return p * (1 - p) / n + self.tau2 + self.rate_var[weekday]

    def standardise(self, weekday: int, successes: int, n: int) -> float:
        """z = (p̂ − p_w) / √(p_w(1 − p_w)/n + τ² + Var(p̂_w))."""
        return (successes / n - self.rates[weekday]) / math.sqrt(self.day_variance(weekday, n))


def _clamp_rate(p: float, total: int) -> float:
    # A weekday with 0 % (or 100 %) in the baseline would give zero binomial variance and an
    # infinite z for the first event; keep half an event of room.
    eps = 0.5 / max(total, 1)
    return min(max(p, eps), 1 - eps)


def baseline_estimate(days: Sequence[tuple[int, int, int]]) -> Baseline:
    """Estimate the weekday profile and overdispersion from (weekday, successes, n) days.

    Weekday rate: p_w = Σ x_i / Σ n_i over the baseline days of weekday w (the overall pooled
    rate for a weekday that has no data).

    Overdispersion, method of moments: model a day's rate as p̂_i = π_i + e_i with the true
    rate π_i = p_w + u_i, Var(u) = τ², and binomial noise Var(e_i) = p_w(1 − p_w)/n_i. With
    weights w_i = n_i / N_w and d_i = p̂_i − p_w,

        E[d_i²] = p_w(1 − p_w)(1 − w_i)/n_i + τ²·a_i,   a_i = (1 − w_i)² + Σ_{j≠i} w_j²

    so τ̂² = max(0, (Σ d_i² − Σ p_w(1 − p_w)(1 − w_i)/n_i) / Σ a_i). ``phi`` is the
    quasi-binomial dispersion Σ r_i² / (D − W) of Pearson residuals, reported for reading only
    (it grows with volume, which is why τ² and not φ drives the limits).
    """
    days = [d for d in days if d[2] > 0]
    if not days:
        raise ValueError("a baseline needs at least one day with data")
    # Per weekday, the successes and the volumes in day order (every sum below adds the same
    # numbers in the same order as the formulas read: each operation fits several baselines
    # at each evaluation, and calibration fits thousands).
    xs: list[list[int]] = [[] for _ in range(WEEKDAYS)]
    ns: list[list[int]] = [[] for _ in range(WEEKDAYS)]
    for weekday, x, n in days:
        xs[weekday].append(x)
        ns[weekday].append(n)
    all_ns = [d[2] for d in days]
    total_x = sum([d[1] for d in days])
    total_n = sum(all_ns)
    overall = total_x / total_n
    totals = [sum(ns[w]) for w in range(WEEKDAYS)]

    rates = []
    for w in range(WEEKDAYS):
        nw = totals[w]
        raw = sum(xs[w]) / nw if nw else overall
        rates.append(_clamp_rate(raw, total_n))

    sum_d2 = sum_binom = sum_a = 0.0
    pearson = 0.0
    terms = []
    weights2: list[float | None] = [None] * WEEKDAYS  # Σ (n_i / N_w)², once per weekday
    for w in range(WEEKDAYS):
        group = ns[w]
        if len(group) < 2:
            continue
        nw = totals[w]
        p = rates[w]
        c = p * (1 - p)
        sum_w2 = weights2[w] = sum([(n / nw) ** 2 for n in group])
        for x, n in zip(xs[w], group, strict=True):
            wi = n / nw
            d = x / n - p
            b_i = c * (1 - wi) / n
            a_i = (1 - wi) ** 2 + sum_w2 - wi * wi
            d2 = d * d
            terms.append((d2, b_i, a_i))
            sum_d2 += d2
            sum_binom += b_i
            sum_a += a_i
            pearson += d2 / (c / n)
    tau2 = max(0.0, (sum_d2 - sum_binom) / sum_a) if sum_a > 0 else 0.0
    dof = sum(len(g) - 1 for g in ns if g)
    phi = pearson / dof if dof > 0 else 1.0

    rate_var = []
    for w in range(WEEKDAYS):
        group = ns[w] or all_ns
        nw = totals[w] or total_n
        sum_w2 = weights2[w]
        if sum_w2 is None:
            sum_w2 = sum([(n / nw) ** 2 for n in group])
        p = rates[w]
        rate_var.append(tau2 * sum_w2 + p * (1 - p) / nw)

    volumes = tuple(tuple(ns[w] or all_ns) for w in range(WEEKDAYS))
    return Baseline(
        rates=tuple(rates),
        rate_var=tuple(rate_var),
        tau2=tau2,
        days=len(days),
        volumes=volumes,
        phi=phi,
        terms=tuple(terms),
        dof=dof,
        weekdays=tuple(w for w in range(WEEKDAYS) if ns[w]),
    )


def tau2_draw(baseline: Baseline, rng: random.Random) -> float:
    """Draw a between-day variance τ² consistent with the baseline (a generalised pivot).

    With Q(τ²) = Σ d_i² / (b_i + τ²·a_i), each term has expectation 1 at the true τ², and
    Q·dof/D is roughly χ²(dof) (D terms, dof = days − weekdays). Drawing q from that
    distribution and solving Q(τ²) = q (0 if Q(0) ≤ q) gives values of τ² as plausible as the
    data allow, including larger ones when a short baseline happened to look calm.
    """
    if not baseline.terms or baseline.dof <= 0:
        return baseline.tau2
    q = rng.gammavariate(baseline.dof / 2, 2) * len(baseline.terms) / baseline.dof
    return tau2_solve(baseline, q)


def tau2_upper(baseline: Baseline, z: float = 1.2816) -> float:
    """An upper confidence bound of τ² (one-sided 90 % for z = 1.2816): the pivot of
    :func:`tau2_draw` at the lower χ² quantile (Wilson–Hilferty approximation)."""
    if not baseline.terms or baseline.dof <= 0:
        return baseline.tau2
    return tau2_solve(baseline, _upper_q(baseline, z))


def _upper_q(baseline: Baseline, z: float) -> float:
    """The value of Q(τ²) at the upper confidence bound of τ² (see tau2_upper)."""
    k = baseline.dof
    chi2 = k * max(0.0, 1 - 2 / (9 * k) - z * math.sqrt(2 / (9 * k))) ** 3
    return chi2 * len(baseline.terms) / k


def _big_q(baseline: Baseline, t2: float) -> float:
    """Q(τ²) = Σ d_i² / (b_i + τ²·a_i) over the baseline days; decreasing in τ²."""
    # A list, not a generator: the same sum, and it runs for every series at each evaluation.
    return sum([d2 / s for d2, b, a in baseline.terms if (s := b + t2 * a) > 0])


def tau2_solve(baseline: Baseline, q: float) -> float:
    """The τ² at which Q(τ²) = Σ d_i² / (b_i + τ²·a_i) equals ``q`` (0 if Q(0) ≤ q)."""

    def big_q(t2: float) -> float:
        return _big_q(baseline, t2)

    if big_q(0.0) <= q:
        return 0.0
    lo, hi = 0.0, max(baseline.tau2, 1e-6)
    while big_q(hi) > q and hi < 1.0:
        lo, hi = hi, hi * 4
    for _ in range(30):  # relative precision 1e-9: far below what τ² is known to
        mid = (lo + hi) / 2
        if big_q(mid) > q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# --------------------------------------------------------------------------------------------
# Simulation


def binomial_draw(rng: random.Random, n: int, p: float) -> int:
    """One Binomial(n, p) draw from ``rng`` (pure Python, deterministic for a seeded rng).

    Exact by inversion while n·p·(1−p) < 30 (p ≤ ½ by symmetry, so about n·p steps); the normal
    approximation, rounded and clipped, beyond that, where its error is far below the
    day-to-day variation being modelled.
    """
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if p > 0.5:
        return n - binomial_draw(rng, n, 1 - p)
    var = n * p * (1 - p)
    if var >= 30:
        return min(n, max(0, round(rng.gauss(n * p, math.sqrt(var)))))
    # Inversion: walk the pmf, pmf(k+1) = pmf(k)·(n−k)/(k+1)·p/(1−p).
    u = rng.random()
    k = 0
    pmf = (1 - p) ** n
    cdf = pmf
    ratio = p / (1 - p)
    while u > cdf and k < n:
        pmf *= (n - k) / (k + 1) * ratio
        k += 1
        cdf += pmf
    return k


def simulate_day(rng: random.Random, rate: float, tau: float, n: int) -> int:
    """Successes on a day with ``n`` contacts whose true rate is rate + N(0, τ²), clipped."""
    true_rate = rate + rng.gauss(0.0, tau) if tau > 0 else rate
    return binomial_draw(rng, n, min(max(true_rate, 0.0), 1.0))


# --------------------------------------------------------------------------------------------
# Calibration


REARM_DAYS = 7  # consecutive values back inside the limit before change detection re-arms


@dataclass(frozen=True)
class Calibration:
    """A control limit chosen so that in-control false alarms match the budget."""

    method: str  # "ewma" or "cusum"
    lam: float
    k: float
    limit: float  # EWMA: L in units of σ_t; CUSUM: h
    budget_per_year: float
    alarms_per_year: float  # what the chosen limit gives on the calibration runs
    runs: int
    horizon: int


def change_episodes(
    zs: Sequence[float],
    *,
    method: str = "ewma",
    lam: float = 0.2,
    k: float = 0.5,
    limit: float,
    rearm_days: int = REARM_DAYS,
) -> list[tuple[int, int | None]]:
    """Episodes of a two-sided EWMA or CUSUM over standardised values, as index pairs.

    An episode opens on the first value whose statistic exceeds ``limit`` and resolves after
    ``rearm_days`` consecutive values back inside; the statistic then restarts from zero, so
    a change that persists is one episode, not one alarm a day. CUSUM sums are capped at
    h + k while an episode is open so that the end of a long shift is seen within days.
    (open, None) is still open. The detectors and the calibration both use this, so the
    budget is met by what actually fires.
    """
    # Written out inline, not as a class: calibration replays this many times.
    if method not in ("ewma", "cusum"):
        raise ValueError(f"unknown method {method!r}")
    ewma_method = method == "ewma"
    sd = _ewma_sd_table(lam, len(zs) + 1) if ewma_method else []
    episodes: list[tuple[int, int | None]] = []
    opened: int | None = None
    inside = t = 0
    e = hi = lo = 0.0
    keep = 1 - lam
    for i, z in enumerate(zs):
        t += 1
        if ewma_method:
            e = lam * z + keep * e
            s = (e if e >= 0 else -e) / sd[t]
        else:
            hi = hi + z - k
            hi = hi if hi > 0 else 0.0
            lo = lo - z - k
            lo = lo if lo > 0 else 0.0
            if opened is not None:
                # Cap the sums during an episode, or a long shift would take weeks to drain
                # after it ends; at h + k any day beyond k still keeps the episode open.
                hi = hi if hi < limit + k else limit + k
                lo = lo if lo < limit + k else limit + k
            s = hi if hi > lo else lo
        if opened is None:
            if s > limit:
                opened, inside = i, 0
        else:
            inside = inside + 1 if s <= limit else 0
            if inside >= rearm_days:
                episodes.append((opened, i))
                opened = None
                t = 0
                e = hi = lo = 0.0
    if opened is not None:
        episodes.append((opened, None))
    return episodes


@lru_cache(maxsize=32)
def _ewma_sd_table(lam: float, length: int) -> list[float]:
    return [1.0] + [ewma_sd(lam, t) for t in range(1, length)]


def calibrate(
    baseline: Baseline,
    *,
    method: str = "ewma",
    lam: float = 0.2,
    k: float = 0.5,
    budget_per_year: float = 1.0,
    runs: int = 120,
    horizon: int = 365,
    seed: int = 0,
) -> Calibration:
    """Choose the control limit by simulation so that false alarms match the budget.

    Each run draws a truth as plausible as the baseline allows (weekday rates from
    N(p̂_w, Var p̂_w), τ² from :func:`tau2_draw`), simulates ``horizon`` in-control days from
    it (volumes resampled from the baseline's weekdays) and standardises them with the
    *estimated* baseline, exactly as the detector will. The limit is then found by bisection
    so that the episodes :func:`change_episodes` opens, per 365 simulated days, equal
    ``budget_per_year`` (default 1: an ARL₀ of about a year). Counting every alarm rather
    than the mean time to the first one matters: with an uncertain baseline the alarms
    concentrate in the unlucky runs, and it is their rate the budget promises. The
    uncertainty of a short baseline is thus paid for in a wider limit instead of in false
    alarms. Deterministic for a given seed.
    """
    return _calibrate_cached(baseline, method, lam, k, float(budget_per_year), runs, horizon, seed)


@lru_cache(maxsize=256)
def _calibrate_cached(
    baseline: Baseline,
    method: str,
    lam: float,
    k: float,
    budget: float,
    runs: int,
    horizon: int,
    seed: int,
) -> Calibration:
    rng = random.Random(seed)
    open_days = set(baseline.weekdays)
    paths: list[list[float]] = []
    for _ in range(runs):
        # A truth as plausible as the baseline allows; the detector keeps the estimate it has.
        tau = math.sqrt(tau2_draw(baseline, rng))
        rates = [
            min(max(rng.gauss(p, math.sqrt(v)), 0.0), 1.0)
            for p, v in zip(baseline.rates, baseline.rate_var, strict=True)
        ]
        start = rng.randrange(WEEKDAYS)
        path = []
        for i in range(start, start + horizon):
            w = i % WEEKDAYS
            if w not in open_days:
                continue  # e.g. closed on Sundays: the budget is per calendar year
            n = rng.choice(baseline.volumes[w])
            path.append(baseline.standardise(w, simulate_day(rng, rates[w], tau, n), n))
        paths.append(path)

    years = runs * horizon / 365

    def rate(limit: float, stop_above: float = math.inf) -> float:
        alarms = 0
        for p in paths:
            alarms += len(change_episodes(p, method=method, lam=lam, k=k, limit=limit))
            if alarms > stop_above * years:
                break  # already over: bisection only needs the comparison
        return alarms / years

    lo, hi = 1.0, 8.0
    for _ in range(12):
        mid = (lo + hi) / 2
        if rate(mid, stop_above=budget) > budget:
            lo = mid
        else:
            hi = mid
    return Calibration(
        method=method,
        lam=lam,
        k=k,
        limit=hi,
        budget_per_year=budget,
        alarms_per_year=rate(hi),
        runs=runs,
        horizon=horizon,
    )


# --------------------------------------------------------------------------------------------
# Warning-tier calibration: a table keyed by a few parameters, shared by every operation
#
# Calibrating per baseline (above) costs a few tenths of a second, which is fine for one
# agreed rule but not for every series of a thousand operations. The warning tier therefore
# calibrates on *canonical* in-control operations described by three numbers, rounded down to
# a grid: the baseline length, the daily count of the rarer outcome (min(n·p, n·(1 − p)), where
# the discreteness of low volume lives) and the share ρ = τ²/(τ² + p(1 − p)/n) of the day-to-day
# variance that is overdispersion. Each simulated year draws a fresh baseline from the truth,
# estimates it exactly as the detector does, and records the largest |EWMA|/σ_t of the
# monitored year; the limit for a false-alarm probability a per year is the (1 − a) quantile
# of those yearly maxima. The table stores the maxima, so any budget share is a lookup.

BASELINE_DAY_GRID = (14, 21, 28, 42, 56)
COUNT_GRID = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0)
RHO_GRID = (0.0, 0.3, 0.6, 0.85, 0.95)
_CANONICAL_N = 2000
_CANONICAL_VOLUME = (1.15, 1.1, 1.05, 1.0, 0.95, 0.75, 0.6)


def grid_floor(value: float, grid: Sequence[float]) -> float:
    """The largest grid value ≤ ``value`` (the smallest one below the grid)."""
    below = [g for g in grid if g <= value]
    return below[-1] if below else grid[0]


def grid_ceiling(value: float, grid: Sequence[float]) -> float:
    """The smallest grid value ≥ ``value`` (the largest one above the grid)."""
    above = [g for g in grid if g >= value]
    return above[0] if above else grid[-1]


@dataclass(frozen=True)
class WarningKey:
    """The canonical operation a series is calibrated as (all values on their grids)."""

    baseline_days: int
    count: float
    rho: float

    @classmethod
    def for_baseline(cls, baseline: Baseline) -> WarningKey:
        """Round a fitted baseline onto the grid the conservative way: days and count down,
        ρ up from an upper confidence bound of τ² (a short baseline that happened to look
        calm must not choose the table of a calm operation). This is the key of the table's
        ``both`` and ``high`` sides; ``for_side`` gives the others."""
        mean_n, p = _volume_and_rate(baseline)
        binomial = p * (1 - p) / mean_n
        if baseline.terms and baseline.dof > 0 and binomial > 0:
            # ρ ≤ g exactly when τ² ≤ τ²_g = g/(1 − g)·binomial, i.e. when Q(τ²_g) is at most
            # Q at the upper bound (Q decreases): a few sums instead of solving for τ² (every
            # series of every operation is keyed at each evaluation).
            q = _upper_q(baseline, 1.2816)
            rho = next(
                (g for g in RHO_GRID if g < 1 and _big_q(baseline, g / (1 - g) * binomial) <= q),
                RHO_GRID[-1],
            )
        else:
            tau2 = tau2_upper(baseline)
            rho = tau2 / (tau2 + binomial) if tau2 + binomial > 0 else 0.0
            rho = grid_ceiling(rho, RHO_GRID)
        return cls(
            baseline_days=int(grid_floor(baseline.days, BASELINE_DAY_GRID)),
            count=_side_count(mean_n, p, "both"),
            rho=rho,
        )

    def for_side(self, baseline: Baseline, side: str) -> WarningKey:
        """This key of ``baseline`` for another side of the table: only the count differs, so
        the upper bound of τ² is not computed again (every series of every operation is keyed
        for three sides at each evaluation).

        The canonical operation's rarer outcome is rare (p ≪ ½, Poisson-like); a binomial
        rate nearer ½ is less skewed than the rarer count n·min(p, 1 − p) says. That count is
        conservative for ``both`` and ``high`` (a lower count, a longer upper tail, a higher
        limit) but not for ``low``, whose limit rises with the count. For ``low`` the count is
        the Poisson count of the same skewness, n·p(1 − p)/(1 − 2p)² (≥ the rarer count),
        rounded up. COLLAPSE gives the collapse CUSUM's key: the count of the same fall in
        standard deviations (collapse_count_factor), rounded down."""
        return replace(self, count=_side_count(*_volume_and_rate(baseline), side))


def _volume_and_rate(baseline: Baseline) -> tuple[float, float]:
    """The mean daily volume and the mean of the weekday rates of a fitted baseline."""
    volumes = [n for w in baseline.weekdays for n in baseline.volumes[w]]
    rates = [baseline.rates[w] for w in baseline.weekdays]
    return sum(volumes) / len(volumes), sum(rates) / len(rates)


def _side_count(mean_n: float, p: float, side: str) -> float:
    """The key's count on the grid for ``side`` (WarningKey.for_side)."""
    count = mean_n * min(p, 1 - p)
    if side == COLLAPSE:
        return grid_floor(mean_n * collapse_count_factor(p), COUNT_GRID)
    if side == LOW:
        skew = (1 - 2 * p) ** 2
        same_skew = mean_n * p * (1 - p) / skew if skew > 0 else math.inf
        return grid_ceiling(max(count, same_skew), COUNT_GRID)
    return grid_floor(count, COUNT_GRID)


# Which excursions of the EWMA a detector watches, on the canonical operation (whose rarer
# outcome is the success): both ways (|E_t|), only up (E_t) or only down (−E_t).
BOTH, HIGH, LOW = "both", "high", "low"
SIDES = (BOTH, HIGH, LOW)

# The collapse CUSUM: beside the EWMAs of z, on the series where a fall is the failure (the
# escalation rate), a CUSUM matched to the rate falling to a third. An EWMA with λ = 0.25 is
# matched to a shift of about one standard deviation of a day; at low volume a fall to a third
# is two to three (at 60 a day, 17 % → 6 % is 2.3), and the CUSUM of the log-likelihood ratio
# for that shift sums each day's evidence at its full weight. Its step is d·(−z) − d²/2 with d
# the fall in the day's standard deviations (collapse_steps); z is the EWMAs' own standardised
# value, so overdispersion and the baseline's uncertainty are in it. In the table it is a
# detector like a λ, under the name COLLAPSE, on the low side only.
COLLAPSE = "cusum"
COLLAPSE_RATIO = 1 / 3
# While an episode is open the sum is held at most this far above the limit, so that it drains
# within days of a recovery.
COLLAPSE_CAP = 3.0


def collapse_count_factor(p: float) -> float:
    """The collapse CUSUM's key count, per conversation a day, at the rate ``p``.

    Its step depends on the fall's size in standard deviations of a day: without
    overdispersion d = (1 − r)·p/√(p(1 − p)/n), and the canonical operation (p ≪ ½) has
    d = (1 − r)·√count, so the count of the same d is n·p/(1 − p) (rounded down; ρ is the
    key's, as for the EWMAs). Keyed by the lower side's count instead (n·p(1 − p)/(1 − 2p)²,
    rounded up), the limits were those of a larger fall in standard deviations. Whole
    simulated operations check the budget in control at 60 to 2,000 a day
    (tests/metrics/test_warnings.py, docs/drift-detection.md)."""
    return p / (1 - p)


def collapse_steps(baseline: Baseline, weekday: int, x: int, n: int) -> float:
    """The collapse CUSUM's step for a day of ``x`` of ``n``: the log-likelihood ratio of the
    day's standardised value z (as the EWMAs see it) for the rate at a third of the baseline's
    against the baseline's, d·(−z) − d²/2, d = (1 − r)·p_w in the day's standard deviations."""
    p = baseline.rates[weekday]
    sd = math.sqrt(baseline.day_variance(weekday, n))
    d = (1 - COLLAPSE_RATIO) * p / sd
    return -d * (x / n - p) / sd - d * d / 2


def collapse_episodes(steps: Sequence[float], limit: float) -> list[tuple[int, int | None, float]]:
    """(opened, resolved or None, statistic on the opening day) of the collapse CUSUM with the
    re-arming of change_episodes: open when the sum passes ``limit``, resolved after
    REARM_DAYS consecutive days at or below it, then restarted from zero."""
    out: list[tuple[int, int | None, float]] = []
    opened: int | None = None
    opened_stat = 0.0
    s = 0.0
    inside = 0
    cap = limit + COLLAPSE_CAP
    for i, step in enumerate(steps):
        s = s + step
        s = 0.0 if s < 0 else s
        if opened is None:
            if s > limit:
                opened, inside, opened_stat = i, 0, s
        else:
            s = cap if s > cap else s
            inside = inside + 1 if s <= limit else 0
            if inside >= REARM_DAYS:
                out.append((opened, i, opened_stat))
                opened, s = None, 0.0
    if opened is not None:
        out.append((opened, None, opened_stat))
    return out


def yearly_maxima(
    key: WarningKey, lams: tuple[float, ...], runs: int = 400, seed: int = 0
) -> dict[tuple[float, str], tuple[float, ...]]:
    """Sorted yearly maxima of E_t/σ_t per (λ, side) over ``runs`` simulated in-control years
    of the canonical operation ``key`` (each with its own estimated baseline): of |E_t| for
    "both", E_t for "high", −E_t for "low" (at low counts the two tails differ: the rarer
    outcome is skewed). Cached per key."""
    return _simulated_years(key, lams, runs, seed)[0]


def cluster_factors(
    key: WarningKey, lams: tuple[float, ...], runs: int = 400, seed: int = 0
) -> dict[tuple[float, str], tuple[tuple[float, float], ...]]:
    """Per (λ, side): (a, c) for the false-alarm probabilities a of ALPHA_GRID that at least
    CLUSTER_MIN_YEARS simulated years reach: c is the mean number of episodes (re-arming as
    the detector does) in a year whose maximum passes the limit for a. An unlucky baseline
    gives several false alarms, not one; c ≥ 1 measures by how much."""
    return _simulated_years(key, lams, runs, seed)[1]


CLUSTER_MIN_YEARS = 20


def _count_episodes(zs: Sequence[float], lam: float, limit: float, sign: int) -> int:
    """How many episodes a detector opens on ``zs`` (sign 0: |E_t|, 1: E_t, −1: −E_t), with
    the re-arming of change_episodes."""
    sd = _ewma_sd_table(lam, len(zs) + 1)
    count = inside = t = 0
    opened = False
    e = 0.0
    for z in zs:
        t += 1
        e = lam * z + (1 - lam) * e
        s = e / sd[t]
        seen = (s if s >= 0 else -s) if sign == 0 else sign * s
        if not opened:
            if seen > limit:
                opened, inside = True, 0
                count += 1
        else:
            inside = inside + 1 if seen <= limit else 0
            if inside >= REARM_DAYS:
                opened, t, e = False, 0, 0.0
    return count


@lru_cache(maxsize=512)
def _simulated_years(key: WarningKey, lams: tuple[float, ...], runs: int, seed: int) -> tuple:
    rng = random.Random(f"{seed}:{key}:{lams}")
    p = key.count / _CANONICAL_N
    binomial = p * (1 - p) / _CANONICAL_N
    tau = math.sqrt(key.rho / (1 - key.rho) * binomial) if key.rho < 1 else 0.0
    tables = {lam: _ewma_sd_table(lam, 400) for lam in lams}
    maxima: dict[tuple[float | str, str], list[float]] = {
        (lam, side): [] for lam in lams for side in SIDES
    }
    maxima[(COLLAPSE, LOW)] = []
    paths = []
    collapse_paths = []
    for _ in range(runs):
        start = rng.randrange(WEEKDAYS)
        days = []
        for i in range(start, start + key.baseline_days + 365):
            w = i % WEEKDAYS
            n = max(1, round(_CANONICAL_N * _CANONICAL_VOLUME[w] * math.exp(rng.gauss(0, 0.1))))
            days.append((w, simulate_day(rng, p, tau, n), n))
        fitted = baseline_estimate(days[: key.baseline_days])
        zs = [fitted.standardise(w, x, n) for w, x, n in days[key.baseline_days :]]
        paths.append(zs)
        steps = [collapse_steps(fitted, w, x, n) for w, x, n in days[key.baseline_days :]]
        collapse_paths.append(steps)
        total = top = 0.0
        for step in steps:
            total = max(0.0, total + step)
            top = total if total > top else top
        maxima[(COLLAPSE, LOW)].append(top)
        for lam in lams:
            sd = tables[lam]
            keep = 1 - lam
            e = high = low = 0.0
            for t, z in enumerate(zs, start=1):
                e = lam * z + keep * e
                s = e / sd[t]
                if s > high:
                    high = s
                elif -s > low:
                    low = -s
            maxima[(lam, BOTH)].append(max(high, low))
            maxima[(lam, HIGH)].append(high)
            maxima[(lam, LOW)].append(low)
    sorted_maxima = {k: tuple(sorted(values)) for k, values in maxima.items()}
    factors: dict[tuple[float, str], tuple[tuple[float, float], ...]] = {}
    for (lam, side), values in maxima.items():
        sign = {BOTH: 0, HIGH: 1, LOW: -1}[side]
        found = []
        for a in ALPHA_GRID:
            if a * runs < CLUSTER_MIN_YEARS:
                break
            limit = limit_for(sorted_maxima[(lam, side)], a)
            years = [i for i, m in enumerate(values) if m > limit]
            if not years:
                break
            if lam == COLLAPSE:
                episodes = sum(len(collapse_episodes(collapse_paths[i], limit)) for i in years)
            else:
                episodes = sum(_count_episodes(paths[i], lam, limit, sign) for i in years)
            found.append((a, max(1.0, episodes / len(years))))
        factors[(lam, side)] = tuple(found)
    return sorted_maxima, factors


def limit_for(maxima: Sequence[float], alpha: float) -> float:
    """The limit exceeded by the yearly maximum with probability ``alpha``.

    Inside the simulated range it interpolates the empirical quantile; beyond it (fewer than
    five simulated years above the limit) it extrapolates an exponential tail fitted to the top
    tenth of the maxima, P(M > x) ≈ a_0 · exp(−(x − x_0)/β), β their mean excess.
    """
    runs = len(maxima)
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    tail = max(5, runs // 10)
    if alpha * runs >= 5:
        pos = (1 - alpha) * (runs - 1)
        i = int(pos)
        frac = pos - i
        return maxima[i] + frac * (maxima[min(i + 1, runs - 1)] - maxima[i])
    x0 = maxima[runs - tail - 1]
    beta = sum(m - x0 for m in maxima[runs - tail :]) / tail or 1e-9
    a0 = tail / runs
    return x0 + beta * math.log(a0 / alpha)


def count_limit(
    maxima: Sequence[float], factors: Sequence[tuple[float, float]], alpha: float
) -> float:
    """The limit at which a detector opens ``alpha`` false episodes a year on average: the
    limit its yearly maximum passes with probability alpha / c, c the mean number of episodes
    in a year that has one (cluster_factors), read at the simulated level nearest that
    probability (the smallest one below the simulated range)."""
    if not factors:
        return limit_for(maxima, alpha)

    def near(a: float) -> float:
        return min(factors, key=lambda f: abs(math.log(f[0] / a)))[1]

    c = near(alpha)
    c = near(alpha / c)
    return limit_for(maxima, min(alpha / c, 0.999))


def poisson_mean_for(budget: float, confidence: float = 0.985) -> float:
    """The mean μ of false warnings a year such that P(N > ⌊budget⌋) = 1 − ``confidence`` for
    N ~ Poisson(μ): a budget of "at most 2 a year" is then kept in 19 years out of 20
    (μ ≈ 0.82), rather than only on average."""
    cap = math.floor(budget)

    def tail(mu: float) -> float:
        term = cdf = math.exp(-mu)
        for k in range(1, cap + 1):
            term *= mu / k
            cdf += term
        return 1 - cdf

    lo, hi = 0.0, max(1.0, budget * 2)
    for _ in range(60):
        mid = (lo + hi) / 2
        if tail(mid) > 1 - confidence:
            hi = mid
        else:
            lo = mid
    return lo


# The table of warning limits shipped with the code (python -m metrics.detection.warning_table
# writes it), so that no operation pays for a simulation at evaluation time: per canonical key
# and λ, the limit at each false-alarm probability of ALPHA_GRID. Keys missing from the file
# (other λ, an edited grid) are simulated on demand and cached.
ALPHA_GRID = (
    0.5, 0.3, 0.2, 0.1, 0.07, 0.05, 0.03, 0.02, 0.015, 0.01, 0.007, 0.005, 0.003, 0.002,
    0.001, 0.0005,
)  # fmt: skip
TABLE_FILE = Path(__file__).parent / "data" / "warning_limits.json"


def table_key(key: WarningKey, lam: float | str, side: str = BOTH) -> str:
    detector = lam if isinstance(lam, str) else f"{lam:g}"
    text = f"{key.baseline_days}|{key.count:g}|{key.rho:g}|{detector}"
    return text if side == BOTH else f"{text}|{side}"


@lru_cache(maxsize=1)
def _table() -> dict[str, list[float]]:
    if not TABLE_FILE.exists():
        return {}
    import json

    with TABLE_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)["limits"]


def table_row(
    key: WarningKey, lam: float, lams: tuple[float, ...], side: str = BOTH
) -> list[float]:
    """The limits of ALPHA_GRID for one key, λ and side (simulated with ``lams`` when
    missing)."""
    row = _table().get(table_key(key, lam, side))
    if row is not None:
        return row
    return limits_row(key, lam, lams, side)


def limits_row(key: WarningKey, lam: float, lams: tuple[float, ...], side: str) -> list[float]:
    """Simulated: the limits at which the detector opens a of ALPHA_GRID false episodes a year
    on average (count_limit), for one key, λ and side."""
    maxima = yearly_maxima(key, lams)[(lam, side)]
    factors = cluster_factors(key, lams)[(lam, side)]
    return [count_limit(maxima, factors, a) for a in ALPHA_GRID]


def warning_limit(
    key: WarningKey, lam: float, alpha: float, lams: tuple[float, ...], side: str = BOTH
) -> float:
    """The EWMA limit for a yearly false-alarm probability ``alpha`` on ``side``: interpolated
    in log α between the grid's limits (linear extrapolation beyond its ends)."""
    row = table_row(key, lam, lams, side)
    x = math.log(alpha)
    xs = _logs(ALPHA_GRID)
    i = 0
    while i < len(xs) - 2 and x < xs[i + 1]:
        i += 1
    x0, x1, y0, y1 = xs[i], xs[i + 1], row[i], row[i + 1]
    return max(0.5, y0 + (y1 - y0) * (x - x0) / (x1 - x0))


@lru_cache(maxsize=4)
def _logs(grid: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(math.log(a) for a in grid)
