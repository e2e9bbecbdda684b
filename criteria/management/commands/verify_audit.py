"""Check the audit trail's hash chain: `OK n events`, or the first broken link (exit 1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from criteria.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the SHA-256 chain of the audit trail of every organization (or one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="only this organization")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization {options['org']!r}.")
        total = 0
        for organization in organizations:
            check = audit_chain_verify(organization)
            if not check.ok:
                event = check.broken_event
                raise CommandError(
                    f"BROKEN {organization.slug}: event {event.pk} "
                    f"({event.at:%Y-%m-%d %H:%M:%S} UTC, {event.action}, "
                    f"number {check.events} in the chain): {check.reason}."
                )
            total += check.events
        self.stdout.write(f"OK {total} events")
