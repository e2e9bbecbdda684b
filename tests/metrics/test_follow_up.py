"""The follow-up watch: once the escalation rate falls, complex FCR is tested for a slide that
starts that day (detectors.slide_follow_up_episodes). Whole simulated operations of
bench.operation at the seed's volume (550 a day), other seeds than the benchmark's; no
database."""

import math
import random
import statistics
from datetime import timedelta

from bench.operation import (
    START,
    Scenario,
    first_alert,
    first_days,
    ramp,
    run_tiers,
    simulate_operation,
)
from metrics.detection import detectors
from metrics.detection.detectors import WARNING
from metrics.detection.evaluate import family

ONSET = 28 + 60


def seed_case(fcr_days: int | None, *, fall: bool = True) -> Scenario:
    """The seed's case: the escalation path suppressed from one day on (17 % → 5 %), complex
    FCR sliding 58 % → 44 % over ``fcr_days`` from the same day (steady with None), the case
    mix shifting."""
    return Scenario(
        volume=550,
        escalation=ramp(ONSET, 1, 0.17, 0.05) if fall else ramp(ONSET, 1, 0.17, 0.17),
        fcr_complex=ramp(ONSET, fcr_days, 0.58, 0.44) if fcr_days else ramp(ONSET, 1, 0.58, 0.58),
        complex_share=ramp(ONSET, 21, 0.30, 0.36),
    )


def fcr_warnings(series) -> list:
    onset = START + timedelta(days=ONSET)
    return [
        e
        for e in run_tiers(series)
        if family(e.firing.indicator) == "fcr_complex"
        and e.firing.severity == WARNING
        and e.firing.opened_on >= onset
    ]


def test_a_two_week_slide_after_the_escalation_fell_is_warned_within_six_days():
    onset = START + timedelta(days=ONSET)
    with_fall, without = [], []
    for seed in range(10):
        rng_seed = 900 + seed
        series = simulate_operation(random.Random(rng_seed), ONSET + 40, seed_case(14))
        with_fall.append(first_alert(fcr_warnings(series), ("fcr_complex",), onset) or math.inf)
        # The same slide with the escalation rate steady: the EWMAs alone.
        alone = seed_case(14, fall=False)
        series = simulate_operation(random.Random(rng_seed), ONSET + 40, alone)
        without.append(first_alert(fcr_warnings(series), ("fcr_complex",), onset) or math.inf)
    assert statistics.median(with_fall) <= 6
    assert sum(d <= 6 for d in with_fall) >= 7
    # What made it earlier is the follow-up: without the fall, the same slide takes longer.
    assert statistics.median(without) >= statistics.median(with_fall) + 2


def test_the_follow_up_warning_says_what_it_is_and_since_when():
    series = simulate_operation(random.Random(901), ONSET + 40, seed_case(14))
    warning = fcr_warnings(series)[0].firing
    evidence = warning.evidence
    assert warning.direction == "below"
    assert evidence.detector.startswith("slide from ")
    assert evidence.detector.endswith(", escalation fell")
    assert len(evidence.detector) <= 40  # Alert.detector
    assert evidence.limit in (detectors.FOLLOW_UP_LIMIT_EARLY, detectors.FOLLOW_UP_LIMIT_LATE)
    assert evidence.statistic > evidence.limit
    assert evidence.current_rate < evidence.baseline_rate
    assert warning.as_dict()["severity"] == "warning"


def test_a_follow_up_and_the_series_own_warning_are_one_story_that_ends_when_fcr_recovers():
    # Complex FCR falls with the escalation rate, stays low three weeks, then recovers.
    scenario = Scenario(
        volume=550,
        escalation=lambda i: 0.17 if i < ONSET or i >= ONSET + 21 else 0.05,
        fcr_complex=lambda i: 0.58 if i < ONSET or i >= ONSET + 21 else 0.48,
    )
    for seed in range(3):
        series = simulate_operation(random.Random(950 + seed), ONSET + 70, scenario)
        warned = fcr_warnings(series)
        assert len(warned) == 1, [(e.firing.opened_on, e.resolved_on) for e in warned]
        # The story ends after the recovery, when the slower of the two says so (the slow
        # EWMA takes weeks to come back inside its limit).
        recovered = START + timedelta(days=ONSET + 21)
        assert warned[0].resolved_on is not None and warned[0].resolved_on >= recovered


def test_the_follow_up_alone_resolves_within_days_of_the_recovery():
    days, base = [], None
    rng = random.Random(3)
    start = START
    for i in range(28 + 60):
        day = start + timedelta(days=i)
        rate = 0.58 if i < 28 + 20 or i >= 28 + 40 else 0.48
        n = 150
        days.append(detectors.DayObs(day, sum(rng.random() < rate for _ in range(n)), n))
    base = detectors.baseline_fit(days[:28])
    since = start + timedelta(days=28 + 20)
    (episode,) = detectors.slide_follow_up_episodes("fcr_complex", days, base, since)
    assert since + timedelta(days=1) <= episode.firing.opened_on <= since + timedelta(days=6)
    recovered = start + timedelta(days=28 + 40)
    assert recovered <= episode.resolved_on <= recovered + timedelta(days=10)


def test_a_fall_without_a_slide_raises_a_follow_up_at_most_about_one_time_in_four():
    # The escalation path suppressed, complex FCR steady: the follow-up's false alarms are its
    # FOLLOW_UP_ALPHA of the falls (and the EWMAs' own): about 1 in 4, never most of them.
    falsely = 0
    for seed in range(40):
        series = simulate_operation(random.Random(1000 + seed), ONSET + 40, seed_case(None))
        falsely += bool(fcr_warnings(series))
    assert falsely <= 12


def test_no_fall_no_follow_up():
    series = simulate_operation(random.Random(5), ONSET + 40, seed_case(None, fall=False))
    detectors_used = {e.firing.evidence.detector for e in run_tiers(series) if e.firing.evidence}
    assert not [d for d in detectors_used if d.startswith("slide")]


def test_the_limits_are_exceeded_with_their_probability_in_control():
    """S_2 … S_28 (independent N(0, 1) daily z, linearly weighted) pass their limits with
    probability FOLLOW_UP_ALPHA, four fifths of it within the first FOLLOW_UP_EARLY_DAYS."""
    rng = random.Random(20261205)
    runs, over, early = 20000, 0, 0
    for _ in range(runs):
        weighted = weights = 0.0
        for k in range(1, detectors.FOLLOW_UP_DAYS + 1):
            weighted += k * rng.gauss(0, 1)
            weights += k * k
            if k >= 2 and weighted / math.sqrt(weights) > detectors.follow_up_limit(k):
                over += 1
                early += k <= detectors.FOLLOW_UP_EARLY_DAYS
                break
    assert abs(over / runs - detectors.FOLLOW_UP_ALPHA) < 0.01
    assert abs(early / runs - 0.8 * detectors.FOLLOW_UP_ALPHA) < 0.01


def test_a_follow_up_judges_against_the_baseline_its_series_kept():
    """Complex FCR dipped while the baseline grew (days 36 – 47), so the series keeps its first
    28 days; the follow-up after a later escalation fall (day 75) judges against the same
    baseline, not the 56 days that include the dip, whichever of the two tells the story."""

    def fcr(i: int) -> float:
        if 36 <= i < 48:
            return 0.48
        return 0.62 if i < 75 else ramp(75, 14, 0.62, 0.48)(i)

    scenario = Scenario(volume=550, fcr_complex=fcr, escalation=ramp(75, 1, 0.15, 0.05))
    for seed in range(4):
        series = simulate_operation(random.Random(60 + seed), 110, scenario)
        first_end = first_days(series).first_end
        warned = [e for e in run_tiers(series, breaches=()) if e.firing.indicator == "fcr_complex"]
        assert len(warned) == 2 and warned[0].resolved_on is not None
        assert warned[1].firing.opened_on >= START + timedelta(days=75)
        baselines = {e.firing.evidence.as_dict()["baseline_to"] for e in warned}
        assert baselines == {first_end.isoformat()}
