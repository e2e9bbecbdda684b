"""Shared by the criteria commands: find a version by operation slug and optional number."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from criteria.models import CriteriaVersion, Operation


def version_for_command(slug: str, number: int | None) -> CriteriaVersion:
    """The operation's version `number` (default: its latest), or a CommandError saying why not.

    Commands are run by administrators on the server, so no organization scoping applies.
    """
    operation = Operation.objects.filter(slug=slug).first()
    if operation is None:
        raise CommandError(f"There is no operation {slug!r}.")
    versions = operation.versions.select_related("operation")
    if number is None:
        version = versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"The operation {slug!r} has no criteria version yet.")
        return version
    version = versions.filter(number=number).first()
    if version is None:
        raise CommandError(f"The operation {slug!r} has no version {number}.")
    return version


class VersionCommand(BaseCommand):
    """A command taking OPERATION [--version N]; Django's own --version flag is replaced."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", help="slug of the operation")
        parser.add_argument(
            "--version",
            dest="number",
            type=int,
            metavar="N",
            help="version number (default: the latest version)",
        )
