"""Template tags of the metrics app: the workshop board's backtest line."""

from django import template

from criteria.models import Operation
from criteria.services import version_latest
from metrics.detection.evaluate import backtest_count
from metrics.detection.indicators import indicator_series

register = template.Library()


@register.inclusion_tag("metrics/partials/_backtest.html")
def backtest(operation: Operation, key: str) -> dict:
    """'On the pilot data this range would have fired N times' for the latest (draft)
    version's trigger on ``key``; nothing when the operation has no data for it yet.

    Reads only (a backtest writes nothing). The version and the series are read once per
    operation object, so a board of four indicators does not read them four times.
    """
    cached = getattr(operation, "_backtest_cache", None)
    if cached is None:
        cached = (version_latest(operation), indicator_series(operation))
        operation._backtest_cache = cached
    version, series = cached
    if version is None:
        return {"count": None}
    count = backtest_count(operation=operation, version=version, indicator=key, series=series)
    return {"count": count, "version": version, "key": key}
