"""python manage.py ingest OPERATION FILE [--kind conversations|daily] [--rejects-csv FILE]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from criteria.models import Operation
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import IngestionRun
from metrics.selectors import rejected_rows_csv_lines


class _ProgressBar:
    """A one-line bar on stderr, drawn only when stderr is a terminal."""

    width = 30

    def __init__(self, stream, *, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled

    def update(self, run: IngestionRun) -> None:
        if not self.enabled:
            return
        done = int(run.progress * self.width)
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(
            f"\r[{bar}] {run.progress * 100:3.0f}%  {run.total:,} rows, {run.rejected:,} rejected"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Ingest a conversations or daily-aggregates file (CSV or JSON Lines, optionally .gz) "
        "into an operation. Prints 'N ingested, M updated, K rejected'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="The operation's slug.")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--kind",
            choices=IngestionRun.Kind.values,
            help="What the file holds; read from the header when left out.",
        )
        parser.add_argument(
            "--rejects-csv",
            type=Path,
            metavar="FILE",
            help="Also write the rejected rows (line, column, reason, original) to this CSV.",
        )

    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"There is no operation {options['operation']!r}.") from exc
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file {str(path)!r}.")
        with path.open("rb") as file:
            run = ingestion_run_create(
                operation=operation,
                file=file,
                file_name=path.name,
                kind=options["kind"],
                via="cli",
            )
        stream = self.stderr._out
        bar = _ProgressBar(stream, enabled=hasattr(stream, "isatty") and stream.isatty())
        try:
            run = ingestion_run_execute(run_id=run.pk, progress=bar.update)
        finally:
            bar.finish()
        if run.status == IngestionRun.Status.FAILED:
            raise CommandError(f"{path.name} was rejected as a whole: {run.error}")
        self.stdout.write(run.report_line)
        if run.rejected:
            where = reverse("metrics:run_detail", args=[operation.slug, run.pk])
            if options["rejects_csv"]:
                with options["rejects_csv"].open("w", encoding="utf-8", newline="") as out:
                    out.writelines(rejected_rows_csv_lines(run))
                where = f"{options['rejects_csv']} and {where}"
            self.stdout.write(f"Rejected rows: {where}")
