"""OFREP change notifications over SSE (ADR 0008): a pause reaches a connected client as a
`refetchEvaluation` event, without polling. Needs PostgreSQL: the stream reads the database
in the live server's thread while the test writes."""

import json

import pytest
import requests
from django.db import connection

from guardrails.models import Pause
from guardrails.services import flag_key_create, flag_key_revoke, pause_start
from tests.conftest import require_or_skip

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]
CONTEXT = {"context": {"targetingKey": "conversation-1"}}


@pytest.fixture
def streams(settings):
    require_or_skip(connection.vendor == "postgresql", "the SSE test needs PostgreSQL")
    settings.STOPLINE_OFREP_STREAM_SECONDS = 20
    settings.STOPLINE_OFREP_STREAM_POLL_SECONDS = 0.1


def test_a_pause_reaches_a_streaming_client_as_a_refetch_event(personas, live_server, streams):
    key, token = flag_key_create(operation=personas.operation, name="platform", actor=None)
    auth = {"Authorization": f"Bearer {token}"}
    bulk = requests.post(
        f"{live_server.url}/ofrep/v1/evaluate/flags", json=CONTEXT, headers=auth, timeout=10
    )
    assert bulk.status_code == 200
    [stream] = bulk.json()["eventStreams"]
    assert stream["type"] == "sse" and stream["inactivityDelaySec"] == 120
    url = live_server.url + stream["endpoint"]["requestUri"]

    with requests.get(url, stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines = response.iter_lines(chunk_size=1, decode_unicode=True)  # no buffering
        assert ": connected" in [next(lines), next(lines)]
        pause_start(
            operation=personas.operation,
            segment="complex",
            reason="Incident",
            source=Pause.Source.COMMAND,
        )
        event = {}
        for line in lines:
            if line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                break
    assert event["type"] == "refetchEvaluation"

    # The re-fetch the provider makes with the event's metadata sees the pause.
    again = requests.post(
        f"{live_server.url}/ofrep/v1/evaluate/flags",
        params={"flagConfigEtag": event["etag"], "flagConfigLastModified": event["lastModified"]},
        json=CONTEXT,
        headers={**auth, "If-None-Match": bulk.headers["ETag"]},
        timeout=10,
    )
    assert again.status_code == 200
    assert again.headers["ETag"] == event["etag"]
    values = {f["key"]: f["value"] for f in again.json()["flags"]}
    assert values["ai-handling-complex"] is False

    flag_key_revoke(key=key, actor=None)
    assert requests.get(url, timeout=10).status_code == 401
    assert (
        requests.get(f"{live_server.url}/ofrep/v1/event-stream?token=x", timeout=10).status_code
        == 401
    )
