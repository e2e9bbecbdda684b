"""The guardrails page: everyone in the organization reads it; the facilitator and the
signatories of trigger-owning departments stop and resume; the facilitator manages keys."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from criteria.models import AuditEvent
from guardrails.models import FlagKey, Pause, key_digest
from outbox.models import Event

READERS = ["facilitator", "ops_lead", "legal_lead", "finance_lead", "member", "reviewer", "viewer"]
STOPPERS = ["facilitator", "ops_lead", "legal_lead", "cx_lead"]
NOT_STOPPERS = ["finance_lead", "member", "reviewer", "viewer"]


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"guardrails:{name}", args=["eu-chat", *args])


@pytest.mark.parametrize("persona", READERS)
def test_every_member_reads_the_flags_and_history(client, personas, persona):
    login(client, getattr(personas, persona))
    response = client.get(url("state"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ai-handling-complex" in page
    assert "handoff-mode" in page


def test_outsiders_get_404_and_anonymous_logs_in(client, personas):
    key = FlagKey.objects.create(operation=personas.operation, name="k", digest="d", hint="h")
    posts = [
        url("stop", "pause"),
        url("stop", "resume"),
        url("key_create"),
        url("key_revoke", key.pk),
    ]
    assert client.get(url("state")).status_code == 302
    for target in posts:
        assert client.post(target, {"segment": "all", "reason": "x"}).status_code == 302
    login(client, personas.outsider)
    assert client.get(url("state")).status_code == 404
    for target in posts:
        assert client.post(target, {"segment": "all", "reason": "x"}).status_code == 404
    assert not Pause.objects.exists()
    assert FlagKey.objects.get().revoked_at is None


@pytest.mark.parametrize("persona", STOPPERS)
def test_facilitator_and_owning_signatories_stop_and_resume(client, personas, persona):
    user = getattr(personas, persona)
    login(client, user)
    response = client.post(url("stop", "pause"), {"segment": "complex", "reason": "Bad refunds"})
    assert response.status_code == 302
    pause = Pause.objects.get()
    assert pause.is_standing and pause.source == "emergency" and pause.started_by == user
    page = client.get(url("state")).content.decode()
    assert "Paused: complex cases" in page

    response = client.post(url("stop", "resume"), {"segment": "complex", "reason": "Fixed"})
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.ended_by == user and pause.end_reason == "Fixed"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "guardrail_paused" in actions and "guardrail_resumed" in actions
    assert Event.objects.filter(type="guardrail.changed").count() == 2


@pytest.mark.parametrize("persona", NOT_STOPPERS)
def test_others_cannot_stop_or_resume(client, personas, persona):
    Pause.objects.create(
        operation=personas.operation,
        segment="simple",
        source="command",
        reason="x",
        started_by_name="cli",
        started_at="2026-01-01T00:00Z",
    )
    login(client, getattr(personas, persona))
    page = client.get(url("state")).content.decode()
    assert "Stop the AI for this segment" not in page
    for action in ("pause", "resume"):
        response = client.post(url("stop", action), {"segment": "simple", "reason": "x"})
        assert response.status_code == 403
    assert Pause.objects.get().is_standing


def test_a_stop_needs_a_reason_and_resume_needs_a_standing_pause(client, personas):
    login(client, personas.facilitator)
    response = client.post(url("stop", "pause"), {"segment": "complex", "reason": ""})
    assert response.status_code == 400
    assert not Pause.objects.exists()
    response = client.post(url("stop", "resume"), {"segment": "complex", "reason": "why not"})
    assert response.status_code == 409
    assert "No pause stands" in response.content.decode()
    assert client.post(url("stop", "explode"), {"segment": "all", "reason": "x"}).status_code == 404


def test_the_facilitator_creates_a_key_shown_once_and_revokes_it(client, personas):
    login(client, personas.facilitator)
    response = client.post(url("key_create"), {"name": "Production platform"})
    assert response.status_code == 201
    token = response.context["new_token"]
    assert token in response.content.decode()
    key = FlagKey.objects.get()
    assert key.digest == key_digest(token) and token not in key.digest
    assert token not in client.get(url("state")).content.decode()  # never again

    assert client.post(url("key_revoke", key.pk)).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"flag_key_created", "flag_key_revoked"} <= actions


@pytest.mark.parametrize("persona", ["ops_lead", "member", "reviewer", "viewer"])
def test_only_the_facilitator_manages_keys(client, personas, persona):
    key = FlagKey.objects.create(operation=personas.operation, name="k", digest="d", hint="h")
    login(client, getattr(personas, persona))
    assert client.post(url("key_create"), {"name": "mine"}).status_code == 403
    assert client.post(url("key_revoke", key.pk)).status_code == 403
    assert FlagKey.objects.count() == 1 and FlagKey.objects.get().revoked_at is None


def test_guardrail_command_pauses_and_resumes_with_a_reason(personas, capsys):
    call_command("guardrail", "eu-chat", "pause", "complex", "--reason", "Night incident")
    assert "paused for complex cases" in capsys.readouterr().out
    pause = Pause.objects.get()
    assert pause.source == "command" and pause.started_by_name == "command line"
    call_command("guardrail", "eu-chat", "pause", "complex", "--reason", "again")
    assert "stands already" in capsys.readouterr().out
    assert Pause.objects.count() == 1
    call_command("guardrail", "eu-chat", "resume", "complex", "--reason", "Patched")
    pause.refresh_from_db()
    assert not pause.is_standing and pause.end_reason == "Patched"
    with pytest.raises(CommandError, match="No pause stands"):
        call_command("guardrail", "eu-chat", "resume", "complex", "--reason", "x")
    with pytest.raises(CommandError, match="no operation"):
        call_command("guardrail", "nope", "pause", "all", "--reason", "x")
    with pytest.raises(CommandError):
        call_command("guardrail", "eu-chat", "pause", "all", "--reason", "   ")


def test_guardrail_key_command_prints_a_working_key_once(client, personas, capsys):
    call_command("guardrail_key", "eu-chat", "--name", "platform")
    token = capsys.readouterr().out.strip()
    assert FlagKey.objects.get().digest == key_digest(token)
    response = client.post(
        "/ofrep/v1/evaluate/flags",
        data={"context": {"targetingKey": "c"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    with pytest.raises(CommandError):
        call_command("guardrail_key", "nope")


def test_resuming_one_segment_under_a_pause_for_all_says_what_to_do(personas):
    from accounts.errors import Conflict
    from guardrails.services import pause_end, pause_start

    pause_start(operation=personas.operation, segment="all", reason="x", source="command")
    with pytest.raises(Conflict, match="resume all"):
        pause_end(operation=personas.operation, segment="simple", reason="y")


def test_the_page_reads_a_bounded_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    for n in range(6):
        FlagKey.objects.create(operation=personas.operation, name=f"k{n}", digest=f"d{n}", hint="h")
        Pause.objects.create(
            operation=personas.operation,
            segment="simple",
            source="command",
            reason="x",
            started_by_name="cli",
            started_at="2026-01-01T00:00Z",
            ended_at="2026-01-02T00:00Z",
        )
    login(client, personas.facilitator)
    with django_assert_max_num_queries(14):
        assert client.get(url("state")).status_code == 200


def test_an_htmx_revoke_answers_the_updated_row(client, personas):
    key = FlagKey.objects.create(operation=personas.operation, name="k", digest="d", hint="slk_ab")
    login(client, personas.facilitator)
    response = client.post(url("key_revoke", key.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith("<tr") and "revoked" in row and "<html" not in row


def test_the_flags_table_refreshes_itself_through_htmx(client, personas):
    login(client, personas.viewer)
    page = client.get(url("state")).content.decode()
    assert 'hx-trigger="every 15s"' in page
    Pause.objects.create(
        operation=personas.operation,
        segment="complex",
        source="command",
        reason="Incident",
        started_by_name="cli",
        started_at="2026-01-01T00:00Z",
    )
    fragment = client.get(url("state"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<table id="flags"') and "<html" not in fragment
    assert "Incident" in fragment
