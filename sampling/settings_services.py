"""Changing the review settings in the app: the sampling plan's targeted rules, the rubric's
items and the "asked for a human" phrases (organization-wide, plus per operation).

The facilitator changes them; every change is audited in the trail of the operation whose
settings page it was made on (organization-wide changes say so in the summary).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from accounts.access import membership_can_manage_settings
from accounts.errors import PermissionDenied, StoplineError
from accounts.models import Membership
from criteria.models import Operation
from criteria.services import audit_record
from sampling.handoff_phrases import compile_phrase
from sampling.models import HandoffPhrases, Rubric, SamplingSettings
from sampling.rubric import VERDICT_KEY
from sampling.services import TARGETED_STRATA, rubric_for

# Items the scoring and the indicator rely on: their labels may change, they stay.
CORE_ITEMS = (VERDICT_KEY, "acceptable")
ADDABLE_TYPES = {
    "yes_no": "Yes / no",
    "yes_no_na": "Yes / no / not applicable",
    "flag": "Checkbox",
    "text": "Free text",
}
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _require(membership: Membership) -> None:
    if not membership_can_manage_settings(membership):
        raise PermissionDenied("Only the facilitator changes the review settings.")


def sampling_rules_set(
    *,
    operation: Operation,
    membership: Membership,
    targeted_share: float,
    targeted_strata: list[str],
    low_csat_max: int,
    long_turns: int,
    double_review_share: float,
    review_sla_days: int,
) -> SamplingSettings:
    """The plan's targeted rules and review switches; the next weekly draw uses them."""
    _require(membership)
    problems: dict[str, str] = {}
    if not 0 <= targeted_share <= 0.8:
        problems["targeted_share"] = "Between 0 and 80 %."
    if not 0 <= double_review_share <= 1:
        problems["double_review_share"] = "Between 0 and 100 %."
    if set(targeted_strata) - set(TARGETED_STRATA):
        problems["targeted_strata"] = "Unknown rule."
    if not 1 <= low_csat_max <= 4:
        problems["low_csat_max"] = "Between 1 and 4."
    if not 2 <= long_turns <= 500:
        problems["long_turns"] = "Between 2 and 500."
    if not 1 <= review_sla_days <= 60:
        problems["review_sla_days"] = "Between 1 and 60 days."
    if problems:
        raise StoplineError("Some values are out of bounds.", fields=problems)
    with transaction.atomic():
        settings, _ = SamplingSettings.objects.select_for_update().get_or_create(
            operation=operation
        )
        values: dict[str, Any] = {
            "targeted_share": targeted_share,
            "targeted_strata": [s for s in TARGETED_STRATA if s in targeted_strata],
            "low_csat_max": low_csat_max,
            "long_turns": long_turns,
            "double_review_share": double_review_share,
            "review_sla_days": review_sla_days,
        }
        before = {k: getattr(settings, k) for k in values}
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not changed:
            return settings
        for key, value in changed.items():
            setattr(settings, key, value)
        settings.save(update_fields=list(changed))
        audit_record(
            operation=operation,
            actor=membership.user,
            action="sampling_plan_changed",
            summary="Sampling plan changed: "
            + ", ".join(f"{k} {before[k]} → {v}" for k, v in changed.items()),
            detail={"before": {k: before[k] for k in changed}, "after": changed},
        )
    return settings


def _rubric_locked(operation: Operation) -> Rubric:
    rubric_for(operation.organization)
    return Rubric.objects.select_for_update().get(organization=operation.organization)


def _rubric_audit(operation: Operation, membership: Membership, summary: str, **detail) -> None:
    audit_record(
        operation=operation,
        actor=membership.user,
        action="rubric_changed",
        summary=f"Organization-wide rubric: {summary}",
        detail=detail,
    )


def rubric_item_label_set(
    *, operation: Operation, membership: Membership, key: str, label: str
) -> Rubric:
    _require(membership)
    label = label.strip()
    if not label:
        raise StoplineError("Give the item a label.", fields={"label": "required"})
    with transaction.atomic():
        rubric = _rubric_locked(operation)
        items = rubric.definition.get("items", [])
        item = next((i for i in items if i["key"] == key), None)
        if item is None:
            raise StoplineError(f"The rubric has no item {key!r}.", fields={"key": "unknown"})
        if item["label"] == label:
            return rubric
        before, item["label"] = item["label"], label[:200]
        rubric.save(update_fields=["definition", "updated_at"])
        _rubric_audit(operation, membership, f"“{before}” renamed “{item['label']}”", key=key)
    return rubric


def rubric_item_add(
    *, operation: Operation, membership: Membership, label: str, type: str
) -> Rubric:
    _require(membership)
    label = label.strip()
    if not label:
        raise StoplineError("Give the item a label.", fields={"label": "required"})
    if type not in ADDABLE_TYPES:
        raise StoplineError("Choose the item's type.", fields={"type": "invalid"})
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "item"
    with transaction.atomic():
        rubric = _rubric_locked(operation)
        items = rubric.definition.setdefault("items", [])
        keys = {i["key"] for i in items}
        key, n = base, 2
        while key in keys:
            key, n = f"{base}_{n}", n + 1
        item: dict[str, Any] = {"key": key, "type": type, "label": label[:200]}
        if type == "yes_no":
            item["optional"] = True  # scores recorded before it existed stay valid
        # Before the free-text note, which stays last on the review form.
        position = next((i for i, it in enumerate(items) if it["type"] == "text"), len(items))
        items.insert(position, item)
        rubric.save(update_fields=["definition", "updated_at"])
        _rubric_audit(operation, membership, f"item “{label}” ({type}) added", key=key)
    return rubric


def rubric_item_remove(*, operation: Operation, membership: Membership, key: str) -> Rubric:
    _require(membership)
    if key in CORE_ITEMS:
        raise StoplineError(
            "The handoff verdict and “acceptable overall” are what the review score is made "
            "of: rename them, but they stay.",
            fields={"key": "core"},
        )
    with transaction.atomic():
        rubric = _rubric_locked(operation)
        items = rubric.definition.get("items", [])
        item = next((i for i in items if i["key"] == key), None)
        if item is None:
            raise StoplineError(f"The rubric has no item {key!r}.", fields={"key": "unknown"})
        items.remove(item)
        rubric.save(update_fields=["definition", "updated_at"])
        _rubric_audit(operation, membership, f"item “{item['label']}” removed", key=key)
    return rubric


def phrases_parse(text: str) -> dict[str, list[str]]:
    """Lines of `language: phrase` (data-file syntax: `(agent|human)`, `please?`) into
    {language: [phrases]}; raises StoplineError naming the first bad line."""
    out: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        language, sep, phrase = line.partition(":")
        language, phrase = language.strip().lower(), phrase.strip()
        if not sep or not LANGUAGE.match(language):
            raise StoplineError(
                f"Line {number}: write `language: phrase`, e.g. `sv: prata med en människa`.",
                fields={"phrases": f"line {number}"},
            )
        try:
            compile_phrase(phrase)
        except ValueError as exc:
            raise StoplineError(
                f"Line {number}: {exc}.", fields={"phrases": f"line {number}"}
            ) from exc
        bucket = out.setdefault(language, [])
        if phrase not in bucket:
            bucket.append(phrase)
    return out


def phrases_text(phrases: dict[str, list[str]]) -> str:
    return "\n".join(f"{lang}: {p}" for lang in sorted(phrases) for p in phrases[lang])


def handoff_phrases_set(
    *, operation: Operation, membership: Membership, scope: str, text: str
) -> dict[str, list[str]]:
    """Replace the organization's phrases (scope "organization") or this operation's
    additions (scope "operation")."""
    _require(membership)
    phrases = phrases_parse(text)
    count = sum(len(v) for v in phrases.values())
    with transaction.atomic():
        if scope == "organization":
            row, _ = HandoffPhrases.objects.select_for_update().get_or_create(
                organization=operation.organization
            )
            before = row.phrases
            row.phrases = phrases
            row.save(update_fields=["phrases", "updated_at"])
            summary = f"Organization-wide “asked for a human” phrases set ({count})"
        elif scope == "operation":
            row, _ = SamplingSettings.objects.select_for_update().get_or_create(operation=operation)
            before = row.extra_handoff_phrases
            row.extra_handoff_phrases = phrases
            row.save(update_fields=["extra_handoff_phrases"])
            summary = f"This operation's additional “asked for a human” phrases set ({count})"
        else:
            raise StoplineError("Unknown scope.", fields={"scope": "invalid"})
        if before != phrases:
            audit_record(
                operation=operation,
                actor=membership.user,
                action="handoff_phrases_changed",
                summary=summary,
                detail={"scope": scope, "before": before, "after": phrases},
            )
    return phrases
