"""Detection: from stored data to "is this indicator drifting?". Reads only; writes nothing.

Owns the pure statistics (``stats``: Wilson intervals, EWMA/CUSUM calibration), the detectors
(``detectors``: outside_range, change_detected, no_data, case mix), the indicator series read
from the daily aggregates (``indicators``), and the evaluation of a criteria version's checks
over those series, which backtests use as they are (``evaluate``).

May import: accounts, criteria, metrics' base and metrics.ingest. Nothing from alerts or
reporting.
"""
