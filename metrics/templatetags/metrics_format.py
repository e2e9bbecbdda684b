"""Formatting filters for the dashboard and the status PDF."""

from django import template

from criteria.formatting import percent

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal: 0.1234 -> "12.3 %"."""
    return percent(value)
