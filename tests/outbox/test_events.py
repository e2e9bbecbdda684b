"""Events are written with the change that causes them, and say what happened in words."""

import pytest
from django.db import transaction

from guardrails.models import Pause
from guardrails.services import pause_end, pause_start
from outbox.models import Delivery, Event, WebhookEndpoint
from outbox.services import event_emit
from tests.criteria.signing import agree


def test_criteria_agreed_names_the_version_and_its_signatories(personas):
    agree(personas)
    event = Event.objects.get(type="criteria.agreed")
    assert event.operation == personas.operation
    assert event.data["version"] == 1
    assert {s["department"] for s in event.data["signatures"]} == {
        "Operations",
        "Legal",
        "Customer experience",
        "Finance",
    }
    assert "criteria version 1 is agreed" in event.text
    assert "Human-escalation rate" in {i["name"] for i in event.data["indicators"]}
    assert event.data["url"].endswith("/ops/eu-chat/versions/1/")


def test_guardrail_changes_say_who_why_and_the_flags(personas):
    pause_start(
        operation=personas.operation, segment="simple", reason="Outage", source=Pause.Source.COMMAND
    )
    pause_end(operation=personas.operation, segment="simple", reason="Fixed")
    paused, resumed = Event.objects.filter(type="guardrail.changed").order_by("id")
    assert paused.data["paused"] is True and paused.data["flags"]["ai-handling-simple"] is False
    assert "paused for simple cases, by command line: Outage" in paused.text
    assert resumed.data["paused"] is False and resumed.data["flags"]["ai-handling-simple"] is True
    assert resumed.data["reason"] == "Fixed"


def test_a_rolled_back_change_leaves_no_event_and_no_delivery(personas):
    WebhookEndpoint.objects.create(
        operation=personas.operation, url="https://hooks.example.com/x", secret="s"
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        pause_start(
            operation=personas.operation, segment="all", reason="x", source=Pause.Source.COMMAND
        )
        assert Delivery.objects.exists()
        raise RuntimeError("the change fails after the event was written")
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert not Pause.objects.exists()


def test_endpoints_get_only_what_they_subscribe_to_and_disabled_ones_nothing(personas):
    op = personas.operation
    alerts = WebhookEndpoint.objects.create(
        operation=op, url="https://a.example.com", secret="s", event_types=["alert.opened"]
    )
    everything = WebhookEndpoint.objects.create(
        operation=op, url="https://b.example.com", secret="s"
    )
    WebhookEndpoint.objects.create(
        operation=op, url="https://c.example.com", secret="s", is_active=False
    )
    WebhookEndpoint.objects.create(
        operation=personas.other_operation, url="https://d.example.com", secret="s"
    )
    event_emit(operation=op, type="alert.opened", data={}, text="x", emails=["A@x.org", "a@x.org"])
    event_emit(operation=op, type="review.opened", data={}, text="y")
    rows = Delivery.objects.values_list("event__type", "target")
    assert sorted(rows) == sorted(
        [
            ("alert.opened", alerts.url),
            ("alert.opened", everything.url),
            ("alert.opened", "a@x.org"),
            ("review.opened", everything.url),
        ]
    )


def test_two_endpoints_with_one_url_get_one_delivery_of_an_event(personas):
    """Found by the API fuzzer: a pause with two endpoints on one URL was a 500
    (delivery_once_per_target). The older endpoint that takes the event gets it."""
    op = personas.operation
    url = "https://same.example.com/hook"
    alerts_only = WebhookEndpoint.objects.create(
        operation=op, url=url, secret="s", event_types=["alert.opened"]
    )
    everything = WebhookEndpoint.objects.create(operation=op, url=url, secret="s")

    event_emit(operation=op, type="alert.opened", data={}, text="x")
    event_emit(operation=op, type="guardrail.changed", data={}, text="y")

    rows = Delivery.objects.order_by("id").values_list("event__type", "endpoint_id")
    assert list(rows) == [("alert.opened", alerts_only.pk), ("guardrail.changed", everything.pk)]


def test_the_people_who_may_stop_the_ai_hear_of_a_pause_by_email(
    personas, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pause_start(
            operation=personas.operation,
            segment="complex",
            reason="Refunds",
            source=Pause.Source.COMMAND,
        )
    # The facilitator and the signatories of the trigger owners (operations, cx, legal).
    assert sorted(m.to[0] for m in mailoutbox) == [
        "cx_lead@example.com",
        "facilitator@example.com",
        "legal_lead@example.com",
        "ops_lead@example.com",
    ]
    assert mailoutbox[0].subject == "EU chat: the AI is paused for complex cases"
    assert "Refunds" in mailoutbox[0].body and "/guardrails/eu-chat/" in mailoutbox[0].body
