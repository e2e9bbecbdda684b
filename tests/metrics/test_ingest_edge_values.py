"""Values at the edges of the row checks, and CSV layouts the fast path hands to the csv module.

On PostgreSQL most rows are checked column by column by pyarrow (metrics/ingest/columnar.py)
and only the others by `conversation_clean`; on SQLite every row by `conversation_clean`.
Both must store the same values and reject the same rows with the same reasons.
"""

import io
import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from metrics.ingest import columnar, pg_csv
from metrics.ingest.columnar import blocks
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation, DailyAggregate, RejectedRow

pytestmark = pytest.mark.usefixtures("media_root")

HEADER = "conversation_id,started_at,complexity,escalated,csat,language,topic,survey_comment,store"


def ingest(operation, content: str):
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content.encode()), file_name="edge.csv", via="cli"
    )
    return ingestion_run_execute(run_id=run.pk)


def test_unusual_but_valid_spellings_are_stored_like_plain_ones(personas):
    rows = [
        "plain,2024-02-28T10:00:00+01:00,simple,no,5,en,refund,,",
        "leap,2024-02-29T10:00:00+01:00,simple,no,,,,,",  # 29 February of a leap year
        "space,2024-03-01 10:00:00+01:00,simple,no,,,,,",  # a space instead of T
        "fraction,2024-03-01T10:00:00.250+01:00,simple,no,,,,,",
        "kiribati,2024-03-01T10:00:00+14:00,simple,no,,,,,",
        "far,2024-03-01T10:00:00+20:00,simple,no,,,,,",  # Python accepts offsets below 24 h
        " padded ,2024-03-01T10:00:00Z, Complex ,  YES ,4 , sv ,  billing ,,",
        'quoted,2024-03-01T10:00:00Z,simple,no,,,,"Good, but ""slow""","Shop ""3"""',
        'multi,2024-03-01T10:00:00Z,simple,no,,,,"two\nlines",',
        "unicode,2024-03-01T10:00:00Z,simple,no,,,,Ärligt talat: bra,Göteborg",
        "nbsp,2024-03-01T10:00:00Z,simple,no,,,\u00a0order\u00a0,,",
    ]
    run = ingest(personas.operation, HEADER + "\n" + "\n".join(rows) + "\n")

    assert run.status == "done", run.error
    assert run.report_line == "11 ingested, 0 updated, 0 rejected"
    stored = {c.conversation_id: c for c in Conversation.objects.all()}
    assert stored["leap"].local_date == date(2024, 2, 29)
    assert stored["space"].started_at == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert stored["fraction"].started_at.microsecond == 250_000
    assert stored["kiribati"].started_at == datetime(2024, 2, 29, 20, 0, tzinfo=UTC)
    assert stored["far"].local_date == date(2024, 2, 29)  # 14:00 UTC the day before
    padded = stored["padded"]
    assert (padded.complexity, padded.escalated, padded.csat) == ("complex", True, 4)
    assert (padded.language, padded.topic) == ("sv", "billing")
    assert stored["quoted"].survey_comment == 'Good, but "slow"'
    assert stored["quoted"].metadata == {"store": 'Shop "3"'}
    assert stored["multi"].survey_comment == "two\nlines"
    assert stored["unicode"].metadata == {"store": "Göteborg"}
    assert stored["unicode"].survey_comment == "Ärligt talat: bra"
    assert stored["nbsp"].topic == "order"
    assert stored["plain"].metadata == {} and stored["plain"].topic == "refund"
    assert sum(DailyAggregate.objects.values_list("conversations", flat=True)) == 11


def test_values_just_past_the_edges_are_rejected_with_the_same_reasons(personas):
    rows = [
        "feb30,2025-02-30T10:00:00+01:00,simple,no,,,,,",
        "sec60,2025-03-01T10:00:60+01:00,simple,no,,,,,",
        "hour24,2025-03-01T24:00:00+01:00,simple,no,,,,,",
        "nooffset,2025-03-01T10:00:00,simple,no,,,,,",
        "csat0,2025-03-01T10:00:00Z,simple,no,0,,,,",
        "lang,2025-03-01T10:00:00Z,simple,no,,e,,,",
        "bool,2025-03-01T10:00:00Z,simple,on,,,,,",
        f"long,2025-03-01T10:00:00Z,simple,no,,,{'t' * 201},,",
        f"{'x' * 201},2025-03-01T10:00:00Z,simple,no,,,,,",
        f"comment,2025-03-01T10:00:00Z,simple,no,,,,{'c' * 4001},",
        "fields,2025-03-01T10:00:00Z,simple,no",
    ]
    run = ingest(personas.operation, HEADER + "\n" + "\n".join(rows) + "\n")

    assert run.report_line == "0 ingested, 0 updated, 11 rejected"
    reasons = dict(RejectedRow.objects.values_list("line", "reason"))
    assert reasons == {
        2: "started_at: '2025-02-30T10:00:00+01:00' is not an ISO 8601 datetime",
        3: "started_at: '2025-03-01T10:00:60+01:00' is not an ISO 8601 datetime",
        4: "started_at: '2025-03-01T24:00:00+01:00' is not an ISO 8601 datetime",
        5: "started_at: '2025-03-01T10:00:00' has no offset (add +01:00 or Z, for example)",
        6: "csat: 0 is outside 1-5",
        7: "language: 'e' is not a BCP 47 tag (like es-MX)",
        8: "escalated: 'on' is not a boolean (use true/false, 1/0, yes/no or y/n)",
        9: "topic: is longer than 200 characters",
        10: "conversation_id: is longer than 200 characters",
        11: "survey_comment: is longer than 4000 characters",
        12: "has 4 fields, the header has 9",
    }
    assert not Conversation.objects.exists()


def test_the_same_file_in_small_blocks_gives_the_same_result(personas, monkeypatch):
    """Blocks are cut at line counts; a quoted value spanning lines is never cut."""
    rows = [f'b{i},2025-03-01T10:00:00Z,simple,no,,,,"line {i}\nand more",' for i in range(30)]
    content = HEADER + "\n" + "\n".join(rows) + "\n"
    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 7)

    run = ingest(personas.operation, content)

    assert run.report_line == "30 ingested, 0 updated, 0 rejected"
    comments = set(Conversation.objects.values_list("survey_comment", flat=True))
    assert comments == {f"line {i}\nand more" for i in range(30)}


def test_blocks_never_cut_a_quoted_value_and_count_lines():
    data = b"".join(b'r%d,"a\nb"\n' % i for i in range(10)) + b"last,x"
    items = list(blocks(io.BytesIO(data), first_line=2, rows=3))

    assert b"".join(item.data for item in items) == data + b"\n"
    assert [item.first_line for item in items] == [2, 6, 10, 14, 18, 22]
    for item in items:
        assert item.data.count(b'"') % 2 == 0
        assert item.lines == item.data.count(b"\n")


def test_an_offset_beyond_postgresqls_range_is_stored_in_json_lines_too(personas):
    body = (
        '{"conversation_id": "j", "started_at": "2024-03-01T10:00:00+20:00", '
        '"complexity": "simple", "escalated": false}\n'
    )
    run = ingestion_run_create(
        operation=personas.operation, file=io.BytesIO(body.encode()), file_name="j.jsonl"
    )
    run = ingestion_run_execute(run_id=run.pk)

    assert run.report_line == "1 ingested, 0 updated, 0 rejected"
    stored = Conversation.objects.get()
    assert stored.started_at == datetime(2024, 2, 29, 14, 0, tzinfo=UTC)


def test_instants_far_from_today_are_stored_exactly(personas):
    # PostgreSQL's binary COPY counts microseconds from 2000-01-01: instants before it, long
    # after it and on either side of a day's edge in the operation's zone must come out as
    # Python reads them.
    spellings = {
        "epoch": "1970-01-01T00:00:00Z",
        "before2000": "1999-12-31T23:59:59-05:00",
        "y2k": "2000-01-01T00:00:00+00:00",
        "late": "2099-12-31T23:59:59+01:00",
        "leap_second_day": "2016-12-31T23:59:59Z",
    }
    rows = [f"{name},{value},simple,no,,,,," for name, value in spellings.items()]
    run = ingest(personas.operation, HEADER + "\n" + "\n".join(rows) + "\n")
    assert run.report_line == f"{len(rows)} ingested, 0 updated, 0 rejected"
    zone = ZoneInfo(personas.operation.timezone)
    for name, value in spellings.items():
        stored = Conversation.objects.get(conversation_id=name)
        expected = datetime.fromisoformat(value)
        assert stored.started_at == expected, name
        assert stored.local_date == expected.astimezone(zone).date(), name


def test_instants_at_the_ends_of_the_calendar_are_rejected_or_stored_never_a_failed_file(
    personas,
):
    # A year-1 instant whose UTC or local time falls before year 1 (or after 9999) cannot be
    # stored or counted: such a row is rejected with its reason, the rest of the file goes in.
    rows = {
        "zero": "0000-06-01T12:00:00Z",  # no year 0 in ISO 8601's Python reading
        "before_one": "0001-01-01T00:30:00+01:00",  # 31 December of year 0 in UTC
        "after_9999": "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "local_after": "9999-12-31T23:30:00Z",  # 1 January 10000 in Stockholm
        "first_year": "0001-06-01T12:00:00Z",
        "last_year": "9999-06-01T12:00:00Z",
        "plain": "2026-03-02T10:00:00+01:00",
    }
    lines = [f"{name},{value},simple,no,,,,," for name, value in rows.items()]
    run = ingest(personas.operation, HEADER + "\n" + "\n".join(lines) + "\n")

    assert run.status == "done", run.error
    assert run.report_line == "3 ingested, 0 updated, 4 rejected"
    reasons = dict(RejectedRow.objects.values_list("line", "reason"))
    assert "is not an ISO 8601 datetime" in reasons[2]
    for line in (3, 4, 5):
        assert reasons[line].endswith("is outside the years 1 to 9999"), reasons[line]
    stored = {c.conversation_id: c for c in Conversation.objects.all()}
    assert stored["first_year"].started_at == datetime(1, 6, 1, 12, tzinfo=UTC)
    assert stored["last_year"].local_date == date(9999, 6, 1)
    assert sum(a.conversations for a in DailyAggregate.objects.all()) == 3


@pytest.mark.parametrize("seed", range(6))
def test_blocks_number_every_line_whatever_the_reads_and_lengths(monkeypatch, seed):
    # Reads of a few bytes, lines longer than the limit, quoted line breaks and a last line
    # without its end: each line is in exactly one block (or given back as too long), and
    # each block's line count and first line are those of the file.
    rng = random.Random(seed)
    monkeypatch.setattr(columnar, "READ_BYTES", rng.choice([7, 64, 1000]))
    lines = []
    for i in range(rng.randrange(1, 120)):
        kind = rng.random()
        if kind < 0.1:
            lines.append(b"L%d," % i + b"x" * rng.randrange(41, 90))  # too long
        elif kind < 0.25:
            lines.append(b'q%d,"a\nb",z' % i)  # one record, two lines
        else:
            lines.append(b"r%d," % i + b"y" * rng.randrange(0, 20))
    data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
    expected_lines = data.count(b"\n") + (not data.endswith(b"\n"))

    items = list(blocks(io.BytesIO(data), first_line=2, rows=rng.choice([1, 3, 10]), max_line=40))

    line = 2
    kept = []
    for item in items:
        if isinstance(item, columnar.LongLineAt):
            assert item.line == line
            line += 1
            continue
        assert item.first_line == line
        assert item.lines == item.data.count(b"\n")
        assert item.data.count(b'"') % 2 == 0
        line += item.lines
        kept.append(item.data)
    assert line == 2 + expected_lines
    short = [x + b"\n" for x in (data + b"\n").split(b"\n")[:expected_lines]]
    long = {i for i, x in enumerate(short) if len(x) > 41}
    assert b"".join(kept) == b"".join(x for i, x in enumerate(short) if i not in long)


@pytest.mark.parametrize(
    "extra", [[], ["é", "x\u00a0", "\u2028x", "\x85", "\u3000y"]], ids=["ascii", "not ascii"]
)
def test_edge_whitespace_is_what_strip_removes(extra):
    import pyarrow as pa

    values = ["", "xx"]
    for code in range(0x80):
        c = chr(code)
        values += [c + "x", "x" + c, c, "x" + c + "x"]
    values += extra
    found = columnar._edge_whitespace(pa.chunked_array([pa.array(values, pa.string())]))
    assert found.to_pylist() == [v != v.strip() for v in values]
