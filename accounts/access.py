"""Access helpers: the only way views, the API and commands reach tenant objects.

Objects of an organization the user does not belong to answer 404, never 403, so that their
existence does not leak.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import Http404

from accounts.models import Membership, Organization


def memberships_for_user(user: AbstractBaseUser | AnonymousUser):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization", "department")


def membership_get(
    user: AbstractBaseUser | AnonymousUser, organization: Organization
) -> Membership:
    """The user's membership in `organization`, or 404."""
    if not user.is_authenticated:
        raise Http404
    try:
        return Membership.objects.select_related("department", "organization").get(
            user=user, organization=organization
        )
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


def membership_can_manage_settings(membership: Membership) -> bool:
    """Integration and review settings (keys, webhooks, sampling plan, rubric, phrases): the
    facilitator edits; every other member of the organization reads."""
    return membership.is_facilitator
