"""Ingest N generated conversation rows on PostgreSQL: our service against a raw COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline python -m bench.ingest [--rows N]

Everything is measured in the same run, in a scratch database (<name>_bench) that is dropped
afterwards. The baseline is `COPY ... FROM STDIN (FORMAT csv)` of the same file into a bare
table without keys or indexes. Ours is `ingestion_run_create` + `ingestion_run_execute`, all
included: saving and hashing the upload, parsing, checking every row (rejects quarantined),
redacting survey comments, upserting by natural key and rebuilding the touched days'
aggregates. Three runs of ours:

- **fresh**: the file into an empty operation;
- **1 % changed**: the same file with 1 % of its rows changed (csat and outcome);
- **unchanged**: that file once more (nothing to write).

Peak memory is the process's peak resident set size during our runs (VmHWM, reset before).
Last, the floor of any design: the rows, already typed, COPYed into a table shaped like
metrics_conversation (its indexes and constraints).
`--rows 2000` is the small size CI runs so that the benchmark cannot rot.
"""

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BLOCK = 1024 * 1024
COMMENTS = 0.05  # share of rows with a survey comment (a third of them with personal data)


def _bench_url(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{bench}")), url, bench


def _generate(path: Path, rows: int, *, changed: float = 0.0) -> None:
    from bench.samples import CSV_COLUMNS, conversation_rows

    columns = [*CSV_COLUMNS, "survey_comment"]
    step = round(1 / changed) if changed else 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for i, row in enumerate(conversation_rows(rows, seed=42, days=365, comments=COMMENTS)):
            if step and i % step == 0:
                row["csat"] = "2" if row["csat"] != "2" else "4"
                row["resolved_first_contact"] = "false"
            writer.writerow(row)


def _raw_copy(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (conversation_id text, started_at timestamptz, "
            "complexity text, escalated boolean, resolved_first_contact boolean, "
            "human_requested boolean, channel text, language text, csat smallint, topic text, "
            "survey_comment text)"
        )
        _settle()
        start = time.perf_counter()
        with (
            path.open("rb") as file,
            cursor.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while block := file.read(BLOCK):
                copy.write(block)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_bare")
        assert cursor.fetchone()[0] > 0
        cursor.execute("DROP TABLE bench_bare")
    return elapsed


def _shaped_copy(workdir: Path) -> float:
    """The floor of any design: COPY the ingested rows, already typed (in the binary format the
    ingest sends), into a table shaped like metrics_conversation (its indexes and constraints),
    and commit."""
    from django.db import connection, transaction

    from metrics.models import Conversation

    table = Conversation._meta.db_table
    columns = [f.column for f in Conversation._meta.concrete_fields if f.column != "id"]
    names = ", ".join(columns)
    dump = workdir / "typed.copy"
    with connection.cursor() as cursor, dump.open("wb") as out:
        with cursor.copy(f"COPY (SELECT {names} FROM {table}) TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                out.write(block)
        cursor.execute(f"CREATE TABLE bench_shaped (LIKE {table} INCLUDING ALL)")
    _settle()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, dump.open("rb") as file:  # noqa: SIM117
        with cursor.copy(f"COPY bench_shaped ({names}) FROM STDIN (FORMAT binary)") as copy:
            while block := file.read(BLOCK):
                copy.write(block)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_shaped")
    dump.unlink()
    return elapsed


def _settle() -> None:
    """Start each timed section from the same state, so that no figure pays for the one
    measured before it: the tables vacuumed and analysed (otherwise autovacuum, woken by the
    previous load, shares the two cores with the next one) and the dirty pages written out."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")


def _peak_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ingest(operation, path: Path) -> tuple[float, str]:
    from metrics.ingest.services import ingestion_run_create, ingestion_run_execute

    _settle()
    start = time.perf_counter()
    with path.open("rb") as file:
        run = ingestion_run_create(operation=operation, file=file, file_name=path.name)
    run = ingestion_run_execute(run_id=run.pk)
    elapsed = time.perf_counter() - start
    return elapsed, run.report_line if run.status == "done" else f"FAILED: {run.error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--generate", help=argparse.SUPPRESS)  # write the file and stop
    parser.add_argument("--changed", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        _generate(Path(args.generate), args.rows, changed=args.changed)
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench.ingest needs PostgreSQL: DATABASE_URL=postgres://...")
    bench_url, admin_url, bench_name = _bench_url(url)

    import psycopg

    # Create and drop the scratch database from the maintenance database.
    admin = urlsplit(admin_url)._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
        conn.execute(f'CREATE DATABASE "{bench_name}"')
    workdir = Path(tempfile.mkdtemp(prefix="stopline-bench-"))
    os.environ["DATABASE_URL"] = bench_url
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    failed = False
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from accounts.services import organization_ensure
        from criteria.services import operation_create

        call_command("migrate", verbosity=0)
        path = workdir / "conversations.csv"
        changed = workdir / "conversations-1pc-changed.csv"
        start = time.perf_counter()
        # In a child process, so that the peak memory below is the ingest's alone.
        for target, share in ((path, "0"), (changed, "0.01")):
            subprocess.run(
                [sys.executable, "-m", "bench.ingest", "--generate", str(target)]
                + ["--rows", str(args.rows), "--changed", share],
                check=True,
            )
        generated = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        copy_s = _raw_copy(path)
        org = organization_ensure(slug="bench", name="Bench")
        operation = operation_create(
            organization=org, slug="bench", title="Bench", timezone_name="Europe/Stockholm"
        )
        _peak_reset()
        fresh_s, fresh = _ingest(operation, path)
        changed_s, changed_report = _ingest(operation, changed)
        again_s, again = _ingest(operation, changed)
        peak = _peak_mb()
        shaped_s = _shaped_copy(workdir)
        connection.close()
        failed = any(r.startswith("FAILED") for r in (fresh, changed_report, again))
        rows = args.rows
        # Labels kept stable: bench/__main__.py reads "raw COPY, bare table", "ingest
        # service" and "ingest again" back from these lines.
        print(f"rows                   {rows:>12,}   ({size_mb:.1f} MB CSV, {generated:.1f} s)")
        print(f"raw COPY, bare table   {copy_s:>10.2f} s   {rows / copy_s:>12,.0f} rows/s")
        print(f"ingest service         {fresh_s:>10.2f} s   {rows / fresh_s:>12,.0f} rows/s")
        print(f"  report               {fresh}")
        print(f"ingest 1 % changed     {changed_s:>10.2f} s   ({changed_report})")
        print(f"ingest again           {again_s:>10.2f} s   ({again}, nothing changed)")
        print(f"ratio service / COPY   {fresh_s / copy_s:>10.1f} x")
        print(f"ratio 1 % changed/COPY {changed_s / copy_s:>10.1f} x")
        print(f"ratio again / COPY     {again_s / copy_s:>10.1f} x")
        print(f"peak memory            {peak:>10.0f} MB")
        print(f"floor: typed COPY into {shaped_s:>8.2f} s   = {shaped_s / copy_s:.1f} x raw COPY")
        print("  the conversation table's shape (its indexes and constraints), no checks")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        for file in sorted(workdir.rglob("*"), reverse=True):
            file.unlink() if file.is_file() else file.rmdir()
        workdir.rmdir()
    if failed:
        sys.exit("an ingest run failed")


if __name__ == "__main__":
    main()
