"""Access helpers for criteria objects (see accounts.access)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from accounts.access import membership_get
from accounts.models import Membership
from criteria.models import CriteriaVersion, Operation


def operations_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Operation]:
    if not user.is_authenticated:
        return Operation.objects.none()
    return Operation.objects.filter(organization__memberships__user=user).select_related(
        "organization"
    )


def operation_get_for_user(
    user: AbstractBaseUser | AnonymousUser, slug: str
) -> tuple[Operation, Membership]:
    """The operation and the user's membership in its organization; 404 for anyone else."""
    try:
        operation = operations_for_user(user).get(slug=slug)
    except Operation.DoesNotExist as exc:
        raise Http404 from exc
    return operation, membership_get(user, operation.organization)


def version_get_for_user(
    user: AbstractBaseUser | AnonymousUser, slug: str, number: int
) -> tuple[CriteriaVersion, Membership]:
    operation, membership = operation_get_for_user(user, slug)
    try:
        version = operation.versions.get(number=number)
    except CriteriaVersion.DoesNotExist as exc:
        raise Http404 from exc
    version.operation = operation
    return version, membership
