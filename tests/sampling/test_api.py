"""/api/v1/operations/{slug}/review-items/ ... : the reviewer's own items only."""

import pytest
from rest_framework.test import APIClient

from sampling.models import ReviewItem, TranscriptReadLog
from sampling.services import sample_draw
from tests.conftest import api_token, make_member
from tests.sampling.factories import WEEK, plan_set, week_make
from tests.sampling.test_views import ANSWERS

BASE = "/api/v1/operations/eu-chat/review-items/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def draw(personas):
    plan_set(personas.operation, per_week=5)
    week_make(personas.operation, 20)
    return sample_draw(operation=personas.operation, week=WEEK)


def test_next_read_score_and_list(personas, draw, django_assert_max_num_queries):
    client = api(personas.reviewer)
    response = client.post(BASE + "next/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "reserved"
    assert body["messages"][0]["role"] == "customer"
    item_id = body["id"]

    detail = client.get(f"{BASE}{item_id}/").json()
    assert detail["conversation"]["conversation_id"] == body["conversation"]["conversation_id"]
    assert TranscriptReadLog.objects.filter(via="api").count() == 2

    bad = client.post(f"{BASE}{item_id}/score/", {"answers": {"acceptable": "yes"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"handoff_verdict": "required"}

    response = client.post(f"{BASE}{item_id}/score/", {"answers": ANSWERS}, format="json")
    assert response.status_code == 201
    assert response.json()["acceptable"] is True
    assert ReviewItem.objects.get(pk=item_id).status == "done"

    client.post(BASE + "next/")
    with django_assert_max_num_queries(6):
        listing = client.get(BASE).json()
    assert listing["count"] == 2
    assert {i["status"] for i in listing["results"]} == {"done", "reserved"}


def test_an_empty_queue_answers_204(personas):
    assert api(personas.reviewer).post(BASE + "next/").status_code == 204


def test_nobody_else_reaches_an_item_or_the_list(personas, draw):
    item_id = api(personas.reviewer).post(BASE + "next/").json()["id"]
    second = make_member(personas.org, "second_reviewer", department="cx", role="senior_reviewer")
    for user in [personas.facilitator, personas.member, personas.viewer, personas.outsider, second]:
        client = api(user)
        assert client.get(f"{BASE}{item_id}/").status_code == 404, user.username
        response = client.post(f"{BASE}{item_id}/score/", {"answers": ANSWERS}, format="json")
        assert response.status_code == 404
        if user != second:
            assert client.get(BASE).status_code == 404
            assert client.post(BASE + "next/").status_code == 404
    assert api(second).get(BASE).json()["count"] == 0
    assert api().get(f"{BASE}{item_id}/").status_code == 401
    assert TranscriptReadLog.objects.filter(user=second).count() == 0
