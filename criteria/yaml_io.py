"""Criteria as code: the FORMATS.md §3 document, parsed, validated and exported."""

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.utils.text import slugify

from accounts.errors import StoplineError
from criteria.models import CriteriaVersion
from criteria.validation import clean_target, shown

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_SLUG_CHARS = 100


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases.

    A criteria page never needs them, and aliases let a few hundred bytes expand into a
    structure too large to validate or print ("billion laughs").
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def parse_document(text: str | bytes) -> dict[str, Any]:
    """YAML or JSON text to a mapping, with a readable error."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    if len(text) > MAX_DOCUMENT_BYTES:
        raise StoplineError("The criteria file is larger than 256 KB.")
    try:
        text = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StoplineError("The criteria file is not UTF-8 text.") from exc
    if text.lstrip().startswith("{"):
        # JSON is nearly YAML, but not when it is indented with tabs; read it as JSON.
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StoplineError(
                f"The criteria file is not valid JSON at line {exc.lineno}, column "
                f"{exc.colno}: {exc.msg}."
            ) from exc
        except RecursionError as exc:
            raise StoplineError("The criteria file is nested too deeply.") from exc
        return _require_mapping(data)
    try:
        data = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise StoplineError(f"The criteria file is not valid YAML{where}: {problem}.") from exc
    except RecursionError as exc:
        raise StoplineError("The criteria file is nested too deeply.") from exc
    except (ValueError, TypeError, OverflowError) as exc:
        # Raised by value constructors, e.g. for 2025-13-45, which looks like a date.
        raise StoplineError(f"The criteria file has a value YAML cannot read: {exc}.") from exc
    return _require_mapping(data)


def _require_mapping(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise StoplineError(
            "The criteria file must be a mapping with operation, title and indicators."
        )
    return data


def clean_document(data: dict[str, Any], *, departments: set[str]) -> dict[str, Any]:
    slug = data.get("operation")
    if not isinstance(slug, str) or not slug or slugify(slug) != slug or len(slug) > MAX_SLUG_CHARS:
        raise StoplineError(
            f"operation: {shown(slug)} is not a valid slug (lowercase letters, digits and "
            f"dashes, at most {MAX_SLUG_CHARS} characters).",
            fields={"operation": "invalid slug"},
        )
    title = data.get("title") or slug
    if not isinstance(title, str | int | float):
        raise StoplineError(
            f"title: expected text, got {shown(title)}.", fields={"title": "not text"}
        )
    tz = data.get("timezone") or "UTC"
    try:
        if not isinstance(tz, str):
            raise ValueError(tz)
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise StoplineError(
            f"timezone: unknown time zone {shown(tz)}.", fields={"timezone": "unknown"}
        ) from exc
    go_live = data.get("go_live")
    if isinstance(go_live, datetime):
        raise StoplineError(
            "go_live: expected a date (YYYY-MM-DD), not a date and time.",
            fields={"go_live": "not a date"},
        )
    if isinstance(go_live, str):
        try:
            go_live = date.fromisoformat(go_live)
        except ValueError as exc:
            raise StoplineError(
                f"go_live: {shown(go_live)} is not a date (YYYY-MM-DD).",
                fields={"go_live": "not a date"},
            ) from exc
    elif go_live is not None and not isinstance(go_live, date):
        raise StoplineError(
            "go_live: expected a date (YYYY-MM-DD).", fields={"go_live": "not a date"}
        )
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        raise StoplineError(
            "indicators: expected a list of indicators.", fields={"indicators": "required"}
        )
    cleaned = [
        clean_target(item, prefix=f"indicators[{i}]", departments=departments)
        for i, item in enumerate(indicators)
    ]
    seen: set[str] = set()
    for i, item in enumerate(cleaned):
        if item["key"] in seen:
            raise StoplineError(
                f"indicators[{i}].key: {item['key']} appears twice.",
                fields={f"indicators[{i}].key": "duplicate"},
            )
        seen.add(item["key"])
    return {
        "operation": slug,
        "title": str(title)[:200],
        "timezone": str(tz),
        "go_live": go_live,
        "indicators": cleaned,
    }


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def version_to_document(version: CriteriaVersion) -> dict[str, Any]:
    operation = version.operation
    indicators = []
    for t in version.targets_in_order():
        rng = {
            k: v
            for k, v in (("min", _num(t.range_min)), ("max", _num(t.range_max)))
            if v is not None
        }
        trigger: dict[str, Any] = {"rule": t.rule}
        if t.for_days:
            trigger["for_days"] = t.for_days
        if t.window_days:
            trigger["window_days"] = t.window_days
        trigger["owner"] = t.owner.key
        trigger["review_within_days"] = t.review_within_days
        trigger["action"] = t.action
        if t.recipients:
            trigger["recipients"] = list(t.recipients)
        item: dict[str, Any] = {"key": t.key, "range": rng}
        if t.sampling_per_week is not None or t.sampling_complex_share is not None:
            item["sampling"] = {
                k: v
                for k, v in (
                    ("per_week", t.sampling_per_week),
                    ("complex_share", _num(t.sampling_complex_share)),
                )
                if v is not None
            }
        item["trigger"] = trigger
        indicators.append(item)
    doc: dict[str, Any] = {
        "operation": operation.slug,
        "title": operation.title,
        "timezone": operation.timezone,
        "go_live": operation.go_live.isoformat() if operation.go_live else None,
        "version": version.number,
        "status": version.status,
        "content_sha256": version.content_hash,
        "indicators": indicators,
    }
    if version.is_agreed:
        doc["signatures"] = [
            {
                "department": s.department.key,
                "name": s.printed_name,
                "signed_at": s.signed_at.isoformat(),
                "meaning": s.meaning,
            }
            for s in version.signatures.select_related("department")
        ]
    return doc


def version_to_yaml(version: CriteriaVersion) -> str:
    return yaml.safe_dump(
        version_to_document(version), sort_keys=False, allow_unicode=True, width=100
    )
