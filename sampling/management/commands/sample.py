"""python manage.py sample OPERATION [--week YYYY-Www]: draw a week's review sample."""

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import StoplineError
from criteria.models import Operation
from sampling.services import sample_draw, week_previous


class Command(BaseCommand):
    help = "Draw the review sample of one ISO week (default: the last complete week)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("operation", help="The operation's slug.")
        parser.add_argument("--week", help="ISO week, e.g. 2025-W14.")

    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"No operation {options['operation']!r}.") from exc
        week = options["week"] or week_previous(operation)
        try:
            draw = sample_draw(operation=operation, week=week)
        except StoplineError as exc:
            raise CommandError(exc.message) from exc
        items = draw.items.count()
        doubles = draw.items.filter(is_double=True).count()
        self.stdout.write(
            f"{operation.slug} {draw.week}: {items - doubles} conversations sampled, "
            f"{doubles} blind double reviews ({draw.strata.get('plan', '')})"
        )
        for stratum, info in draw.strata.items():
            if isinstance(info, dict):
                self.stdout.write(
                    f"  {stratum}: {info['size']} of {info['population']} "
                    f"(p={info['probability']:.3f})"
                )
