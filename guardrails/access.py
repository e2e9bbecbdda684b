"""Who may stop and resume the AI, and who may manage an operation's flag keys."""

from accounts.models import Department, Membership
from criteria.models import CriteriaVersion, Operation


def owning_departments(operation: Operation) -> list[Department]:
    """The departments that own a review trigger in the criteria in force (else in the newest
    version): they answer for the operation's indicators, so their signatories may stop it."""
    versions = operation.versions.order_by("-number")
    version = versions.filter(status=CriteriaVersion.Status.AGREED).first() or versions.first()
    if version is None:
        return []
    return list(
        Department.objects.filter(pk__in=version.targets.values("owner_id")).order_by("position")
    )


def membership_can_stop(membership: Membership, operation: Operation) -> bool:
    """The facilitator, or the signatory of a department that owns one of the triggers."""
    if membership.organization_id != operation.organization_id:
        return False
    if membership.is_facilitator:
        return True
    if not membership.is_signatory or membership.role != Membership.Role.MEMBER:
        return False
    return any(d.pk == membership.department_id for d in owning_departments(operation))
