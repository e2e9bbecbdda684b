"""The flags an operation publishes over OFREP, evaluated from its guardrail state."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from criteria.models import Operation
from guardrails.caution import caution_reasons
from guardrails.models import Pause, Segment

AI_HANDLING_SIMPLE = "ai-handling-simple"
AI_HANDLING_COMPLEX = "ai-handling-complex"
HANDOFF_MODE = "handoff-mode"
FLAG_KEYS = (AI_HANDLING_SIMPLE, AI_HANDLING_COMPLEX, HANDOFF_MODE)
FLAG_HELP = {
    AI_HANDLING_SIMPLE: "false while a pause stands for simple cases (or all conversations)",
    AI_HANDLING_COMPLEX: "false while a pause stands for complex cases (or all conversations)",
    HANDOFF_MODE: "'cautious' while an alert on the human-escalation rate is open, else 'normal'",
}


@dataclass(frozen=True)
class FlagValue:
    key: str
    value: bool | str
    variant: str
    reason: str = "STATIC"  # the same value for every conversation of the operation
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_ofrep(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "reason": self.reason,
            "variant": self.variant,
            "metadata": self.metadata,
        }


def standing_pauses(operation: Operation) -> dict[str, Pause]:
    return {p.segment: p for p in Pause.objects.filter(operation=operation, ended_at__isnull=True)}


def _handling(key: str, segment: str, pauses: dict[str, Pause]) -> FlagValue:
    pause = pauses.get(segment) or pauses.get(Segment.ALL)
    if pause is None:
        return FlagValue(
            key, True, "on", metadata={"explanation": f"No pause stands for {segment} cases."}
        )
    return FlagValue(
        key,
        False,
        "paused",
        metadata={
            "explanation": (
                f"Paused for {Segment(pause.segment).label.lower()} since "
                f"{pause.started_at:%Y-%m-%d %H:%M} UTC by {pause.started_by_name} "
                f"({pause.get_source_display().lower()}): {pause.reason}"
            )[:500],
            "pausedSince": pause.started_at.isoformat(),
            "pausedBy": pause.started_by_name,
            "pauseSource": pause.source,
        },
    )


def flags_evaluate(operation: Operation) -> dict[str, FlagValue]:
    """Every flag of the operation, in FLAG_KEYS order."""
    pauses = standing_pauses(operation)
    reasons = caution_reasons(operation)
    mode = (
        FlagValue(
            HANDOFF_MODE, "cautious", "cautious", metadata={"explanation": "; ".join(reasons)}
        )
        if reasons
        else FlagValue(
            HANDOFF_MODE,
            "normal",
            "normal",
            metadata={"explanation": "No alert on the human-escalation rate is open."},
        )
    )
    return {
        AI_HANDLING_SIMPLE: _handling(AI_HANDLING_SIMPLE, Segment.SIMPLE, pauses),
        AI_HANDLING_COMPLEX: _handling(AI_HANDLING_COMPLEX, Segment.COMPLEX, pauses),
        HANDOFF_MODE: mode,
    }


def flags_etag(flags: dict[str, FlagValue]) -> str:
    """A strong ETag of the evaluated flags: it changes exactly when an answer changes."""
    data = json.dumps([f.as_ofrep() for f in flags.values()], sort_keys=True, default=str)
    return '"' + hashlib.sha256(data.encode("utf-8")).hexdigest()[:32] + '"'
