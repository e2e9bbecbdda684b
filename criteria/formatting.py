"""The one way Stopline writes fractions as percentages and agreed ranges as text.

Pages, both PDFs, the digest, e-mails and webhooks all use these two functions, so a range
reads the same everywhere: ``12.3 %`` with a no-break space (never broken before the sign),
``8 %–25 %`` for a two-sided range, ``at least 85 %`` / ``at most 25 %`` for one side.
"""

from decimal import Decimal

NBSP = "\u00a0"
NONE = "—"


def percent(value: float | Decimal | None, digits: int = 1) -> str:
    """A fraction as a percentage rounded to ``digits`` decimals, trailing zeros dropped:
    ``0.1234`` -> ``12.3 %``; ``None`` -> ``—``."""
    if value is None:
        return NONE
    text = f"{float(value) * 100:.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text}{NBSP}%"


def range_text(
    lo: float | Decimal | None,
    hi: float | Decimal | None,
    *,
    empty: str = NONE,
    symbols: bool = False,
) -> str:
    """An agreed range in words (bounds to two decimals of a percent, so 8.25 % stays 8.25 %);
    ``empty`` when neither bound is set. ``symbols`` writes one side as ``≥ 85 %`` / ``≤ 25 %``
    where room is short (the workshop board's table, the wall's big figures)."""
    if lo is not None and hi is not None:
        return f"{percent(lo, 2)}–{percent(hi, 2)}"
    if lo is not None:
        return f"{'≥' if symbols else 'at least'} {percent(lo, 2)}"
    if hi is not None:
        return f"{'≤' if symbols else 'at most'} {percent(hi, 2)}"
    return empty
