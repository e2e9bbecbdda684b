"""Server-side SVG charts for the dashboard and the PDFs. Pure: no Django, no JavaScript.

One function draws an indicator's series against its agreed range; the dashboard inlines the
SVG in the page and WeasyPrint draws the very same markup into the status PDF. Every piece of
text is escaped here, so callers may insert the result as markup.

A point is anything with ``day`` (a date), ``rate``, ``lo`` and ``hi`` (fractions or None) and
``n``: metrics.detection.indicators.Point and the weekly review points both fit. A point
whose ``rate`` is None has no data: the line breaks there, it is never drawn as zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

from criteria.formatting import percent, range_text

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Beyond this many days the intervals are drawn as a ribbon: whiskers would merge into a blur.
RIBBON_AFTER = 120

BAND_FILL = "#d9f2e3"
BAND_EDGE = "#3a9a5d"
LINE = "#1f4e89"
OUT = "#c0392b"
CI = "#7f9cc4"
MARKER = "#d35400"
GRID = "#e3e6ea"
TEXT = "#4a5058"


class ChartPoint(Protocol):
    day: date
    rate: float | None
    lo: float | None
    hi: float | None
    n: int


def day_label(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _nice_max(value: float) -> float:
    """The smallest of 5 %, 10 %, 15 %, … 100 % that holds `value` with some headroom."""
    if value <= 0:
        return 0.1
    step = 0.05
    top = math.ceil(value * 1.08 / step) * step
    return min(1.0, max(step, round(top, 4)))


def _y_ticks(y_max: float) -> list[float]:
    for step in (0.05, 0.1, 0.2, 0.25):
        if y_max / step <= 5:
            break
    count = int(math.floor(y_max / step + 1e-9))
    return [round(i * step, 4) for i in range(count + 1)]


def _out_of_band(rate: float, band_min: float | None, band_max: float | None) -> bool:
    return (band_min is not None and rate < band_min) or (band_max is not None and rate > band_max)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _markers(markers: Iterable[date | tuple[date, str]] | None) -> list[tuple[date, str]]:
    out = []
    for m in markers or []:
        if isinstance(m, tuple):
            out.append((m[0], m[1]))
        else:
            out.append((m, "Alert"))
    return out


def indicator_chart_svg(
    points: Sequence[ChartPoint],
    *,
    band_min: float | None,
    band_max: float | None,
    markers: Iterable[date | tuple[date, str]] | None = None,
    title: str,
    width: int = 640,
    height: int = 200,
    y_max: float | None = None,
    start: date | None = None,
    end: date | None = None,
    weekly: bool = False,
) -> str:
    """One indicator as an SVG chart: values, 95 % intervals, the agreed range and alerts.

    ``band_min``/``band_max`` are the agreed range (either may be None: a one-sided range is
    shaded to the edge of the chart; both None: no band). ``markers`` are alert dates, or
    (date, label) pairs. ``start``/``end`` fix the period shown (default: the points' span);
    ``weekly`` says each point stands for the week starting on its day.
    """
    points = sorted(points, key=lambda p: p.day)
    marker_list = _markers(markers)
    if start is None:
        start = points[0].day if points else None
    if end is None:
        end = points[-1].day if points else None
    with_data = [p for p in points if p.rate is not None]
    band_text = range_text(band_min, band_max, empty="")

    if with_data:
        latest = with_data[-1]
        summary = f"{title}: latest {percent(latest.rate)} ({day_label(latest.day)})"
        if latest.lo is not None and latest.hi is not None:
            summary += f", 95 % interval {percent(latest.lo)}–{percent(latest.hi)}"
    else:
        summary = f"{title}: no data in this period"
    if band_text:
        summary += f"; agreed range {band_text}"
    if marker_list:
        summary += f"; {len(marker_list)} alert{'s' if len(marker_list) != 1 else ''}"

    top_value = max(
        [p.hi if p.hi is not None else p.rate for p in with_data]
        + [b for b in (band_min, band_max) if b is not None]
        + [0.0]
    )
    y_top = y_max if y_max is not None else _nice_max(top_value)

    left, right, top, bottom = 40, 10, 22, 22
    plot_w = max(10, width - left - right)
    plot_h = max(10, height - top - bottom)

    # Keep the visible title clear of the range label at the right (≈ 6.2 px a character).
    room = int((width - left - right - (len(band_text) + 8) * 5.6 - 8) / 6.2)
    shown_title = title if len(title) <= max(room, 4) else title[: max(room, 4) - 1] + "…"
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="10" '
        f"aria-label={quoteattr(summary)}>",
        f"<title>{escape(summary)}</title>",
        f'<text x="{left}" y="14" font-size="11" font-weight="bold" fill="#222" '
        f'class="chart-title">{escape(shown_title)}</text>',
    ]
    if band_text:
        out.append(
            f'<text x="{width - right}" y="14" text-anchor="end" fill="{BAND_EDGE}" '
            f'class="chart-range">agreed {escape(band_text)}</text>'
        )

    def y(v: float) -> float:
        v = min(max(v, 0.0), y_top)
        return top + plot_h - v / y_top * plot_h

    # Frame, grid and y labels.
    for tick in _y_ticks(y_top):
        ty = y(tick)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(ty)}" y2="{_f(ty)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{_f(ty + 3)}" text-anchor="end" fill="{TEXT}" '
            f'class="y-label">{escape(percent(tick, 0))}</text>'
        )

    # The agreed range: one- or two-sided band, its edges dashed.
    if band_min is not None or band_max is not None:
        b_lo = band_min if band_min is not None else 0.0
        b_hi = band_max if band_max is not None else y_top
        y1, y2 = y(b_hi), y(b_lo)
        out.append(
            f'<rect class="band" x="{left}" y="{_f(y1)}" width="{plot_w}" '
            f'height="{_f(max(0.5, y2 - y1))}" fill="{BAND_FILL}">'
            f"<title>Agreed range {escape(band_text)}</title></rect>"
        )
        for edge in (band_min, band_max):
            if edge is not None and edge <= y_top:
                out.append(
                    f'<line class="band-edge" x1="{left}" x2="{left + plot_w}" '
                    f'y1="{_f(y(edge))}" y2="{_f(y(edge))}" stroke="{BAND_EDGE}" '
                    f'stroke-width="1" stroke-dasharray="4 3"/>'
                )

    if start is None or end is None or not with_data:
        out.append(
            f'<text class="empty" x="{_f(left + plot_w / 2)}" y="{_f(top + plot_h / 2)}" '
            f'text-anchor="middle" fill="{TEXT}" font-size="12">No data in this period</text>'
        )
        out.append(_frame(left, top, plot_w, plot_h))
        out.append("</svg>")
        return "".join(out)

    span = max(1, (end - start).days)
    step = timedelta(days=7 if weekly else 1)  # a longer gap between points is missing data

    def x(d: date) -> float:
        return left + (d - start).days / span * plot_w

    # Week ticks on Mondays (weekly charts: on each point), labelled as often as they fit.
    mondays = []
    d = start + timedelta(days=(7 - start.weekday()) % 7)
    while d <= end:
        mondays.append(d)
        d += timedelta(days=7)
    label_every = max(1, math.ceil(len(mondays) * 48 / plot_w))
    if mondays:
        # One path of short strokes: a line element per tick was 100 bytes, 52 a chart.
        strokes = "".join(f"M{_f(x(monday))},{top + plot_h}v4" for monday in mondays)
        out.append(
            f'<path class="week-ticks" d="{strokes}" stroke="{TEXT}" stroke-width="1" fill="none"/>'
        )
    for i, monday in enumerate(mondays):
        tx = x(monday)
        if i % label_every == 0:
            out.append(
                f'<text class="x-label" x="{_f(tx)}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" fill="{TEXT}">{escape(day_label(monday))}</text>'
            )

    # Intervals: whiskers for short series, a ribbon broken at missing days for long ones.
    with_ci = [p for p in with_data if p.lo is not None and p.hi is not None]
    if len(points) > RIBBON_AFTER and not weekly:
        for run in _runs(points, lambda p: p.rate is not None and p.lo is not None, step):
            upper = " ".join(f"{_f(x(p.day))},{_f(y(p.hi))}" for p in run)
            lower = " ".join(f"{_f(x(p.day))},{_f(y(p.lo))}" for p in reversed(run))
            out.append(
                f'<polygon class="ci-ribbon" points="{upper} {lower}" fill="{CI}" '
                f'fill-opacity="0.35" stroke="none"/>'
            )
    else:
        for p in with_ci:
            px = _f(x(p.day))
            out.append(
                f'<line class="ci" x1="{px}" x2="{px}" y1="{_f(y(p.hi))}" y2="{_f(y(p.lo))}" '
                f'stroke="{CI}" stroke-width="1.2"/>'
            )

    # The series, broken where a day has no data.
    for run in _runs(points, lambda p: p.rate is not None, step):
        if len(run) > 1:
            coords = " ".join(f"{_f(x(p.day))},{_f(y(p.rate))}" for p in run)
            out.append(
                f'<polyline class="series" points="{coords}" fill="none" stroke="{LINE}" '
                f'stroke-width="1.4" stroke-linejoin="round"/>'
            )
    radius = 3 if weekly or len(points) <= 100 else 1.6
    # The points' colour and size are the group's (a year of six series is 2,200 points, and
    # every byte of them is sent with each dashboard); a point outside the band says its own.
    out.append(f'<g class="dots" fill="{LINE}">')
    for p in with_data:
        outside = _out_of_band(p.rate, band_min, band_max)
        tip = f"{day_label(p.day)}: {percent(p.rate)}"
        if p.lo is not None and p.hi is not None:
            tip += f" ({percent(p.lo)}–{percent(p.hi)})"
        if p.n:
            tip += f", n = {p.n}"
        colour = f' fill="{OUT}"' if outside else ""
        out.append(
            f'<circle class="point{" out" if outside else ""}" cx="{_f(x(p.day))}" '
            f'cy="{_f(y(p.rate))}" r="{radius}"{colour}><title>{escape(tip)}</title></circle>'
        )
    out.append("</g>")

    # Alert markers: a line and a flag at the date the alert opened.
    for day, label in marker_list:
        if day < start or day > end:
            continue
        mx = _f(x(day))
        out.append(
            f'<g class="marker"><title>{escape(f"{label}, {day_label(day)}")}</title>'
            f'<line x1="{mx}" x2="{mx}" y1="{top}" y2="{top + plot_h}" stroke="{MARKER}" '
            f'stroke-width="1.2" stroke-dasharray="2 2"/>'
            f'<path d="M{mx},{top} l6,3 l-6,3 z" fill="{MARKER}"/></g>'
        )

    out.append(_frame(left, top, plot_w, plot_h))
    out.append("</svg>")
    return "".join(out)


def _frame(left: int, top: int, w: int, h: int) -> str:
    return (
        f'<rect class="frame" x="{left}" y="{top}" width="{w}" height="{h}" fill="none" '
        f'stroke="#b8bec6" stroke-width="1"/>'
    )


def _runs(points: Sequence[ChartPoint], keep, step: timedelta) -> list[list[ChartPoint]]:
    """Stretches of points for which `keep` holds, at most `step` apart (no day skipped)."""
    runs: list[list[ChartPoint]] = []
    current: list[ChartPoint] = []
    for p in points:
        if keep(p):
            if current and p.day - current[-1].day > step:
                runs.append(current)
                current = []
            current.append(p)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def small_multiple_svg(
    weekly_points: Sequence[ChartPoint],
    *,
    band_min: float | None,
    band_max: float | None,
    markers: Iterable[date | tuple[date, str]] | None = None,
    title: str,
    width: int = 300,
    height: int = 130,
    y_max: float | None = None,
    weeks: int = 12,
    end: date | None = None,
) -> str:
    """The last `weeks` weekly points as a small chart (status PDF, dashboard summaries).

    Each point's ``day`` is a day of the week it stands for (the indicators date
    weekly points on the Sunday); the axis spans `weeks` whole weeks, Monday to Sunday, ending with
    the week of `end` (default: the latest point), so missing weeks stay visible.
    """
    points = sorted(weekly_points, key=lambda p: p.day)
    if end is None and points:
        end = points[-1].day
    start = None
    if end is not None:
        end = end - timedelta(days=end.weekday()) + timedelta(days=6)
        start = end - timedelta(weeks=weeks) + timedelta(days=1)
        points = [p for p in points if start <= p.day <= end]
    return indicator_chart_svg(
        points,
        band_min=band_min,
        band_max=band_max,
        markers=markers,
        title=title,
        width=width,
        height=height,
        y_max=y_max,
        start=start,
        end=end,
        weekly=True,
    )
