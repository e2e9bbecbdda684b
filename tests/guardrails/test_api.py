"""The guardrails REST API: state for every member, stop and resume for the deciders."""

import pytest
from rest_framework.test import APIClient

from guardrails.models import Pause

STATE = "/api/v1/operations/eu-chat/guardrails/"
PAUSE = STATE + "pause/"
RESUME = STATE + "resume/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("persona", ["facilitator", "viewer", "reviewer"])
def test_members_read_the_state(personas, persona):
    response = api(getattr(personas, persona)).get(STATE)
    assert response.status_code == 200
    assert response.json() == {
        "flags": {
            "ai-handling-simple": True,
            "ai-handling-complex": True,
            "handoff-mode": "normal",
        },
        "standing": [],
    }


def test_anonymous_401_outsider_404(personas):
    assert api().get(STATE).status_code == 401
    assert api(personas.outsider).get(STATE).status_code == 404
    assert api(personas.outsider).post(PAUSE, {"segment": "all", "reason": "x"}).status_code == 404
    assert not Pause.objects.exists()


def test_a_signatory_stops_and_resumes_through_the_api(personas):
    client = api(personas.ops_lead)
    response = client.post(PAUSE, {"segment": "simple", "reason": "Wrong answers"}, format="json")
    assert response.status_code == 201
    assert response.json()["flags"]["ai-handling-simple"] is False
    assert response.json()["standing"][0]["reason"] == "Wrong answers"
    again = client.post(PAUSE, {"segment": "simple", "reason": "twice"}, format="json")
    assert again.status_code == 200
    response = client.post(RESUME, {"segment": "simple", "reason": "Fixed"}, format="json")
    assert response.status_code == 200
    assert response.json()["flags"]["ai-handling-simple"] is True
    conflict = client.post(RESUME, {"segment": "simple", "reason": "Fixed"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("persona", ["member", "viewer", "reviewer", "finance_lead"])
def test_others_get_403(personas, persona):
    response = api(getattr(personas, persona)).post(
        PAUSE, {"segment": "all", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not Pause.objects.exists()


def test_bad_input_is_400_with_fields(personas):
    response = api(personas.facilitator).post(PAUSE, {"segment": "half"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"segment", "reason"}
