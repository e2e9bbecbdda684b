"""Ingest N generated conversation rows on PostgreSQL: our service against a raw COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stopline python -m bench.ingest [--rows N]

Both are measured in the same run, in a scratch database (<name>_bench) that is dropped
afterwards. The baseline is `COPY ... FROM STDIN (FORMAT csv)` of the same file into a bare
table without keys or indexes; ours parses and validates every row, upserts by natural key and
recomputes the daily aggregates, all through `ingestion_run_execute`.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BLOCK = 1024 * 1024


def _bench_url(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{bench}")), url, bench


def _generate(path: Path, rows: int) -> None:
    from bench.samples import CSV_COLUMNS, conversation_rows

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(conversation_rows(rows, seed=42, days=365))


def _raw_copy(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (conversation_id text, started_at timestamptz, "
            "complexity text, escalated boolean, resolved_first_contact boolean, "
            "human_requested boolean, channel text, language text, csat smallint, topic text)"
        )
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
    return elapsed


def _ours(path: Path) -> tuple[float, float, str, str]:
    from accounts.services import organization_ensure
    from criteria.services import operation_create
    from metrics.ingest.services import ingestion_run_create, ingestion_run_execute

    org = organization_ensure(slug="bench", name="Bench")
    operation = operation_create(
        organization=org, slug="bench", title="Bench", timezone_name="Europe/Stockholm"
    )
    timings, reports = [], []
    for _ in range(2):  # the first run inserts, the second changes nothing
        start = time.perf_counter()
        with path.open("rb") as file:
            run = ingestion_run_create(operation=operation, file=file, file_name=path.name)
        run = ingestion_run_execute(run_id=run.pk)
        timings.append(time.perf_counter() - start)
        reports.append(run.report_line if run.status == "done" else run.error)
    return timings[0], timings[1], reports[0], reports[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
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
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        path = workdir / "conversations.csv"
        start = time.perf_counter()
        _generate(path, args.rows)
        generated = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        copy_s = _raw_copy(path)
        ours_s, again_s, report, again_report = _ours(path)
        connection.close()
        print(f"rows                 {args.rows:>12,}   ({size_mb:.1f} MB CSV, {generated:.1f} s)")
        print(f"raw COPY, bare table {copy_s:>10.2f} s   {args.rows / copy_s:>12,.0f} rows/s")
        print(f"ingest service       {ours_s:>10.2f} s   {args.rows / ours_s:>12,.0f} rows/s")
        print(f"  report             {report}")
        print(f"ingest again         {again_s:>10.2f} s   ({again_report})")
        print(f"ratio service / COPY {ours_s / copy_s:>10.1f} x")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        for file in sorted(workdir.rglob("*"), reverse=True):
            file.unlink() if file.is_file() else file.rmdir()
        workdir.rmdir()


if __name__ == "__main__":
    main()
