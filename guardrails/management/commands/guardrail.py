"""Pause or resume the AI for a segment of an operation from the server's command line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import StoplineError
from criteria.models import Operation
from guardrails.models import Pause, Segment
from guardrails.services import pause_end, pause_start


class Command(BaseCommand):
    help = "Pause or resume the AI of OPERATION for SEGMENT (all, simple, complex), with a reason."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="slug of the operation")
        parser.add_argument("action", choices=["pause", "resume"])
        parser.add_argument("segment", choices=Segment.values)
        parser.add_argument("--reason", required=True, help="why (recorded and announced)")

    def handle(self, *args: Any, **options: Any) -> None:
        # Run by administrators on the server: no organization scoping applies.
        operation = Operation.objects.filter(slug=options["operation"]).first()
        if operation is None:
            raise CommandError(f"There is no operation {options['operation']!r}.")
        segment, reason = options["segment"], options["reason"]
        label = Segment(segment).label.lower()
        try:
            if options["action"] == "pause":
                pause, created = pause_start(
                    operation=operation, segment=segment, reason=reason, source=Pause.Source.COMMAND
                )
                if not created:
                    self.stdout.write(
                        f"A pause for {label} stands already since "
                        f"{pause.started_at:%Y-%m-%d %H:%M} UTC ({pause.started_by_name}: "
                        f"{pause.reason}); nothing changed."
                    )
                    return
                self.stdout.write(f"{operation.slug}: the AI is paused for {label}.")
            else:
                pause_end(operation=operation, segment=segment, reason=reason)
                self.stdout.write(f"{operation.slug}: the AI is resumed for {label}.")
        except StoplineError as exc:
            raise CommandError(exc.message) from exc
