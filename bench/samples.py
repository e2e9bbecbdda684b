"""Generated conversation rows in the FORMATS.md §1 shape, for tests, demos and benchmarks."""

import csv
import io
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

CSV_COLUMNS = [
    "conversation_id",
    "started_at",
    "complexity",
    "escalated",
    "resolved_first_contact",
    "human_requested",
    "channel",
    "language",
    "csat",
    "topic",
]
TOPICS = ["order_status", "refund", "billing_dispute", "delivery", "account"]
# Survey comments: most say nothing personal; some give a phone number or an e-mail address
# (the ingest redacts them before storage).
COMMENTS = [
    "The bot understood me at once.",
    "Too many questions before I got an answer.",
    "Helpful, thanks!",
    "I had to ask twice for a person.",
    "Call me back on +46 70 123 45 67 please.",
    "Write to anna.svensson@example.se instead.",
]


def conversation_rows(
    n: int,
    *,
    seed: int = 1,
    start: datetime | None = None,
    days: int = 90,
    prefix: str = "c",
    comments: float = 0.0,
) -> Iterator[dict[str, Any]]:
    """n plausible conversations spread over `days` days, as CSV-ready strings; with
    `comments` > 0, that share of them carries a survey_comment (column always present)."""
    rng = random.Random(seed)
    comment_rng = random.Random(seed + 1)  # separate, so the other values stay the same
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    span = days * 86400
    for i in range(n):
        complex_ = rng.random() < 0.35
        escalated = rng.random() < (0.3 if complex_ else 0.1)
        yield {
            "conversation_id": f"{prefix}{i:08d}",
            "started_at": (start + timedelta(seconds=i * span // max(n, 1))).isoformat(),
            "complexity": "complex" if complex_ else "simple",
            "escalated": "true" if escalated else "false",
            "resolved_first_contact": rng.choice(["true", "false", "true", ""]),
            "human_requested": rng.choice(["yes", "no", "no", ""]),
            "channel": rng.choice(["chat", "email", "messaging"]),
            "language": rng.choice(["en", "sv", "de", "es-MX"]),
            "csat": rng.choice(["", "", "1", "3", "4", "5"]),
            "topic": rng.choice(TOPICS),
            **(
                {
                    "survey_comment": comment_rng.choice(COMMENTS)
                    if comment_rng.random() < comments
                    else ""
                }
                if comments
                else {}
            ),
        }


def rows_to_csv(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], columns=None) -> str:
    out = io.StringIO()
    rows = iter(rows)
    first = next(rows, None)
    columns = columns or (list(first) if first else CSV_COLUMNS)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    if first is not None:
        writer.writerow(first)
    writer.writerows(rows)
    return out.getvalue()
