"""Import a criteria document (FORMATS.md §3, YAML or JSON) as a new draft version."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import StoplineError
from criteria.services import criteria_import
from criteria.yaml_io import parse_document


class Command(BaseCommand):
    help = (
        "Import a criteria document (YAML or JSON) as a new draft of its operation. Creates "
        "the organization and the operation if they do not exist. Never signs anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to the YAML or JSON criteria document")
        parser.add_argument("--org", required=True, help="slug of the organization to import into")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        try:
            version = criteria_import(data=parse_document(raw), org_slug=options["org"])
        except StoplineError as exc:
            raise CommandError(f"{path}: {exc.message}") from exc
        self.stdout.write(f"Imported {version.operation.slug} as draft version {version.number}")
