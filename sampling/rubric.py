"""The review rubric: the default definition and checking a reviewer's answers against one.

A rubric is a list of items. Item types:

- ``verdict``: the handoff verdict, one of :class:`sampling.models.HandoffVerdict` (required);
- ``yes_no``: "yes" or "no" (required unless ``optional``);
- ``yes_no_na``: "yes", "no" or "na"; N/A (or no answer) leaves the item's denominator;
- ``integer``: a number >= 1 or empty (the turn where a handoff became warranted);
- ``flag``: a checkbox, "yes" when ticked, "no" otherwise;
- ``text``: free text.

``critical: true`` on a yes/no item means the answer ``fail_on`` (default "yes") fails the
whole conversation: it is then not acceptable, whatever the reviewer ticked overall.
``key`` letters are the keyboard shortcuts of the queue page (see static/js/review.js).
"""

from copy import deepcopy
from typing import Any

from accounts.errors import StoplineError

YES, NO, NA = "yes", "no", "na"
VERDICT_KEY = "handoff_verdict"

DEFAULT_RUBRIC: dict[str, Any] = {
    "version": 1,
    "items": [
        {
            "key": VERDICT_KEY,
            "type": "verdict",
            "label": "Handoff verdict",
            "keys": ["1", "2", "3", "4"],
        },
        {
            "key": "handoff_turn",
            "type": "integer",
            "label": "Turn where a handoff became warranted (if any)",
        },
        {
            "key": "handoff_broken",
            "type": "flag",
            "label": "A handoff was attempted but broken",
            "shortcut": "b",
        },
        {
            "key": "no_path_to_human",
            "type": "yes_no",
            "label": "The customer asked for a human and was given no path",
            "critical": True,
            "fail_on": YES,
            "shortcut": "p",
        },
        {
            "key": "harmful_information",
            "type": "yes_no",
            "label": "Wrong information about money, law, health or safety",
            "critical": True,
            "fail_on": YES,
            "shortcut": "w",
        },
        {
            "key": "understood",
            "type": "yes_no_na",
            "label": "Understood the customer",
            "shortcut": "u",
        },
        {"key": "resolved", "type": "yes_no_na", "label": "Resolved the request", "shortcut": "r"},
        {
            "key": "tone",
            "type": "yes_no_na",
            "label": "Tone appropriate to the customer's state",
            "shortcut": "t",
        },
        {
            "key": "acceptable",
            "type": "yes_no",
            "label": "Acceptable overall",
            "keys": ["y", "n"],
        },
        {
            "key": "compliance_flag",
            "type": "flag",
            "label": "Compliance concern for legal",
            "shortcut": "c",
        },
        {"key": "note", "type": "text", "label": "Note"},
    ],
}

# Items whose agreement between two reviewers is measured (categorical answers).
AGREEMENT_TYPES = ("verdict", "yes_no", "yes_no_na", "flag")


def default_definition() -> dict[str, Any]:
    return deepcopy(DEFAULT_RUBRIC)


def _one_of(key: str, value: Any, allowed: tuple[str, ...], *, required: bool) -> str | None:
    text = str(value).strip().lower() if value is not None else ""
    if not text:
        if required:
            raise StoplineError(f"{key}: is required.", fields={key: "required"})
        return None
    if text not in allowed:
        raise StoplineError(
            f"{key}: {text!r} is not one of {', '.join(allowed)}.", fields={key: "invalid"}
        )
    return text


def answers_clean(definition: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Check answers against the rubric; returns one normalised value per item.

    N/A and unanswered optional items are stored as "na" / None. Raises StoplineError naming
    the item for a missing or invalid answer.
    """
    from sampling.models import HandoffVerdict

    clean: dict[str, Any] = {}
    for item in definition.get("items", []):
        key, kind = item["key"], item["type"]
        value = raw.get(key)
        if kind == "verdict":
            clean[key] = _one_of(key, value, tuple(HandoffVerdict.values), required=True)
        elif kind == "yes_no":
            clean[key] = _one_of(key, value, (YES, NO), required=not item.get("optional"))
        elif kind == "yes_no_na":
            clean[key] = _one_of(key, value, (YES, NO, NA), required=False) or NA
        elif kind == "flag":
            clean[key] = YES if str(value).strip().lower() in ("yes", "on", "true", "1") else NO
        elif kind == "integer":
            text = str(value).strip() if value is not None else ""
            if not text:
                clean[key] = None
            elif not text.isdigit() or int(text) < 1:
                raise StoplineError(f"{key}: give a turn number of 1 or more.", fields={key: ""})
            else:
                clean[key] = int(text)
        elif kind == "text":
            clean[key] = str(value or "").strip()[:5000]
    return clean


def critical_failed(definition: dict[str, Any], answers: dict[str, Any]) -> bool:
    return any(
        item.get("critical") and answers.get(item["key"]) == item.get("fail_on", YES)
        for item in definition.get("items", [])
    )


def agreement_items(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in definition.get("items", []) if i["type"] in AGREEMENT_TYPES]
