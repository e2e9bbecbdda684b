"""Erase one conversation's text everywhere (a data subject's request); figures stay."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import StoplineError
from criteria.models import Operation
from sampling.retention import conversation_erase


class Command(BaseCommand):
    help = (
        "Erase the transcript, survey comment, metadata and review notes of one conversation; "
        "its daily figures and scores stay. Audited."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("operation", help="the operation's slug")
        parser.add_argument("conversation_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"No operation {options['operation']!r}.") from exc
        try:
            counts = conversation_erase(
                operation=operation, conversation_id=options["conversation_id"]
            )
        except StoplineError as exc:
            raise CommandError(exc.message) from exc
        erased = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n) or "nothing left"
        self.stdout.write(f"Erased conversation {options['conversation_id']}: {erased}")
