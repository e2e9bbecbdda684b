"""Tamper-evident audit: hash chain, verify_audit, append-only on PostgreSQL, page and CSV."""

import contextlib
import csv
import io

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from criteria.models import AuditEvent, Operation
from criteria.services import audit_record, operation_archive, operation_create
from tests.criteria.test_views import login


def record(operation: Operation, summary: str, actor=None) -> AuditEvent:
    return audit_record(operation=operation, actor=actor, action="note", summary=summary)


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


def tampering():
    """Go past the append-only trigger, as someone with database access could."""
    if connection.vendor == "postgresql":
        return pgtrigger.ignore("criteria.AuditEvent:audit_append_only")
    return contextlib.nullcontext()


def test_events_chain_per_organization_and_verify(personas):
    first = record(personas.operation, "one", personas.facilitator)
    second = record(personas.operation, "two")
    other = record(personas.other_operation, "rival's")
    before = (
        AuditEvent.objects.filter(organization=personas.org, pk__lt=first.pk)
        .order_by("-pk")
        .first()
    )
    assert first.prev_hash == (before.event_hash if before else "")
    assert second.prev_hash == first.event_hash and len(second.event_hash) == 64
    assert other.prev_hash != second.event_hash  # each organization has its own chain
    total = AuditEvent.objects.count()
    assert verify() == f"OK {total} events"
    acme = AuditEvent.objects.filter(organization=personas.org).count()
    assert verify("--org", "acme") == f"OK {acme} events"


def test_an_edited_event_breaks_the_chain(personas):
    record(personas.operation, "one")
    victim = record(personas.operation, "two")
    record(personas.operation, "three")
    with tampering():
        AuditEvent.objects.filter(pk=victim.pk).update(summary="nothing happened")
    with pytest.raises(CommandError, match=rf"BROKEN acme: event {victim.pk} .*edited"):
        verify("--org", "acme")
    # The other organization's chain is intact.
    assert verify("--org", "rival").startswith("OK ")


def test_a_removed_event_breaks_the_chain(personas):
    record(personas.operation, "one")
    victim = record(personas.operation, "two")
    after = record(personas.operation, "three")
    with tampering():
        AuditEvent.objects.filter(pk=victim.pk).delete()
    with pytest.raises(CommandError, match=rf"event {after.pk} .*removed or changed"):
        verify()


def test_verify_audit_refuses_an_unknown_organization(personas):
    with pytest.raises(CommandError, match="No organization"):
        verify("--org", "nope")


@pytest.mark.postgres
def test_postgres_rejects_update_and_delete_of_an_event(personas):
    event = record(personas.operation, "signed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM criteria_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).summary == "signed"


def test_an_operation_with_history_cannot_be_deleted_only_archived(client, personas):
    record(personas.operation, "something happened")
    with pytest.raises(ProtectedError), transaction.atomic():
        personas.operation.delete()
    operation_archive(operation=personas.operation, actor=personas.facilitator)
    login(client, personas.facilitator)
    assert "EU chat" not in client.get(reverse("criteria:operation_list")).content.decode()
    # History stays readable and grows by the archiving itself.
    page = client.get(reverse("criteria:audit", args=["eu-chat"])).content.decode()
    assert "Archived operation EU chat" in page and "something happened" in page
    assert verify("--org", "acme").startswith("OK ")


def test_the_admin_cannot_delete_operations_or_events(admin_client, personas):
    record(personas.operation, "x")
    event = AuditEvent.objects.filter(organization=personas.org).first()
    url = reverse("admin:criteria_operation_delete", args=[personas.operation.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    url = reverse("admin:criteria_auditevent_delete", args=[event.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Operation.objects.filter(pk=personas.operation.pk).exists()


def test_audit_page_filters_and_exports_csv(client, personas):
    audit_record(
        operation=personas.operation, actor=personas.legal_lead, action="comment", summary="A"
    )
    audit_record(
        operation=personas.operation,
        actor=personas.facilitator,
        action="note",
        summary='=HYPERLINK("http://evil.example","click")',
    )
    login(client, personas.viewer)
    url = reverse("criteria:audit", args=["eu-chat"])
    page = client.get(url, {"actor": "legal_lead"}).content.decode()
    assert "<td>comment</td>" in page and "HYPERLINK" not in page
    page = client.get(url, {"action": "note"}).content.decode()
    assert "HYPERLINK" in page and "<td>comment</td>" not in page
    assert client.get(url, {"since": "not a date"}).status_code == 200
    response = client.get(reverse("criteria:audit_csv", args=["eu-chat"]), {"action": "note"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "at_utc", "actor", "action"]
    summaries = [r[5] for r in rows[1:]]
    assert summaries == ['\'=HYPERLINK("http://evil.example","click")']
    assert len(rows[1][6]) == 64


def test_other_organizations_get_404_for_the_audit(client, personas):
    login(client, personas.outsider)
    assert client.get(reverse("criteria:audit", args=["eu-chat"])).status_code == 404
    assert client.get(reverse("criteria:audit_csv", args=["eu-chat"])).status_code == 404


def test_operation_create_is_audited_and_chained(personas):
    op = operation_create(organization=personas.org, slug="new-op", title="New")
    assert op.pk
    assert verify("--org", "acme").startswith("OK ")
