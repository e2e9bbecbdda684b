"""python manage.py status_pdf OPERATION [--through DATE] -o FILE"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from criteria.models import Operation
from metrics.reporting.dashboard import operation_today
from metrics.reporting.pdf import status_pdf_render
from metrics.reporting.status_report import status_report_build


class Command(BaseCommand):
    help = "Write the executive status PDF of an operation (one or two A4 pages)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="The operation's slug.")
        parser.add_argument(
            "--through",
            type=date.fromisoformat,
            help="Last local day the report covers, YYYY-MM-DD (default: today).",
        )
        parser.add_argument("-o", "--output", required=True, help="The PDF file to write.")

    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"No operation {options['operation']!r}.") from exc
        through = options["through"] or operation_today(operation)
        pdf = status_pdf_render(report=status_report_build(operation, through=through))
        path = Path(options["output"])
        path.write_bytes(pdf)
        self.stdout.write(f"Wrote {path} ({len(pdf) // 1024} KiB), data through {through}.")
