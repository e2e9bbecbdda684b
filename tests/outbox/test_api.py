"""The webhook endpoints' REST API: members read, the facilitator changes, outsiders get 404;
the secret is answered once; bad input is a 400 naming the field; every change is audited."""

import pytest
from rest_framework.test import APIClient

from criteria.models import AuditEvent
from outbox.models import Delivery, WebhookEndpoint

LIST = "/api/v1/operations/eu-chat/webhooks/"
READERS = ["ops_lead", "legal_lead", "member", "reviewer", "viewer"]
URL = "https://hooks.example.com/stopline"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def detail(endpoint) -> str:
    return f"{LIST}{endpoint.pk}/"


@pytest.fixture
def endpoint(personas):
    return WebhookEndpoint.objects.create(
        operation=personas.operation, url=URL, secret="whsec_abcdefghijkl"
    )


def test_the_facilitator_adds_an_endpoint_and_gets_its_secret_once(personas):
    response = api(personas.facilitator).post(
        LIST,
        {"url": URL, "event_types": ["alert.opened"], "description": "On-call"},
        format="json",
    )

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    stored = WebhookEndpoint.objects.get()
    assert body["secret"] == stored.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["event_types"], body["is_active"]) == (URL, ["alert.opened"], True)
    assert AuditEvent.objects.filter(action="webhook_created").count() == 1
    listed = api(personas.facilitator).get(LIST).json()
    assert [e["id"] for e in listed] == [stored.pk]
    assert "secret" not in listed[0]
    assert "secret" not in api(personas.facilitator).get(detail(stored)).json()


@pytest.mark.parametrize("persona", READERS)
def test_members_read_but_do_not_change(personas, endpoint, persona):
    user = getattr(personas, persona)
    assert api(user).get(LIST).status_code == 200
    assert api(user).get(detail(endpoint)).json()["url"] == URL
    assert api(user).post(LIST, {"url": URL}, format="json").status_code == 403
    assert api(user).patch(detail(endpoint), {"is_active": False}, format="json").status_code == 403
    assert api(user).post(f"{detail(endpoint)}test/").status_code == 403
    assert api(user).delete(detail(endpoint)).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.is_active and WebhookEndpoint.objects.count() == 1
    assert not Delivery.objects.exists()


def test_anonymous_401_outsiders_and_other_operations_404(personas, endpoint):
    assert api().get(LIST).status_code == 401
    outsider = api(personas.outsider)
    assert outsider.get(LIST).status_code == 404
    assert outsider.post(LIST, {"url": URL}, format="json").status_code == 404
    assert outsider.delete(detail(endpoint)).status_code == 404
    # The facilitator of another organization cannot reach this one's endpoint by its id.
    other = f"/api/v1/operations/{personas.other_operation.slug}/webhooks/{endpoint.pk}/"
    assert outsider.get(other).status_code == 404
    assert outsider.delete(other).status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_disable_test_and_remove(personas, endpoint):
    client = api(personas.facilitator)

    disabled = client.patch(detail(endpoint), {"is_active": False}, format="json")
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    queued = client.post(f"{detail(endpoint)}test/")
    assert queued.status_code == 202
    delivery = Delivery.objects.get(pk=queued.json()["delivery_id"])
    assert (delivery.endpoint_id, delivery.event.type) == (endpoint.pk, "test.ping")
    assert client.delete(detail(endpoint)).status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert client.get(detail(endpoint)).status_code == 404
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"webhook_disabled", "webhook_deleted"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": URL, "event_types": ["alert.nonsense"]}, "event_types"),
        ({"url": URL, "event_types": "alert.opened"}, "event_types"),
        ({"url": URL, "payload_format": "xml"}, "payload_format"),
        ({"url": URL, "description": 5}, "description"),
    ],
)
def test_bad_input_is_400_naming_the_field(personas, body, field):
    response = api(personas.facilitator).post(LIST, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_private_address_is_refused_with_a_message(personas, settings):
    settings.STOPLINE_WEBHOOK_ALLOW_PRIVATE = False
    response = api(personas.facilitator).post(
        LIST, {"url": "http://169.254.169.254/latest/"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_url_used_by_another_endpoint_is_refused(personas, endpoint):
    response = api(personas.facilitator).post(LIST, {"url": URL}, format="json")
    assert response.status_code == 400
    assert "already" in response.json()["error"]["message"]
    assert WebhookEndpoint.objects.count() == 1


def test_patch_without_a_change_changes_nothing_and_a_form_body_is_refused(personas, endpoint):
    client = api(personas.facilitator)
    assert client.patch(detail(endpoint), {}, format="json").json()["is_active"] is True
    assert client.patch(detail(endpoint), {"is_active": "0"}).status_code == 415
    assert client.patch(detail(endpoint), {"is_active": 0}, format="json").status_code == 400
    assert client.get(f"{LIST}%0A/").json()["error"]["code"] == "not_found"
    assert not AuditEvent.objects.filter(action="webhook_disabled").exists()
