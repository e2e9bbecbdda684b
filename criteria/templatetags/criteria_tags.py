from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

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


@register.simple_tag
def operation_nav(operation: Any, membership: Any) -> SafeString:
    """The operation's navigation (12 links on every page of an operation)."""
    is_reviewer = getattr(membership, "role", None) == "senior_reviewer"
    return _operation_nav(operation.slug, is_reviewer)


@lru_cache(maxsize=1024)
def _operation_nav(slug: str, is_reviewer: bool) -> SafeString:
    """Reversing its URLs cost ~0.3 ms a page; they depend only on the slug and one role (no
    data, nothing of the reader), and the URLconf does not change while a process runs."""
    role = "senior_reviewer" if is_reviewer else ""
    context = {"operation": {"slug": slug}, "membership": {"role": role}}
    return mark_safe(render_to_string("criteria/_operation_nav_links.html", context))  # noqa: S308
