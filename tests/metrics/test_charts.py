"""The SVG charts: valid markup, the agreed band, points, intervals, markers, empty state."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta

from metrics.reporting.charts import indicator_chart_svg, small_multiple_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


@dataclass(frozen=True)
class P:
    day: date
    rate: float | None
    lo: float | None
    hi: float | None
    n: int = 100


def series(days: int, rate: float = 0.15, start: date = date(2027, 3, 1)) -> list[P]:
    return [P(start + timedelta(days=i), rate, rate - 0.03, rate + 0.03) for i in range(days)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def week_ticks(root: ET.Element) -> list[float]:
    """The x of each week tick (strokes of one path: ``M x,y v4``)."""
    ticks = by_class(root, "week-ticks")
    if not ticks:
        return []
    return [float(m.split(",")[0]) for m in ticks[0].get("d").split("M")[1:]]


def test_chart_is_valid_svg_with_band_points_and_whiskers():
    svg = indicator_chart_svg(
        series(28), band_min=0.08, band_max=0.25, markers=[], title="Escalation rate"
    )
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert "Escalation rate" in root.get("aria-label")
    assert "8\u00a0%–25\u00a0%" in root.get("aria-label")
    assert root.find("svg:title", NS).text.startswith("Escalation rate: latest 15")
    assert len(by_class(root, "band")) == 1
    assert len(by_class(root, "band-edge")) == 2
    assert len(by_class(root, "point")) == 28
    assert len(by_class(root, "ci")) == 28
    assert not by_class(root, "empty")


def test_one_sided_band_reaches_the_top_of_the_chart():
    root = parse(indicator_chart_svg(series(10, 0.9), band_min=0.8, band_max=None, title="FCR"))
    (band,) = by_class(root, "band")
    assert float(band.get("y")) == 22  # the top of the plot area
    assert len(by_class(root, "band-edge")) == 1


def test_no_range_means_no_band():
    root = parse(indicator_chart_svg(series(10), band_min=None, band_max=None, title="Mix"))
    assert not by_class(root, "band")


def test_points_outside_the_band_are_marked():
    points = series(5, 0.15) + series(3, 0.02, start=date(2027, 3, 6))
    root = parse(indicator_chart_svg(points, band_min=0.08, band_max=0.25, title="Esc"))
    assert len(by_class(root, "out")) == 3


def test_missing_days_break_the_line_and_are_not_drawn_as_zero():
    points = series(10)
    points[4] = P(points[4].day, None, None, None, 0)
    root = parse(indicator_chart_svg(points, band_min=0.08, band_max=0.25, title="Esc"))
    assert len(by_class(root, "point")) == 9
    assert len(by_class(root, "series")) == 2


def test_alert_markers_inside_the_period_are_drawn():
    markers = [date(2027, 3, 5), (date(2027, 3, 9), "Below range"), date(2026, 1, 1)]
    root = parse(
        indicator_chart_svg(series(14), band_min=0.08, band_max=0.25, markers=markers, title="E")
    )
    drawn = by_class(root, "marker")
    assert len(drawn) == 2
    assert drawn[1].find("svg:title", NS).text == "Below range, 9 Mar"


def test_week_ticks_fall_on_mondays():
    root = parse(indicator_chart_svg(series(28), band_min=0.08, band_max=None, title="E"))
    # 1 March 2027 is a Monday: 1, 8, 15, 22 March.
    ticks = week_ticks(root)
    assert len(ticks) == 4
    labels = {t.text: float(t.get("x")) for t in by_class(root, "x-label")}
    assert labels["1 Mar"] == ticks[0]
    week = ticks[1] - ticks[0]
    assert all(abs(b - a - week) < 0.15 for a, b in zip(ticks, ticks[1:], strict=False))


def test_long_series_draw_intervals_as_a_ribbon():
    root = parse(indicator_chart_svg(series(365), band_min=0.08, band_max=0.25, title="E"))
    assert len(by_class(root, "ci-ribbon")) == 1
    assert not by_class(root, "ci")
    assert len(by_class(root, "point")) == 365


def test_empty_series_renders_an_empty_state():
    for points in ([], [P(date(2027, 3, 1), None, None, None, 0)]):
        root = parse(indicator_chart_svg(points, band_min=0.08, band_max=0.25, title="E"))
        (empty,) = by_class(root, "empty")
        assert empty.text == "No data in this period"
        assert not by_class(root, "point")
        assert "no data" in root.get("aria-label")


def test_text_is_escaped():
    title = 'Escalation <script>alert("x")</script> & co'
    svg = indicator_chart_svg(series(3), band_min=0.1, band_max=None, title=title)
    root = parse(svg)
    assert "<script>" not in svg
    assert by_class(root, "chart-title")[0].text == title
    assert title in root.get("aria-label")


def test_y_axis_holds_values_above_the_band():
    root = parse(indicator_chart_svg(series(5, 0.5), band_min=0.08, band_max=0.25, title="E"))
    labels = [t.text for t in by_class(root, "y-label")]
    assert labels[-1] in ("60\u00a0%", "80\u00a0%", "100\u00a0%")


def test_small_multiple_shows_the_last_twelve_weeks():
    weeks = [P(date(2027, 1, 4) + timedelta(weeks=i), 0.15, 0.12, 0.18) for i in range(20)]
    root = parse(small_multiple_svg(weeks, band_min=0.08, band_max=0.25, title="Escalation"))
    assert len(by_class(root, "point")) == 12
    assert len(by_class(root, "ci")) == 12
    assert root.get("width") == "300"


def test_small_multiple_keeps_missing_weeks_visible():
    weeks = [P(date(2027, 1, 4), 0.15, 0.12, 0.18), P(date(2027, 3, 22), 0.1, 0.08, 0.12)]
    root = parse(small_multiple_svg(weeks, band_min=0.08, band_max=0.25, title="Escalation"))
    assert len(by_class(root, "point")) == 2
    assert len(week_ticks(root)) == 12


def test_gaps_between_points_break_the_line():
    """Series from metrics.detection.indicators list only days with data: a gap is missing data."""
    points = series(3) + series(3, start=date(2027, 3, 10))
    root = parse(indicator_chart_svg(points, band_min=0.08, band_max=0.25, title="Esc"))
    assert len(by_class(root, "series")) == 2


def test_small_multiple_takes_points_dated_on_sundays():
    weeks = [P(date(2027, 1, 10) + timedelta(weeks=i), 0.8, 0.7, 0.9) for i in range(14)]
    root = parse(small_multiple_svg(weeks, band_min=0.8, band_max=None, title="Review score"))
    assert len(by_class(root, "point")) == 12
    assert len(by_class(root, "series")) == 1
