"""OFREP v1 over HTTP: answers, errors, ETag/304 and the handoff mode, as the spec says."""

import json

import pytest
from django.urls import reverse

from guardrails.models import Pause
from guardrails.services import flag_key_create, flag_key_revoke, pause_end, pause_start
from tests.criteria.signing import agree
from tests.metrics.alert_data import make_alert

BULK = "/ofrep/v1/evaluate/flags"
CONTEXT = {"context": {"targetingKey": "conversation-1"}}


def one(key: str) -> str:
    return f"/ofrep/v1/evaluate/flags/{key}"


@pytest.fixture
def token(personas):
    return flag_key_create(operation=personas.operation, name="platform", actor=None)[1]


def post(client, url, body=CONTEXT, token="", **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)


def test_urls_are_the_specs():
    assert reverse("ofrep_evaluate_flags") == BULK
    assert reverse("ofrep_evaluate_flag", args=["handoff-mode"]) == one("handoff-mode")


def test_single_evaluation_answers_value_reason_variant_and_metadata(client, personas, token):
    response = post(client, one("ai-handling-complex"), token=token)
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "ai-handling-complex"
    assert body["value"] is True
    assert body["reason"] == "STATIC"
    assert body["variant"] == "on"
    assert isinstance(body["metadata"]["explanation"], str)


def test_the_key_may_come_as_x_api_key(client, personas, token):
    response = post(client, one("handoff-mode"), HTTP_X_API_KEY=token)
    assert response.status_code == 200
    assert response.json()["value"] == "normal"


@pytest.mark.parametrize(
    "body, code",
    [
        ("{not json", "PARSE_ERROR"),
        ([1, 2], "PARSE_ERROR"),
        ({}, "INVALID_CONTEXT"),
        ({"context": "x"}, "INVALID_CONTEXT"),
        ({"context": {}}, "TARGETING_KEY_MISSING"),
        ({"context": {"targetingKey": ""}}, "TARGETING_KEY_MISSING"),
        ({"context": {"targetingKey": 7}}, "INVALID_CONTEXT"),
    ],
)
def test_bad_requests_get_400_with_the_specs_error_codes(client, personas, token, body, code):
    single = post(client, one("ai-handling-simple"), body, token=token)
    assert single.status_code == 400
    assert single.json()["key"] == "ai-handling-simple"
    assert single.json()["errorCode"] == code
    assert single.json()["errorDetails"]
    bulk = post(client, BULK, body, token=token)
    assert bulk.status_code == 400
    assert bulk.json()["errorCode"] == code


def test_an_unknown_flag_is_flag_not_found(client, personas, token):
    response = post(client, one("ai-handling-everything"), token=token)
    assert response.status_code == 404
    assert response.json() == {
        "key": "ai-handling-everything",
        "errorCode": "FLAG_NOT_FOUND",
        "errorDetails": "Flag 'ai-handling-everything' was not found",
    }


def test_missing_wrong_and_revoked_keys_get_401(client, personas):
    key, token = flag_key_create(operation=personas.operation, name="old", actor=None)
    for url in (BULK, one("handoff-mode")):
        assert post(client, url).status_code == 401
        assert post(client, url).headers["WWW-Authenticate"].startswith("Bearer")
        assert post(client, url, token="slk_wrong").status_code == 401
        assert post(client, url, token="not even our format").status_code == 401
    assert post(client, BULK, token=token).status_code == 200
    flag_key_revoke(key=key, actor=None)
    assert post(client, BULK, token=token).status_code == 401


def test_a_key_cannot_read_another_operation(client, personas, token):
    body = {"context": {"targetingKey": "c1", "operation": personas.other_operation.slug}}
    assert post(client, one("handoff-mode"), body, token=token).status_code == 403
    assert post(client, BULK, body, token=token).status_code == 403
    mine = {"context": {"targetingKey": "c1", "operation": personas.operation.slug}}
    assert post(client, BULK, mine, token=token).status_code == 200
    # The other organization's key reads its own operation, never ours.
    _, theirs = flag_key_create(operation=personas.other_operation, name="x", actor=None)
    assert post(client, BULK, body, token=theirs).status_code == 200
    assert post(client, BULK, mine, token=theirs).status_code == 403


def test_get_is_not_allowed(client, personas, token):
    assert client.get(BULK, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_bulk_answers_every_flag_with_an_etag_and_304_until_something_changes(
    client, personas, token, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        first = post(client, BULK, token=token)
    assert first.status_code == 200
    flags = {f["key"]: f for f in first.json()["flags"]}
    assert set(flags) == {"ai-handling-simple", "ai-handling-complex", "handoff-mode"}
    assert all(f["reason"] == "STATIC" and "variant" in f for f in flags.values())
    etag = first.headers["ETag"]
    assert etag.startswith('"')

    again = post(client, BULK, token=token, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag

    pause_start(
        operation=personas.operation, segment="all", reason="Incident", source=Pause.Source.COMMAND
    )
    changed = post(client, BULK, token=token, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    values = {f["key"]: f["value"] for f in changed.json()["flags"]}
    assert values["ai-handling-simple"] is False
    assert values["ai-handling-complex"] is False


def test_a_pause_for_all_stops_both_segments_until_resumed(client, personas, token):
    pause_start(
        operation=personas.operation, segment="all", reason="Outage", source=Pause.Source.COMMAND
    )
    for key in ("ai-handling-simple", "ai-handling-complex"):
        body = post(client, one(key), token=token).json()
        assert body["value"] is False
        assert "Outage" in body["metadata"]["explanation"]
    pause_end(operation=personas.operation, segment="all", reason="Fixed")
    assert post(client, one("ai-handling-simple"), token=token).json()["value"] is True


def test_handoff_mode_is_cautious_while_an_escalation_alert_is_open(client, personas, token):
    agree(personas)
    other = make_alert(personas.operation, indicator="fcr_simple", owner="cx")
    assert post(client, one("handoff-mode"), token=token).json()["value"] == "normal"

    alert = make_alert(personas.operation, indicator="escalation_rate", state="acknowledged")
    body = post(client, one("handoff-mode"), token=token).json()
    assert body["value"] == "cautious"
    assert body["variant"] == "cautious"
    assert "Human-escalation rate" in body["metadata"]["explanation"]

    alert.state = "resolved"
    alert.save()
    other.save()
    assert post(client, one("handoff-mode"), token=token).json()["value"] == "normal"


def test_bulk_offers_an_sse_event_stream_unless_turned_off(client, personas, token, settings):
    stream = post(client, BULK, token=token).json()["eventStreams"][0]
    assert stream["type"] == "sse" and stream["endpoint"]["requestUri"].startswith(
        "/ofrep/v1/event-stream?token="
    )
    assert client.get(stream["endpoint"]["requestUri"]).status_code == 200
    assert client.get("/ofrep/v1/event-stream?token=forged").status_code == 401
    assert client.get("/ofrep/v1/event-stream").status_code == 401
    settings.STOPLINE_OFREP_STREAM_SECONDS = 0
    assert "eventStreams" not in post(client, BULK, token=token).json()


# The stream closes old connections between polls (it is long-lived): inside a test
# transaction that would close PostgreSQL's connection under the test, so commit instead.
@pytest.mark.django_db(transaction=True)
def test_a_client_back_with_an_old_last_event_id_is_told_at_once(personas, settings):
    from guardrails.ofrep import _changes

    settings.STOPLINE_OFREP_STREAM_SECONDS = 0  # no polling: only what is said on connect
    said = "".join(_changes(personas.operation, last_event_id="an-old-etag"))
    assert said.startswith("retry: 2000\n")
    assert '"type": "refetchEvaluation"' in said
    quiet = "".join(_changes(personas.operation, last_event_id=""))
    assert "refetchEvaluation" not in quiet
