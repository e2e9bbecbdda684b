"""Retention (a beat job erases old transcript text) and erasure of one conversation."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from criteria.models import AuditEvent
from metrics.models import Conversation, IngestionRun, RejectedRow
from sampling.models import RubricScore, Transcript
from sampling.services import review_item_next, review_item_score, sample_draw
from sampling.tasks import transcripts_purge_task
from tests.criteria.test_views import login
from tests.sampling.factories import WEEK, conversation_make, plan_set, week_make
from tests.sampling.test_views import ANSWERS

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_beat_job_erases_only_text_past_the_retention(personas, settings):
    assert "transcripts-purge" in settings.CELERY_BEAT_SCHEDULE
    old = conversation_make(personas.operation, 1, day=(NOW - timedelta(days=401)).date(), csat=4)
    young = conversation_make(personas.operation, 2, day=(NOW - timedelta(days=399)).date())
    Conversation.objects.filter(pk=old.pk).update(survey_comment="Call me on +46 70 123 45 67")
    import time_machine

    with time_machine.travel(NOW):
        assert transcripts_purge_task.delay().get() == {"eu-chat": 1}
    old.refresh_from_db()
    old_transcript = Transcript.objects.get(conversation=old)
    assert old_transcript.messages == [] and old_transcript.erased_at is not None
    assert old_transcript.turns == 4  # derived figures stay
    assert (old.csat, old.escalated, old.complexity) == (4, False, "simple")
    assert old.survey_comment == ""
    assert Transcript.objects.get(conversation=young).messages != []
    event = AuditEvent.objects.get(action="transcripts_purged")
    assert event.detail["transcripts"] == 1 and event.operation == personas.operation
    # Running again finds nothing more and writes no second event.
    with time_machine.travel(NOW):
        assert transcripts_purge_task.delay().get() == {}
    assert AuditEvent.objects.filter(action="transcripts_purged").count() == 1
    assert Transcript.objects.get(conversation=young).erased_at is None


def test_the_retention_is_set_per_organization(personas):
    personas.org.retention_days = 30
    personas.org.save()
    conversation_make(personas.operation, 1, day=(NOW - timedelta(days=31)).date())
    from sampling.retention import transcripts_purge

    assert transcripts_purge(now=NOW) == {"eu-chat": 1}


def scored_conversation(personas, client):
    plan_set(personas.operation, 4)
    week_make(personas.operation, 8)
    sample_draw(operation=personas.operation, week=WEEK)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    review_item_score(
        item=item,
        reviewer=personas.reviewer,
        answers={**ANSWERS, "note": "customer wrote from anna@example.com"},
    )
    login(client, personas.reviewer)
    return item


def test_erase_conversation_erases_its_text_everywhere_and_keeps_the_score(client, personas):
    item = scored_conversation(personas, client)
    conversation = item.conversation
    score = RubricScore.objects.get(item=item)
    Conversation.objects.filter(pk=conversation.pk).update(
        survey_comment="great", metadata={"store": "Kista"}
    )
    run = IngestionRun.objects.create(
        operation=personas.operation, file_name="a.csv", sha256="0" * 64, size=1
    )
    RejectedRow.objects.create(
        run=run, line=3, reason="bad csat", original=f"{conversation.conversation_id},x,99"
    )
    out = StringIO()
    call_command("erase_conversation", "eu-chat", conversation.conversation_id, stdout=out)
    assert f"Erased conversation {conversation.conversation_id}" in out.getvalue()
    conversation.refresh_from_db()
    transcript = Transcript.objects.get(conversation=conversation)
    assert transcript.messages == [] and transcript.erased_at
    assert conversation.survey_comment == "" and conversation.metadata == {}
    assert RejectedRow.objects.get(run=run).original == ""
    score.refresh_from_db()
    assert score.note == "" and score.verdict  # the score stays, its note goes
    event = AuditEvent.objects.get(action="conversation_erased")
    assert conversation.conversation_id in event.summary
    page = client.get(reverse("sampling:item", args=["eu-chat", item.pk])).content.decode()
    assert "was erased" in page


def test_erase_conversation_names_what_it_cannot_find(personas):
    with pytest.raises(CommandError, match="No conversation 'nope'"):
        call_command("erase_conversation", "eu-chat", "nope")
    with pytest.raises(CommandError, match="No operation"):
        call_command("erase_conversation", "nope", "c1")


def test_notes_are_redacted_before_they_are_stored(client, personas):
    item = scored_conversation(personas, client)
    score = RubricScore.objects.get(item=item)
    assert "anna@example.com" not in score.note and "[EMAIL]" in score.note
