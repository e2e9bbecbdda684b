"""Shape and range checks for criteria content, shared by forms, the API and YAML import.

Errors name the field (e.g. ``indicators[1].range.max``) so a person can fix the input.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.errors import StoplineError
from criteria.models import IndicatorKey, TriggerRule

INDICATOR_KEYS = {k.value for k in IndicatorKey}
RULES = {r.value for r in TriggerRule}
TRIGGER_FIELDS = {
    "rule",
    "for_days",
    "window_days",
    "owner",
    "review_within_days",
    "action",
    "recipients",
}
SAMPLING_FIELDS = {"per_week", "complex_share"}
MAX_ACTION_CHARS = 4000


def shown(value: Any) -> str:
    """A short, safe rendering of user input for an error message.

    Only scalars are shown: the repr of a nested structure (think YAML aliases) can be huge.
    """
    if isinstance(value, str | int | float | Decimal) or value is None:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__}"


def _rejoin_flow_action(trig: dict[Any, Any]) -> dict[Any, Any]:
    """Undo YAML splitting an unquoted action at its commas inside `{...}`.

    FORMATS.md §3's own example writes `action: Decision meeting - continue, adjust or
    pause.` in a flow mapping, which YAML reads as `action: "Decision meeting - continue"`
    plus keys `adjust or pause.` with no value. Keys that come after `action`, have no value
    and are not trigger fields are the rest of the sentence: join them back.
    """
    if not isinstance(trig.get("action"), str):
        return trig
    keys = list(trig)
    tail = keys[keys.index("action") + 1 :]
    orphans = [
        k for k in tail if isinstance(k, str) and k not in TRIGGER_FIELDS and trig[k] is None
    ]
    if not orphans:
        return trig
    fixed = {k: v for k, v in trig.items() if k not in orphans}
    fixed["action"] = ", ".join([trig["action"], *orphans])
    return fixed


def _unknown_fields(data: dict[Any, Any], allowed: set[str], field: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        hint = ""
        if any(data[k] is None for k in data if k not in allowed):
            # `{action: Stop, then call}` parses as action "Stop" plus a field "then call".
            hint = " (inside {...}, a comma ends a value: put text with commas in quotes)"
        raise StoplineError(
            f"{field}: unknown field(s) {', '.join(shown(k) for k in unknown)}; expected "
            f"{', '.join(sorted(allowed))}{hint}.",
            fields={field: "unknown field"},
        )


def parse_fraction(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise StoplineError(
            f"{field}: expected a fraction between 0 and 1, got {shown(value)}.",
            fields={field: "not a number"},
        )
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise StoplineError(
            f"{field}: expected a fraction between 0 and 1, got {shown(value)}.",
            fields={field: "not a number"},
        ) from exc
    if not number.is_finite() or number < 0 or number > 1:
        raise StoplineError(
            f"{field}: {shown(value)} is outside 0-1 (ranges are fractions: 0.25 means 25 %).",
            fields={field: "must be between 0 and 1"},
        )
    return number.quantize(Decimal("0.0001"))


def parse_positive_int(value: Any, field: str, *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise StoplineError(f"{field} is required.", fields={field: "required"})
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise StoplineError(
            f"{field}: expected a whole number, got {shown(value)}.",
            fields={field: "not a number"},
        )
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        raise StoplineError(
            f"{field}: expected a whole number, got {shown(value)}.",
            fields={field: "not a number"},
        ) from exc
    if number < 1 or number > 3650:
        raise StoplineError(
            f"{field}: {number} must be between 1 and 3650.", fields={field: "out of bounds"}
        )
    return number


def check_range(
    range_min: Decimal | None, range_max: Decimal | None, prefix: str = "range"
) -> None:
    if range_min is None and range_max is None:
        raise StoplineError(
            f"{prefix}: give at least one of min and max.", fields={prefix: "min or max required"}
        )
    if range_min is not None and range_max is not None and range_max < range_min:
        raise StoplineError(
            f"{prefix}.max ({range_max}) is below {prefix}.min ({range_min}).",
            fields={f"{prefix}.max": "must not be below min"},
        )


def clean_target(data: dict[str, Any], *, prefix: str, departments: set[str]) -> dict[str, Any]:
    """Validate one indicator (the FORMATS.md §3 shape) and return model field values."""
    if not isinstance(data, dict):
        raise StoplineError(f"{prefix}: expected a mapping.", fields={prefix: "not a mapping"})
    key = data.get("key")
    if not isinstance(key, str) or key not in INDICATOR_KEYS:
        raise StoplineError(
            f"{prefix}.key: unknown indicator {shown(key)}; expected one of "
            f"{', '.join(sorted(INDICATOR_KEYS))}.",
            fields={f"{prefix}.key": "unknown indicator"},
        )
    rng = data.get("range")
    if not isinstance(rng, dict):
        raise StoplineError(
            f"{prefix}.range: expected {{min: ..., max: ...}}.",
            fields={f"{prefix}.range": "required"},
        )
    _unknown_fields(rng, {"min", "max"}, f"{prefix}.range")
    range_min = parse_fraction(rng.get("min"), f"{prefix}.range.min")
    range_max = parse_fraction(rng.get("max"), f"{prefix}.range.max")
    check_range(range_min, range_max, f"{prefix}.range")

    trig = data.get("trigger")
    if not isinstance(trig, dict):
        raise StoplineError(
            f"{prefix}.trigger: expected a mapping with rule, owner, review_within_days, action.",
            fields={f"{prefix}.trigger": "required"},
        )
    trig = _rejoin_flow_action(trig)
    _unknown_fields(trig, TRIGGER_FIELDS, f"{prefix}.trigger")
    rule = trig.get("rule")
    if not isinstance(rule, str) or rule not in RULES:
        raise StoplineError(
            f"{prefix}.trigger.rule: unknown rule {shown(rule)}; expected one of "
            f"{', '.join(sorted(RULES))}.",
            fields={f"{prefix}.trigger.rule": "unknown rule"},
        )
    for_days = parse_positive_int(trig.get("for_days"), f"{prefix}.trigger.for_days")
    window_days = parse_positive_int(trig.get("window_days"), f"{prefix}.trigger.window_days")
    if rule == TriggerRule.OUTSIDE_RANGE and for_days and window_days:
        raise StoplineError(
            f"{prefix}.trigger: give for_days or window_days, not both.",
            fields={f"{prefix}.trigger.window_days": "conflicts with for_days"},
        )
    if rule == TriggerRule.OUTSIDE_RANGE and not (for_days or window_days):
        for_days = 1
    if rule == TriggerRule.NO_DATA and not for_days:
        raise StoplineError(
            f"{prefix}.trigger.for_days: the no_data rule needs for_days.",
            fields={f"{prefix}.trigger.for_days": "required"},
        )
    owner = trig.get("owner")
    if not isinstance(owner, str) or owner not in departments:
        raise StoplineError(
            f"{prefix}.trigger.owner: unknown department {shown(owner)}; expected one of "
            f"{', '.join(sorted(departments))}.",
            fields={f"{prefix}.trigger.owner": "unknown department"},
        )
    review_days = parse_positive_int(
        trig.get("review_within_days"), f"{prefix}.trigger.review_within_days", required=True
    )
    recipients = trig.get("recipients") or []
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise StoplineError(
            f"{prefix}.trigger.recipients: expected a list of e-mail addresses.",
            fields={f"{prefix}.trigger.recipients": "not a list"},
        )
    for r in recipients:
        if "@" not in r:
            raise StoplineError(
                f"{prefix}.trigger.recipients: {shown(r)} is not an e-mail address.",
                fields={f"{prefix}.trigger.recipients": "not an e-mail address"},
            )
    action = trig.get("action")
    if action is not None and not isinstance(action, str | int | float):
        raise StoplineError(
            f"{prefix}.trigger.action: expected text, got {shown(action)}.",
            fields={f"{prefix}.trigger.action": "not text"},
        )
    action = str(action or "").strip()
    if len(action) > MAX_ACTION_CHARS:
        raise StoplineError(
            f"{prefix}.trigger.action: {len(action)} characters; at most {MAX_ACTION_CHARS}.",
            fields={f"{prefix}.trigger.action": "too long"},
        )
    sampling = data.get("sampling") or {}
    if not isinstance(sampling, dict):
        raise StoplineError(
            f"{prefix}.sampling: expected {{per_week, complex_share}}.",
            fields={f"{prefix}.sampling": "not a mapping"},
        )
    _unknown_fields(sampling, SAMPLING_FIELDS, f"{prefix}.sampling")
    return {
        "key": key,
        "range_min": range_min,
        "range_max": range_max,
        "rule": rule,
        "for_days": for_days if rule != TriggerRule.CHANGE_DETECTED else None,
        "window_days": window_days if rule == TriggerRule.OUTSIDE_RANGE else None,
        "owner": owner,
        "action": action,
        "review_within_days": review_days,
        "recipients": sorted(recipients),
        "sampling_per_week": parse_positive_int(
            sampling.get("per_week"), f"{prefix}.sampling.per_week"
        ),
        "sampling_complex_share": parse_fraction(
            sampling.get("complex_share"), f"{prefix}.sampling.complex_share"
        ),
    }
