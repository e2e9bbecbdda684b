"""Print a criteria version as a FORMATS.md §3 YAML document."""

from typing import Any

from criteria.management.lookup import VersionCommand, version_for_command
from criteria.yaml_io import version_to_yaml


class Command(VersionCommand):
    help = "Print a criteria version of an operation as YAML (default: the latest version)."

    def handle(self, *args: Any, **options: Any) -> None:
        version = version_for_command(options["operation"], options["number"])
        self.stdout.write(version_to_yaml(version), ending="")
