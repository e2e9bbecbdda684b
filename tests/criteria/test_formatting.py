from decimal import Decimal

from criteria.formatting import percent, range_text

NB = "\u00a0"


def test_percent_rounds_and_never_breaks_before_the_sign():
    assert percent(0.1234) == f"12.3{NB}%"
    assert percent(0.5) == f"50{NB}%"
    assert percent(Decimal("0.085"), 2) == f"8.5{NB}%"
    assert percent(None) == "—"


def test_a_range_reads_the_same_from_floats_and_decimals():
    assert range_text(0.08, 0.25) == f"8{NB}%–25{NB}%"
    assert range_text(Decimal("0.08"), Decimal("0.25")) == range_text(0.08, 0.25)
    assert range_text(Decimal("0.0825"), None) == f"at least 8.25{NB}%"
    assert range_text(None, 0.3) == f"at most 30{NB}%"
    assert range_text(None, None) == "—"
    assert range_text(None, None, empty="") == ""
