import pytest

from accounts.access import membership_get
from accounts.errors import Conflict, PermissionDenied, ReauthRequired
from criteria.models import CriteriaVersion
from criteria.services import (
    position_propose,
    target_set,
    version_latest,
    version_propose,
    version_sign,
)
from tests.conftest import PASSWORD

SIGNATORIES = ["ops_lead", "legal_lead", "cx_lead", "finance_lead"]


def _m(personas, name):
    return membership_get(getattr(personas, name), personas.org)


def sign_all(personas, version):
    for name in SIGNATORIES:
        version_sign(
            operation=personas.operation,
            membership=_m(personas, name),
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=True,
        )


def test_all_four_signatures_agree_the_version(personas):
    version = version_propose(operation=personas.operation, membership=_m(personas, "facilitator"))
    sign_all(personas, version)
    version.refresh_from_db()
    assert version.status == CriteriaVersion.Status.AGREED
    assert version.signatures.count() == 4
    assert all(s.content_hash == version.content_hash for s in version.signatures.all())


def test_edit_after_agreement_opens_new_draft_and_save_without_change_does_not(personas):
    fac = _m(personas, "facilitator")
    version = version_propose(operation=personas.operation, membership=fac)
    sign_all(personas, version)
    same, changed = target_set(
        operation=personas.operation,
        membership=fac,
        key="escalation_rate",
        values={"range_min": "0.08", "range_max": "0.25"},
    )
    assert not changed and same.number == version.number
    new, changed = target_set(
        operation=personas.operation,
        membership=fac,
        key="escalation_rate",
        values={"range_min": "0.10", "range_max": "0.25"},
    )
    assert changed and new.number == version.number + 1
    assert new.is_draft and new.signatures.count() == 0
    assert version_latest(personas.operation).number == new.number


def test_signing_an_outdated_version_conflicts_and_saves_nothing(personas):
    fac = _m(personas, "facilitator")
    version = version_propose(operation=personas.operation, membership=fac)
    target_set(
        operation=personas.operation, membership=fac, key="fcr_simple", values={"range_min": "0.9"}
    )
    with pytest.raises(Conflict):
        version_sign(
            operation=personas.operation,
            membership=_m(personas, "legal_lead"),
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=True,
        )
    assert version.signatures.count() == 0


def test_signing_with_a_stale_hash_conflicts(personas):
    version = version_propose(operation=personas.operation, membership=_m(personas, "facilitator"))
    with pytest.raises(Conflict):
        version_sign(
            operation=personas.operation,
            membership=_m(personas, "legal_lead"),
            number=version.number,
            content_hash="0" * 64,
            fresh_login=True,
        )
    assert version.signatures.count() == 0


def test_only_the_departments_signatory_signs(personas):
    version = version_propose(operation=personas.operation, membership=_m(personas, "facilitator"))
    with pytest.raises(PermissionDenied):
        version_sign(
            operation=personas.operation,
            membership=_m(personas, "member"),
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=True,
        )
    with pytest.raises(PermissionDenied):
        version_sign(
            operation=personas.operation,
            membership=_m(personas, "legal_lead"),
            number=version.number,
            content_hash=version.content_hash,
            department_key="finance",
            fresh_login=True,
        )
    assert version.signatures.count() == 0


def test_old_login_must_reenter_password(personas):
    version = version_propose(operation=personas.operation, membership=_m(personas, "facilitator"))
    legal = _m(personas, "legal_lead")
    with pytest.raises(ReauthRequired):
        version_sign(
            operation=personas.operation,
            membership=legal,
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=False,
        )
    with pytest.raises(ReauthRequired):
        version_sign(
            operation=personas.operation,
            membership=legal,
            number=version.number,
            content_hash=version.content_hash,
            fresh_login=False,
            password="wrong",
        )
    signature = version_sign(
        operation=personas.operation,
        membership=legal,
        number=version.number,
        content_hash=version.content_hash,
        fresh_login=False,
        password=PASSWORD,
    )
    assert signature.meaning == "Approved for Legal"


def test_position_rejects_max_below_min_and_viewers(personas):
    from accounts.errors import StoplineError

    with pytest.raises(StoplineError, match="below"):
        position_propose(
            operation=personas.operation,
            membership=_m(personas, "legal_lead"),
            key="escalation_rate",
            range_min="0.3",
            range_max="0.1",
            rationale="x",
        )
    with pytest.raises(PermissionDenied):
        position_propose(
            operation=personas.operation,
            membership=_m(personas, "viewer"),
            key="escalation_rate",
            range_min="0.1",
            range_max="0.2",
            rationale="x",
        )
