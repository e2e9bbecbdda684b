"""metrics 0012: stored survey comments judged again with the round-7 phrase lists."""

import importlib
from datetime import date

import pytest
from django.apps import apps

from metrics.models import Conversation, DailyAggregate, SurveyPhrases
from tests.metrics.test_warnings_service import ingest

reflag = importlib.import_module("metrics.migrations.0012_reflag_survey_complaints").reflag

COMMENTS = [
    ("c0", "2026-03-02", "The chatbot had no clue what I was asking about", True),
    ("c1", "2026-03-02", "Fast and friendly, thanks", False),
    ("c2", "2026-03-03", "Kom aldrig fram till Klarnateamet", True),  # the organization's phrase
    ("c3", "2026-03-04", "Went round in circles for half an hour", True),
]


@pytest.mark.usefixtures("media_root")
def test_stale_verdicts_and_their_days_counts_are_mended(personas):
    op = personas.operation
    SurveyPhrases.objects.create(
        organization=op.organization,
        extra_complaint_phrases={"sv": ["kom aldrig fram till klarna*"]},
    )
    lines = ["conversation_id,started_at,complexity,escalated,survey_comment"]
    for key, day, comment, _ in COMMENTS:
        lines.append(f'{key},{day}T10:00:00+01:00,complex,false,"{comment}"')
    ingest(op, "\n".join(lines) + "\n")
    # As the lists before round 7 left them: none of these was a complaint.
    Conversation.objects.filter(operation=op).exclude(survey_comment="").update(
        survey_complaint=False
    )
    DailyAggregate.objects.filter(operation=op).update(survey_complaints=0)
    untouched = DailyAggregate.objects.get(operation=op, date=date(2026, 3, 4))
    untouched.survey_complaints = 1  # already right: stays as it is
    untouched.save()
    Conversation.objects.filter(conversation_id="c3").update(survey_complaint=True)

    reflag(apps, None)

    flags = dict(Conversation.objects.values_list("conversation_id", "survey_complaint"))
    assert flags == {key: expected for key, _, _, expected in COMMENTS}
    counts = {
        a.date.isoformat(): (a.survey_comments, a.survey_complaints)
        for a in DailyAggregate.objects.filter(operation=op)
    }
    assert counts == {"2026-03-02": (2, 1), "2026-03-03": (1, 1), "2026-03-04": (1, 1)}


def test_a_database_without_operations_migrates_without_work(db):
    reflag(apps, None)  # nothing to judge, nothing raised
    assert not Conversation.objects.exists()


@pytest.mark.usefixtures("media_root")
def test_round_8_judges_the_stored_comments_again(personas):
    # 0013 does 0012's work with round 8's matching: a kind word in the sentence before no
    # longer cancels the complaint, and "answers had nothing to do with my question" is one.
    op = personas.operation
    lines = ["conversation_id,started_at,complexity,escalated,survey_comment"]
    lines.append('d0,2026-03-02T10:00:00+01:00,simple,false,"Easy order. Couldn\'t reach anyone."')
    lines.append(
        'd1,2026-03-02T11:00:00+01:00,simple,false,"answers had nothing to do with my question"'
    )
    lines.append('d2,2026-03-02T12:00:00+01:00,simple,false,"Easy order, thanks"')
    ingest(op, "\n".join(lines) + "\n")
    Conversation.objects.filter(operation=op).update(survey_complaint=False)  # as round 7 judged
    DailyAggregate.objects.filter(operation=op).update(survey_complaints=0)

    importlib.import_module("metrics.migrations.0013_reflag_survey_complaints_round_8").reflag(
        apps, None
    )

    flags = dict(Conversation.objects.values_list("conversation_id", "survey_complaint"))
    assert flags == {"d0": True, "d1": True, "d2": False}
    day = DailyAggregate.objects.get(operation=op, date=date(2026, 3, 2))
    assert (day.survey_comments, day.survey_complaints) == (3, 2)
