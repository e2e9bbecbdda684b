"""Alert events through the outbox: e-mail and signed webhooks (a local server, no network),
written with the alert, sent after commit, retried until delivered or given up."""

import json
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from metrics.alerts.lifecycle import drift_evaluate
from metrics.alerts.reviews import alert_act
from outbox.endpoints import webhook_endpoint_create
from outbox.models import Delivery, Event
from outbox.services import outbox_sweep
from tests.criteria.signing import agree, membership
from tests.metrics.drift_data import add_days
from tests.outbox.receiver import Receiver

# Deliveries are Celery tasks: run them in-process even where REDIS_URL is set.
pytestmark = pytest.mark.usefixtures("celery_eager")

START = date(2026, 1, 5)


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


def _collapse(personas, receiver, capture, *, execute=True, payload_format="stopline"):
    version = agree(personas)
    version.targets.filter(key="escalation_rate").update(recipients=["duty@example.org"])
    op = personas.operation
    receiver.start()
    _, receiver.secret = webhook_endpoint_create(
        operation=op,
        actor=None,
        url=receiver.url,
        event_types=["alert.opened"],
        payload_format=payload_format,
    )
    add_days(op, START, 50, escalation=lambda i: 0.17 if i < 40 else 0.02)
    with capture(execute=execute):
        drift_evaluate(operation=op, through=START + timedelta(days=49))


def test_signed_webhook_and_email_after_commit(
    personas, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    _collapse(personas, receiver, django_capture_on_commit_callbacks)
    assert len(receiver.calls) == 1 and receiver.calls[0]["signed"]
    body = json.loads(receiver.calls[0]["body"])
    event = Event.objects.get(type="alert.opened")
    assert body["id"] == event.uid == receiver.calls[0]["id"]
    assert body["type"] == "alert.opened"
    assert body["data"]["indicator"] == "escalation_rate"
    assert body["data"]["indicator_name"] == "Human-escalation rate"
    # People read names, not keys.
    assert "Human-escalation rate fell below its range" in body["text"]
    assert "escalation_rate" not in body["text"]
    assert body["text"].endswith(f"/metrics/eu-chat/alerts/{body['data']['alert_id']}/")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    # The trigger's recipients and the owning department (operations), no one else.
    assert {m.to[0] for m in mailoutbox} == {
        "duty@example.org",
        "facilitator@example.com",
        "ops_lead@example.com",
        "ops_member@example.com",
    }
    subject = mailoutbox[0].subject
    assert "Human-escalation rate" in subject and "escalation_rate" not in subject


def test_links_start_with_site_url(
    personas, receiver, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://stopline.example.com/"
    _collapse(personas, receiver, django_capture_on_commit_callbacks)
    assert "https://stopline.example.com/metrics/eu-chat/alerts/" in mailoutbox[0].body
    body = json.loads(receiver.calls[0]["body"])
    assert body["data"]["url"].startswith("https://stopline.example.com/metrics/eu-chat/")


def test_slack_format_sends_text_only(personas, receiver, django_capture_on_commit_callbacks):
    _collapse(personas, receiver, django_capture_on_commit_callbacks, payload_format="slack")
    body = json.loads(receiver.calls[0]["body"])
    assert set(body) == {"text"}
    assert "Human-escalation rate" in body["text"]
    assert receiver.calls[0]["signed"]  # signed all the same


def test_nothing_is_sent_before_commit(personas, receiver, django_capture_on_commit_callbacks):
    _collapse(personas, receiver, django_capture_on_commit_callbacks, execute=False)
    assert receiver.calls == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    # The review opened with the alert is an event too (no endpoint subscribes to it).
    assert Event.objects.filter(type="review.opened").count() == 1


def test_a_failing_webhook_is_retried_with_backoff_then_given_up_after_24_hours(
    personas, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500] * 1000
    _collapse(personas, receiver, django_capture_on_commit_callbacks)
    webhook = Delivery.objects.get(channel="webhook")
    assert (webhook.status, webhook.attempts, webhook.last_status_code) == ("pending", 1, 500)
    first_wait = webhook.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)

    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(60):
            webhook.refresh_from_db()
            if webhook.status != "pending":
                break
            clock.move_to(webhook.next_attempt_at + timedelta(seconds=1))
            before = webhook.next_attempt_at
            with django_capture_on_commit_callbacks(execute=True):
                outbox_sweep()  # what beat does every minute
            webhook.refresh_from_db()
            if webhook.status == "pending":
                waits.append((webhook.next_attempt_at - before).total_seconds())
    assert webhook.status == "failed"
    assert waits[:3] == pytest.approx([61, 121, 241], abs=2)  # doubling...
    assert max(waits) <= 3601 + 1  # ...up to an hour
    assert len(receiver.calls) == webhook.attempts
    assert webhook.last_response == "HTTP 500"


def test_a_redelivered_task_does_not_send_again(
    personas, receiver, django_capture_on_commit_callbacks
):
    from outbox.tasks import delivery_attempt_task

    _collapse(personas, receiver, django_capture_on_commit_callbacks)
    webhook = Delivery.objects.get(channel="webhook")
    delivery_attempt_task.delay(webhook.pk)  # a redelivered task
    assert outbox_sweep() == 0
    assert len(receiver.calls) == 1


def test_resolving_and_deciding_are_events(personas, django_capture_on_commit_callbacks):
    from metrics.alerts.reviews import review_decide
    from tests.metrics.alert_data import make_alert

    agree(personas)
    alert = make_alert(personas.operation)
    member = membership(personas.ops_lead, personas.operation)
    review_decide(review=alert.review, membership=member, decision="continue", reason="Seasonal")
    alert_act(alert=alert, membership=member, action="resolve", note="Back to normal")
    decided = Event.objects.get(type="review.decided")
    assert decided.data["decision"] == "continue"
    assert "Human-escalation rate" in decided.text and "Ops_Lead Name" in decided.text
    resolved = Event.objects.get(type="alert.resolved")
    assert "Back to normal" in resolved.text
