"""Transcripts arrive with the conversations and are redacted before anything is stored."""

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from metrics.models import Conversation, IngestionRun, RejectedRow
from sampling.models import SamplingSettings, Transcript
from tests.conftest import api_token

pytestmark = pytest.mark.usefixtures("media_root")

SECRETS = [
    "anna.svensson@example.se",
    "+46 70 123 45 67",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "4111111111111111",
    "DE89370400440532013000",
]
ORDER_NUMBER = "1234 5678 9012 3456"  # fails Luhn: an order number, kept


def rows():
    return [
        {
            "conversation_id": "t1",
            "started_at": "2025-04-01T08:00:00+02:00",
            "complexity": "complex",
            "escalated": False,
            "language": "en",
            "messages": [
                {
                    "role": "customer",
                    "text": "Hi, I'm anna.svensson@example.se, call +46 70 123 45 67",
                },
                {"role": "ai", "text": "Thanks! What is the order?"},
                {
                    "role": "customer",
                    "text": f"Order {ORDER_NUMBER}, paid with 4111 1111 1111 1111",
                },
                {
                    "role": "customer",
                    "text": "Refund to DE89 3704 0044 0532 0130 00 please. Let me talk to a human.",
                },
                {"role": "agent", "text": "Hello, a person here."},
            ],
        },
        {
            "conversation_id": "t2",
            "started_at": "2025-04-01T09:00:00+02:00",
            "complexity": "simple",
            "escalated": False,
            "messages": [
                {"role": "customer", "text": "card 4111111111111111 iban DE89370400440532013000"}
            ],
        },
        {
            "conversation_id": "bad",
            "started_at": "2025-04-01T09:00:00+02:00",
            "complexity": "simple",
            "escalated": "perhaps",
            "messages": [{"role": "customer", "text": "mail me at anna.svensson@example.se"}],
        },
    ]


def jsonl() -> str:
    return "".join(json.dumps(r) + "\n" for r in rows())


def every_stored_text() -> str:
    """Every row of every table, as text: what a database dump would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def assert_nothing_raw(caplog):
    stored = every_stored_text()
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    for secret in SECRETS:
        for where in (stored, logged):
            assert secret not in where
            # JSON escapes nothing in these strings, but check the compact forms too.
            assert secret.replace(" ", "") not in where.replace(" ", "") or secret == ORDER_NUMBER


def assert_transcripts_redacted():
    t1 = Transcript.objects.get(conversation__conversation_id="t1")
    texts = [m["text"] for m in t1.messages]
    assert texts[0] == "Hi, I'm [EMAIL], call [PHONE]"
    assert texts[2] == f"Order {ORDER_NUMBER}, paid with [CARD]"
    assert texts[3].startswith("Refund to [IBAN] please.")
    assert [m["role"] for m in t1.messages] == ["customer", "ai", "customer", "customer", "agent"]
    assert (t1.turns, t1.asked_for_human_detected, t1.redacted) == (5, True, True)
    assert t1.redaction_counts == {"EMAIL": 1, "PHONE": 1, "CARD": 1, "IBAN": 1}
    t2 = Transcript.objects.get(conversation__conversation_id="t2")
    assert t2.messages[0]["text"] == "card [CARD] iban [IBAN]"
    assert not t2.asked_for_human_detected
    # The rejected row's transcript is not kept anywhere, not even in the quarantine.
    assert Transcript.objects.count() == 2
    assert all("messages" not in r.original for r in RejectedRow.objects.all())


def test_the_ingest_command_redacts_transcripts_before_storing(personas, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "conversations.jsonl"
    path.write_text(jsonl())
    out = io.StringIO()

    call_command("ingest", "eu-chat", str(path), stdout=out)

    assert out.getvalue().startswith("2 ingested, 0 updated, 1 rejected")
    assert_transcripts_redacted()
    assert_nothing_raw(caplog)


def test_the_api_redacts_transcripts_and_resending_updates_nothing_twice(personas, caplog):
    caplog.set_level(logging.DEBUG)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(personas.member)}")
    url = "/api/v1/operations/eu-chat/conversations/"

    response = client.post(url, jsonl(), content_type="application/x-ndjson")
    assert response.status_code == 201, response.content
    assert response.json()["report"] == "2 ingested, 0 updated, 1 rejected"
    response = client.post(url, jsonl(), content_type="application/x-ndjson")
    assert response.json()["report"] == "0 ingested, 0 updated, 1 rejected"

    assert_transcripts_redacted()
    assert_nothing_raw(caplog)
    assert IngestionRun.objects.count() == 2


def test_a_malformed_transcript_rejects_the_row_without_quoting_it(personas, tmp_path):
    row = rows()[0] | {"messages": [{"role": "robot", "text": "anna.svensson@example.se"}]}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(row) + "\n")

    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())

    rejected = RejectedRow.objects.get()
    assert rejected.column == "messages"
    assert "anna" not in rejected.reason + rejected.original
    assert not Conversation.objects.exists()


def test_an_operation_that_turns_redaction_off_stores_the_text_as_sent(personas, tmp_path):
    SamplingSettings.objects.create(operation=personas.operation, redact_transcripts=False)
    path = tmp_path / "c.jsonl"
    path.write_text(jsonl())

    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())

    t1 = Transcript.objects.get(conversation__conversation_id="t1")
    assert "anna.svensson@example.se" in t1.messages[0]["text"]
    assert t1.redacted is False


def test_without_a_registered_handler_transcripts_are_dropped(personas, tmp_path):
    from metrics.ingest.transcripts import transcript_handler_register
    from sampling.transcripts import transcript_store_for

    transcript_handler_register(None)
    try:
        path = tmp_path / "c.jsonl"
        path.write_text(jsonl())
        call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())
    finally:
        transcript_handler_register(transcript_store_for)
    assert Conversation.objects.count() == 2
    assert not Transcript.objects.exists()
    assert "anna" not in every_stored_text()


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_redacts_and_receives_only_the_run_id(personas, celery_worker, caplog):
    """The worker process registers the same store (SamplingConfig.ready) and gets only ids."""
    from io import BytesIO

    from metrics.ingest.services import ingestion_run_create, ingestion_run_enqueue
    from metrics.tasks import ingestion_run_execute_task
    from tests.metrics.test_tasks import wait_for

    caplog.set_level(logging.DEBUG)
    sent = []
    original = ingestion_run_execute_task.apply_async

    def spy(*args, **kwargs):
        sent.append((args, kwargs))
        return original(*args, **kwargs)

    celery_worker()
    run = ingestion_run_create(
        operation=personas.operation, file=BytesIO(jsonl().encode()), file_name="c.jsonl"
    )
    ingestion_run_execute_task.apply_async = spy
    try:
        ingestion_run_enqueue(run=run)
    finally:
        ingestion_run_execute_task.apply_async = original
    run = wait_for(run.pk, lambda r: r.is_finished)

    assert run.report_line == "2 ingested, 0 updated, 1 rejected"
    assert sent == [(((run.pk,),), {"countdown": None})]  # only the run id crosses
    assert_transcripts_redacted()
    assert_nothing_raw(caplog)


def test_resending_leaves_transcripts_alone_and_a_changed_one_is_replaced(personas, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(jsonl())
    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())
    stamps = dict(Transcript.objects.values_list("pk", "updated_at"))

    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())
    assert dict(Transcript.objects.values_list("pk", "updated_at")) == stamps

    changed = rows()[1] | {"messages": [{"role": "customer", "text": "new text, mail a@b.se"}]}
    path.write_text(json.dumps(changed) + "\n")
    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO())
    t2 = Transcript.objects.get(conversation__conversation_id="t2")
    assert t2.messages == [{"role": "customer", "text": "new text, mail [EMAIL]"}]


def test_looping_is_a_customer_repeating_or_the_ai_repeating_itself_three_times():
    from sampling.transcripts import is_looping

    def turns(*pairs):
        return [{"role": r, "text": t} for r, t in pairs]

    again = "I still have not received my parcel"
    assert is_looping(turns(("customer", again), ("ai", "Sorry"), ("customer", again + "!")))
    template = "Please provide your full name."
    assert not is_looping(turns(("ai", template), ("customer", "Bob"), ("ai", template)))
    assert is_looping(turns(("ai", template), ("ai", template), ("ai", template)))
    assert not is_looping(turns(("customer", "ok"), ("customer", "ok")))  # too short to tell
