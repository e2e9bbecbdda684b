"""Write a criteria version as the one-page wall PDF."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from criteria.management.lookup import VersionCommand, version_for_command
from criteria.pdf import PAPERS, criteria_pdf_render


class Command(VersionCommand):
    help = "Write the wall PDF of a criteria version (default: the latest) to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--paper", choices=sorted(PAPERS), default="a4", help="paper size")
        parser.add_argument("-o", "--output", required=True, help="path of the PDF to write")

    def handle(self, *args: Any, **options: Any) -> None:
        version = version_for_command(options["operation"], options["number"])
        pdf = criteria_pdf_render(version=version, paper=options["paper"])
        path = Path(options["output"])
        try:
            path.write_bytes(pdf)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        state = "agreed" if version.is_agreed else "NOT agreed, marked as draft"
        self.stdout.write(
            f"Wrote {path}: {version.operation.slug} version {version.number} ({state}), "
            f"one page, {PAPERS[options['paper']][1]}"
        )
