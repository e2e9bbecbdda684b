"""python manage.py ingest OPERATION FILE [--kind] [--rejects-csv]"""

import csv
import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command

from bench.samples import conversation_rows, rows_to_csv
from metrics.models import Conversation, DailyAggregate, IngestionRun

pytestmark = pytest.mark.usefixtures("media_root")


def run_command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ingest_prints_one_report_line(personas, tmp_path):
    path = tmp_path / "year.csv.gz"
    path.write_bytes(gzip.compress(rows_to_csv(list(conversation_rows(50))).encode()))

    out, err = run_command("eu-chat", path)

    assert out == "50 ingested, 0 updated, 0 rejected\n"
    assert err == ""  # no progress bar when stderr is not a terminal
    run = IngestionRun.objects.get()
    assert (run.via, run.file_name, run.kind) == ("cli", "year.csv.gz", "conversations")
    assert Conversation.objects.count() == 50

    out, _ = run_command("eu-chat", path)
    assert out == "0 ingested, 0 updated, 0 rejected\n"


def test_rejected_rows_are_pointed_to_and_written_as_csv(personas, tmp_path):
    rows = list(conversation_rows(4))
    rows[1]["complexity"] = "hard"
    path = tmp_path / "conversations.csv"
    path.write_text(rows_to_csv(rows))
    rejects = tmp_path / "rejects.csv"

    out, _ = run_command("eu-chat", path, "--rejects-csv", rejects)

    run = IngestionRun.objects.get()
    lines = out.splitlines()
    assert lines[0] == "3 ingested, 0 updated, 1 rejected"
    assert lines[1] == f"Rejected rows: {rejects} and /metrics/eu-chat/runs/{run.pk}/"
    table = list(csv.reader(rejects.open()))
    assert table[1][:2] == ["3", "complexity"]
    assert table[1][3] == path.read_text().splitlines()[2]


def test_daily_kind_is_read_from_the_header_or_given(personas, tmp_path):
    path = tmp_path / "daily.jsonl"
    path.write_text(
        json.dumps({"date": "2025-01-01", "segment": "simple", "conversations": 10, "escalated": 2})
    )
    out, _ = run_command("eu-chat", path)
    assert out == "1 ingested, 0 updated, 0 rejected\n"
    assert DailyAggregate.objects.get().source == "daily"

    with pytest.raises(CommandError, match="lacks the required columns conversation_id"):
        run_command("eu-chat", path, "--kind", "conversations")


def test_a_whole_file_rejection_exits_non_zero_with_the_reason(personas, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("")
    with pytest.raises(CommandError, match="notes.csv was rejected as a whole: The file is empty"):
        run_command("eu-chat", path)
    assert IngestionRun.objects.get().status == "failed"


def test_unknown_operation_or_file(personas, tmp_path):
    with pytest.raises(CommandError, match="no operation 'nope'"):
        run_command("nope", tmp_path / "x.csv")
    with pytest.raises(CommandError, match="There is no file"):
        run_command("eu-chat", tmp_path / "x.csv")


def test_the_progress_bar_is_drawn_on_a_terminal(personas, tmp_path, monkeypatch):
    from metrics.ingest import pg_csv
    from metrics.ingest import services as service

    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    monkeypatch.setattr(pg_csv, "BLOCK_ROWS", 10)
    path = tmp_path / "c.csv"
    path.write_text(rows_to_csv(list(conversation_rows(30))))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    call_command("ingest", "eu-chat", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().count("\r[") == 3
    assert "30 rows, 0 rejected" in err.getvalue()
