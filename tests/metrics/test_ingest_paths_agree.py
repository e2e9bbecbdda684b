"""PostgreSQL's fast path and the row-by-row path end alike on odd input (a differential fuzz).

Files of rows whose values are drawn mostly from the plain ones and now and then from a list of
near misses and oddities (calendar edges, offsets, spellings of booleans, numbers in other
scripts, personal data in free text, control characters, repeated ids) are ingested twice on
PostgreSQL: through the fast path (`metrics.ingest.pg_csv`: vectorized checks, binary COPY,
day counts while checking, staging when ids repeat) and through the row-by-row path SQLite
uses. Stored conversations, rejected rows (line, column, reason, original text) and daily
aggregates must be the same, and no file may fail.
"""

import io
import random

import pytest

from bench.samples import CSV_COLUMNS
from criteria.services import operation_create
from metrics.ingest import columnar, pg_csv
from metrics.ingest.columnar import STAGE_COLUMNS
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import DAILY_COUNT_FIELDS, Conversation, DailyAggregate, RejectedRow

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("media_root")]

HEADER = [*CSV_COLUMNS, "survey_comment", "store"]
# What a stored conversation holds besides its keys and run ids (the staging table's values).
STORED = [c for c in STAGE_COLUMNS if c not in ("line_hash", "line")]
# The first value of each list is a plain one; the others are drawn now and then.
STARTED = [
    "2026-03-02T10:00:00+01:00",
    "2026-02-30T10:00:00Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02T23:59:60Z",
    "2026-03-02T10:00:00+24:00",
    "2026-03-02T10:00:00-00:00",
    "2026-03-02T10:00Z",
    "2026-03-02",
    "20260302T100000Z",
    "2026-03-02T10:00:00.123456789Z",
    "2026-03-02t10:00:00z",
    " 2026-03-02T10:00:00Z ",
    "2026-03-02T10:00:00+0100",
    "2026-W10-1T10:00:00Z",
    "２０２６-03-02T10:00:00Z",
    "2026-03-02T10:00:00+14:59",
    "2026-03-02T10:00:00-15:00",
    "2026-03-02 10:00:00+01",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59Z",
    "2026-03-01T23:30:00Z",
    "",
]
COMPLEXITY = ["simple", "complex", "COMPLEX", " simple", "medium", "", "sïmple", "simple\u00a0"]
BOOLEANS = ["true", "no", "yes", "1", "0", "TRUE", "t", "", "maybe", " yes ", "on", "1.0", "２"]
CSAT = ["4", "1", "5", "0", "6", "3.0", " 4", "", "x", "-1", "05", "+3", "３", "1e0"]
TEXT = [
    "chat",
    "",
    "a" * 51,
    " x",
    "é",
    "\u200b",
    "emoji 😀",
    "tab\tin",
    'quote"q',
    "call 070 123",
    "a@b.se",
    "١٢٣",
    "\\back",
    "\x01ctl",
    "x" * 201,
]
LANGUAGES = ["en", "sv-SE", "es-MX", "", "english", "zh-Hant-TW", "EN", "en_US", "a" * 36, "123"]
COMMENTS = [
    "",
    "Thanks!",
    "I could not reach a person",
    "Call 0701234567, nobody answered",
    "Write to anna@example.se, the bot never understood me",
    *TEXT,
]


def _field(value: str) -> str:
    if any(c in value for c in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


# Shaped like ISO 8601 but no date or time (30 February, hour 24, second 60): pyarrow's cast
# refuses the whole block for one of them, and its instants are read part by part.
NOT_A_TIME = {"2026-02-30T10:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T23:59:60Z"}


def fuzzed_file(
    seed: int, *, rows: int, repeat_ids: bool, started_values: list[str] = STARTED
) -> bytes:
    rng = random.Random(seed)

    def pick(values: list[str]) -> str:
        return values[0] if rng.random() < 0.85 else rng.choice(values)

    lines = [",".join(HEADER)]
    for i in range(rows):
        ids = [f"c{i}", f"ü{i}", f"c{i}\u00a0", "x" * 201 + str(i)]
        if repeat_ids:
            ids += [f"c{rng.randrange(40)}", " c1", ""]
        started = started_values[0] if rng.random() < 0.8 else rng.choice(started_values)
        values = [
            ids[0] if rng.random() < 0.8 else rng.choice(ids),
            started,
            pick(COMPLEXITY),
            pick(BOOLEANS),
            pick(BOOLEANS[1:]),
            pick(BOOLEANS),
            pick(TEXT),
            pick(LANGUAGES),
            pick(CSAT),
            pick(TEXT),
            rng.choice(COMMENTS),
            pick(TEXT),
        ]
        lines.append(",".join(_field(v) for v in values))
    return ("\n".join(lines) + "\n").encode()


def ingest(operation, content: bytes):
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content), file_name="fuzz.csv", via="cli"
    )
    run = ingestion_run_execute(run_id=run.pk)
    assert run.status == "done", run.error
    return run


def stored(operation, run) -> tuple[list, list, list]:
    conversations = Conversation.objects.filter(operation=operation).values_list(*STORED)
    rejected = RejectedRow.objects.filter(run=run).values_list(
        "line", "column", "reason", "original"
    )
    aggregates = DailyAggregate.objects.filter(operation=operation).values_list(
        "date", "segment", *DAILY_COUNT_FIELDS
    )
    return sorted(conversations, key=repr), sorted(rejected), sorted(aggregates)


@pytest.mark.parametrize("repeat_ids", [False, True], ids=["new ids", "repeated ids"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_path_and_the_row_by_row_path_agree(personas, monkeypatch, seed, repeat_ids):
    content = fuzzed_file(seed, rows=300, repeat_ids=repeat_ids)
    paths_compare(personas, monkeypatch, content)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_paths_agree_when_pyarrow_reads_every_instant_at_once(personas, monkeypatch, seed):
    # No 30 February in the file: the block's instants are cast in one go (columnar._instants),
    # offsets, year edges and near misses of the shape included.
    by_part = []
    original = columnar._instants_by_part
    monkeypatch.setattr(columnar, "_instants_by_part", lambda *a: by_part.append(1) or original(*a))
    started = [v for v in STARTED if v not in NOT_A_TIME]
    content = fuzzed_file(seed, rows=300, repeat_ids=False, started_values=started)
    paths_compare(personas, monkeypatch, content)
    assert not by_part


@pytest.mark.parametrize("seed", [6, 7])
def test_the_paths_agree_when_a_direct_load_takes_several_copies(personas, monkeypatch, seed):
    # Blocks of 16 rows, 3 to a COPY: rows checked in Python and rejected rows are held while
    # a COPY runs and written between them.
    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 16)
    monkeypatch.setattr(pg_csv, "COPY_BLOCKS", 3)
    copies = []
    original = pg_csv._BinaryCopy.close
    monkeypatch.setattr(
        pg_csv._BinaryCopy,
        "close",
        lambda self: copies.append(self._context is not None) or original(self),
    )
    staged = []
    stage = pg_csv.FastConversations.stage
    monkeypatch.setattr(
        pg_csv.FastConversations, "stage", lambda *a, **k: staged.append(1) or stage(*a, **k)
    )
    content = fuzzed_file(seed, rows=300, repeat_ids=False)
    paths_compare(personas, monkeypatch, content)
    assert sum(copies) >= 5
    assert not staged  # the direct load succeeded (a failed one is staged again)


def paths_compare(personas, monkeypatch, content: bytes) -> None:
    fast_operation = personas.operation
    slow_operation = operation_create(
        organization=personas.operation.organization,
        slug="fuzz-slow",
        title="Fuzz, row by row",
        timezone_name=personas.operation.timezone,
    )
    fast_run = ingest(fast_operation, content)
    with monkeypatch.context() as patched:
        patched.setattr(pg_csv, "applies", lambda **kwargs: False)
        slow_run = ingest(slow_operation, content)

    assert fast_run.report_line == slow_run.report_line
    assert 0 < fast_run.ingested < 300 and fast_run.rejected > 0  # both kinds of row
    fast, slow = stored(fast_operation, fast_run), stored(slow_operation, slow_run)
    for name, mine, theirs in zip(
        ("conversations", "rejected", "aggregates"), fast, slow, strict=True
    ):
        assert mine == theirs, name
