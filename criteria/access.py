"""Access helpers for criteria objects (see accounts.access)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import FilteredRelation, Q, QuerySet
from django.http import Http404

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
    """The operation and the user's membership in its organization; 404 for anyone else.

    One query, run on every page of an operation: the user's membership joined to the
    operation of that slug in the membership's organization (none: not a member, 404).
    """
    if not user.is_authenticated:
        raise Http404
    try:
        membership = (
            Membership.objects.annotate(
                operation=FilteredRelation(
                    "organization__operations",
                    condition=Q(organization__operations__slug=slug),
                )
            )
            .select_related("organization", "department", "operation")
            .order_by()
            .get(user=user, operation__isnull=False)
        )
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    operation = membership.operation
    operation.organization = membership.organization
    return operation, membership


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
