"""Build proposed and agreed versions through the sign-off services, as the workshop does."""

from django.contrib.auth.models import User

from accounts.models import Membership
from criteria.models import CriteriaVersion, Operation
from criteria.services import version_latest, version_propose, version_sign


def membership(user: User, operation: Operation) -> Membership:
    return Membership.objects.select_related("department").get(
        user=user, organization=operation.organization
    )


def propose(operation: Operation, facilitator: User) -> CriteriaVersion:
    return version_propose(operation=operation, membership=membership(facilitator, operation))


def sign(operation: Operation, signer: User, version: CriteriaVersion) -> None:
    version_sign(
        operation=operation,
        membership=membership(signer, operation),
        number=version.number,
        content_hash=version.content_hash,
        fresh_login=True,
    )


def agree(personas) -> CriteriaVersion:
    """Propose the operation's draft and have all four signatories sign it."""
    operation = personas.operation
    version = propose(operation, personas.facilitator)
    for signer in (
        personas.ops_lead,
        personas.legal_lead,
        personas.cx_lead,
        personas.finance_lead,
    ):
        sign(operation, signer, version)
    version = version_latest(operation)
    assert version.is_agreed
    return version
