"""Webhook endpoints and the delivery log: the facilitator edits, other members read,
outsiders get 404; every change is audited."""

import pytest
from django.urls import reverse

from criteria.models import AuditEvent
from outbox.models import Delivery, Event, WebhookEndpoint
from tests.outbox.receiver import Receiver

READERS = ["ops_lead", "legal_lead", "member", "reviewer", "viewer"]
URL = "https://hooks.example.com/stopline"


def login(client, user):
    client.force_login(user)
    return client


def webhooks():
    return reverse("outbox:webhooks", args=["eu-chat"])


def action(endpoint, name):
    return reverse("outbox:webhook_action", args=["eu-chat", endpoint.pk, name])


@pytest.fixture
def endpoint(personas):
    return WebhookEndpoint.objects.create(
        operation=personas.operation, url=URL, secret="whsec_abcdefghijkl"
    )


def failed_delivery(personas, endpoint):
    event = Event.objects.create(
        organization=personas.org, operation=personas.operation, type="alert.opened", text="x"
    )
    return Delivery.objects.create(
        event=event,
        endpoint=endpoint,
        channel="webhook",
        target=endpoint.url,
        status="failed",
        attempts=30,
        last_response="HTTP 503",
        next_attempt_at="2026-01-01T00:00Z",
        give_up_at="2026-01-02T00:00Z",
    )


def test_the_facilitator_adds_an_endpoint_and_sees_its_secret_once(client, personas):
    login(client, personas.facilitator)
    response = client.post(
        webhooks(),
        {
            "url": URL,
            "event_types": ["alert.opened", "guardrail.changed"],
            "payload_format": "stopline",
            "description": "Ops channel",
        },
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["alert.opened", "guardrail.changed"]
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = client.get(webhooks()).content.decode()
    assert endpoint.secret not in again and endpoint.secret_hint in again
    assert AuditEvent.objects.filter(action="webhook_created").exists()


def test_a_bad_url_is_refused_with_a_message(client, personas):
    login(client, personas.facilitator)
    response = client.post(webhooks(), {"url": "ftp://x", "payload_format": "stopline"})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
    response = client.post(webhooks(), {"url": URL, "payload_format": "xml"})
    assert response.status_code == 400


def test_send_test_event_reaches_only_that_endpoint(
    client, personas, celery_eager, django_capture_on_commit_callbacks
):
    receiver = Receiver().start()
    try:
        target = WebhookEndpoint.objects.create(
            operation=personas.operation, url=receiver.url, secret="whsec_t"
        )
        receiver.secret = "whsec_t"
        WebhookEndpoint.objects.create(operation=personas.operation, url=URL, secret="whsec_other")
        login(client, personas.facilitator)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(action(target, "test")).status_code == 302
        assert len(receiver.calls) == 1 and receiver.calls[0]["signed"]
        assert Delivery.objects.get().status == "delivered"
    finally:
        receiver.stop()
    log = client.get(reverse("outbox:deliveries", args=["eu-chat"])).content.decode()
    assert "test.ping" in log and "Delivered" in log


def test_disable_enable_and_remove_are_audited(client, personas, endpoint):
    login(client, personas.facilitator)
    assert client.post(action(endpoint, "disable")).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert client.post(action(endpoint, "enable")).status_code == 302
    assert client.post(action(endpoint, "delete")).status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"webhook_disabled", "webhook_enabled", "webhook_deleted"} <= actions
    assert client.post(action(endpoint, "delete")).status_code == 404


@pytest.mark.parametrize("persona", READERS)
def test_others_see_but_cannot_edit(client, personas, endpoint, persona):
    delivery = failed_delivery(personas, endpoint)
    login(client, getattr(personas, persona))
    page = client.get(webhooks())
    assert page.status_code == 200
    assert URL in page.content.decode() and "Add endpoint" not in page.content.decode()
    assert client.post(webhooks(), {"url": URL, "payload_format": "slack"}).status_code == 403
    for name in ("test", "disable", "delete"):
        assert client.post(action(endpoint, name)).status_code == 403
    log = client.get(reverse("outbox:deliveries", args=["eu-chat"]))
    assert log.status_code == 200 and "Retry now" not in log.content.decode()
    retry = reverse("outbox:delivery_retry", args=["eu-chat", delivery.pk])
    assert client.post(retry).status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and Delivery.objects.get().status == "failed"


def test_outsiders_get_404_and_anonymous_logs_in(client, personas, endpoint):
    delivery = failed_delivery(personas, endpoint)
    urls = [webhooks(), reverse("outbox:deliveries", args=["eu-chat"])]
    posts = [action(endpoint, "delete"), reverse("outbox:delivery_retry", args=["eu-chat", 1])]
    for url in urls + posts:
        assert client.post(url).status_code == 302 or client.get(url).status_code == 302
    login(client, personas.outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(action(endpoint, "delete")).status_code == 404
    retry = reverse("outbox:delivery_retry", args=["eu-chat", delivery.pk])
    assert client.post(retry).status_code == 404
    # Their own operation's URL with our ids is no way in either.
    assert (
        client.post(
            reverse("outbox:webhook_action", args=["rival-chat", endpoint.pk, "delete"])
        ).status_code
        == 404
    )
    assert WebhookEndpoint.objects.exists()


def test_the_log_shows_failures_and_the_facilitator_retries_them(
    client, personas, endpoint, django_assert_max_num_queries
):
    delivery = failed_delivery(personas, endpoint)
    for _ in range(5):
        failed_delivery_extra = Delivery.objects.create(
            event=Event.objects.create(
                organization=personas.org, operation=personas.operation, type="x", text="y"
            ),
            channel="email",
            target="a@example.com",
            next_attempt_at="2026-01-01T00:00Z",
            give_up_at="2026-01-02T00:00Z",
        )
    assert failed_delivery_extra
    login(client, personas.facilitator)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("outbox:deliveries", args=["eu-chat"]) + "?status=failed")
    text = page.content.decode()
    assert "Failed (gave up)" in text and "HTTP 503" in text and "Retry now" in text
    response = client.post(reverse("outbox:delivery_retry", args=["eu-chat", delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert AuditEvent.objects.filter(action="delivery_retried").exists()


def test_the_webhooks_page_reads_a_bounded_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    for n in range(8):
        WebhookEndpoint.objects.create(
            operation=personas.operation, url=f"https://h{n}.example.com", secret="whsec_x"
        )
    login(client, personas.facilitator)
    with django_assert_max_num_queries(8):
        assert client.get(webhooks()).status_code == 200


def test_an_htmx_retry_answers_the_updated_row(client, personas, endpoint):
    delivery = failed_delivery(personas, endpoint)
    login(client, personas.facilitator)
    response = client.post(
        reverse("outbox:delivery_retry", args=["eu-chat", delivery.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith("<tr") and 'data-status="pending"' in row
    assert "<html" not in row
