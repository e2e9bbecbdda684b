"""The executive status report (selector): what the one- or two-page PDF says, as data.

The three indicators with FCR split (escalation rate, FCR simple and complex, review score),
their last 12 weeks as small charts (metrics.reporting.charts), the missed-handoff estimate
beside the escalation rate, open alerts and reviews, and plain sentences saying which
indicator is out of its range and since when (read from up to a year of daily values).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from criteria.models import CriteriaVersion, Operation
from metrics.detection.indicators import Point
from metrics.ingest.review_scores import reviewer_recommendation_latest
from metrics.reporting.charts import small_multiple_svg
from metrics.reporting.dashboard import (
    OUT_OF_RANGE,
    WEEKLY_KEYS,
    HandoffCheck,
    Panel,
    dashboard_get,
    weekly_points,
)

REPORT_KEYS = ("escalation_rate", "fcr_simple", "fcr_complex", "review_score")
LOOKBACK_DAYS = 365  # how far back "since when" can reach
WEEKS = 12
CHART_WIDTH, CHART_HEIGHT = 330, 118
NO_RECOMMENDATION = "No recommendation recorded."


@dataclass
class ReportIndicator:
    panel: Panel
    chart: str

    @property
    def out_of_range(self) -> bool:
        return self.panel.status == OUT_OF_RANGE


@dataclass
class StatusReport:
    operation: Operation
    through: date
    version: CriteriaVersion | None
    week_label: str
    indicators: dict[str, ReportIndicator]
    blended: Point | None
    handoffs: HandoffCheck
    handoff_chart: str
    statements: list[str]
    open_alerts: list
    open_reviews: list
    recommendation: str | None
    generated_at: datetime

    @property
    def any_out_of_range(self) -> bool:
        return any(i.out_of_range for i in self.indicators.values())


def status_report_build(operation: Operation, *, through: date) -> StatusReport:
    board = dashboard_get(operation, end=through, days=LOOKBACK_DAYS, charts=False)
    items: dict[str, ReportIndicator] = {}
    for key in REPORT_KEYS:
        panel = board.panels[key]
        weekly = panel.points if key in WEEKLY_KEYS else weekly_points(panel.points, end=through)
        chart = small_multiple_svg(
            weekly,
            band_min=panel.band_min,
            band_max=panel.band_max,
            markers=panel.markers,
            title=panel.label,
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            weeks=WEEKS,
            end=through,
        )
        items[key] = ReportIndicator(panel, chart)
    handoff_chart = small_multiple_svg(
        board.handoffs.points,
        band_min=None,
        band_max=None,
        title="Missed handoffs",
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        weeks=WEEKS,
        end=through,
    )
    # Out-of-range indicators first: they are what the reader must act on.
    ordered = sorted(items.values(), key=lambda i: not i.out_of_range)
    statements = [i.panel.statement() for i in ordered]
    if board.feed_gap:
        statements.insert(0, board.feed_gap)
    return StatusReport(
        operation=operation,
        through=through,
        version=board.version,
        week_label=board.week_label,
        indicators=items,
        blended=board.blended,
        handoffs=board.handoffs,
        handoff_chart=handoff_chart,
        statements=statements,
        open_alerts=board.open_alerts,
        open_reviews=board.open_reviews,
        recommendation=_recommendation(operation),
        generated_at=timezone.now(),
    )


def _recommendation(operation: Operation) -> str | None:
    latest = reviewer_recommendation_latest(operation)
    return latest.summary if latest else None
