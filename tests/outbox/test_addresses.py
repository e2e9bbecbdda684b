"""Webhooks go to public addresses only (SSRF): not to this machine, the cloud's metadata
address or the private network, neither when saved nor at delivery, and never by a redirect."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from accounts.errors import StoplineError
from outbox.endpoints import webhook_endpoint_create
from outbox.models import Delivery, WebhookEndpoint
from outbox.services import endpoint_test_emit
from tests.outbox.receiver import Receiver

INSIDE = [
    "http://127.0.0.1:6379/",
    "http://localhost:8000/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
]


@pytest.fixture
def rule_on(settings):
    settings.STOPLINE_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize("url", INSIDE)
def test_an_inside_address_is_refused_when_saved(personas, rule_on, url):
    with pytest.raises(StoplineError, match="public addresses only|cannot be resolved"):
        webhook_endpoint_create(
            operation=personas.operation, actor=personas.facilitator, url=url, event_types=[]
        )
    assert not WebhookEndpoint.objects.exists()


def test_the_settings_page_says_why_and_saves_nothing(client, personas, rule_on):
    client.force_login(personas.facilitator)
    response = client.post(
        reverse("outbox:webhooks", args=["eu-chat"]),
        {"url": "http://169.254.169.254/latest/", "payload_format": "stopline"},
    )
    assert response.status_code == 400
    assert "public addresses only" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_is_accepted(personas, rule_on):
    endpoint, _ = webhook_endpoint_create(
        operation=personas.operation,
        actor=personas.facilitator,
        url="https://93.184.216.34/hooks",
        event_types=[],
    )
    assert endpoint.url == "https://93.184.216.34/hooks"


def test_delivery_checks_the_address_again(
    personas, settings, celery_eager, django_capture_on_commit_callbacks
):
    """Saved while private receivers were allowed (or the name pointed elsewhere): at
    delivery the address is checked again and nothing is sent."""
    receiver = Receiver().start()
    try:
        endpoint = WebhookEndpoint.objects.create(
            operation=personas.operation, url=receiver.url, secret="whsec_x"
        )
        settings.STOPLINE_WEBHOOK_ALLOW_PRIVATE = False
        with django_capture_on_commit_callbacks(execute=True):
            endpoint_test_emit(endpoint=endpoint)
        delivery = Delivery.objects.get()
        assert delivery.status in ("pending", "failed")
        assert "public addresses only" in delivery.last_response
        assert receiver.calls == []
    finally:
        receiver.stop()


def test_a_redirect_is_not_followed(personas, celery_eager, django_capture_on_commit_callbacks):
    inside = Receiver().start()

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(307)
            self.send_header("Location", inside.url)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = WebhookEndpoint.objects.create(
            operation=personas.operation,
            url=f"http://127.0.0.1:{server.server_address[1]}/hook",
            secret="whsec_x",
        )
        with django_capture_on_commit_callbacks(execute=True):
            endpoint_test_emit(endpoint=endpoint)
        delivery = Delivery.objects.get()
        assert delivery.status != "delivered"
        assert delivery.last_status_code == 307
        assert inside.calls == []
    finally:
        server.shutdown()
        inside.stop()
