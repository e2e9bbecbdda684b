"""Agreement between two reviewers on one rubric item (pure Python).

For the blind double reviews: both reviewers score the same conversations; per rubric item we
report raw agreement and Cohen's kappa.

With ``n`` pairs, ``p_o`` the share of pairs where both gave the same label, and for every
category ``k`` the marginal shares ``a_k`` (rater A) and ``b_k`` (rater B):

    p_e   = sum_k a_k * b_k                  (agreement expected by chance)
    kappa = (p_o - p_e) / (1 - p_e)          (Cohen 1960)

N/A handling: an item marked N/A leaves the denominator (the rubric's rule), so a pair where
either reviewer said N/A (``None`` or one of ``na_values``) is excluded from both p_o and
kappa and only counted in ``excluded``.

Degenerate case: when both reviewers used one and the same category for every pair, p_e = 1
and kappa is 0/0. It is then reported as ``None`` ("undefined"), never as a division error;
raw agreement (1.0) still says what happened. With no pairs left, both are ``None``.
"""

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

DEFAULT_NA_VALUES: frozenset[str] = frozenset({"N/A", "n/a", "NA", "na"})


@dataclass(frozen=True)
class Agreement:
    kappa: float | None  # None when undefined (no pairs, or one category only)
    raw: float | None  # share of pairs with the same label; None when no pairs
    n: int  # pairs compared
    excluded: int  # pairs left out because either rater said N/A


def _is_na(label: Hashable, na_values: Iterable[Hashable]) -> bool:
    return label is None or label in na_values


def cohen_kappa(
    rater_a: Sequence[Hashable],
    rater_b: Sequence[Hashable],
    na_values: Iterable[Hashable] = DEFAULT_NA_VALUES,
) -> Agreement:
    """Raw agreement and Cohen's kappa for two raters' labels of the same items.

    ``rater_a[i]`` and ``rater_b[i]`` label item i. Raises ValueError if lengths differ.
    """
    if len(rater_a) != len(rater_b):
        raise ValueError("both raters must label the same items")
    na = frozenset(na_values)
    pairs = [
        (a, b)
        for a, b in zip(rater_a, rater_b, strict=True)
        if not _is_na(a, na) and not _is_na(b, na)
    ]
    excluded = len(rater_a) - len(pairs)
    n = len(pairs)
    if n == 0:
        return Agreement(kappa=None, raw=None, n=0, excluded=excluded)
    observed = sum(1 for a, b in pairs if a == b) / n
    counts_a = Counter(a for a, _ in pairs)
    counts_b = Counter(b for _, b in pairs)
    chance_pairs = sum(counts_a[k] * counts_b[k] for k in counts_a)
    if chance_pairs == n * n:  # p_e = 1, compared exactly in integers
        return Agreement(kappa=None, raw=observed, n=n, excluded=excluded)
    expected = chance_pairs / (n * n)
    kappa = (observed - expected) / (1 - expected)
    return Agreement(kappa=kappa, raw=observed, n=n, excluded=excluded)
