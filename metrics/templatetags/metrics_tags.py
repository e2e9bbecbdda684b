"""Template tags of the metrics app: the workshop board's backtest line."""

from django import template
from django.conf import settings
from django.core.cache import cache

from config.freshness import operation_version
from criteria.models import INDICATOR_ORDER, Operation
from criteria.services import version_latest
from metrics.detection.evaluate import backtest_count
from metrics.detection.indicators import indicator_series

register = template.Library()


def backtests(operation: Operation) -> tuple[int | None, dict[str, int | None]]:
    """(latest version's number, {indicator: times it would have fired}) for the board.

    Reads a year of data and runs every detector, so it is computed once per operation and
    data version (config/freshness.py) and cached: 20 people polling the board during a
    workshop do not rerun it. Memoised on the operation object too, for the four rows of one
    request.
    """
    found = getattr(operation, "_backtests", None)
    if found is not None:
        return found
    key = f"backtest:{operation.pk}:{operation_version(operation.pk)}"
    found = cache.get(key)
    if found is None:
        version = version_latest(operation)
        counts: dict[str, int | None] = {}
        if version is not None:
            series = indicator_series(operation)
            counts = {
                k: backtest_count(operation=operation, version=version, indicator=k, series=series)
                for k in INDICATOR_ORDER
            }
        found = (None if version is None else version.number, counts)
        cache.set(key, found, settings.STOPLINE_PAGE_CACHE_SECONDS)
    operation._backtests = found
    return found


@register.inclusion_tag("metrics/partials/_backtest.html")
def backtest(operation: Operation, key: str) -> dict:
    """'On the pilot data this range would have fired N times' for the latest (draft)
    version's trigger on ``key``; nothing when the operation has no data for it yet.

    Reads only (a backtest writes nothing).
    """
    number, counts = backtests(operation)
    return {"count": counts.get(key), "version_number": number, "key": key}
