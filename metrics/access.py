"""Access helpers for metrics objects (see accounts.access and criteria.access)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from accounts.errors import PermissionDenied
from accounts.models import Membership
from criteria.access import operation_get_for_user
from criteria.models import Operation
from metrics.models import Alert, IngestionRun, Review

UPLOAD_ROLES = (Membership.Role.FACILITATOR, Membership.Role.MEMBER)


def membership_can_ingest(membership: Membership) -> bool:
    """Facilitators and members send data; viewers and reviewers only read the runs."""
    return membership.role in UPLOAD_ROLES


def operation_get_for_ingest(
    user: AbstractBaseUser | AnonymousUser, slug: str
) -> tuple[Operation, Membership]:
    """The operation to send data to: 404 for other organizations, 403 for readers."""
    operation, membership = operation_get_for_user(user, slug)
    if not membership_can_ingest(membership):
        raise PermissionDenied("Only facilitators and members can send data to this operation.")
    return operation, membership


def ingestion_run_get_for_user(
    user: AbstractBaseUser | AnonymousUser, slug: str, run_id: int
) -> tuple[IngestionRun, Membership]:
    operation, membership = operation_get_for_user(user, slug)
    try:
        run = operation.ingestion_runs.select_related("uploaded_by").get(pk=run_id)
    except IngestionRun.DoesNotExist as exc:
        raise Http404 from exc
    run.operation = operation
    return run, membership


DECIDE_ROLES = (Membership.Role.FACILITATOR, Membership.Role.MEMBER)


def membership_can_act_on(membership: Membership, alert: Alert) -> bool:
    """The facilitator, or a member of the department that owns the alert's review. Alerts
    without a review (case mix, a quiet feed) can be handled by any member."""
    if membership.is_facilitator:
        return True
    if membership.role not in DECIDE_ROLES:
        return False
    review = getattr(alert, "review", None) if _has_review(alert) else None
    if review is None:
        return True
    return membership.department_id == review.owner_id


def _has_review(alert: Alert) -> bool:
    try:
        alert.review  # noqa: B018 - the reverse one-to-one raises when absent
    except Review.DoesNotExist:
        return False
    return True


def alert_get_for_user(
    user: AbstractBaseUser | AnonymousUser, slug: str, alert_id: int
) -> tuple[Alert, Membership]:
    operation, membership = operation_get_for_user(user, slug)
    try:
        alert = Alert.objects.select_related("review__owner", "version").get(
            pk=alert_id, operation=operation
        )
    except Alert.DoesNotExist as exc:
        raise Http404 from exc
    alert.operation = operation
    return alert, membership


def review_get_for_user(
    user: AbstractBaseUser | AnonymousUser, slug: str, review_id: int
) -> tuple[Review, Membership]:
    operation, membership = operation_get_for_user(user, slug)
    try:
        review = Review.objects.select_related("alert", "owner", "draft_version").get(
            pk=review_id, alert__operation=operation
        )
    except Review.DoesNotExist as exc:
        raise Http404 from exc
    review.alert.operation = operation
    return review, membership


def membership_can_decide_review(membership: Membership, review: Review) -> bool:
    if membership.is_facilitator:
        return True
    return membership.role in DECIDE_ROLES and membership.department_id == review.owner_id
