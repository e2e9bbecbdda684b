"""ISO weeks, the cadence of sampling, review scores, recommendations and the digest."""

from datetime import date, timedelta

from accounts.errors import StoplineError


def week_parse(week: str) -> tuple[str, date]:
    """``2025-W14`` -> (``2025-W14``, its Monday). Raises StoplineError otherwise."""
    try:
        year_text, number_text = week.strip().upper().split("-W")
        monday = date.fromisocalendar(int(year_text), int(number_text), 1)
    except ValueError as exc:
        raise StoplineError(f"{week!r} is not an ISO week like 2025-W14.") from exc
    return week_label(monday), monday


def week_label(day: date) -> str:
    """The ISO week of ``day``, e.g. ``2026-W48``."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def week_start_of(day: date) -> date:
    """The Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.weekday())
