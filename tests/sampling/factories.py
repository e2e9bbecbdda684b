"""Conversations with transcripts written straight to the tables (fast, for queue tests)."""

from datetime import UTC, date, datetime, time, timedelta

from criteria.models import IndicatorTarget, Operation
from metrics.models import Conversation
from sampling.models import Transcript

WEEK = "2025-W14"
MONDAY = date(2025, 3, 31)


def plan_set(operation: Operation, per_week: int, complex_share: float = 0.5) -> None:
    IndicatorTarget.objects.filter(version__operation=operation, key="review_score").update(
        sampling_per_week=per_week, sampling_complex_share=complex_share
    )


def conversation_make(
    operation: Operation,
    number: int,
    *,
    day: date = MONDAY,
    complexity: str = "simple",
    escalated: bool = False,
    human_requested: bool | None = None,
    csat: int | None = None,
    asked: bool = False,
    turns: int = 4,
    looping: bool = False,
) -> Conversation:
    conversation = Conversation.objects.create(
        operation=operation,
        conversation_id=f"c{number}",
        started_at=datetime.combine(day, time(10), tzinfo=UTC),
        local_date=day,
        complexity=complexity,
        escalated=escalated,
        human_requested=human_requested,
        csat=csat,
        language="en",
    )
    messages = [
        {"role": "customer" if i % 2 == 0 else "ai", "text": f"turn {i} of c{number}"}
        for i in range(turns)
    ]
    if asked:
        messages[0] = {"role": "customer", "text": "Let me talk to a human please"}
    Transcript.objects.create(
        conversation=conversation,
        messages=messages,
        asked_for_human_detected=asked,
        turns=turns,
        looping=looping,
        language="en",
    )
    return conversation


def week_make(operation: Operation, n: int, *, start: int = 0, **kwargs) -> list[Conversation]:
    return [
        conversation_make(operation, start + i, day=MONDAY + timedelta(days=i % 7), **kwargs)
        for i in range(n)
    ]
