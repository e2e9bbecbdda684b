"""POST /api/v1/operations/{slug}/conversations/ and .../daily-metrics/, GET .../ingestion-runs/."""

import gzip
import json

import pytest
from rest_framework.test import APIClient

from bench.samples import conversation_rows, rows_to_csv
from metrics.models import Conversation, DailyAggregate, IngestionRun
from tests.conftest import api_token

pytestmark = pytest.mark.usefixtures("media_root")

CONVERSATIONS = "/api/v1/operations/{}/conversations/"
DAILY = "/api/v1/operations/{}/daily-metrics/"
RUNS = "/api/v1/operations/{}/ingestion-runs/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def conversations_json(n=3, bad=0):
    rows = [
        {
            "conversation_id": f"api{i}",
            "started_at": "2025-04-01T08:00:00+02:00",
            "complexity": "complex" if i % 2 else "simple",
            "escalated": i % 3 == 0,
            "csat": 9 if i < bad else 4,
        }
        for i in range(n)
    ]
    return rows


def test_a_json_array_body_answers_the_report(personas):
    response = api(personas.member).post(
        CONVERSATIONS.format("eu-chat"), conversations_json(5, bad=2), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    run = IngestionRun.objects.get()
    assert body["run"] == run.pk
    assert (body["ingested"], body["updated"], body["rejected"]) == (3, 0, 2)
    assert body["report"] == "3 ingested, 0 updated, 2 rejected"
    assert [r["column"] for r in body["rejects"]] == ["csat", "csat"]
    assert body["rejects"][0]["reason"] == "csat: 9 is outside 1-5"
    assert (run.via, run.uploaded_by, run.kind) == ("api", personas.member, "conversations")
    assert Conversation.objects.filter(operation=personas.operation).count() == 3


def test_json_lines_and_csv_bodies_are_accepted_and_resending_changes_nothing(personas):
    client = api(personas.facilitator)
    jsonl = "\n".join(json.dumps(r) for r in conversations_json(4))
    response = client.post(
        CONVERSATIONS.format("eu-chat"), jsonl, content_type="application/x-ndjson"
    )
    assert response.json()["report"] == "4 ingested, 0 updated, 0 rejected"

    changed = [dict(row, csat=2) for row in conversations_json(3)]
    csv_body = rows_to_csv(changed)
    response = client.post(CONVERSATIONS.format("eu-chat"), csv_body, content_type="text/csv")
    assert response.json()["report"] == "0 ingested, 3 updated, 0 rejected"

    response = client.post(CONVERSATIONS.format("eu-chat"), csv_body, content_type="text/csv")
    assert response.json()["report"] == "0 ingested, 0 updated, 0 rejected"


def test_a_gzipped_body_is_accepted(personas):
    body = gzip.compress(rows_to_csv(list(conversation_rows(10))).encode())
    response = api(personas.facilitator).post(
        CONVERSATIONS.format("eu-chat"), body, content_type="text/csv"
    )
    assert response.json()["report"] == "10 ingested, 0 updated, 0 rejected"


def test_daily_metrics(personas):
    rows = [
        {"date": "2025-04-01", "segment": "simple", "conversations": 120, "escalated": 14},
        {"date": "2025-04-01", "segment": "complex", "conversations": 30, "escalated": 40},
    ]
    response = api(personas.facilitator).post(DAILY.format("eu-chat"), rows, format="json")

    assert response.status_code == 201
    assert response.json()["report"] == "1 ingested, 0 updated, 1 rejected"
    assert "more than conversations" in response.json()["rejects"][0]["reason"]
    assert DailyAggregate.objects.get().conversations == 120


def test_a_body_that_cannot_be_read_is_rejected_whole_in_the_error_format(personas):
    response = api(personas.facilitator).post(
        DAILY.format("eu-chat"), conversations_json(2), format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "file_rejected"
    assert "lacks the required columns date, segment" in error["message"]
    assert error["fields"]["run"] == IngestionRun.objects.get().pk
    assert IngestionRun.objects.get().status == "failed"
    assert not DailyAggregate.objects.exists()


def test_an_empty_body_is_rejected(personas):
    response = api(personas.facilitator).post(
        CONVERSATIONS.format("eu-chat"), b"", content_type="text/csv"
    )
    assert response.status_code == 400
    assert "empty" in response.json()["error"]["message"]


def test_a_body_over_the_upload_limit_is_refused(personas, settings):
    settings.STOPLINE_MAX_UPLOAD_BYTES = 50
    response = api(personas.facilitator).post(
        CONVERSATIONS.format("eu-chat"), conversations_json(5), format="json"
    )
    assert response.status_code == 413
    assert "upload limit" in response.json()["error"]["message"]
    assert not IngestionRun.objects.exists()


def test_the_runs_list_is_scoped_to_the_operation(personas, django_assert_max_num_queries):
    client = api(personas.facilitator)
    for _ in range(3):
        client.post(CONVERSATIONS.format("eu-chat"), conversations_json(2), format="json")
    api(personas.outsider).post(
        CONVERSATIONS.format("rival-chat"), conversations_json(2), format="json"
    )

    reader = api(personas.viewer)
    with django_assert_max_num_queries(5):
        response = reader.get(RUNS.format("eu-chat"))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["report"] for r in results] == [
        "0 ingested, 0 updated, 0 rejected",
        "0 ingested, 0 updated, 0 rejected",
        "2 ingested, 0 updated, 0 rejected",
    ]
    assert results[-1]["uploaded_by"] == "facilitator"
    assert response.json()["count"] == 3


@pytest.mark.parametrize("persona", ["viewer", "reviewer"])
def test_readers_cannot_send_data(personas, persona):
    for url in (CONVERSATIONS, DAILY):
        response = api(getattr(personas, persona)).post(
            url.format("eu-chat"), conversations_json(1), format="json"
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert not IngestionRun.objects.exists()


def test_other_organizations_get_404(personas):
    client = api(personas.outsider)
    for url in (CONVERSATIONS, DAILY):
        response = client.post(url.format("eu-chat"), conversations_json(1), format="json")
        assert response.status_code == 404
    assert client.get(RUNS.format("eu-chat")).status_code == 404
    assert not IngestionRun.objects.exists()


def test_anonymous_clients_get_401(personas):
    client = api()
    for url in (CONVERSATIONS, DAILY):
        response = client.post(url.format("eu-chat"), conversations_json(1), format="json")
        assert response.status_code == 401
    assert client.get(RUNS.format("eu-chat")).status_code == 401
