"""The issue's "done when", end to end through the pages (no /admin/): a facilitator adds a
webhook and an OFREP key, a review decides to pause complex cases, an OpenFeature client
(the real SDK) flips to false, and the receiver gets a signed `guardrail.changed` webhook."""

import json

import pytest
from django.urls import reverse
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext

from tests.criteria.signing import agree
from tests.metrics.alert_data import make_alert
from tests.outbox.receiver import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


def test_a_review_pauses_complex_cases_the_client_flips_and_a_signed_webhook_arrives(
    client, personas, live_server
):
    agree(personas)
    receiver = Receiver().start()
    client.force_login(personas.facilitator)
    try:
        added = client.post(
            reverse("outbox:webhooks", args=["eu-chat"]),
            {
                "url": receiver.url,
                "event_types": ["guardrail.changed"],
                "payload_format": "stopline",
            },
        )
        receiver.secret = added.context["new_secret"]
        made = client.post(reverse("guardrails:key_create", args=["eu-chat"]), {"name": "AI"})
        token = made.context["new_token"]

        api.set_provider(
            OFREPProvider(
                live_server.url, headers_factory=lambda: {"Authorization": f"Bearer {token}"}
            ),
            domain="done-when",
        )
        flags = api.get_client(domain="done-when")
        conversation = EvaluationContext(targeting_key="conversation-1")
        assert flags.get_boolean_value("ai-handling-complex", False, conversation) is True

        alert = make_alert(personas.operation, indicator="fcr_complex", owner="operations")
        decided = client.post(
            reverse("metrics:review_decide", args=["eu-chat", alert.review.pk]),
            {"decision": "pause", "pause_segment": "complex", "reason": "Refunds go wrong"},
        )
        assert decided.status_code == 302

        assert flags.get_boolean_value("ai-handling-complex", True, conversation) is False
        assert flags.get_boolean_value("ai-handling-simple", False, conversation) is True
        [call] = receiver.calls
        assert call["signed"]
        body = json.loads(call["body"])
        assert body["type"] == "guardrail.changed"
        assert body["data"]["flags"]["ai-handling-complex"] is False
        assert "Refunds go wrong" in body["text"]
        page = client.get(reverse("guardrails:state", args=["eu-chat"])).content.decode()
        assert "Paused: complex cases" in page and "review #" in page
    finally:
        api.clear_providers()
        receiver.stop()
