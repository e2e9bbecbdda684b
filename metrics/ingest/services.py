"""Ingestion of conversations and daily aggregates (FORMATS.md §1, §2): one service for the
upload page, the REST API, the `ingest` command and the Celery task.

A run is created with its file saved to the default storage (`ingestion_run_create`), then
executed (`ingestion_run_execute`) in-process or by the worker. Execution streams the file in
chunks of CHUNK_ROWS rows; each chunk is one transaction that upserts its good rows, stores its
rejected rows and recomputes the daily aggregates of the local dates it touched. Upserts are
idempotent by natural key and only write rows whose values change, so:

- re-ingesting the same file (a new run) reports `0 ingested, 0 updated, K rejected`, where K
  are the same bad rows again; accepted rows that change nothing (and identical duplicates in
  the file) count as neither ingested nor updated;
- an optional value left empty never erases a known one: sending the first export again after
  the later one that filled in `resolved_first_contact` changes nothing (to correct a value,
  send the new value);
- re-executing a run after a crash (worker killed) resumes from scratch and ends in the same
  state with the same report, because the report is counted from the rows' run ids at the end.

SQL below interpolates only constant table and column names; every value is a bound parameter.

On PostgreSQL each chunk is COPYed into a temporary table and merged with one
INSERT ... ON CONFLICT DO UPDATE ... WHERE (values differ); on SQLite the same SQL runs after an
executemany into the temporary table.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date
from itertools import islice
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.errors import StoplineError
from config.freshness import operation_changed
from config.jobs import enqueue_on_commit
from criteria.models import Operation
from metrics.ingest import pg_csv
from metrics.ingest.formats import (
    FileRejected,
    Record,
    binary_open,
    columns_check,
    conversation_clean,
    conversation_digest,
    daily_clean,
    daily_digest,
    format_sniff,
    kind_infer,
    records_open,
)
from metrics.ingest.transcripts import transcript_sink_for
from metrics.ingest.upserts import (
    _STAGE_COLUMNS,
    _VALUE_COLUMNS,
    _aggregates_recompute,
    _as_date,
    _claim_check,
    _conflict,
    _reject,
    _Superseded,
    complaints_flag,
    run_row_finish,
    value_incoming,
    values_differ,
)
from metrics.models import Conversation, DailyAggregate, IngestionRun, RejectedRow
from metrics.selectors import PROGRESS_SECONDS, progress_key

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000


class UploadTooLarge(StoplineError):
    status = 413
    code = "too_large"


# Creating and enqueuing


class _HashingFile(File):
    """Hashes and counts the bytes while the storage copies them; stops above the limit."""

    def __init__(self, file: IO[bytes], *, limit: int | None) -> None:
        super().__init__(file)
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self.limit = limit

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        for chunk in super().chunks(chunk_size):
            self.bytes_read += len(chunk)
            if self.limit is not None and self.bytes_read > self.limit:
                raise UploadTooLarge(size_limit_message(self.limit))
            self.sha256.update(chunk)
            yield chunk


def size_limit_message(limit: int) -> str:
    return f"The file is larger than the upload limit of {limit / 1_000_000:g} MB."


def _storage_suffix(file_name: str) -> str:
    lowered = file_name.lower()
    for suffix in (".csv.gz", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".csv", ".jsonl", ".json"):
        if lowered.endswith(suffix):
            return suffix
    return ".gz" if lowered.endswith(".gz") else ".dat"


def ingestion_run_create(
    *,
    operation: Operation,
    file: IO[bytes],
    file_name: str,
    kind: str | None = None,
    uploaded_by: AbstractBaseUser | None = None,
    via: str = "upload",
    max_bytes: int | None = None,
) -> IngestionRun:
    """Save the file for the worker and record a queued run. Slow I/O, no transaction."""
    if kind and kind not in IngestionRun.Kind.values:
        raise StoplineError(f"Unknown kind {kind!r}: use conversations or daily.")
    hashing = _HashingFile(file, limit=max_bytes)
    name = f"ingest/{uuid.uuid4().hex}{_storage_suffix(file_name)}"
    try:
        stored_name = default_storage.save(name, hashing)
    except UploadTooLarge:
        if default_storage.exists(name):
            default_storage.delete(name)
        raise
    return IngestionRun.objects.create(
        operation=operation,
        kind=kind or "",
        file_name=(file_name or "upload")[-255:],
        stored_name=stored_name,
        sha256=hashing.sha256.hexdigest(),
        size=hashing.bytes_read,
        uploaded_by=uploaded_by if uploaded_by and uploaded_by.is_authenticated else None,
        via=via,
    )


def ingestion_run_enqueue(*, run: IngestionRun) -> None:
    """Hand the run to the worker once the surrounding transaction has committed."""
    enqueue_on_commit("metrics.tasks.ingestion_run_execute_task", run.pk)


# Executing


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingestion_run_execute(
    *, run_id: int, progress: Callable[[IngestionRun], None] | None = None
) -> IngestionRun:
    """Claim the run and ingest its file. Safe to call again for the same run."""
    claimed = IngestionRun.objects.filter(
        pk=run_id, status__in=[IngestionRun.Status.QUEUED, IngestionRun.Status.RUNNING]
    ).update(
        status=IngestionRun.Status.RUNNING,
        attempt=F("attempt") + 1,
        started_at=timezone.now(),
        finished_at=None,
        progress=0.0,
        total=0,
        rejected=0,
        error="",
    )
    run = IngestionRun.objects.select_related("operation").get(pk=run_id)
    if not claimed:
        return run  # finished already: executing it again changes nothing
    RejectedRow.objects.filter(run=run).delete()
    fast = False
    try:
        with default_storage.open(run.stored_name, "rb") as raw:
            format = format_sniff(raw, name=run.file_name)
            columns = _fast_columns(raw, format=format, kind=run.kind)
            if columns is not None:
                fast = True
                return _fast_execute(run, raw, columns=columns, progress=progress)
            raw.seek(0)
            reader = records_open(raw, name=run.file_name, format=format)
            kind = run.kind or kind_infer(reader.columns)
            columns_check(reader.columns, kind=kind)
            _kind_save(run, kind)
            ingester_class = _ConversationIngester if kind == "conversations" else _DailyIngester
            ingester = ingester_class(run)
            try:
                for chunk in _chunks(reader.records, CHUNK_ROWS):
                    rejected = ingester.apply(chunk, attempt=run.attempt)
                    run.total += len(chunk)
                    run.rejected += rejected
                    run.progress = min(reader.position() / run.size, 0.99) if run.size else 0.0
                    IngestionRun.objects.filter(pk=run.pk, attempt=run.attempt).update(
                        total=run.total, rejected=run.rejected, progress=run.progress
                    )
                    if progress:
                        progress(run)
            finally:
                ingester.close()
    except FileRejected as exc:
        _fast_undo(run, fast)
        return _run_finish(run, status=IngestionRun.Status.FAILED, error=exc.message)
    except _Superseded:
        return IngestionRun.objects.get(pk=run.pk)
    except FileNotFoundError:
        return _run_finish(
            run,
            status=IngestionRun.Status.FAILED,
            error="The uploaded file is no longer stored; upload it again.",
        )
    except (OSError, EOFError) as exc:
        if fast:
            _fast_undo(run, fast)
            error = f"The file could not be read to the end ({exc}); nothing was ingested."
        else:
            # The chunks before are kept, which is safe because a corrected file re-sent
            # upserts the same rows.
            error = (
                f"The file could not be read to the end ({exc}); its first {run.total} rows "
                "were ingested. Fix the file and send it again."
            )
        return _run_finish(run, status=IngestionRun.Status.FAILED, error=error)
    except OperationalError:
        raise  # transient: the task retries and claims the run again
    except Exception:
        logger.exception("ingestion run %s failed", run.pk)
        _fast_undo(run, fast)
        _run_finish(
            run,
            status=IngestionRun.Status.FAILED,
            error="Stopline failed while ingesting this file (the error is logged).",
        )
        raise
    ingester.count(run)
    return _run_finish(run, status=IngestionRun.Status.DONE)


def _kind_save(run: IngestionRun, kind: str) -> None:
    if kind != run.kind:
        run.kind = kind
        run.save(update_fields=["kind"])


def _fast_columns(raw: IO[bytes], *, format: str, kind: str) -> list[str] | None:
    """The CSV header when the fast path takes this file (CSV conversations on PostgreSQL)."""
    if not pg_csv.applies(format=format, kind=kind or "conversations"):
        return None
    raw.seek(0)
    try:
        columns = pg_csv.csv_header(binary_open(raw))
    except pg_csv.NotPlain:
        return None
    finally:
        raw.seek(0)
    if (kind or kind_infer(columns)) != "conversations":
        return None
    return columns


def _fast_execute(
    run: IngestionRun,
    raw: IO[bytes],
    *,
    columns: list[str],
    progress: Callable[[IngestionRun], None] | None,
) -> IngestionRun:
    """A CSV conversations file on PostgreSQL: first as a file of new conversations, straight
    into the conversation table in one transaction; if one of its conversations is stored
    already (or repeats in the file), that attempt is rolled back and the file goes through
    the staging table, which upserts."""
    columns_check(columns, kind="conversations")
    _kind_save(run, "conversations")

    def staged(total: int, rejected: int, *, database: bool = True) -> None:
        """Publish the run's progress (``database``: in its row too; not while a direct load's
        COPY holds the connection)."""
        run.total, run.rejected = total, rejected
        run.progress = min(raw.tell() / run.size, 0.99) * 0.9 if run.size else 0.0
        if database:
            IngestionRun.objects.filter(pk=run.pk, attempt=run.attempt).update(
                total=total, rejected=rejected, progress=run.progress
            )
        # A direct load is one transaction: other connections see the row's progress only
        # when it commits, so the progress is published in the cache too.
        cache.set(progress_key(run.pk), (run.progress, total, rejected), PROGRESS_SECONDS)
        if progress:
            progress(run)

    def lines_read(wanted: set[int]) -> dict[int, str]:
        raw.seek(0)
        return pg_csv.lines_fetch(binary_open(raw), wanted, columns=columns)

    def opened() -> IO[bytes]:
        raw.seek(0)
        stream = binary_open(raw)
        stream.readline(pg_csv.HEADER_BYTES)
        return stream

    try:
        try:
            if pg_csv.first_row_stored(opened(), columns=columns, operation=run.operation):
                raise pg_csv.DirectFailed  # its first block would be refused: not tried
            direct = pg_csv.FastConversations(run, columns=columns, direct=True)
            direct.direct(opened(), attempt=run.attempt, progress=staged)
        except pg_csv.DirectFailed:
            pg_csv.memory_return()
            try:
                _fast_stage_apply(run, columns, opened, staged, lines_read, skip=True)
            except pg_csv.SkipConflict:
                _fast_stage_apply(run, columns, opened, staged, lines_read, skip=False)
    finally:
        cache.delete(progress_key(run.pk))
        pg_csv.memory_return()
    operation_changed(run.operation_id)  # cached pages of the operation are drawn again
    if run.stored_name:
        default_storage.delete(run.stored_name)
    return IngestionRun.objects.get(pk=run.pk)


def _fast_stage_apply(run, columns, opened, staged, lines_read, *, skip: bool) -> None:
    """Through the staging table; with `skip`, lines stored as they are stay out of it."""
    run.total = run.rejected = 0
    ingester = pg_csv.FastConversations(run, columns=columns, skip=skip)
    try:
        ingester.stage(opened(), attempt=run.attempt, progress=staged)
        ingester.apply(attempt=run.attempt, lines_read=lines_read)
    except pg_csv.SkipConflict:
        _fast_undo(run, fast=True)  # staged again whole: its rejects are found again
        raise
    finally:
        ingester.close()


def _fast_undo(run: IngestionRun, fast: bool) -> None:
    """A file that fails after staging began leaves nothing: its quarantined rows go too."""
    if fast:
        RejectedRow.objects.filter(run=run).delete()
        run.total = run.rejected = 0


def _run_finish(run: IngestionRun, *, status: str, error: str = "") -> IngestionRun:
    updated = run_row_finish(run, status=status, error=error)
    operation_changed(run.operation_id)
    if updated and run.stored_name:
        # The raw file may hold transcripts; it is kept only until the run has finished.
        default_storage.delete(run.stored_name)
    return IngestionRun.objects.get(pk=run.pk)


# Conversations: temporary tables and one upsert statement per chunk


class _ConversationIngester:
    seen_table = "ingest_seen"
    stage_table = "ingest_stage"

    def __init__(self, run: IngestionRun) -> None:
        self.run = run
        self.operation = run.operation
        self.tz = ZoneInfo(self.operation.timezone)
        self.postgres = connection.vendor == "postgresql"
        self.distinct = "IS DISTINCT FROM" if self.postgres else "IS NOT"
        self.table = Conversation._meta.db_table
        self.transcripts = transcript_sink_for(self.operation)
        # Every conversation_id this attempt has accepted, to catch conflicting duplicates
        # anywhere in the file without holding a million ids in memory.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.seen_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.seen_table} (conversation_id varchar(200) "
                "PRIMARY KEY, digest varchar(24) NOT NULL, line integer NOT NULL)"
            )

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.seen_table}")

    def _differs(self, current: str, new: str) -> str:
        return values_differ(current, new, postgres=self.postgres)

    def apply(self, records: list[Record], *, attempt: int) -> int:
        rejects: list[RejectedRow] = []
        rows: dict[str, tuple[dict[str, Any], str, Record]] = {}
        transcripts: dict[str, Any] = {}
        for record in records:
            if record.data is None:
                rejects.append(_reject(self.run, record, [("", record.error)]))
                continue
            row, errors = conversation_clean(record.data, tz=self.tz)
            if errors:
                rejects.append(_reject(self.run, record, errors))
                continue
            # Redacted here, before anything is written; the raw text goes no further.
            messages = row.pop("messages", None)
            fingerprint = conversation_digest(row)
            earlier = rows.get(row["conversation_id"])
            if earlier is None:
                rows[row["conversation_id"]] = (row, fingerprint, record)
                if messages is not None and self.transcripts is not None:
                    transcripts[row["conversation_id"]] = self.transcripts.prepare(
                        messages, language=row["language"]
                    )
            elif earlier[1] != fingerprint:
                rejects.append(_reject(self.run, record, [_conflict(earlier[2].line)]))
        by_line = {record.line: record for _, _, record in rows.values()}
        id_by_line = {record.line: cid for cid, (_, _, record) in rows.items()}
        with transaction.atomic():
            _claim_check(self.run, attempt)
            with connection.cursor() as cursor:
                self._stage(cursor, rows.values())
                for line, first_line in self._conflicts(cursor):
                    rejects.append(_reject(self.run, by_line[line], [_conflict(first_line)]))
                    transcripts.pop(id_by_line[line], None)
                dates = self._merge(cursor)
                cursor.execute(f"DROP TABLE {self.stage_table}")
            if transcripts:
                self._transcripts_store(transcripts)
            complaints_flag(operation=self.operation, run_id=self.run.pk)
            _aggregates_recompute(operation=self.operation, dates=dates, run_id=self.run.pk)
            RejectedRow.objects.bulk_create(rejects)
        return len(rejects)

    def _transcripts_store(self, transcripts: dict[str, Any]) -> None:
        pks = dict(
            Conversation.objects.filter(
                operation=self.operation, conversation_id__in=list(transcripts)
            ).values_list("conversation_id", "pk")
        )
        self.transcripts.store({pks[cid]: t for cid, t in transcripts.items() if cid in pks})

    def _stage(self, cursor, rows: Iterable[tuple[dict[str, Any], str, Record]]) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.stage_table}")
        types = ", ".join(f"{name} {kind}" for name, kind in _STAGE_COLUMNS)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.stage_table} ({types}, digest varchar(24), line integer)"
        )
        names = [name for name, _ in _STAGE_COLUMNS] + ["digest", "line"]
        ops = connection.ops
        if self.postgres:
            with cursor.copy(f"COPY {self.stage_table} ({', '.join(names)}) FROM STDIN") as copy:
                for row, fingerprint, record in rows:
                    values = [row[n] for n, _ in _STAGE_COLUMNS[:-1]]
                    # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts.
                    values[1] = values[1].astimezone(UTC)
                    metadata = json.dumps(row["metadata"], sort_keys=True, ensure_ascii=False)
                    copy.write_row([*values, metadata, fingerprint, record.line])
            return
        params = []
        for row, fingerprint, record in rows:
            values = [row[n] for n, _ in _STAGE_COLUMNS[:-1]]
            values[1] = ops.adapt_datetimefield_value(values[1])
            values[2] = ops.adapt_datefield_value(values[2])
            metadata = json.dumps(row["metadata"], sort_keys=True, ensure_ascii=False)
            params.append([*values, metadata, fingerprint, record.line])
        placeholders = ", ".join(["%s"] * len(names))
        cursor.executemany(
            f"INSERT INTO {self.stage_table} ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
            params,
        )

    def _conflicts(self, cursor) -> list[tuple[int, int]]:
        """Rows already accepted earlier in this file: conflicting ones are rejected, identical
        ones dropped; then this chunk's ids join the seen set."""
        stage, seen = self.stage_table, self.seen_table
        cursor.execute(
            f"SELECT s.line, seen.line FROM {stage} s JOIN {seen} seen "  # noqa: S608
            "ON seen.conversation_id = s.conversation_id WHERE seen.digest <> s.digest"
        )
        conflicts = cursor.fetchall()
        cursor.execute(
            f"DELETE FROM {stage} WHERE conversation_id IN (SELECT conversation_id FROM {seen})"  # noqa: S608
        )
        cursor.execute(
            f"INSERT INTO {seen} (conversation_id, digest, line) "  # noqa: S608
            f"SELECT conversation_id, digest, line FROM {stage}"
        )
        return conflicts

    def _merge(self, cursor) -> set[date]:
        """Upsert the staged rows; return the local dates whose aggregates change."""
        stage, table = self.stage_table, self.table
        cursor.execute(
            f"SELECT DISTINCT c.local_date FROM {table} c JOIN {stage} s "  # noqa: S608
            "ON c.conversation_id = s.conversation_id "
            f"WHERE c.operation_id = %s AND ({self._differs('c', 's')})",
            [self.operation.pk],
        )
        dates = {_as_date(d) for (d,) in cursor.fetchall()}
        names = ["conversation_id", *_VALUE_COLUMNS]
        updates = ", ".join(f"{c} = {value_incoming(table, 'excluded', c)}" for c in _VALUE_COLUMNS)
        cursor.execute(
            f"INSERT INTO {table} (operation_id, {', '.join(names)}, created_by_run_id, "  # noqa: S608
            f"changed_by_run_id) SELECT %s, {', '.join(names)}, %s, %s FROM {stage} WHERE true "
            f"ON CONFLICT (operation_id, conversation_id) DO UPDATE SET {updates}, "
            f"changed_by_run_id = excluded.changed_by_run_id, line_hash = NULL "
            f"WHERE {self._differs(table, 'excluded')} RETURNING local_date",
            [self.operation.pk, self.run.pk, self.run.pk],
        )
        dates.update(_as_date(d) for (d,) in cursor.fetchall())
        return dates

    def count(self, run: IngestionRun) -> None:
        rows = Conversation.objects.filter(operation=self.operation)
        run.ingested = rows.filter(created_by_run_id=run.pk).count()
        run.updated = rows.filter(changed_by_run_id=run.pk).count() - run.ingested
        run.unchanged = run.total - run.rejected - run.ingested - run.updated


# Daily aggregates: few rows (two per day), plain ORM


class _DailyIngester:
    fields = [
        "conversations",
        "escalated",
        "resolved_first_contact",
        "resolved_known",
        "human_requested",
        "human_requested_known",
        "csat_sum",
        "csat_count",
    ]

    def __init__(self, run: IngestionRun) -> None:
        self.run = run
        self.operation = run.operation
        self.seen: dict[tuple[date, str], tuple[str, int]] = {}

    def close(self) -> None:
        self.seen.clear()

    def apply(self, records: list[Record], *, attempt: int) -> int:
        rejects: list[RejectedRow] = []
        rows: dict[tuple[date, str], dict[str, Any]] = {}
        for record in records:
            if record.data is None:
                rejects.append(_reject(self.run, record, [("", record.error)]))
                continue
            row, errors = daily_clean(record.data)
            if errors:
                rejects.append(_reject(self.run, record, errors))
                continue
            key = (row["date"], row["segment"])
            fingerprint = daily_digest(row)
            earlier = self.seen.get(key)
            if earlier is None:
                self.seen[key] = (fingerprint, record.line)
                rows[key] = row
            elif earlier[0] != fingerprint:
                reason = f"the same date and segment are on line {earlier[1]} with other values"
                rejects.append(_reject(self.run, record, [("segment", reason)]))
        with transaction.atomic():
            _claim_check(self.run, attempt)
            existing = {
                (a.date, a.segment): a
                for a in DailyAggregate.objects.filter(
                    operation=self.operation, date__in={d for d, _ in rows}
                )
            }
            creates, changes = [], []
            for key, row in rows.items():
                values = self._values(row)
                current = existing.get(key)
                if current is None:
                    creates.append(
                        DailyAggregate(
                            operation=self.operation,
                            date=key[0],
                            segment=key[1],
                            source=DailyAggregate.Source.DAILY,
                            created_by_run_id=self.run.pk,
                            changed_by_run_id=self.run.pk,
                            **values,
                        )
                    )
                elif current.source != DailyAggregate.Source.DAILY or any(
                    getattr(current, f) != v for f, v in values.items()
                ):
                    for f, v in values.items():
                        setattr(current, f, v)
                    current.source = DailyAggregate.Source.DAILY
                    current.changed_by_run_id = self.run.pk
                    changes.append(current)
            DailyAggregate.objects.bulk_create(creates)
            DailyAggregate.objects.bulk_update(
                changes, [*self.fields, "source", "changed_by_run_id"]
            )
            RejectedRow.objects.bulk_create(rejects)
        return len(rejects)

    @staticmethod
    def _values(row: dict[str, Any]) -> dict[str, Any]:
        n = row["conversations"]
        return {
            "conversations": n,
            "escalated": row["escalated"],
            "resolved_first_contact": row["resolved_first_contact"],
            "resolved_known": n if row["resolved_first_contact"] is not None else 0,
            "human_requested": row["human_requested"],
            "human_requested_known": n if row["human_requested"] is not None else 0,
            "csat_sum": row["csat_sum"] or 0,
            "csat_count": row["csat_count"] or 0,
        }

    def count(self, run: IngestionRun) -> None:
        rows = DailyAggregate.objects.filter(operation=self.operation)
        run.ingested = rows.filter(created_by_run_id=run.pk).count()
        run.updated = rows.filter(changed_by_run_id=run.pk).count() - run.ingested
        run.unchanged = run.total - run.rejected - run.ingested - run.updated


# Reading a run back


def ingestion_run_report(run: IngestionRun, *, rejects_limit: int = 20) -> dict[str, Any]:
    """The report every interface answers with."""
    rejects = [
        {"line": r.line, "column": r.column, "reason": r.reason, "original": r.original}
        for r in run.rejected_rows.all()[:rejects_limit]
    ]
    return {
        "run": run.pk,
        "status": run.status,
        "kind": run.kind,
        "ingested": run.ingested,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "total": run.total,
        "error": run.error,
        "report": run.report_line if run.status == IngestionRun.Status.DONE else run.error,
        "rejects": rejects,
    }


def survey_complaints_flag(*, operation: Operation) -> int:
    """Flag every stored survey comment of the operation again with the current phrase lists
    and the organization's own phrases, and recount the daily aggregates of the dates whose
    flags changed: for comments ingested before the flag existed, or after the organization
    added phrases. Returns how many dates changed."""
    with transaction.atomic():
        dates = complaints_flag(operation=operation)
        _aggregates_recompute(operation=operation, dates=dates, run_id=None)
    if dates:
        operation_changed(operation.pk)  # the dashboard's complaint rate moved
    return len(dates)
