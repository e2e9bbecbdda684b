from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.filter
def pct(value: Decimal | None) -> str:
    """A fraction as a percentage for form fields (0.085 -> 8.5); empty when unset."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:g}"
