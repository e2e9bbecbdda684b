"""CSV exports that a spreadsheet cannot turn into formulas (CSV/formula injection).

A cell that starts with = + - @ (or a tab or carriage return) is run as a formula by Excel,
LibreOffice and Google Sheets; such text cells get a leading apostrophe, which spreadsheets
show as plain text. Every CSV export writes its rows through `csv_safe_row`.
"""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe_row(row: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in row]


class SafeWriter:
    """csv.writer whose writerow escapes formula cells."""

    def __init__(self, fileobj: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(fileobj, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(csv_safe_row(row))
