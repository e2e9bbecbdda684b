"""The ingestion service against FORMATS.md §1 and §2 (SQLite here, PostgreSQL in CI)."""

import gzip
import io
import json
from datetime import date

import pytest

from bench.samples import CSV_COLUMNS, conversation_rows, rows_to_csv
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import (
    DAILY_COUNT_FIELDS,
    Conversation,
    DailyAggregate,
    IngestionRun,
    RejectedRow,
)

pytestmark = pytest.mark.usefixtures("media_root")


def ingest(operation, content: bytes | str, name: str = "data.csv", kind=None) -> IngestionRun:
    if isinstance(content, str):
        content = content.encode()
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content), file_name=name, kind=kind, via="cli"
    )
    return ingestion_run_execute(run_id=run.pk)


def snapshot(operation) -> tuple[list, list]:
    conversations = list(
        Conversation.objects.filter(operation=operation)
        .order_by("conversation_id")
        .values_list(
            "conversation_id",
            "started_at",
            "local_date",
            "complexity",
            "escalated",
            "resolved_first_contact",
            "human_requested",
            "channel",
            "language",
            "csat",
            "topic",
            "metadata",
        )
    )
    aggregates = list(
        DailyAggregate.objects.filter(operation=operation)
        .order_by("date", "segment")
        .values_list(
            "date",
            "segment",
            "conversations",
            "escalated",
            "resolved_first_contact",
            "resolved_known",
            "human_requested",
            "human_requested_known",
            "csat_sum",
            "csat_count",
            "source",
        )
    )
    return conversations, aggregates


def ten_thousand_with_bad_rows() -> tuple[str, dict[int, str], int]:
    """10,000 data rows; returns the CSV, {line: rejected column} and the unique good ids."""
    rows = list(conversation_rows(10_000, seed=7))
    bad: dict[int, str] = {}
    for i, row in enumerate(rows):
        line = i + 2  # the header is line 1
        if i % 97 == 1:
            row["started_at"] = "yesterday"
            bad[line] = "started_at"
        elif i % 101 == 2:
            row["complexity"] = "medium"
            bad[line] = "complexity"
        elif i % 103 == 3:
            row["csat"] = "9"
            bad[line] = "csat"
        elif i % 107 == 4:
            row["escalated"] = "maybe"
            bad[line] = "escalated"
        elif i % 109 == 5:
            row["conversation_id"] = ""
            bad[line] = "conversation_id"
        elif i % 113 == 6:
            row["started_at"] = "2025-01-03T10:00:00"  # no offset
            bad[line] = "started_at"
        elif i % 127 == 7:
            row["language"] = "en_US"
            bad[line] = "language"
    good = [i for i in range(len(rows)) if i + 2 not in bad]
    sources, targets = good[10:25], [i for i in good if i >= 5000][:15:]
    for source, target in zip(sources[:10], targets[:10], strict=True):
        # the same id as an earlier good row with other values: rejected
        rows[target] = dict(rows[source], topic="conflicting")
        bad[target + 2] = "conversation_id"
    for source, target in zip(sources[10:], targets[10:], strict=True):
        rows[target] = dict(rows[source])  # exact copies: accepted, change nothing
    duplicates = 5
    good_ids = {r["conversation_id"] for i, r in enumerate(rows) if i + 2 not in bad}
    assert len(rows) == 10_000
    assert len(good_ids) == 10_000 - len(bad) - duplicates
    return rows_to_csv(rows, CSV_COLUMNS), bad, len(good_ids)


def test_ten_thousand_rows_with_bad_rows_of_several_kinds(personas):
    content, bad, good = ten_thousand_with_bad_rows()
    run = ingest(personas.operation, content)

    assert run.status == "done", run.error
    assert run.report_line == f"{good} ingested, 0 updated, {len(bad)} rejected"
    assert run.total == 10_000
    assert run.ingested + run.unchanged + run.rejected == 10_000
    assert Conversation.objects.filter(operation=personas.operation).count() == good
    rejected = {r.line: r for r in RejectedRow.objects.filter(run=run)}
    assert set(rejected) == set(bad)
    for line, column in bad.items():
        assert rejected[line].column == column
    lines = content.splitlines()
    assert rejected[3].original == lines[2]  # the original text, as sent
    assert "is not an ISO 8601 datetime" in rejected[3].reason
    conflict = min(line for line in rejected if line > 5000)
    assert "with different values" in rejected[conflict].reason
    reasons = " ".join(r.reason for r in rejected.values())
    for phrase in ["is not simple or complex", "is outside 1-5", "is not a boolean", "no offset"]:
        assert phrase in reasons
    # The days add up to the ingested conversations.
    daily = DailyAggregate.objects.filter(operation=personas.operation)
    assert sum(a.conversations for a in daily) == good
    assert {a.source for a in daily} == {"conversations"}


def test_reingesting_the_same_file_changes_nothing(personas):
    content, bad, good = ten_thousand_with_bad_rows()
    first = ingest(personas.operation, content)
    before = snapshot(personas.operation)

    again = ingest(personas.operation, gzip.compress(content.encode()), name="again.csv.gz")

    assert again.status == "done"
    assert again.report_line == f"0 ingested, 0 updated, {len(bad)} rejected"
    assert again.unchanged == 10_000 - len(bad)
    assert snapshot(personas.operation) == before
    assert first.sha256 == again.sha256 or again.file_name == "again.csv.gz"


def test_a_later_file_filling_in_resolution_updates_those_conversations_and_days(personas):
    rows = [
        {
            "conversation_id": f"x{i}",
            "started_at": f"2025-03-0{1 + i % 3}T10:00:00+01:00",
            "complexity": "complex",
            "escalated": "false",
            "resolved_first_contact": "",
        }
        for i in range(9)
    ]
    first = ingest(personas.operation, rows_to_csv(rows))
    assert first.report_line == "9 ingested, 0 updated, 0 rejected"
    day = DailyAggregate.objects.get(
        operation=personas.operation, date=date(2025, 3, 1), segment="complex"
    )
    assert (day.conversations, day.resolved_known, day.resolved_first_contact) == (3, 0, None)

    for row in rows[:6]:
        row["resolved_first_contact"] = "yes" if row["conversation_id"] != "x0" else "no"
    later = ingest(personas.operation, rows_to_csv(rows))

    assert later.report_line == "0 ingested, 6 updated, 0 rejected"
    assert Conversation.objects.get(conversation_id="x1").resolved_first_contact is True
    assert Conversation.objects.get(conversation_id="x0").resolved_first_contact is False
    day.refresh_from_db()
    # x0 and x3 fall on 1 March: one resolved, one not; x6 is still unknown.
    assert (day.conversations, day.resolved_known, day.resolved_first_contact) == (3, 2, 1)


def test_local_date_is_the_operation_time_zone(personas):
    # Stockholm is UTC+1 in winter: 23:30 UTC is already the next day there.
    content = rows_to_csv(
        [
            {
                "conversation_id": "late",
                "started_at": "2025-01-10T23:30:00Z",
                "complexity": "simple",
                "escalated": "no",
            },
            {
                "conversation_id": "early",
                "started_at": "2025-01-10T00:30:00+01:00",
                "complexity": "simple",
                "escalated": "Y",
            },
        ]
    )
    run = ingest(personas.operation, content)

    assert run.report_line == "2 ingested, 0 updated, 0 rejected"
    assert Conversation.objects.get(conversation_id="late").local_date == date(2025, 1, 11)
    assert Conversation.objects.get(conversation_id="early").local_date == date(2025, 1, 10)
    days = DailyAggregate.objects.filter(operation=personas.operation).order_by("date")
    assert [(d.date.day, d.conversations, d.escalated) for d in days] == [(10, 1, 1), (11, 1, 0)]


def test_gzipped_json_lines_with_transcripts_and_unknown_columns(personas):
    lines = [
        {
            "conversation_id": "j1",
            "started_at": "2025-02-01T09:00:00+00:00",
            "complexity": "complex",
            "escalated": True,
            "resolved_first_contact": None,
            "human_requested": "TRUE",
            "csat": 4,
            "language": "es-MX",
            "store": "Madrid-3",
            "messages": [{"role": "customer", "text": "my card is 4111 1111 1111 1111"}],
        },
        {
            "conversation_id": 2,
            "started_at": "2025-02-01T10:00:00Z",
            "complexity": "SIMPLE",
            "escalated": 0,
        },
        {"conversation_id": "j3", "started_at": "2025-02-01", "complexity": "simple"},
    ]
    body = "\n".join(json.dumps(x) for x in lines) + "\n\n"
    run = ingest(personas.operation, gzip.compress(body.encode()), name="export.jsonl.gz")

    assert run.status == "done", run.error
    assert run.report_line == "2 ingested, 0 updated, 1 rejected"
    j1 = Conversation.objects.get(conversation_id="j1")
    assert (j1.escalated, j1.human_requested, j1.csat, j1.language) == (True, True, 4, "es-MX")
    assert j1.metadata == {"store": "Madrid-3"}  # transcripts are never kept as metadata
    assert Conversation.objects.get(conversation_id="2").complexity == "simple"
    reject = RejectedRow.objects.get(run=run)
    assert reject.line == 3
    assert "escalated: is required" in reject.reason
    assert "has no offset" in reject.reason


def test_transcript_text_of_a_rejected_row_is_not_stored(personas):
    line = {
        "conversation_id": "t1",
        "started_at": "not a date",
        "complexity": "simple",
        "escalated": False,
        "messages": [{"role": "customer", "text": "call me at +46 70 123 45 67"}],
    }
    run = ingest(personas.operation, json.dumps(line) + "\n", name="t.jsonl")

    reject = RejectedRow.objects.get(run=run)
    assert "t1" in reject.original
    assert "+46 70" not in reject.original


def test_a_json_array_body_is_streamed(personas):
    body = json.dumps(
        [
            {
                "conversation_id": f"a{i}",
                "started_at": "2025-02-01T10:00:00Z",
                "complexity": "simple",
                "escalated": "n",
                "csat": "x" if i == 2 else 5,
            }
            for i in range(4)
        ],
        indent=1,
    )
    run = ingest(personas.operation, body, name="body.json")

    assert run.report_line == "3 ingested, 0 updated, 1 rejected"
    assert RejectedRow.objects.get(run=run).column == "csat"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty"),
        (b"\n  \n", "blank.csv", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "chart.csv", "binary"),
        (b"\xff\xfe\xfa bad bytes", "latin.csv", "not UTF-8"),
        (
            b"conversation_id,started_at,complexity\nc1,2025-01-01T00:00:00Z,simple\n",
            "missing.csv",
            "lacks the required column escalated",
        ),
        (b"hello,world\n1,2\n", "hello.csv", "Cannot tell what the file holds"),
        (b'{"conversation_id": "c1", ', "broken.jsonl", "is not JSON Lines"),
        (b"[{]", "broken.json", "The JSON array is broken"),
        (gzip.compress(b"x")[:8], "cut.csv.gz", "cannot be decompressed"),
        (b"a,b\n", "named.jsonl", "named like JSON Lines"),
    ],
)
def test_a_file_that_cannot_be_read_is_rejected_whole_and_nothing_is_written(
    personas, content, name, message
):
    run = ingest(personas.operation, content, name=name)

    assert run.status == "failed"
    assert message in run.error
    assert not Conversation.objects.exists()
    assert not DailyAggregate.objects.exists()
    assert not RejectedRow.objects.exists()


def test_conversations_kind_requested_for_a_daily_file_names_the_missing_columns(personas):
    run = ingest(personas.operation, "date,segment,conversations,escalated\n", kind="conversations")
    assert run.status == "failed"
    assert "conversation_id, started_at, complexity" in run.error


def daily_csv(rows: list[str]) -> str:
    header = "date,segment,conversations,escalated,resolved_first_contact,human_requested,"
    return header + "csat_sum,csat_count\n" + "\n".join(rows) + "\n"


def test_daily_aggregates_are_validated_and_upserted_by_date_and_segment(personas):
    content = daily_csv(
        [
            "2025-03-01,simple,100,12,80,5,40,10",
            "2025-03-01,complex,50,20,,,,",
            "2025-03-02,simple,10,11,,,,",  # escalated > conversations
            "2025-03-02,complex,-1,0,,,,",  # negative
            "2025-03-03,medium,10,1,,,,",  # unknown segment
            "2025-03-32,simple,10,1,,,,",  # bad date
            "2025-03-04,simple,10,1,,,3,1",  # csat_sum above 5 per score? 3 <= 5: fine
            "2025-03-04,simple,10,2,,,3,1",  # conflicting duplicate
            "2025-03-05,simple,10,1,,,60,10",  # csat_sum above 5 per score
            "2025-03-06,simple,ten,1,,,,",  # not an integer
        ]
    )
    run = ingest(personas.operation, content)

    assert run.kind == "daily"
    assert run.report_line == "3 ingested, 0 updated, 7 rejected"
    rejected = {r.line: r.column for r in RejectedRow.objects.filter(run=run)}
    assert rejected == {
        4: "escalated",
        5: "conversations",
        6: "segment",
        7: "date",
        9: "segment",
        10: "csat_sum",
        11: "conversations",
    }
    simple = DailyAggregate.objects.get(date=date(2025, 3, 1), segment="simple")
    assert (simple.resolved_first_contact, simple.resolved_known, simple.source) == (
        80,
        100,
        "daily",
    )
    complex_ = DailyAggregate.objects.get(date=date(2025, 3, 1), segment="complex")
    assert (complex_.resolved_first_contact, complex_.resolved_known) == (None, 0)

    again = ingest(personas.operation, daily_csv(["2025-03-01,complex,50,20,30,,,"]))
    assert again.report_line == "0 ingested, 1 updated, 0 rejected"
    complex_.refresh_from_db()
    assert (complex_.resolved_first_contact, complex_.resolved_known) == (30, 50)
    assert ingest(personas.operation, content).report_line == "0 ingested, 1 updated, 7 rejected"


def test_booleans_accept_every_documented_spelling(personas):
    spellings = ["true", "FALSE", "1", "0", "Yes", "no", "y", "N"]
    rows = [
        {
            "conversation_id": f"b{i}",
            "started_at": "2025-01-05T12:00:00Z",
            "complexity": "simple",
            "escalated": word,
        }
        for i, word in enumerate(spellings)
    ]
    run = ingest(personas.operation, rows_to_csv(rows))

    assert run.report_line == "8 ingested, 0 updated, 0 rejected"
    escalated = dict(Conversation.objects.values_list("conversation_id", "escalated"))
    assert [escalated[f"b{i}"] for i in range(8)] == [True, False] * 4


def test_a_conversation_moving_to_another_day_leaves_its_old_day(personas):
    row = {
        "conversation_id": "m1",
        "started_at": "2025-01-05T12:00:00Z",
        "complexity": "simple",
        "escalated": "no",
    }
    ingest(personas.operation, rows_to_csv([row]))
    row["started_at"] = "2025-01-07T12:00:00Z"
    run = ingest(personas.operation, rows_to_csv([row]))

    assert run.report_line == "0 ingested, 1 updated, 0 rejected"
    days = DailyAggregate.objects.filter(operation=personas.operation)
    assert [(d.date.day, d.conversations) for d in days] == [(7, 1)]


def test_operations_are_separate(personas):
    content = rows_to_csv(list(conversation_rows(5)))
    ingest(personas.operation, content)
    run = ingest(personas.other_operation, content)

    assert run.report_line == "5 ingested, 0 updated, 0 rejected"
    assert Conversation.objects.count() == 10


def test_executing_a_finished_run_again_changes_nothing(personas):
    run = ingest(personas.operation, rows_to_csv(list(conversation_rows(20))))
    before = snapshot(personas.operation)

    again = ingestion_run_execute(run_id=run.pk)

    assert (again.status, again.report_line, again.attempt) == (
        "done",
        "20 ingested, 0 updated, 0 rejected",
        1,
    )
    assert snapshot(personas.operation) == before


def test_re_executing_an_interrupted_run_reaches_the_same_end_state(personas, monkeypatch):
    from metrics.ingest import pg_csv
    from metrics.ingest import services as service

    content, bad, good = ten_thousand_with_bad_rows()
    monkeypatch.setattr(service, "CHUNK_ROWS", 1000)
    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 1000)
    run = ingestion_run_create(
        operation=personas.operation, file=io.BytesIO(content.encode()), file_name="f.csv"
    )
    calls = []

    def crash_on_fourth_chunk(run):
        calls.append(run.total)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the worker dies between chunks

    with pytest.raises(KeyboardInterrupt):
        ingestion_run_execute(run_id=run.pk, progress=crash_on_fourth_chunk)
    assert IngestionRun.objects.get(pk=run.pk).status == "running"
    # The slow path (SQLite) has kept its first chunks, the fast one (PostgreSQL) nothing yet.
    assert Conversation.objects.count() < good

    run = ingestion_run_execute(run_id=run.pk)

    assert run.status == "done"
    assert run.attempt == 2
    assert run.report_line == f"{good} ingested, 0 updated, {len(bad)} rejected"
    assert RejectedRow.objects.filter(run=run).count() == len(bad)
    assert Conversation.objects.count() == good


def test_a_row_with_bytes_that_are_not_utf8_is_rejected_alone(personas):
    head = rows_to_csv(list(conversation_rows(1000))).encode()
    assert len(head) > 64 * 1024  # past the head that is checked as a whole
    bad = b"c-bad,2025-01-01T10:00:00Z,simple,\xff\xfe,,,,,,\n"
    run = ingest(personas.operation, head + bad)

    assert run.report_line == "1000 ingested, 0 updated, 1 rejected"
    assert RejectedRow.objects.get(run=run).reason == "contains bytes that are not valid UTF-8"


def test_an_empty_value_never_erases_a_known_one(personas):
    row = {
        "conversation_id": "k1",
        "started_at": "2025-01-05T12:00:00Z",
        "complexity": "complex",
        "escalated": "no",
        "resolved_first_contact": "",
        "csat": "",
        "topic": "refund",
    }
    first = rows_to_csv([row])
    ingest(personas.operation, first)
    later = ingest(
        personas.operation, rows_to_csv([dict(row, resolved_first_contact="no", csat="2")])
    )
    assert later.report_line == "0 ingested, 1 updated, 0 rejected"

    again = ingest(personas.operation, first)

    assert again.report_line == "0 ingested, 0 updated, 0 rejected"
    k1 = Conversation.objects.get(conversation_id="k1")
    assert (k1.resolved_first_contact, k1.csat, k1.topic) == (False, 2, "refund")
    day = DailyAggregate.objects.get(operation=personas.operation)
    assert (day.resolved_known, day.resolved_first_contact, day.csat_count) == (1, 0, 1)


def test_a_transcript_column_in_csv_is_kept_out_of_metadata_and_rejected_text(personas):
    content = (
        "conversation_id,started_at,complexity,escalated,messages\n"
        'c1,2025-01-05T12:00:00Z,simple,no,"customer: my IBAN is SE35 5000 0000 0549 1000 0003"\n'
        'c2,2025-01-05T12:00:00Z,simple,perhaps,"customer: mail me at a@b.se"\n'
    )
    run = ingest(personas.operation, content)

    assert run.report_line == "1 ingested, 0 updated, 1 rejected"
    assert Conversation.objects.get().metadata == {}
    assert RejectedRow.objects.get().original == "c2,2025-01-05T12:00:00Z,simple,perhaps"


def test_a_gzip_file_cut_short_is_rejected_whole_and_nothing_is_written(personas):
    compressed = gzip.compress(rows_to_csv(list(conversation_rows(5000, seed=9))).encode())
    run = ingest(personas.operation, compressed[: len(compressed) * 3 // 4], name="cut.csv.gz")

    assert run.status == "failed"
    assert "damaged or cut short" in run.error
    assert "nothing was ingested" in run.error
    assert not Conversation.objects.exists()
    assert not RejectedRow.objects.exists()


@pytest.mark.postgres
def test_new_conversations_load_directly_and_a_file_overlapping_stored_ones_upserts(
    personas, monkeypatch
):
    """PostgreSQL: a file of new conversations is COPYed straight into the conversation table;
    one that holds stored conversations is rolled back and upserted through the staging table.
    Both end as the row-by-row path would."""
    from metrics.ingest import pg_csv

    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 500)
    routes = []
    for name in ("direct", "stage"):
        original = getattr(pg_csv.FastConversations, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            routes.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(pg_csv.FastConversations, name, spy)
    rows = list(conversation_rows(3000, seed=11))
    first = ingest(personas.operation, rows_to_csv(rows[:2000]))
    assert (first.report_line, routes) == ("2000 ingested, 0 updated, 0 rejected", ["direct"])

    # The second file: 1,000 new conversations and, in its last block, 1,000 stored ones,
    # 10 of them changed.
    changed = [dict(r, csat="1" if r["csat"] != "1" else "5") for r in rows[1000:1010]]
    second = rows[2000:] + changed + rows[1010:2000]
    routes.clear()
    run = ingest(personas.operation, rows_to_csv(second))

    assert run.report_line == "1000 ingested, 10 updated, 0 rejected"
    assert routes == ["direct", "stage"]
    stored = Conversation.objects.filter(operation=personas.operation)
    assert stored.count() == 3000
    assert stored.filter(created_by_run_id=first.pk).count() == 2000
    assert stored.filter(changed_by_run_id=run.pk).count() == 1010
    assert (
        sum(a.conversations for a in DailyAggregate.objects.filter(operation=personas.operation))
        == 3000
    )


@pytest.mark.postgres
@pytest.mark.parametrize("unknown", [False, True], ids=["known columns", "an unknown column"])
def test_a_direct_load_stores_metadata_whether_or_not_it_sends_it(personas, monkeypatch, unknown):
    """Without unknown columns a direct load leaves metadata out of its COPY (the column's
    default, {}, fills it); with one, each row's value is sent. Rows checked in Python (here a
    fractional second) are sent the same way, and the load stays direct."""
    from metrics.ingest import pg_csv

    failed = []
    original = pg_csv.FastConversations.stage
    monkeypatch.setattr(
        pg_csv.FastConversations, "stage", lambda *a, **k: failed.append(1) or original(*a, **k)
    )
    rows = list(conversation_rows(50, seed=5))
    rows[7]["started_at"] = rows[7]["started_at"].replace("+", ".5+", 1)
    if unknown:
        for i, row in enumerate(rows):
            row["store"] = f"s{i % 3}" if i % 2 else ""
    run = ingest(personas.operation, rows_to_csv(rows))

    assert run.report_line == "50 ingested, 0 updated, 0 rejected"
    assert not failed
    stored = dict(
        Conversation.objects.filter(operation=personas.operation).values_list(
            "conversation_id", "metadata"
        )
    )
    expected = {
        r["conversation_id"]: ({"store": r["store"]} if unknown and r["store"] else {})
        for r in rows
    }
    assert stored == expected


@pytest.mark.postgres
def test_a_failure_during_a_direct_loads_copy_leaves_nothing(personas, monkeypatch):
    """A block that fails to be checked while a COPY of the blocks before is open: the COPY is
    abandoned, the transaction rolled back (held rejected rows included), the run failed with
    a message, and the connection serves the next run."""
    from metrics.ingest import pg_csv

    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 20)
    monkeypatch.setattr(pg_csv, "COPY_BLOCKS", 50)
    checked = []
    prepare = pg_csv.FastConversations._prepare_group

    def failing(self, group):
        checked.append(1)
        if len(checked) == 12:
            raise RuntimeError("a bug in block 12")
        return prepare(self, group)

    monkeypatch.setattr(pg_csv.FastConversations, "_prepare_group", failing)
    copied = []
    write = pg_csv._BinaryCopy.write
    monkeypatch.setattr(
        pg_csv._BinaryCopy, "write", lambda self, data: copied.append(1) or write(self, data)
    )
    rows = list(conversation_rows(600, seed=3))
    rows[5]["csat"] = "9"  # a rejected row, held while the COPY runs
    content = rows_to_csv(rows)

    with pytest.raises(RuntimeError):
        ingest(personas.operation, content)

    assert len(copied) >= 10  # blocks were being COPYed when the check failed
    run = IngestionRun.objects.get()
    assert run.status == IngestionRun.Status.FAILED
    assert "failed while ingesting" in run.error
    assert not Conversation.objects.filter(operation=personas.operation).exists()
    assert not RejectedRow.objects.exists()
    monkeypatch.setattr(pg_csv.FastConversations, "_prepare_group", prepare)
    assert ingest(personas.operation, content).report_line == "599 ingested, 0 updated, 1 rejected"


def recount(operation) -> list[tuple]:
    """Each day's figures counted again from the stored conversations, independently of the
    ingest's own aggregation."""
    from django.db.models import Count, Q, Sum

    rows = (
        Conversation.objects.filter(operation=operation)
        .values("local_date", "complexity")
        .annotate(
            n=Count("id"),
            escalated_n=Count("id", filter=Q(escalated=True)),
            resolved_n=Count("id", filter=Q(resolved_first_contact=True)),
            resolved_k=Count("resolved_first_contact"),
            human_n=Count("id", filter=Q(human_requested=True)),
            human_k=Count("human_requested"),
            csat_s=Sum("csat", default=0),
            csat_k=Count("csat"),
            comments=Count("survey_complaint"),
            complaints=Count("id", filter=Q(survey_complaint=True)),
        )
        .order_by("local_date", "complexity")
    )
    return [
        (
            r["local_date"],
            r["complexity"],
            r["n"],
            r["escalated_n"],
            r["resolved_n"] if r["resolved_k"] else None,
            r["resolved_k"],
            r["human_n"] if r["human_k"] else None,
            r["human_k"],
            r["csat_s"],
            r["csat_k"],
            r["comments"],
            r["complaints"],
        )
        for r in rows
    ]


def aggregates_stored(operation) -> list[tuple]:
    return list(
        DailyAggregate.objects.filter(operation=operation)
        .order_by("date", "segment")
        .values_list("date", "segment", *DAILY_COUNT_FIELDS)
    )


def test_a_first_load_counts_its_days_as_the_stored_conversations_say(personas):
    # On PostgreSQL a file into an operation without conversations is counted while its blocks
    # are checked (not by reading the loaded rows again): every kind of value, rows checked
    # one by one (an unusual spelling, personal data in a kept column) and rejected rows.
    header = "conversation_id,started_at,complexity,escalated,resolved_first_contact,"
    header += "human_requested,csat,survey_comment,notes\n"
    lines = [
        "a1,2026-03-02T10:00:00+01:00,simple,true,true,no,5,Great,",
        "a2,2026-03-02T11:00:00+01:00,simple,false,,,,,",
        "a3,2026-03-02T12:00:00+01:00,complex,no,false,yes,2,I could not reach a person,",
        "a4,2026-03-02 13:00:00.5+01:00,complex,yes,true,,1,,",  # checked one by one
        "a5,2026-03-02T23:30:00-01:00,simple,false,false,true,3,,call +46 70 123 45 67",
        "a6,2026-03-03T09:00:00+01:00,complex,false,,,4,Could not reach anyone. Mail a@b.se,",
        "a7,2026-03-03T09:00:00+01:00,medium,false,,,4,,",  # rejected
        "a8,not a date,simple,false,,,,,",  # rejected
        "a9,2026-03-04T00:10:00+01:00,simple,false,,,,,",
    ]
    run = ingest(personas.operation, header + "\n".join(lines) + "\n")
    assert (run.ingested, run.rejected) == (7, 2)
    assert aggregates_stored(personas.operation) == recount(personas.operation)
    days = {a[0] for a in aggregates_stored(personas.operation)}
    assert days == {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)}

    # A second file of new conversations on the same days: counted with the first one's.
    more = "\n".join(
        [
            "b1,2026-03-02T15:00:00+01:00,simple,true,,yes,1,Nobody to talk to,",
            "b2,2026-03-03T15:00:00+01:00,complex,false,true,,,,",
        ]
    )
    run = ingest(personas.operation, header + more + "\n")
    assert run.ingested == 2
    assert aggregates_stored(personas.operation) == recount(personas.operation)
    assert sum(a[2] for a in aggregates_stored(personas.operation)) == 9


def test_numbers_json_or_postgresql_cannot_hold_are_rejected_rows_not_a_failed_file(personas):
    # Python's json reads NaN, Infinity and 1e999; PostgreSQL's jsonb refused them later and
    # the whole file failed. A count beyond a PostgreSQL integer did the same to daily files.
    good = '{"conversation_id": "ok", "started_at": "2026-03-02T10:00:00Z", '
    good += '"complexity": "simple", "escalated": false}'
    lines = [
        good,
        good.replace('"ok"', '"nan"').replace("}", ', "score": NaN}'),
        good.replace('"ok"', '"inf"').replace("}", ', "score": -Infinity}'),
        good.replace('"ok"', '"big"').replace("}", ', "score": 1e999}'),
        good.replace('"ok"', '"fine"').replace("}", ', "score": 1e300}'),
    ]
    run = ingest(personas.operation, "\n".join(lines) + "\n", name="odd.jsonl")
    assert run.status == "done", run.error
    assert run.report_line == "2 ingested, 0 updated, 3 rejected"
    reasons = dict(RejectedRow.objects.filter(run=run).values_list("line", "reason"))
    assert "NaN is not a JSON number" in reasons[2]
    assert "-Infinity is not a JSON number" in reasons[3]
    assert "1e999 is too large a number" in reasons[4]
    assert float(Conversation.objects.get(conversation_id="fine").metadata["score"]) == 1e300

    array = ingest(personas.operation, "[" + lines[0] + ", " + lines[1] + "]", name="odd.json")
    assert array.status == "failed"
    assert "NaN is not a JSON number" in array.error

    daily = ingest(
        personas.operation,
        daily_csv(
            [
                "2026-04-02,simple,10,2,,,,",
                "2026-04-03,simple,99999999999999999999,2,,,,",
            ]
        ),
        name="daily.csv",
    )
    assert daily.status == "done", daily.error
    assert daily.report_line == "1 ingested, 0 updated, 1 rejected"
    (reason,) = RejectedRow.objects.filter(run=daily).values_list("reason", flat=True)
    assert "is larger than 2,147,483,647" in reason


@pytest.mark.postgres
def test_the_day_rebuild_asks_the_day_counts_not_the_conversations_which_segments_are_empty(
    personas,
):
    # Asked of the conversation table, PostgreSQL planned it as a scan of all the operation's
    # rows per aggregate row when its statistics still said the table was empty: 55 s after a
    # first load of a million rows. Both the first load and a file through staging.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = list(conversation_rows(300, seed=5))
    for content in (rows_to_csv(rows[:200]), rows_to_csv(rows[100:])):
        with CaptureQueriesContext(connection) as queries:
            run = ingest(personas.operation, content)
        assert run.status == "done", run.error
        deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE FROM metrics_daily")]
        assert deletes, "the rebuild removes the empty segments' rows"
        assert not any("metrics_conversation" in sql for sql in deletes)
    assert aggregates_stored(personas.operation) == recount(personas.operation)
