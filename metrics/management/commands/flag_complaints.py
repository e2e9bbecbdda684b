"""python manage.py flag_complaints OPERATION — flag stored survey comments again."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from criteria.models import Operation
from metrics.ingest.services import survey_complaints_flag


class Command(BaseCommand):
    help = (
        "Flag the operation's stored survey comments again ('could not reach a person / not "
        "understood') with the current phrase lists and the organization's own phrases, and "
        "recount the daily aggregates. Run it after adding phrases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="The operation's slug.")

    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"Unknown operation {options['operation']!r}.") from exc
        changed = survey_complaints_flag(operation=operation)
        self.stdout.write(f"{operation.slug}: {changed} day(s) flagged differently")
