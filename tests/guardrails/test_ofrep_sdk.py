"""The guardrail flags through the real OpenFeature Python SDK and its OFREP provider,
against a live Stopline server: what an AI platform would see."""

import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from guardrails.services import flag_key_create
from metrics.alerts.reviews import review_decide
from tests.criteria.signing import agree, membership
from tests.metrics.alert_data import make_alert

pytestmark = pytest.mark.django_db(transaction=True)
CONVERSATION = EvaluationContext(targeting_key="conversation-4711")


@pytest.fixture
def openfeature_client(live_server):
    made = []

    def make(token: str):
        domain = f"stopline-{len(made)}"
        provider = OFREPProvider(
            live_server.url,
            headers_factory=lambda: {"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        api.set_provider(provider, domain=domain)
        made.append(domain)
        return api.get_client(domain=domain)

    yield make
    api.clear_providers()


def test_a_pause_decided_in_a_review_turns_the_flag_false_for_the_client(
    personas, openfeature_client
):
    agree(personas)
    _, token = flag_key_create(operation=personas.operation, name="AI platform", actor=None)
    client = openfeature_client(token)

    before = client.get_boolean_details("ai-handling-complex", False, CONVERSATION)
    assert before.value is True
    assert before.reason == Reason.STATIC
    assert before.error_code is None
    assert client.get_boolean_value("ai-handling-simple", False, CONVERSATION) is True

    alert = make_alert(personas.operation, indicator="fcr_complex", owner="cx")
    review_decide(
        review=alert.review,
        membership=membership(personas.cx_lead, personas.operation),
        decision="pause",
        pause_segment="complex",
        reason="Complex refunds go wrong; humans take them until the fix.",
    )

    after = client.get_boolean_details("ai-handling-complex", True, CONVERSATION)
    assert after.value is False
    assert after.variant == "paused"
    assert "Complex refunds go wrong" in after.flag_metadata["explanation"]
    assert client.get_boolean_value("ai-handling-simple", False, CONVERSATION) is True
    assert client.get_string_value("handoff-mode", "?", CONVERSATION) == "normal"


def test_a_bad_or_revoked_key_gets_the_default_and_an_error(personas, openfeature_client):
    from guardrails.services import flag_key_revoke

    key, token = flag_key_create(operation=personas.operation, name="old", actor=None)
    flag_key_revoke(key=key, actor=None)
    for bad in ("slk_not-a-key", token):
        details = openfeature_client(bad).get_boolean_details(
            "ai-handling-complex", True, CONVERSATION
        )
        assert details.value is True  # the code default: the server refused
        assert details.error_code == ErrorCode.GENERAL
        assert details.error_message == "unauthorized"


def test_unknown_flag_and_missing_targeting_key_are_reported(personas, openfeature_client):
    _, token = flag_key_create(operation=personas.operation, name="AI platform", actor=None)
    client = openfeature_client(token)

    missing = client.get_boolean_details("ai-handling-everything", True, CONVERSATION)
    assert missing.error_code == ErrorCode.FLAG_NOT_FOUND
    assert missing.value is True

    anonymous = client.get_boolean_details(
        "ai-handling-complex", True, EvaluationContext(attributes={"channel": "chat"})
    )
    assert anonymous.error_code == ErrorCode.TARGETING_KEY_MISSING


def test_the_example_in_docs_integrations_gates_an_agent(personas, live_server):
    """docs/integrations.md's example (at most 15 lines), run as written against the server."""
    from pathlib import Path

    from django.conf import settings

    from guardrails.models import Pause
    from guardrails.services import pause_start

    doc = (Path(settings.BASE_DIR) / "docs" / "integrations.md").read_text()
    code = doc.split("### Gate an AI agent")[1].split("```python\n")[1].split("```")[0]
    assert len(code.strip().splitlines()) <= 15
    _, token = flag_key_create(operation=personas.operation, name="docs", actor=None)
    code = code.replace("slk_...", token).replace(
        '"https://stopline.example.com"', repr(live_server.url)
    )

    class Conversation:
        id, is_complex = "conversation-9", True

        def hand_to_human(self, reason):
            return ("human", reason)

        def ai_reply(self, cautious):
            return ("ai", cautious)

    namespace: dict = {}
    try:
        exec(compile(code, "integrations.md", "exec"), namespace)  # noqa: S102 - our own docs
        assert namespace["handle"](Conversation()) == ("ai", False)
        pause_start(
            operation=personas.operation,
            segment="complex",
            reason="Refunds",
            source=Pause.Source.COMMAND,
        )
        assert namespace["handle"](Conversation())[0] == "human"
    finally:
        api.clear_providers()
