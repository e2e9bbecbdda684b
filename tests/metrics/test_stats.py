"""The pure statistics behind indicators and drift detection."""

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.detection import stats

counts = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


class TestWilsonInterval:
    def test_matches_published_values(self):
        # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 and 0/10.
        lo, hi = stats.wilson_interval(81, 263)
        assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
        lo, hi = stats.wilson_interval(0, 10)
        assert (lo, round(hi, 4)) == (0.0, 0.2775)

    def test_no_data_has_no_interval(self):
        assert stats.wilson_interval(0, 0) is None

    @pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10), (0, -1)])
    def test_rejects_impossible_counts(self, successes, n):
        with pytest.raises(ValueError):
            stats.wilson_interval(successes, n)

    @given(counts)
    def test_lies_in_unit_interval_and_contains_the_estimate(self, c):
        successes, n = c
        lo, hi = stats.wilson_interval(successes, n)
        assert 0.0 <= lo <= successes / n <= hi <= 1.0
        assert lo < hi

    @given(counts)
    def test_narrows_as_volume_grows_at_the_same_rate(self, c):
        successes, n = c
        lo1, hi1 = stats.wilson_interval(successes, n)
        lo2, hi2 = stats.wilson_interval(2 * successes, 2 * n)
        assert hi2 - lo2 < hi1 - lo1

    @given(counts)
    def test_is_symmetric_in_successes_and_failures(self, c):
        successes, n = c
        lo, hi = stats.wilson_interval(successes, n)
        lo_f, hi_f = stats.wilson_interval(n - successes, n)
        assert math.isclose(lo, 1 - hi_f, abs_tol=1e-12)
        assert math.isclose(hi, 1 - lo_f, abs_tol=1e-12)


class TestPooledRate:
    @given(st.lists(counts, max_size=30))
    def test_pools_counts_not_daily_rates(self, days):
        rate = stats.pooled_rate(days)
        assert rate.successes == sum(s for s, _ in days)
        assert rate.n == sum(n for _, n in days)

    def test_weights_each_conversation_equally(self):
        # A quiet day at 0 % and a busy day at 20 %: pooled 19.6 %, not the 10 % mean of rates.
        rate = stats.pooled_rate([(0, 10), (100, 500)])
        assert rate.value == pytest.approx(100 / 510)

    def test_empty_window_has_no_value(self):
        rate = stats.pooled_rate([(0, 0)])
        assert rate.value is None
        assert rate.interval is None


def test_pooled_window_covers_the_days_ending_on_the_given_date():
    d = date(2025, 3, 10)
    counts = {d - timedelta(days=i): (i, 10) for i in range(10)}
    del counts[d - timedelta(days=2)]  # a day without data adds nothing
    rate = stats.pooled_window(counts, d, 7)
    assert (rate.successes, rate.n) == (0 + 1 + 3 + 4 + 5 + 6, 60)


class TestEwmaAndCusum:
    def test_ewma_follows_the_recursion(self):
        assert stats.ewma([1.0, 1.0], lam=0.5) == [0.5, 0.75]

    def test_ewma_skips_missing_days(self):
        assert stats.ewma([1.0, None, 1.0], lam=0.5) == [0.5, None, 0.75]

    @given(
        st.lists(st.floats(min_value=-1e6, max_value=1e6) | st.none(), max_size=50),
        st.floats(min_value=0.01, max_value=1.0),
    )
    def test_ewma_stays_within_the_values_seen(self, values, lam):
        seen = [0.0] + [v for v in values if v is not None]
        for e in stats.ewma(values, lam):
            if e is not None:
                assert min(seen) - 1e-6 <= e <= max(seen) + 1e-6

    def test_ewma_sd_grows_to_its_asymptote(self):
        sds = [stats.ewma_sd(0.2, t) for t in (1, 2, 10, 200)]
        assert sds == sorted(sds)
        assert sds[0] == pytest.approx(0.2)
        assert sds[-1] == pytest.approx(stats.ewma_sd(0.2))

    def test_cusum_accumulates_a_shift_either_way(self):
        up = stats.cusum([1.5] * 4, k=0.5)
        assert up[-1] == (4.0, 0.0)
        down = stats.cusum([-1.5] * 4, k=0.5)
        assert down[-1] == (0.0, 4.0)

    @given(st.lists(st.floats(min_value=-100, max_value=100) | st.none(), max_size=50))
    def test_cusum_sums_are_never_negative(self, values):
        for step in stats.cusum(values):
            if step is not None:
                assert step[0] >= 0 and step[1] >= 0


def _days(rng, count, rates, tau, volume):
    return [
        (i % 7, stats.simulate_day(rng, rates[i % 7], tau, volume), volume) for i in range(count)
    ]


class TestBaseline:
    RATES = (0.15, 0.16, 0.16, 0.17, 0.18, 0.20, 0.22)

    def test_recovers_the_weekday_profile_and_overdispersion(self):
        days = _days(random.Random(1), 7 * 52, self.RATES, tau=0.01, volume=2000)
        b = stats.baseline_estimate(days)
        for got, want in zip(b.rates, self.RATES, strict=True):
            assert got == pytest.approx(want, abs=0.005)
        assert math.sqrt(b.tau2) == pytest.approx(0.01, abs=0.002)
        assert b.phi > 2  # far more day-to-day spread than binomial at this volume

    def test_finds_no_extra_variance_in_pure_binomial_data(self):
        days = _days(random.Random(2), 7 * 52, self.RATES, tau=0.0, volume=2000)
        b = stats.baseline_estimate(days)
        assert math.sqrt(b.tau2) < 0.003
        assert b.phi == pytest.approx(1.0, abs=0.25)

    @given(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 50), st.integers(1, 60)).filter(
                lambda d: d[1] <= d[2]
            ),
            min_size=1,
            max_size=40,
        )
    )
    def test_estimates_are_valid_for_any_data(self, days):
        b = stats.baseline_estimate(days)
        assert b.tau2 >= 0
        assert all(0 < p < 1 for p in b.rates)
        assert all(v > 0 for v in b.rate_var)

    def test_needs_some_data(self):
        with pytest.raises(ValueError):
            stats.baseline_estimate([(0, 0, 0)])

    def test_standardises_a_typical_day_near_zero(self):
        days = _days(random.Random(3), 56, self.RATES, tau=0.008, volume=2000)
        b = stats.baseline_estimate(days)
        assert abs(b.standardise(3, 340, 2000)) < 1
        assert b.standardise(3, 20, 2000) < -5


class TestSimulation:
    @given(st.integers(0, 5000), st.floats(0, 1), st.integers(0, 2**32))
    @settings(max_examples=50)
    def test_binomial_draws_are_possible_counts(self, n, p, seed):
        assert 0 <= stats.binomial_draw(random.Random(seed), n, p) <= n

    @pytest.mark.parametrize(("n", "p"), [(60, 0.12), (2000, 0.01), (2000, 0.17), (500, 0.9)])
    def test_binomial_draws_have_the_right_mean_and_spread(self, n, p):
        rng = random.Random(4)
        draws = [stats.binomial_draw(rng, n, p) for _ in range(4000)]
        mean = sum(draws) / len(draws)
        var = sum((d - mean) ** 2 for d in draws) / len(draws)
        assert mean == pytest.approx(n * p, rel=0.03, abs=0.1)
        assert var == pytest.approx(n * p * (1 - p), rel=0.1)


class TestCalibration:
    def _baseline(self):
        days = _days(random.Random(5), 28, TestBaseline.RATES, tau=0.008, volume=2000)
        return stats.baseline_estimate(days)

    def test_meets_the_budget_on_its_own_runs_and_is_deterministic(self):
        b = self._baseline()
        cal = stats.calibrate(b, seed=11)
        assert cal.alarms_per_year <= 1.0
        assert cal.alarms_per_year > 0.6  # not wastefully wide either
        assert stats.calibrate(b, seed=11) == cal

    def test_a_larger_budget_gives_a_tighter_limit(self):
        b = self._baseline()
        assert stats.calibrate(b, budget_per_year=4).limit < stats.calibrate(b).limit

    def test_limit_is_wider_than_known_parameter_theory(self):
        # EWMA λ = 0.2 with known parameters needs L ≈ 2.86 for one alarm a year; an estimated
        # 4-week baseline must pay for its uncertainty with a wider limit.
        assert stats.calibrate(self._baseline()).limit > 2.86


class TestChangeEpisodes:
    def test_a_sustained_shift_is_one_episode(self):
        zs = [0.0] * 30 + [3.0] * 60
        assert stats.change_episodes(zs, limit=3.0) == [(31, None)]

    def test_re_arms_after_returning_inside(self):
        zs = [0.0] * 30 + [4.0] * 5 + [0.0] * 30 + [-4.0] * 5
        episodes = stats.change_episodes(zs, limit=3.0)
        assert len(episodes) == 2
        (o1, r1), (o2, _) = episodes
        assert 30 <= o1 < r1 < o2

    def test_cusum_also_finds_shifts_both_ways(self):
        zs = [0.0] * 20 + [2.0] * 20 + [0.0] * 40 + [-2.0] * 20
        assert len(stats.change_episodes(zs, method="cusum", limit=5.0)) == 2


def test_baseline_knows_the_weekdays_an_operation_is_closed():
    # Calibration then simulates only open days, so the budget stays per calendar year.
    days = [d for d in _days(random.Random(6), 35, TestBaseline.RATES, 0.008, 2000) if d[0] != 6]
    b = stats.baseline_estimate(days)
    assert b.weekdays == (0, 1, 2, 3, 4, 5)
    assert stats.calibrate(b).alarms_per_year <= 1.0
