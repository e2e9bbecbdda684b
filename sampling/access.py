"""Access helpers for the review queue: only senior reviewers of the operation's organization,
and only the items assigned to them. Everyone else gets 404 (existence does not leak)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from accounts.models import Membership
from criteria.access import operation_get_for_user
from criteria.models import Operation
from sampling.models import CalibrationCase, ReviewItem


def membership_is_reviewer(membership: Membership) -> bool:
    return membership.role == Membership.Role.SENIOR_REVIEWER


def operation_get_for_reviewer(
    user: AbstractBaseUser | AnonymousUser, slug: str
) -> tuple[Operation, Membership]:
    """The operation, for a senior reviewer of its organization; 404 for anyone else."""
    operation, membership = operation_get_for_user(user, slug)
    if not membership_is_reviewer(membership):
        raise Http404
    return operation, membership


def review_items_for_reviewer(operation: Operation, user: AbstractBaseUser):
    return ReviewItem.objects.filter(operation=operation, assigned_to=user)


def review_item_get_for_reviewer(
    user: AbstractBaseUser | AnonymousUser, slug: str, item_id: int
) -> tuple[ReviewItem, Membership]:
    """An item assigned to this senior reviewer; 404 for any other item or person."""
    operation, membership = operation_get_for_reviewer(user, slug)
    try:
        item = (
            review_items_for_reviewer(operation, user)
            .select_related("draw", "conversation", "conversation__transcript")
            .get(pk=item_id)
        )
    except ReviewItem.DoesNotExist as exc:
        raise Http404 from exc
    item.draw.operation = operation
    return item, membership


def calibration_case_get_for_reviewer(
    user: AbstractBaseUser | AnonymousUser, slug: str, case_id: int
) -> CalibrationCase:
    operation, _ = operation_get_for_reviewer(user, slug)
    try:
        return operation.calibration_cases.get(pk=case_id)
    except CalibrationCase.DoesNotExist as exc:
        raise Http404 from exc
