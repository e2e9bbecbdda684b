"""Demo transcripts: ~300 STAR dialogues as conversations of eu-retail-chat, a weekly draw, and
items assigned to the demo reviewer. Idempotent: running it again changes nothing.

Run `python manage.py seed_demo` first (it creates the organization, people and operation).
The dialogues come from the STAR corpus (Rasa, MIT licence); see sampling/star.py for the
mapping and the fields derived from it.
"""

import io
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from criteria.models import Operation
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation
from sampling.services import (
    review_items_assign,
    sample_draw,
    week_label,
    week_parse,
    week_previous,
    week_start_of,
)
from sampling.star import CREDIT, star_conversation, star_dialogues

DEFAULT_PATH = "sampling/data/star_demo.jsonl.gz"  # 317 STAR dialogues, shipped (MIT)
OPERATION = "eu-retail-chat"
REVIEWER = "reviewer"


class Command(BaseCommand):
    help = "Load ~300 STAR dialogues as demo transcripts and draw a sample for the demo reviewer."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--path",
            default=DEFAULT_PATH,
            help="STAR dialogues (.jsonl.gz); relative paths are from the repository root.",
        )
        parser.add_argument("--count", type=int, default=300)
        parser.add_argument("--operation", default=OPERATION)
        parser.add_argument("--reviewer", default=REVIEWER)
        parser.add_argument("--assign", type=int, default=20, help="Items for the reviewer.")

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.is_absolute():
            path = (Path(settings.BASE_DIR) / path).resolve()
        if not path.exists():
            self.stdout.write(f"Skipped: no STAR dialogues at {path} (give --path).")
            return
        operation = Operation.objects.filter(slug=options["operation"]).first()
        if operation is None:
            self.stdout.write(
                f"Skipped: no operation {options['operation']!r}; run `manage.py seed_demo` first."
            )
            return
        # The demo week: the week the dialogues were first loaded into, else the last complete
        # week, so that running the command again later changes nothing.
        first = (
            Conversation.objects.filter(operation=operation, conversation_id__startswith="star-")
            .order_by("local_date")
            .first()
        )
        week = week_label(week_start_of(first.local_date)) if first else week_previous(operation)
        _, monday = week_parse(week)

        rows = []
        for dialogue in star_dialogues(path):
            row = star_conversation(
                dialogue, index=len(rows), week_start=monday, timezone=operation.timezone
            )
            if row is not None:
                rows.append(row)
            if len(rows) >= options["count"]:
                break
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        run = ingestion_run_create(
            operation=operation,
            file=io.BytesIO(body),
            file_name="star_demo.jsonl",
            kind="conversations",
            via="cli",
        )
        run = ingestion_run_execute(run_id=run.pk)
        self.stdout.write(f"{len(rows)} STAR dialogues ({CREDIT}): {run.report_line or run.error}")

        draw = sample_draw(operation=operation, week=week)
        self.stdout.write(f"Draw {draw.week}: {draw.items.count()} review items")
        reviewer = User.objects.filter(username=options["reviewer"]).first()
        if reviewer is None:
            self.stdout.write(f"No user {options['reviewer']!r}: items left in the pool.")
            return
        have = draw.items.filter(assigned_to=reviewer).count()
        assigned = review_items_assign(
            operation=operation, reviewer=reviewer, count=max(0, options["assign"] - have)
        )
        self.stdout.write(
            f"{have + len(assigned)} items assigned to {reviewer.get_username()} "
            f"(log in and open /sampling/{operation.slug}/queue/)"
        )
