"""PostgreSQL's fast path leaves out of the staging table the lines that are stored as they
are (their hash is the one that last set the conversation). Whatever is left out, a run ends
exactly as reading every line would: these tests change what decides a line's values in
every way a user can and check the outcome, and that the left-out lines really stay out."""

import io
import json
import random
from datetime import date

import pytest

from bench.samples import conversation_rows, rows_to_csv
from metrics.ingest import pg_csv
from metrics.ingest.columnar import line_hashes
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation, DailyAggregate

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("media_root")]


def ingest(operation, content: str, name: str = "data.csv"):
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content.encode()), file_name=name, via="cli"
    )
    return ingestion_run_execute(run_id=run.pk)


@pytest.fixture
def staged(monkeypatch):
    """How many rows each apply found in the staging table."""
    counts: list[int] = []
    original = pg_csv.FastConversations.apply

    def apply(self, *args, **kwargs):
        from django.db import connection

        with connection.cursor() as cursor:
            counts.append(self.staged_count(cursor))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pg_csv.FastConversations, "apply", apply)
    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 400)
    return counts


def test_a_file_sent_again_stages_only_its_changed_and_new_lines(personas, staged):
    rows = list(conversation_rows(2000, seed=5, comments=0.2))
    first = ingest(personas.operation, rows_to_csv(rows))
    assert first.report_line == "2000 ingested, 0 updated, 0 rejected"

    changed = [dict(r, escalated="true" if r["escalated"] == "false" else "false") for r in rows]
    second = rows[:1990] + changed[1990:] + list(conversation_rows(5, seed=6, prefix="n"))
    run = ingest(personas.operation, rows_to_csv(second))

    assert run.report_line == "5 ingested, 10 updated, 0 rejected"
    assert run.unchanged == 1990
    assert staged == [15]
    stored = Conversation.objects.filter(operation=personas.operation)
    assert stored.filter(changed_by_run_id=run.pk).count() == 15
    flipped = stored.get(conversation_id=rows[1995]["conversation_id"])
    assert flipped.escalated == (changed[1995]["escalated"] == "true")

    staged.clear()
    again = ingest(personas.operation, rows_to_csv(second))
    assert (again.report_line, again.unchanged, staged) == (
        "0 ingested, 0 updated, 0 rejected",
        2005,
        [0],
    )
    # The first file once more: its ten lines differ from what is stored now, and go back.
    staged.clear()
    back = ingest(personas.operation, rows_to_csv(rows))
    assert back.report_line == "0 ingested, 10 updated, 0 rejected"
    assert staged == [10]
    assert sum(
        a.escalated for a in DailyAggregate.objects.filter(operation=personas.operation)
    ) == sum(r["escalated"] == "true" for r in rows)


@pytest.mark.parametrize("stored_first", [True, False])
def test_an_id_on_a_stored_line_and_on_a_changed_line_is_a_conflict_as_without_leaving_out(
    personas, staged, stored_first
):
    rows = list(conversation_rows(600, seed=7))
    ingest(personas.operation, rows_to_csv(rows))
    target = rows[100]
    other = dict(target, csat="1" if target["csat"] != "1" else "5")
    if stored_first:  # the stored line on line 102, the changed one on line 302
        body, first, later = rows[:300] + [other] + rows[300:], 102, 302
    else:  # the changed line on line 102, the stored one last
        body, first, later = rows[:100] + [other] + rows[101:] + [target], 102, 602

    run = ingest(personas.operation, rows_to_csv(body))

    assert run.report_line == f"0 ingested, {0 if stored_first else 1} updated, 1 rejected"
    reject = run.rejected_rows.get()
    assert reject.line == later
    assert f"on line {first} with different values" in reject.reason
    stored = Conversation.objects.get(
        operation=personas.operation, conversation_id=target["conversation_id"]
    )
    kept = target if stored_first else other
    assert stored.csat == (int(kept["csat"]) if kept["csat"] else None)
    # Staged: the changed line alone, then (the conflict seen) every line.
    assert staged == [1, len(body)]


def test_a_new_time_zone_reads_every_line_again(personas, staged):
    rows = [{**r, "started_at": "2025-03-04T23:30:00+00:00"} for r in conversation_rows(50, seed=8)]
    ingest(personas.operation, rows_to_csv(rows))
    assert set(Conversation.objects.values_list("local_date", flat=True)) == {date(2025, 3, 5)}
    personas.operation.timezone = "America/New_York"
    personas.operation.save()

    run = ingest(personas.operation, rows_to_csv(rows))

    assert run.report_line == "0 ingested, 50 updated, 0 rejected"
    assert staged == [50]
    assert set(Conversation.objects.values_list("local_date", flat=True)) == {date(2025, 3, 4)}


def test_a_row_changed_by_another_writer_is_read_again_from_the_same_csv(personas, staged):
    rows = list(conversation_rows(40, seed=9))
    csv_text = rows_to_csv(rows)
    ingest(personas.operation, csv_text)
    target = rows[3]
    # The same conversation sent as JSON lines (the row-by-row path) with another topic.
    ingest(
        personas.operation,
        json.dumps({**target, "topic": "changed by another file"}) + "\n",
        name="one.jsonl",
    )
    assert Conversation.objects.get(conversation_id=target["conversation_id"]).topic == (
        "changed by another file"
    )

    run = ingest(personas.operation, csv_text)

    assert run.report_line == "0 ingested, 1 updated, 0 rejected"
    assert staged == [1]
    assert (
        Conversation.objects.get(conversation_id=target["conversation_id"]).topic
        == (target["topic"])
    )


def test_quoted_line_breaks_are_never_left_out_and_end_the_same(personas, staged):
    rows = list(conversation_rows(30, seed=10, comments=1.0))
    rows[4]["survey_comment"] = 'two lines,\n"quoted" and all'
    text = rows_to_csv(rows)
    first = ingest(personas.operation, text)
    assert first.report_line == "30 ingested, 0 updated, 0 rejected"

    run = ingest(personas.operation, text)

    assert run.report_line == "0 ingested, 0 updated, 0 rejected"
    comment = Conversation.objects.get(conversation_id=rows[4]["conversation_id"]).survey_comment
    assert comment == 'two lines,\n"quoted" and all'


def test_stored_lines_are_found_across_groups_of_blocks_and_around_what_cannot_be_hashed(
    personas, staged, monkeypatch
):
    # Blocks are looked up among the stored hashes a group at a time (pg_csv.STORED_GROUP):
    # changed lines in the first, a middle and the last block, a line too long to read and a
    # block with a quoted line break between them all end as reading every line would.
    monkeypatch.setattr(pg_csv, "STORED_GROUP", 2)
    rows = list(conversation_rows(2000, seed=12, comments=0.2))
    rows[1000]["survey_comment"] = 'two lines,\n"quoted"'
    first = ingest(personas.operation, rows_to_csv(rows))
    assert first.report_line == "2000 ingested, 0 updated, 0 rejected"

    changed = [dict(r) for r in rows]
    for i in (3, 850, 1999):
        changed[i]["escalated"] = "true" if rows[i]["escalated"] == "false" else "false"
    lines = rows_to_csv(changed).split("\n")
    too_long = ",".join(["x" * (2 * 1024 * 1024 + 10)] + [""] * (len(changed[0]) - 1))
    lines.insert(1200, too_long)
    run = ingest(personas.operation, "\n".join(lines))

    assert run.report_line == "0 ingested, 3 updated, 1 rejected"
    assert run.unchanged == 1997
    # The three changed lines and the block with the quoted line break (read whole; its rows
    # change nothing) were staged, nothing else.
    assert staged and staged[0] < 3 + 400
    stored = Conversation.objects.filter(operation=personas.operation)
    assert stored.filter(changed_by_run_id=run.pk).count() == 3
    for i in (3, 850, 1999):
        got = stored.get(conversation_id=rows[i]["conversation_id"]).escalated
        assert got == (changed[i]["escalated"] == "true")


def test_line_hashes_are_seeded_and_refuse_lines_that_are_not_whole_records():
    data = b"a,b\nc,d\n"
    assert line_hashes(data, 1) == line_hashes(data, 1)
    assert line_hashes(data, 1) != line_hashes(data, 2)
    assert len(line_hashes(data, 1)) == 2
    assert all(-(2**63) <= h < 2**63 for h in line_hashes(data, 1))
    assert line_hashes(b'a,"b\nc",d\n', 1) is None
    assert line_hashes(b'a,"b ""c"""\n', 1) is not None


def test_a_block_is_refused_exactly_when_one_of_its_lines_has_an_odd_number_of_quotes():
    # line_hashes finds odd lines in one pass over the block; the plain definition, line by
    # line, on random blocks of quotes, line ends and other bytes.
    rng = random.Random(20261205)
    pieces = [b"a", b'"', b"\n", b",", b"\r", b" ", b'""', b"\xc3\xa9"]
    for _ in range(20000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30)))
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        odd = any(line.count(b'"') % 2 for line in lines)
        assert (line_hashes(data, 1) is None) == odd, data


def test_a_file_whose_first_row_is_stored_goes_straight_to_staging(personas, monkeypatch):
    tried = []
    original = pg_csv.FastConversations.direct

    def direct(self, *args, **kwargs):
        tried.append(self.run.pk)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pg_csv.FastConversations, "direct", direct)
    rows = list(conversation_rows(300, seed=12))
    first = ingest(personas.operation, rows_to_csv(rows[:200]))
    overlapping = ingest(personas.operation, rows_to_csv(rows[150:]))
    new = list(conversation_rows(20, seed=13, prefix="n"))
    new_first = ingest(personas.operation, rows_to_csv([*new, rows[0]]))

    assert tried == [first.pk, new_first.pk]  # the second was never tried directly
    assert overlapping.report_line == "100 ingested, 0 updated, 0 rejected"
    assert new_first.report_line == "20 ingested, 0 updated, 0 rejected"
    assert Conversation.objects.filter(operation=personas.operation).count() == 320
