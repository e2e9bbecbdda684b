"""Access helpers for metrics objects (see accounts.access and criteria.access)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from accounts.errors import PermissionDenied
from accounts.models import Membership
from criteria.access import operation_get_for_user
from criteria.models import Operation
from metrics.models import IngestionRun

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
