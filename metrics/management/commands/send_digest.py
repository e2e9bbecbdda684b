"""python manage.py send_digest OPERATION [--week YYYY-Www]: send one week's digest now."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.errors import StoplineError
from criteria.models import Operation
from metrics.alerts.digest import week_bounds, weekly_digest_send
from metrics.weeks import week_label, week_parse


def parse_iso_week(text: str) -> date:
    try:
        return week_parse(text)[1]
    except StoplineError as exc:
        raise CommandError(f"--week {text!r}: expected YYYY-Www, e.g. 2026-W48.") from exc


class Command(BaseCommand):
    help = "Send the weekly digest of an operation (last week by default); never twice a week."

    def add_arguments(self, parser) -> None:
        parser.add_argument("operation")
        parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last week)")

    def handle(self, *args, operation: str, week: str | None, **options) -> None:
        op = Operation.objects.filter(slug=operation).first()
        if op is None:
            raise CommandError(f"There is no operation {operation!r}.")
        monday = (
            parse_iso_week(week)
            if week
            else week_bounds(timezone.localdate() - timedelta(days=7))[0]
        )
        digest = weekly_digest_send(operation=op, week_start=monday)
        label = week_label(monday)
        if digest is None:
            self.stdout.write(
                f"No digest sent for {label}: already sent, or no agreed criteria yet."
            )
        else:
            self.stdout.write(f"Sent the {label} digest to {digest.recipients} recipient(s).")
