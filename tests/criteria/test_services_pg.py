"""Sign-off under contention on PostgreSQL: four signatories at the same moment."""

import threading

import pytest
from django.db import connection, connections

from accounts.access import membership_get
from criteria.models import AuditEvent, CriteriaVersion
from criteria.services import version_propose, version_sign
from tests.conftest import require_or_skip

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_concurrent_signatures_agree_exactly_once(personas):
    require_or_skip(connection.vendor == "postgresql", "DATABASE_URL must point to PostgreSQL")
    version = version_propose(
        operation=personas.operation, membership=membership_get(personas.facilitator, personas.org)
    )
    signers = [personas.ops_lead, personas.legal_lead, personas.cx_lead, personas.finance_lead]
    memberships = [membership_get(u, personas.org) for u in signers]
    barrier = threading.Barrier(len(memberships))
    errors: list[BaseException] = []

    def sign(membership):
        try:
            barrier.wait()
            version_sign(
                operation=personas.operation,
                membership=membership,
                number=version.number,
                content_hash=version.content_hash,
                fresh_login=True,
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(m,)) for m in memberships]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    version.refresh_from_db()
    assert version.status == CriteriaVersion.Status.AGREED
    assert version.signatures.count() == 4
    assert AuditEvent.objects.filter(action="version_agreed").count() == 1
