"""Criteria as code: the FORMATS.md §3 document, parsed, validated and exported."""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django.utils.text import slugify

from accounts.errors import StoplineError
from criteria.models import CriteriaVersion
from criteria.validation import clean_target

MAX_DOCUMENT_BYTES = 256 * 1024


def parse_document(text: str | bytes) -> dict[str, Any]:
    """YAML (or JSON, which is YAML) text to a mapping, with a readable error."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise StoplineError("The criteria file is larger than 256 KB.")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StoplineError("The criteria file is not UTF-8 text.") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise StoplineError(f"The criteria file is not valid YAML{where}: {problem}.") from exc
    if not isinstance(data, dict):
        raise StoplineError(
            "The criteria file must be a mapping with operation, title and indicators."
        )
    return data


def clean_document(data: dict[str, Any], *, departments: set[str]) -> dict[str, Any]:
    slug = data.get("operation")
    if not isinstance(slug, str) or not slug or slugify(slug) != slug:
        raise StoplineError(
            f"operation: {slug!r} is not a valid slug (lowercase letters, digits and dashes).",
            fields={"operation": "invalid slug"},
        )
    title = data.get("title") or slug
    tz = data.get("timezone") or "UTC"
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise StoplineError(
            f"timezone: unknown time zone {tz!r}.", fields={"timezone": "unknown"}
        ) from exc
    go_live = data.get("go_live")
    if isinstance(go_live, str):
        try:
            go_live = date.fromisoformat(go_live)
        except ValueError as exc:
            raise StoplineError(
                f"go_live: {go_live!r} is not a date (YYYY-MM-DD).",
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
