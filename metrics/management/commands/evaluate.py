"""python manage.py evaluate OPERATION [--through DATE] [--version agreed|draft|N] [--json]"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import StoplineError
from criteria.models import Operation
from criteria.services import version_in_force
from metrics.alerts.lifecycle import drift_evaluate
from metrics.detection.evaluate import local_yesterday, version_resolve


class Command(BaseCommand):
    help = (
        "Evaluate an operation's indicators against its criteria through a local day "
        "(default: yesterday). Against the agreed version (default) alerts are opened and "
        "resolved; against a draft or an older version it is a backtest that writes nothing. "
        'With --json, prints exactly a JSON list of {"indicator", "rule", "direction", '
        '"opened_on", "value", "range"} where direction is below|above|change|no_data|mix, '
        "opened_on is YYYY-MM-DD, value a fraction or null, and range is a two-item list "
        "[min, max] of fractions (null for an open end)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # --version names the criteria version here, not Django's version.
        for group in [parser, *parser._action_groups]:
            group.conflict_handler = "resolve"
        parser.add_argument("operation", help="The operation's slug.")
        parser.add_argument(
            "--through",
            type=date.fromisoformat,
            help="Last local day to look at (YYYY-MM-DD); default the operation's local yesterday.",
        )
        parser.add_argument(
            "--version",
            default="agreed",
            help="agreed (the version in force, writes alerts), draft, or a version number "
            "(backtest unless it is the version in force).",
        )
        parser.add_argument("--json", action="store_true", help="Print the firings as JSON.")

    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["operation"])
        except Operation.DoesNotExist as exc:
            raise CommandError(f"Unknown operation {options['operation']!r}.") from exc
        through = options["through"] or local_yesterday(operation)
        try:
            version = version_resolve(operation, options["version"])
            firings = drift_evaluate(operation=operation, through=through, version=version.number)
        except StoplineError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps([f.as_dict() for f in firings]))
            return
        in_force = version_in_force(operation)
        mode = "alerts updated" if in_force and in_force.pk == version.pk else "backtest"
        self.stdout.write(
            f"{operation.slug} v{version.number} through {through} ({mode}): "
            f"{len(firings)} firing(s)"
        )
        if firings:
            self.stdout.write(
                f"{'opened_on':<11} {'indicator':<16} {'rule':<16} {'direction':<9} "
                f"{'value':>8}  range"
            )
        for f in firings:
            value = "—" if f.value is None else f"{f.value * 100:.1f}%"
            lo, hi = (("—" if x is None else f"{x * 100:g}%") for x in f.range)
            self.stdout.write(
                f"{f.opened_on.isoformat():<11} {f.indicator:<16} {f.rule:<16} "
                f"{f.direction:<9} {value:>8}  {lo}–{hi}"
            )
