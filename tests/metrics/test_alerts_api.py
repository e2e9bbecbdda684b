"""REST: /api/v1/operations/{slug}/alerts/ and /reviews/ against every persona."""

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from metrics.models import Alert, Review
from tests.conftest import api_token
from tests.metrics.alert_data import make_alert

ALERTS = "/api/v1/operations/{}/alerts/"
ACT = "/api/v1/operations/{}/alerts/{}/{}/"
REVIEWS = "/api/v1/operations/{}/reviews/"
DECIDE = "/api/v1/operations/{}/reviews/{}/decide/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def alert(personas):
    return make_alert(personas.operation)


@pytest.mark.parametrize("persona", ["facilitator", "member", "cx_lead", "viewer", "reviewer"])
def test_members_list_alerts_and_reviews(personas, alert, persona):
    client = api(getattr(personas, persona))
    data = client.get(ALERTS.format("eu-chat")).json()
    assert data["count"] == 1
    item = data["results"][0]
    assert item["indicator"] == "escalation_rate"
    assert item["range"] == {"min": 0.08, "max": 0.25}
    assert item["review"] == alert.review.pk
    reviews = client.get(REVIEWS.format("eu-chat")).json()["results"]
    assert reviews[0]["owner"] == "operations"
    assert reviews[0]["overdue"] is True  # due in February 2026, long ago


def test_state_filter(personas):
    make_alert(personas.operation)
    make_alert(personas.operation, opened_on=date(2026, 1, 1), state="resolved")
    client = api(personas.viewer)
    assert client.get(ALERTS.format("eu-chat") + "?state=open").json()["count"] == 1
    assert client.get(ALERTS.format("eu-chat") + "?state=resolved").json()["count"] == 1


@pytest.mark.parametrize("persona", ["facilitator", "member"])
def test_owners_act_through_the_api(personas, alert, persona):
    client = api(getattr(personas, persona))
    response = client.post(ACT.format("eu-chat", alert.pk, "acknowledge"), {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    until = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(
        ACT.format("eu-chat", alert.pk, "snooze"),
        {"reason": "known outage", "until": until},
        format="json",
    )
    assert response.json()["state"] == "snoozed"
    assert response.json()["snooze_until"] == until
    response = client.post(ACT.format("eu-chat", alert.pk, "resolve"), {}, format="json")
    assert response.json()["state"] == "resolved"
    response = client.post(ACT.format("eu-chat", alert.pk, "acknowledge"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert alert.events.count() == 4


def test_snooze_without_reason_is_an_error_in_the_one_format(personas, alert):
    response = api(personas.facilitator).post(
        ACT.format("eu-chat", alert.pk, "snooze"), {}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"reason", "until"}


@pytest.mark.parametrize("persona", ["cx_lead", "viewer", "reviewer"])
def test_others_get_403(personas, alert, persona):
    client = api(getattr(personas, persona))
    for action in ("acknowledge", "resolve"):
        response = client.post(ACT.format("eu-chat", alert.pk, action), {}, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    response = client.post(
        DECIDE.format("eu-chat", alert.review.pk),
        {"decision": "continue", "reason": "fine"},
        format="json",
    )
    assert response.status_code == 403
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_outsiders_get_404_and_anonymous_401(personas, alert):
    outsider = api(personas.outsider)
    anonymous = api()
    for client, code in ((outsider, 404), (anonymous, 401)):
        assert client.get(ALERTS.format("eu-chat")).status_code == code
        assert client.get(REVIEWS.format("eu-chat")).status_code == code
        response = client.post(ACT.format("eu-chat", alert.pk, "acknowledge"), {}, format="json")
        assert response.status_code == code
        response = client.post(
            DECIDE.format("eu-chat", alert.review.pk),
            {"decision": "continue", "reason": "x"},
            format="json",
        )
        assert response.status_code == code
    # An id of ours under their own operation is not found either.
    response = outsider.post(ACT.format("rival-chat", alert.pk, "acknowledge"), {}, format="json")
    assert response.status_code == 404


def test_decide_through_the_api(personas, alert):
    client = api(personas.member)
    response = client.post(
        DECIDE.format("eu-chat", alert.review.pk),
        {"decision": "adjust", "reason": "range too tight"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "adjust" and body["decided_by"] == "ops_member"
    assert body["draft_version"] == Review.objects.get().draft_version.number
    response = client.post(
        DECIDE.format("eu-chat", alert.review.pk), {"decision": "maybe"}, format="json"
    )
    assert response.status_code == 400


def test_alert_list_query_count_is_flat(personas, django_assert_max_num_queries):
    client = api(personas.viewer)
    make_alert(personas.operation)
    client.get(ALERTS.format("eu-chat"))
    for i in range(20):
        make_alert(
            personas.operation, opened_on=date(2025, 1, 1) + timedelta(days=i), state="resolved"
        )
    with django_assert_max_num_queries(8):
        assert client.get(ALERTS.format("eu-chat")).json()["count"] == 21
    with django_assert_max_num_queries(8):
        assert client.get(REVIEWS.format("eu-chat")).json()["count"] == 21
