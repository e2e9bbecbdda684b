"""Cohen's kappa and raw agreement between two blind reviewers."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sampling.agreement import cohen_kappa


def test_hand_computed_two_category_example_with_na_pairs():
    # 50 conversations rated "acceptable?" by both reviewers, plus 3 where one said N/A:
    #                B yes   B no
    #   A yes         20       5     -> A yes: 25/50 = 0.5
    #   A no          10      15     -> A no:  25/50 = 0.5
    #   B margins:  30/50=0.6 20/50=0.4
    # p_o = (20 + 15) / 50 = 0.70
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.30 + 0.20 = 0.50
    # kappa = (0.70 - 0.50) / (1 - 0.50) = 0.40
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15 + ["N/A", "yes", None]
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15 + ["yes", "N/A", "no"]
    result = cohen_kappa(a, b)
    assert result.n == 50
    assert result.excluded == 3
    assert result.raw == pytest.approx(0.70)
    assert result.kappa == pytest.approx(0.40)


def test_hand_computed_three_category_handoff_verdict():
    # W = escalated & warranted, N = not escalated & correct, M = missed handoff.
    #   item:  1 2 3 4 5 6 7 8 9 10
    #   A:     W W W M M N N N N M
    #   B:     W W M M N N N N W M
    # same on items 1,2,4,6,7,8,10 -> p_o = 7/10 = 0.70
    # A: W 3, M 3, N 4; B: W 3, M 3, N 4
    # p_e = (3*3 + 3*3 + 4*4) / 10^2 = 34/100 = 0.34
    # kappa = (0.70 - 0.34) / (1 - 0.34) = 0.36 / 0.66 = 6/11 = 0.5454...
    a = list("WWWMMNNNNM")
    b = list("WWMMNNNNWM")
    result = cohen_kappa(a, b)
    assert result.raw == pytest.approx(0.7)
    assert result.kappa == pytest.approx(6 / 11)


def test_perfect_agreement_is_one():
    labels = ["yes", "no", "no", "yes", "maybe", "no"]
    result = cohen_kappa(labels, list(labels))
    assert result.kappa == 1
    assert result.raw == 1


def test_agreement_no_better_than_chance_is_zero():
    # p_o = 2/4 = 0.5; both margins 50/50 so p_e = 0.25 + 0.25 = 0.5; kappa = 0.
    assert cohen_kappa(["y", "y", "n", "n"], ["y", "n", "y", "n"]).kappa == 0
    # Two reviewers labelling independently at random: kappa close to 0, raw about 0.5.
    rng = random.Random(7)
    a = [rng.choice("yn") for _ in range(4000)]
    b = [rng.choice("yn") for _ in range(4000)]
    result = cohen_kappa(a, b)
    assert abs(result.kappa) < 0.05
    assert result.raw == pytest.approx(0.5, abs=0.03)


def test_systematic_disagreement_is_minus_one():
    assert cohen_kappa(["y", "n"] * 5, ["n", "y"] * 5).kappa == pytest.approx(-1)


def test_single_category_is_undefined_not_a_division_error():
    result = cohen_kappa(["yes"] * 8, ["yes"] * 8)
    assert result.kappa is None
    assert result.raw == 1
    # One reviewer always says yes, the other varies: defined, and no better than chance.
    result = cohen_kappa(["yes"] * 4, ["yes", "no", "yes", "no"])
    assert result.kappa == pytest.approx(0)


def test_all_pairs_na_leaves_nothing_to_compare():
    result = cohen_kappa(["N/A", "yes"], ["no", None])
    assert (result.kappa, result.raw, result.n, result.excluded) == (None, None, 0, 2)


def test_custom_na_values_and_length_mismatch():
    result = cohen_kappa(["skip", "y", "n"], ["y", "y", "n"], na_values={"skip"})
    assert (result.n, result.excluded, result.kappa) == (2, 1, 1)
    with pytest.raises(ValueError):
        cohen_kappa(["y"], ["y", "n"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "N/A"]), st.sampled_from(["a", "b", "c", None])),
        max_size=80,
    )
)
def test_kappa_is_between_minus_one_and_one(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    result = cohen_kappa(a, b)
    assert result.n + result.excluded == len(pairs)
    if result.kappa is not None:
        assert -1 - 1e-9 <= result.kappa <= 1 + 1e-9
        assert 0 <= result.raw <= 1
