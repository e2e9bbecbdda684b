"""Weighted (inverse inclusion probability) estimates undo targeted oversampling."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sampling.weighting import weighted_proportion, wilson_interval

# A week of 10,000 non-escalated conversations. 600 of them asked for a human and were not
# escalated (the targeted stratum): 35 % of those are missed handoffs. Among the other 9,400
# the rate is 3 %. Reviewers read 60 targeted and 140 random conversations.
TARGETED, OTHER = 600, 9_400
TARGETED_RATE, OTHER_RATE = 0.35, 0.03
N_TARGETED, N_OTHER = 60, 140


def _simulate(seed: int):
    rng = random.Random(seed)
    targeted = [rng.random() < TARGETED_RATE for _ in range(TARGETED)]
    other = [rng.random() < OTHER_RATE for _ in range(OTHER)]
    truth = (sum(targeted) + sum(other)) / (TARGETED + OTHER)
    # Stratified draw without replacement: inclusion probability n_h / N_h in each stratum.
    sample = rng.sample(targeted, N_TARGETED) + rng.sample(other, N_OTHER)
    probabilities = [N_TARGETED / TARGETED] * N_TARGETED + [N_OTHER / OTHER] * N_OTHER
    strata = ["asked_not_escalated"] * N_TARGETED + ["uniform"] * N_OTHER
    return truth, weighted_proportion(sample, probabilities, strata)


def test_weighted_interval_covers_the_truth_and_the_plain_share_does_not():
    truth, result = _simulate(seed=2025)
    assert 0.04 < truth < 0.06
    assert result.lower <= truth <= result.upper
    # The unweighted share among reviewed items is about three times the real rate and far
    # outside the weighted interval.
    assert result.unweighted > result.upper
    assert result.unweighted > 2 * truth
    # The Horvitz-Thompson count is on the scale of the population.
    assert result.population_size == pytest.approx(TARGETED + OTHER)
    assert result.estimated_count == pytest.approx(result.estimate * (TARGETED + OTHER))


def test_interval_coverage_over_many_simulated_weeks():
    results = [_simulate(seed) for seed in range(200)]
    covered = sum(r.lower <= truth <= r.upper for truth, r in results)
    # The naive analysis: the plain share with a Wilson interval on the 200 reviewed items.
    naive_covered = 0
    for truth, r in results:
        low, high = wilson_interval(r.unweighted, r.n)
        naive_covered += low <= truth <= high
    # Nominal 95 %; the cautious effective sample size makes it a little conservative.
    assert covered / len(results) >= 0.90
    assert naive_covered / len(results) < 0.05


def test_equal_probabilities_reduce_to_the_plain_share_and_wilson():
    outcomes = [True] * 12 + [False] * 38
    result = weighted_proportion(outcomes, [0.1] * 50)
    assert result.estimate == pytest.approx(0.24)
    assert result.unweighted == pytest.approx(0.24)
    # Sampling 10 % of 500 without replacement: the design effect stays near 1, and the
    # interval is at most as narrow as the plain Wilson interval on 50.
    assert result.n_effective == pytest.approx(50)
    low, high = wilson_interval(0.24, 50)
    assert (result.lower, result.upper) == (pytest.approx(low), pytest.approx(high))


def test_no_positive_sampled_still_gives_an_informative_interval():
    result = weighted_proportion([False] * 40, [0.05] * 40)
    assert result.estimate == 0
    assert result.lower == 0
    assert 0.05 < result.upper < 0.12  # Wilson on 40 items: about 0.088


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError):
        weighted_proportion([], [])
    with pytest.raises(ValueError):
        weighted_proportion([True], [0.0])
    with pytest.raises(ValueError):
        weighted_proportion([True], [1.5])
    with pytest.raises(ValueError):
        weighted_proportion([True, False], [0.5])
    with pytest.raises(ValueError):
        weighted_proportion([True, False], [0.5, 0.5], strata=["a"])


@given(
    st.lists(
        st.tuples(st.booleans(), st.floats(min_value=0.001, max_value=1), st.sampled_from("abc")),
        min_size=1,
        max_size=60,
    )
)
def test_interval_is_a_valid_range_around_the_estimate(items):
    outcomes, probabilities, strata = zip(*items, strict=True)
    result = weighted_proportion(outcomes, probabilities, strata)
    assert 0 <= result.lower <= result.upper <= 1
    assert 0 <= result.estimate <= 1
    assert result.lower - 1e-9 <= result.estimate <= result.upper + 1e-9
    assert 0 < result.n_effective <= result.n
