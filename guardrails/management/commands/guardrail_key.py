"""Create a read-only OFREP key for an operation and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from criteria.models import Operation
from guardrails.services import flag_key_create


class Command(BaseCommand):
    help = "Create a read-only OFREP key for OPERATION and print it (it is not stored: keep it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="slug of the operation")
        parser.add_argument("--name", default="", help="a name to recognise the key by")

    def handle(self, *args: Any, **options: Any) -> None:
        operation = Operation.objects.filter(slug=options["operation"]).first()
        if operation is None:
            raise CommandError(f"There is no operation {options['operation']!r}.")
        key, token = flag_key_create(
            operation=operation, name=options["name"] or "command line", actor=None
        )
        self.stderr.write(f"Key “{key.name}” for {operation.slug}; shown only this once:")
        self.stdout.write(token)
