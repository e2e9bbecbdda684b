"""The redacting transcript store that ingestion hands transcripts to (metrics/transcripts.py).

Registered in ``SamplingConfig.ready()``: metrics calls it without importing sampling.
``prepare`` runs on every accepted row before anything is written: it redacts the messages
(unless the operation turned redaction off in its SamplingSettings), counts turns and detects
"asked for a human" and looping; only its output is kept. ``store`` upserts the Transcript rows
inside the ingestion chunk's transaction.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accounts.redaction import KINDS, redact
from criteria.models import Operation
from sampling.handoff_phrases import conversation_asked_for_human, normalise, phrases_merged
from sampling.models import HandoffPhrases, SamplingSettings, Transcript

# Looping: the customer sends the same text (at least LOOP_MIN_CHARS once normalised) twice,
# or the AI the same reply three times. (Bots reuse a template line twice routinely: "Please
# provide your name." after a typo is not a loop.)
LOOP_MIN_CHARS = 12
LOOP_REPEATS = {"customer": 2, "ai": 3}


@dataclass
class PreparedTranscript:
    messages: list[dict[str, Any]]
    redacted: bool
    counts: dict[str, int] = field(default_factory=dict)
    asked_for_human: bool = False
    turns: int = 0
    looping: bool = False
    language: str = ""


def handoff_phrases_for(operation: Operation) -> dict[str, list[str]]:
    """The organization's "asked for a human" phrases plus the operation's additions."""
    org = HandoffPhrases.objects.filter(organization_id=operation.organization_id).first()
    return phrases_merged(org.phrases if org else {}, settings_for(operation).extra_handoff_phrases)


def settings_for(operation: Operation) -> SamplingSettings:
    """The operation's settings, or unsaved defaults when it has none."""
    try:
        return operation.sampling_settings
    except SamplingSettings.DoesNotExist:
        return SamplingSettings(operation=operation)


def is_looping(messages: list[dict[str, Any]]) -> bool:
    seen: Counter[tuple[str, str]] = Counter()
    for message in messages:
        if message.get("role") not in ("customer", "ai"):
            continue
        text = normalise(message.get("text") or "")
        if len(text) >= LOOP_MIN_CHARS:
            seen[(message["role"], text)] += 1
    return any(n >= LOOP_REPEATS[role] for (role, _), n in seen.items())


def transcript_prepare(
    messages: list[dict[str, Any]],
    *,
    language: str,
    redact_text: bool = True,
    extra_phrases: dict[str, list[str]] | None = None,
) -> PreparedTranscript:
    """Redact (first) and describe one transcript; nothing raw is returned."""
    counts = dict.fromkeys(KINDS, 0)
    kept: list[dict[str, Any]] = []
    for message in messages:
        text = message.get("text") or ""
        if redact_text:
            text, found = redact(text)
            for kind, n in found.items():
                counts[kind] += n
        item = {"role": message["role"], "text": text}
        if isinstance(message.get("at"), str):
            item["at"] = message["at"]
        kept.append(item)
    # Detection runs on the redacted text: placeholders never look like a request for a human.
    return PreparedTranscript(
        messages=kept,
        redacted=redact_text,
        counts=counts,
        asked_for_human=conversation_asked_for_human(kept, language or None, extra_phrases),
        turns=len(kept),
        looping=is_looping(kept),
        language=language,
    )


class TranscriptStore:
    """The sink metrics' ingester talks to, for one operation and run."""

    def __init__(self, operation: Operation) -> None:
        settings = settings_for(operation)
        self.redact = settings.redact_transcripts
        self.extra = handoff_phrases_for(operation) or None

    def prepare(self, messages: list[dict[str, Any]], *, language: str) -> PreparedTranscript:
        return transcript_prepare(
            messages, language=language, redact_text=self.redact, extra_phrases=self.extra
        )

    def store(self, prepared: dict[int, PreparedTranscript]) -> None:
        """Upsert; a transcript sent again unchanged is not rewritten (re-ingesting the same
        file changes nothing)."""
        current = {
            pk: (messages, redacted)
            for pk, messages, redacted in Transcript.objects.filter(
                conversation_id__in=list(prepared)
            ).values_list("conversation_id", "messages", "redacted")
        }
        prepared = {
            pk: t for pk, t in prepared.items() if current.get(pk) != (t.messages, t.redacted)
        }
        rows = [
            Transcript(
                conversation_id=pk,
                messages=t.messages,
                redacted=t.redacted,
                redaction_counts=t.counts,
                asked_for_human_detected=t.asked_for_human,
                turns=t.turns,
                looping=t.looping,
                language=t.language,
            )
            for pk, t in prepared.items()
        ]
        Transcript.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["conversation"],
            update_fields=[
                "messages",
                "redacted",
                "redaction_counts",
                "asked_for_human_detected",
                "turns",
                "looping",
                "language",
                "updated_at",
            ],
        )


def transcript_store_for(operation: Operation) -> TranscriptStore:
    return TranscriptStore(operation)
