"""Free text that arrives with conversations never stores personal data (FORMATS.md §1)."""

import io
import json

import pytest

from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation, RejectedRow

pytestmark = pytest.mark.usefixtures("media_root")

EMAIL = "anna.svensson@example.se"
PHONE = "+46 70 123 45 67"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"


def ingest(operation, content: str, name: str):
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content.encode()), file_name=name, via="cli"
    )
    return ingestion_run_execute(run_id=run.pk)


def everything_stored(operation) -> str:
    rows = Conversation.objects.filter(operation=operation).values_list(
        "survey_comment", "metadata", "topic"
    )
    rejected = RejectedRow.objects.filter(run__operation=operation).values_list("original")
    return json.dumps([list(rows), list(rejected)], ensure_ascii=False)


def test_survey_comments_and_unknown_columns_are_redacted_in_csv(personas):
    text = f"Mail me at {EMAIL} or call {PHONE}, card {CARD}, IBAN {IBAN}"
    csv = (
        "conversation_id,started_at,complexity,escalated,survey_comment,notes\n"
        f'c1,2026-03-02T10:00:00+01:00,simple,false,"{text}","{text}"\n'
        f'c2,2026-03-02T11:00:00+01:00,medium,false,"{text}","{text}"\n'
    )
    run = ingest(personas.operation, csv, "survey.csv")
    assert (run.ingested, run.rejected) == (1, 1)
    stored = everything_stored(personas.operation)
    for secret in (EMAIL, PHONE, CARD, IBAN, "4111", "70 123"):
        assert secret not in stored
    c1 = Conversation.objects.get(conversation_id="c1")
    assert c1.survey_comment.startswith("Mail me at ")
    assert c1.metadata["notes"].startswith("Mail me at ")


def test_nested_metadata_in_jsonl_is_redacted_and_long_comments_rejected(personas):
    rows = [
        {
            "conversation_id": "j1",
            "started_at": "2026-03-02T10:00:00Z",
            "complexity": "complex",
            "escalated": True,
            "survey_comment": "the bot did not understand me",
            "customer": {"email": EMAIL, "phones": [PHONE]},
        },
        {
            "conversation_id": "j2",
            "started_at": "2026-03-02T10:00:00Z",
            "complexity": "complex",
            "escalated": True,
            "survey_comment": "x" * 4001,
        },
    ]
    run = ingest(personas.operation, "\n".join(json.dumps(r) for r in rows), "survey.jsonl")
    assert (run.ingested, run.rejected) == (1, 1)
    assert RejectedRow.objects.get().column == "survey_comment"
    j1 = Conversation.objects.get(conversation_id="j1")
    assert j1.survey_comment == "the bot did not understand me"
    assert EMAIL not in json.dumps(j1.metadata) and PHONE not in json.dumps(j1.metadata)
