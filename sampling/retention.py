"""Retention and erasure of conversation text; the figures and scores stay.

- `transcripts_purge`: the text of transcripts older than their organization's retention
  (Organization.retention_days, default 400) is erased by a daily beat job.
- `conversation_erase`: one conversation's text, everywhere it is stored, on request
  (`manage.py erase_conversation OPERATION CONVERSATION_ID`).

Both keep the conversation row (escalation, resolution, complexity, CSAT: the daily figures),
the transcript's derived flags (turns, looping, asked for a human) and the review scores,
and both write an audit event.
"""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import StoplineError
from accounts.models import Organization
from criteria.models import Operation
from criteria.services import audit_record
from metrics.models import Conversation, RejectedRow
from sampling.models import CalibrationCase, RubricScore, Transcript

ERASED = {"messages": [], "redaction_counts": {}}


def transcripts_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Erase transcript text past each organization's retention; {operation slug: count}."""
    now = now or timezone.now()
    erased: dict[str, int] = {}
    for organization in Organization.objects.order_by("pk"):
        cutoff = now - timedelta(days=organization.retention_days)
        for operation in Operation.objects.filter(organization=organization).order_by("pk"):
            with transaction.atomic():
                old = Conversation.objects.filter(operation=operation, started_at__lt=cutoff)
                count = Transcript.objects.filter(
                    conversation__in=old, erased_at__isnull=True
                ).update(**ERASED, erased_at=now)
                comments = old.exclude(survey_comment="").update(survey_comment="")
                if count or comments:
                    audit_record(
                        operation=operation,
                        actor=None,
                        action="transcripts_purged",
                        summary=f"Erased the text of {count} transcript(s) older than "
                        f"{organization.retention_days} days (retention); figures and scores "
                        "are kept",
                        detail={
                            "transcripts": count,
                            "survey_comments": comments,
                            "started_before": cutoff.isoformat(),
                        },
                    )
            if count:
                erased[operation.slug] = count
    return erased


def conversation_erase(
    *, operation: Operation, conversation_id: str, actor: AbstractBaseUser | None = None
) -> dict[str, int]:
    """Erase one conversation's text everywhere; returns what was erased, by kind."""
    try:
        conversation = Conversation.objects.get(
            operation=operation, conversation_id=conversation_id
        )
    except Conversation.DoesNotExist as exc:
        raise StoplineError(
            f"No conversation {conversation_id!r} in {operation.slug}.",
            fields={"conversation_id": "not found"},
        ) from exc
    now = timezone.now()
    with transaction.atomic():
        counts = {
            "transcript": Transcript.objects.filter(conversation=conversation).update(
                **ERASED, erased_at=now
            ),
            "survey_comment": int(bool(conversation.survey_comment)),
            "metadata": int(bool(conversation.metadata)),
            "review_notes": RubricScore.objects.filter(item__conversation=conversation)
            .exclude(note="")
            .update(note=""),
            "skip_reasons": conversation.review_items.exclude(skip_reason="").update(
                skip_reason=""
            ),
            "calibration_notes": CalibrationCase.objects.filter(conversation=conversation)
            .exclude(resolution="")
            .update(resolution=""),
            # A rejected row of this conversation keeps its line number and reason only.
            "rejected_rows": RejectedRow.objects.filter(
                Q(original__contains=conversation_id), run__operation=operation
            ).update(original=""),
        }
        Conversation.objects.filter(pk=conversation.pk).update(
            survey_comment="", metadata={}, line_hash=None
        )
        audit_record(
            operation=operation,
            actor=actor,
            action="conversation_erased",
            summary=f"Erased the text of conversation {conversation_id} on request",
            detail={"conversation_id": conversation_id, **counts},
        )
    return counts
