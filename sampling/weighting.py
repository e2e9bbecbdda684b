"""Design-weighted estimates of a proportion from a probability sample (pure Python).

The reviewer queue oversamples conversations that look risky (asked for a human but not
escalated, low CSAT, long or looping), so the plain share of "missed handoff" among reviewed
items overstates the rate. Each sampled item carries its inclusion probability ``pi_i`` (the
chance it had of being drawn); weighting by ``w_i = 1 / pi_i`` undoes the oversampling.

Point estimates, for sampled items ``i`` with outcome ``y_i`` in {0, 1}:

* Horvitz-Thompson count of positives in the population:  ``T = sum w_i y_i``
* estimated population size:                               ``N = sum w_i``
* Hajek (ratio) proportion:                                ``p = T / N``

Variance of ``p`` by Taylor linearisation for a stratified design (strata ``h`` drawn
independently, ``n_h`` items each, sampling fraction ``f_h = n_h / N_h`` with
``N_h = sum_{i in h} w_i``), with residuals ``u_i = w_i (y_i - p)``:

    V(p) = 1 / N^2 * sum_h (1 - f_h) * n_h / (n_h - 1) * sum_{i in h} (u_i - mean_h(u))^2

(Sarndal, Swensson & Wretman, *Model Assisted Survey Sampling*, 1992, result 5.6.4 and
section 7.3.) A stratum with one item contributes nothing (its variance cannot be estimated).

Interval: a Wald interval ``p +/- z sqrt(V)`` is poor for the small rates we care about
(it collapses to a point when no positive was sampled in a stratum). We therefore use the
Wilson score interval with an *effective sample size* (Kish 1965; Korn & Graubard 1998,
Dean & Pagano 2015 "Wilson with n_eff"):

    n_eff = p (1 - p) / V(p)          (design-based; when 0 < p < 1 and V(p) > 0)
    n_eff_kish = N^2 / sum w_i^2      (Kish's approximation from the weights alone)

and take the *smaller* of the two (the more cautious), capped at ``n``. The interval is

    centre = (p + z^2 / (2 n_eff)) / (1 + z^2 / n_eff)
    half   = z / (1 + z^2 / n_eff) * sqrt(p (1 - p) / n_eff + z^2 / (4 n_eff^2))

and always lies within [0, 1]. Taking the smaller effective size keeps the interval honest
when a heavily weighted stratum happens to contain no positive (the linearised variance
then understates the uncertainty, the Kish size does not). The price is a conservative
interval: in the simulated weeks of tests/sampling/test_weighting.py a nominal 95 % interval
covered the true rate in about 98 % of runs.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from metrics.detection.stats import wilson_bounds


@dataclass(frozen=True)
class ProportionEstimate:
    """A weighted proportion with its interval and the figures a reader needs to judge it."""

    estimate: float  # Hajek proportion p
    lower: float
    upper: float
    confidence: float
    n: int  # sampled items used
    n_effective: float  # the effective sample size behind the interval
    population_size: float  # N = sum of weights
    estimated_count: float  # Horvitz-Thompson count of positives, T
    standard_error: float  # sqrt of the linearised variance
    unweighted: float  # plain share among sampled items, for comparison only


def wilson_interval(p: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` observed on ``n`` (possibly fractional);
    the formula lives in :func:`metrics.detection.stats.wilson_bounds`."""
    if n <= 0:
        return 0.0, 1.0
    lower, upper = wilson_bounds(p, n, NormalDist().inv_cdf(0.5 + confidence / 2))
    # Exact ends at a share of 0 or 1, without rounding residue.
    return (0.0 if p <= 0 else lower), (1.0 if p >= 1 else upper)


def weighted_proportion(
    outcomes: Sequence[bool | int],
    inclusion_probabilities: Sequence[float],
    strata: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> ProportionEstimate:
    """Hajek estimate of a population proportion with a Wilson/effective-size interval.

    ``outcomes[i]`` is 1/True when sampled item i has the property (e.g. a missed handoff),
    ``inclusion_probabilities[i]`` in (0, 1] is its chance of having been sampled, and
    ``strata[i]`` (optional) the stratum it was drawn from; without strata the sample is
    treated as one stratum. Raises ValueError for empty input, mismatched lengths or a
    probability outside (0, 1]. See the module docstring for the formulas.
    """
    n = len(outcomes)
    if n == 0:
        raise ValueError("no sampled items")
    if len(inclusion_probabilities) != n or (strata is not None and len(strata) != n):
        raise ValueError("outcomes, inclusion probabilities and strata differ in length")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    for probability in inclusion_probabilities:
        if not 0 < probability <= 1:
            raise ValueError(f"inclusion probability {probability!r} is not in (0, 1]")
    y = [1.0 if outcome else 0.0 for outcome in outcomes]
    w = [1.0 / probability for probability in inclusion_probabilities]
    labels = list(strata) if strata is not None else [None] * n

    population = sum(w)
    count = sum(wi * yi for wi, yi in zip(w, y, strict=True))
    p = count / population

    by_stratum: dict[Hashable, list[tuple[float, float]]] = defaultdict(list)
    for wi, yi, label in zip(w, y, labels, strict=True):
        by_stratum[label].append((wi, wi * (yi - p)))
    variance_sum = 0.0
    for members in by_stratum.values():
        n_h = len(members)
        if n_h < 2:
            continue
        population_h = sum(wi for wi, _ in members)
        fpc = max(0.0, 1 - n_h / population_h)
        mean_u = sum(u for _, u in members) / n_h
        variance_sum += fpc * n_h / (n_h - 1) * sum((u - mean_u) ** 2 for _, u in members)
    variance = variance_sum / (population * population)

    n_kish = population * population / sum(wi * wi for wi in w)
    n_effective = n_kish
    if 0 < p < 1 and variance > 0:
        n_effective = min(n_kish, p * (1 - p) / variance)
    n_effective = min(n_effective, float(n))
    lower, upper = wilson_interval(p, n_effective, confidence)
    return ProportionEstimate(
        estimate=p,
        lower=lower,
        upper=upper,
        confidence=confidence,
        n=n,
        n_effective=n_effective,
        population_size=population,
        estimated_count=count,
        standard_error=math.sqrt(variance),
        unweighted=sum(y) / n,
    )
