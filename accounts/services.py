from django.db import transaction

from accounts.models import DEFAULT_DEPARTMENTS, Department, Membership, Organization


@transaction.atomic
def organization_ensure(*, slug: str, name: str | None = None) -> Organization:
    """Get or create an organization with the four default departments."""
    org, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    if created:
        for position, (key, label) in enumerate(DEFAULT_DEPARTMENTS):
            Department.objects.create(organization=org, key=key, name=label, position=position)
    return org


def membership_preferences_set(*, membership: Membership, weekly_digest: bool) -> Membership:
    if membership.weekly_digest != weekly_digest:
        membership.weekly_digest = weekly_digest
        membership.save(update_fields=["weekly_digest"])
    return membership
