"""Notifications: e-mail and a Slack-compatible webhook (a local server, no network)."""

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from metrics.alerts.lifecycle import drift_evaluate
from metrics.models import NotificationAttempt, OperationNotificationSettings
from tests.criteria.signing import agree
from tests.metrics.drift_data import add_days

# Notifications are Celery tasks: run them in-process even where REDIS_URL is set.
pytestmark = pytest.mark.usefixtures("celery_eager")

START = date(2026, 1, 5)


class _Hook(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            (self.headers["Content-Type"], json.loads(self.rfile.read(length)))
        )
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def _collapse(personas, url, capture):
    version = agree(personas)
    version.targets.filter(key="escalation_rate").update(recipients=["duty@example.org"])
    op = personas.operation
    OperationNotificationSettings.objects.create(operation=op, webhook_url=url)
    add_days(op, START, 50, escalation=lambda i: 0.17 if i < 40 else 0.02)
    with capture(execute=True):
        drift_evaluate(operation=op, through=START + timedelta(days=49))


def test_webhook_and_email_after_commit(
    personas, hook, mailoutbox, django_capture_on_commit_callbacks
):
    handler, url = hook
    _collapse(personas, url, django_capture_on_commit_callbacks)
    assert len(handler.received) == 1
    content_type, body = handler.received[0]
    assert content_type == "application/json"
    assert set(body) == {"text"}
    assert "escalation_rate fell below its range" in body["text"]
    webhook = NotificationAttempt.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempt, webhook.response) == ("sent", 1, "HTTP 200")
    emails = NotificationAttempt.objects.filter(channel="email")
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    assert {m.to[0] for m in mailoutbox} == set(emails.values_list("target", flat=True))
    # The trigger's recipients and the owning department (operations), no one else.
    assert {m.to[0] for m in mailoutbox} == {
        "duty@example.org",
        "facilitator@example.com",
        "ops_lead@example.com",
        "ops_member@example.com",
    }


def test_a_failing_webhook_is_retried_and_every_attempt_logged(
    personas, hook, settings, django_capture_on_commit_callbacks
):
    settings.STOPLINE_NOTIFICATION_ATTEMPTS = 3
    handler, url = hook
    handler.status = 500
    _collapse(personas, url, django_capture_on_commit_callbacks)
    attempts = list(
        NotificationAttempt.objects.filter(channel="webhook").values_list(
            "attempt", "status", "response"
        )
    )
    assert [(a, s) for a, s, _ in attempts] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert "500" in attempts[0][2]
    assert len(handler.received) == 3


def test_nothing_is_sent_before_commit(personas, hook, django_capture_on_commit_callbacks):
    handler, url = hook
    _collapse(personas, url, lambda execute: django_capture_on_commit_callbacks(execute=False))
    assert handler.received == []
    assert set(NotificationAttempt.objects.values_list("status", flat=True)) == {"pending"}


def test_an_attempt_is_delivered_once(personas, hook, django_capture_on_commit_callbacks):
    from metrics.tasks import notification_send

    handler, url = hook
    _collapse(personas, url, django_capture_on_commit_callbacks)
    webhook = NotificationAttempt.objects.get(channel="webhook")
    notification_send.delay(webhook.pk)  # a redelivered task
    assert len(handler.received) == 1
