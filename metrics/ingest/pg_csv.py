"""The fast path: a CSV conversations file on PostgreSQL (issue 14).

Two phases, so that a worker killed at any point leaves nothing half-done:

1. **Staging** (one short transaction per block, so that the progress bar moves): the file is
   read in blocks of whole lines (`columnar.blocks`); pyarrow parses each block and checks
   every row column by column (`columnar.BlockChecker`); the rows that pass are COPYed, typed,
   into a temporary staging table together with their line numbers. The other rows are
   checked one by one by `formats.conversation_clean`, the same function the slow path uses,
   so that a rejected row gets the same line, column and reason, and a row with free text is
   redacted before it reaches even the staging table. Blocks that pyarrow cannot read as one
   record per line (a quoted line break, a blank line, bytes that are not UTF-8) are read with
   the csv module like on the slow path. Rejected rows are quarantined as they are found.
2. **Apply** (one transaction, with the run's claim checked): conflicting duplicates of a
   conversation_id anywhere in the file are rejected and identical ones dropped, the
   conversations are updated where a value changes (`UPDATE ... FROM` the staging table,
   WHERE something differs) and inserted where they are new, the daily aggregates of every
   touched date are rebuilt, and the run is marked done with its report, all in one commit.

SQL below interpolates only constant table and column names; every value is a bound parameter.
"""

import contextlib
import csv
import ctypes
import gc
import json
import sys
from array import array
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import IO
from zoneinfo import ZoneInfo

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction
from xxhash import xxh3_64_intdigest

from criteria.models import Operation
from metrics.ingest.columnar import (
    STAGE_COLUMNS,
    Block,
    BlockChecker,
    LongLineAt,
    blocks,
    day_counts,
    day_counts_add,
    int64_array,
    line_hashes,
)
from metrics.ingest.complaints import complaint_flag
from metrics.ingest.formats import (
    LINE_TOO_LONG,
    MAX_ORIGINAL_CHARS,
    TRANSCRIPT_COLUMN,
    Record,
    conversation_clean,
    csv_block_records,
    csv_line_without_transcript,
    header_columns,
)
from metrics.ingest.upserts import (
    _VALUE_COLUMNS,
    _as_date,
    _claim_check,
    _conflict,
    _reject,
    _Superseded,
    complaint_phrases_extra,
    run_row_finish,
    value_incoming,
    values_differ,
)
from metrics.models import (
    DAILY_COUNT_FIELDS,
    Conversation,
    DailyAggregate,
    IngestionRun,
    RejectedRow,
)

BLOCK_ROWS = settings.STOPLINE_INGEST_BLOCK_ROWS
CHECKS_AHEAD = 1
# Blocks a direct load sends in one COPY (FastConversations.direct).
COPY_BLOCKS = 8
# Blocks whose lines are looked up among the stored line hashes together (see _stored_lines).
STORED_GROUP = 4
HEADER_BYTES = 1024 * 1024
REJECTS_BATCH = 2000
STAGE = "ingest_fast_stage"
DUPLICATES = "ingest_fast_duplicates"
DAYS = "ingest_fast_days"
_TYPES = {
    "conversation_id": "varchar(200)",
    "started_at": "timestamp with time zone",
    "local_date": "date",
    "complexity": "varchar(10)",
    "escalated": "boolean",
    "resolved_first_contact": "boolean",
    "human_requested": "boolean",
    "channel": "varchar(50)",
    "language": "varchar(35)",
    "csat": "smallint",
    "topic": "varchar(200)",
    "survey_comment": "text",
    "survey_complaint": "boolean",
    "metadata": "jsonb",
    "line_hash": "bigint",
    "line": "integer",
}
# Part of every line hash's seed: raise it when the checks or the stored form of a value change,
# so that lines stored before are read again.
LINE_HASH_VERSION = 3  # 2: the complaint phrases of round 7; 3: sentence ends (round 8)
# The columns columnar.day_counts reads, typed as the block check types them.
_DAY_COUNTED = pa.schema(
    [
        ("local_date", pa.date32()),
        ("complexity", pa.string()),
        ("escalated", pa.bool_()),
        ("resolved_first_contact", pa.bool_()),
        ("human_requested", pa.bool_()),
        ("csat", pa.int16()),
        ("survey_complaint", pa.bool_()),
    ]
)
# An advisory lock per operation: two runs of one operation apply one after the other.
_LOCK_SPACE = 1414


def applies(*, format: str, kind: str) -> bool:
    return connection.vendor == "postgresql" and format == "csv" and kind == "conversations"


def csv_header(stream: IO[bytes]) -> list[str]:
    """The header of a CSV file whose format is already known (formats.format_sniff)."""
    line = stream.readline(HEADER_BYTES)
    text = line.decode("utf-8-sig", errors="replace")
    if text.count('"') % 2 or not line.endswith(b"\n"):
        raise NotPlain
    header = next(csv.reader([text]), [])
    return header_columns(header)


class NotPlain(Exception):
    """The header spans lines: the slow path reads such a file."""


class _Part:
    """One block's share of a group's check: `result()` is its Prepared."""

    def __init__(self, job: Future, index: int) -> None:
        self.job = job
        self.index = index

    def result(self) -> "Prepared":
        return self.job.result()[self.index]


@dataclass
class Prepared:
    """One block, checked (FastConversations._prepare)."""

    lines: int = 0
    passed: int = 0
    copy_data: bytes = b""
    rows: list[list] = field(default_factory=list)  # the other rows' values, to COPY
    rejects: list[RejectedRow] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)
    days: dict = field(default_factory=dict)  # direct loads: columnar.day_counts
    ids: array = field(default_factory=lambda: array("q"))  # hashes of the staged ids
    skipped: list[int] = field(default_factory=list)  # hashes of the lines left out


class SkipConflict(Exception):
    """A conversation_id is both on a line left out (stored as it is) and on a line staged:
    which one comes first decides the outcome, so the file is staged again whole."""


class DirectFailed(Exception):
    """A row of the file is already stored (or twice in the file): the direct load was rolled
    back and the file goes through the staging table instead."""


class FastConversations:
    """One run of the fast path. Either `direct()` (every row new: COPYed straight into the
    conversation table in one transaction) or `stage()` then `apply()` (the staging table)."""

    def __init__(
        self, run: IngestionRun, *, columns: list[str], direct: bool = False, skip: bool = True
    ) -> None:
        self.run = run
        self.operation = run.operation
        self.columns = columns
        self.tz = ZoneInfo(self.operation.timezone)
        self.extra_phrases = complaint_phrases_extra(self.operation)
        self.checker = BlockChecker(
            columns=columns,
            timezone=self.operation.timezone,
            complaint=self._complaint,
            direct=(self.operation.pk, run.pk) if direct else None,
        )
        self.total = 0
        self.rejected = 0
        self.passed = 0
        self.dates: set[date] = set()
        # A direct load's daily counts, summed while its blocks are checked (columnar.day_counts)
        self.days: dict[tuple, list[int]] = {}
        # The staged conversation_ids' hashes (this process's str hash), to see cheaply whether
        # any id repeats: 8 bytes a row. Two ids with one hash only cost the exact SQL check.
        self.ids = array("q")
        self.seed = self._seed()
        # The line hashes stored for the operation's conversations: a staged line whose hash is
        # among them is the very line that last set its conversation, so it is left out.
        self.stored: pa.Array | None = None
        self.skipped = array("q")
        if not direct:
            if skip:
                self.stored = self._stored_hashes()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
                types = ", ".join(f"{c} {_TYPES[c]}" for c in STAGE_COLUMNS)
                cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({types})")

    def _seed(self) -> int:
        """What decides a line's stored values besides its bytes: the file's columns, the
        operation's time zone, the organization's complaint phrases and the version of the
        checks. A line hash is seeded with it, so a line counts as stored only when all agree."""
        context = json.dumps(
            [LINE_HASH_VERSION, self.columns, self.operation.timezone, self.extra_phrases],
            sort_keys=True,
            ensure_ascii=False,
        )
        return xxh3_64_intdigest(context.encode())

    def _stored_hashes(self) -> pa.Array | None:
        """The operation's stored line hashes, fetched as one value of 8 bytes each (a row at
        a time took twice as long) and held so (a Python set of a million took ~200 MB)."""
        table = Conversation._meta.db_table
        connection.ensure_connection()
        # In binary: the bytes as they are (text would send them as hex, twice the size).
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"SELECT string_agg(int8send(line_hash), ''::bytea) FROM {table} "  # noqa: S608
                "WHERE operation_id = %s AND line_hash IS NOT NULL",
                [self.operation.pk],
                binary=True,
            )
            data = cursor.fetchone()[0]
        if not data:
            return None
        hashes = array("q")
        hashes.frombytes(data)
        del data
        if sys.byteorder == "little":
            hashes.byteswap()  # int8send writes big-endian
        return int64_array(hashes)

    def _complaint(self, comment: str) -> bool | None:
        return complaint_flag(comment, self.extra_phrases)

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {DUPLICATES}")

    def _blocks(self, stream: IO[bytes]) -> Iterator[tuple[Block | LongLineAt, "_Part | None"]]:
        """Every block with its check: pyarrow checks the next blocks in other threads (it
        releases the GIL) while the caller COPYs the block before, so that parsing and
        PostgreSQL's work overlap. Blocks are checked in groups (STORED_GROUP of them when
        stored lines are looked up, else one); at most CHECKS_AHEAD groups wait, which bounds
        memory."""
        size = STORED_GROUP if self.stored is not None else 1
        with ThreadPoolExecutor(max_workers=CHECKS_AHEAD) as pool:
            waiting: deque[tuple[Block | LongLineAt, _Part | None]] = deque()
            gathered: list[Block] = []

            def submit() -> None:
                if gathered:
                    job = pool.submit(self._prepare_group, tuple(gathered))
                    waiting.extend((block, _Part(job, i)) for i, block in enumerate(gathered))
                    gathered.clear()

            for item in blocks(stream, first_line=2, rows=BLOCK_ROWS):
                if isinstance(item, Block):
                    # Hashed here, in the caller's thread, while the checking thread is in
                    # pyarrow's kernels on the block before (they release the GIL).
                    item.hashes = line_hashes(item.data, self.seed)
                    gathered.append(item)
                    if len(gathered) == size:
                        submit()
                else:
                    submit()
                    waiting.append((item, None))
                while len(waiting) > CHECKS_AHEAD * size:
                    yield waiting.popleft()
            submit()
            while waiting:
                yield waiting.popleft()

    def _prepare_group(self, group: tuple[Block, ...]) -> list["Prepared"]:
        """Find the group's lines stored as they are in one pass over the stored hashes, and
        prepare each block (run in the checking thread)."""
        known = self._stored_lines(group)
        return [self._prepare(block, known) for block, known in zip(group, known, strict=True)]

    def _stored_lines(self, group: tuple[Block, ...]) -> list[list[bool] | None]:
        """Per block, whether each line's hash is stored (None: look nothing up). pyarrow's
        lookup builds a hash table of the value set and probes the other array, so the
        million stored hashes are probed once per group against the group's lines: one pass
        per STORED_GROUP blocks (a pass per block was most of a re-sent file's time)."""
        hashed = [block.hashes for block in group if block.hashes is not None]
        if self.stored is None or not hashed:
            return [None] * len(group)
        every = array("q")
        for hashes in hashed:
            every.extend(hashes)
        lines = int64_array(every)
        present = self.stored.filter(pc.is_in(self.stored, value_set=lines))
        if not len(present):
            return [None] * len(group)
        flags = pc.is_in(lines, value_set=present).to_pylist()
        known: list[list[bool] | None] = []
        start = 0
        for block in group:
            if block.hashes is None:
                known.append(None)
                continue
            known.append(flags[start : start + len(block.hashes)])
            start += len(block.hashes)
        return known

    # Straight into the conversation table

    def direct(self, stream: IO[bytes], *, attempt: int, progress) -> IngestionRun:
        """Load a file of new conversations in one transaction: the blocks COPYed into the
        conversation table itself, whose unique constraint refuses a conversation_id that is
        stored already or repeated in the file; then DirectFailed is raised and nothing of this
        attempt stays (quarantined rows included).

        One COPY takes the rows of up to COPY_BLOCKS blocks (PostgreSQL waited between the
        COPYs of one block each, ~6 ms a block); the rows checked in Python and the rejected
        ones are held meanwhile and written when it ends (nothing else can be sent on the
        connection during a COPY), and so is the run's progress (in the cache until then)."""
        table = Conversation._meta.db_table
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _claim_check(self.run, attempt)
                self._operation_lock(cursor)
                fresh = not Conversation.objects.filter(operation=self.operation).exists()
                copy = _BinaryCopy(cursor, table, self.checker.copy_columns)
                rows: list[list] = []
                rejects: list[RejectedRow] = []
                try:
                    for item, check in self._blocks(stream):
                        if isinstance(item, LongLineAt):
                            self.total += 1
                            rejects.append(_reject(self.run, _record(item), [("", LINE_TOO_LONG)]))
                        else:
                            copy_data, more_rows, more_rejects = self._take(check.result())
                            copy.write(copy_data)
                            rows += more_rows
                            rejects += more_rejects
                            pa.default_memory_pool().release_unused()
                        if copy.blocks < COPY_BLOCKS and len(rows) + len(rejects) < REJECTS_BATCH:
                            progress(self.total, self.rejected + len(rejects), database=False)
                            continue
                        copy.close()
                        self._held_write(cursor, table, rows, rejects)
                        progress(self.total, self.rejected)
                    copy.close()
                except BaseException as exc:
                    copy.fail(exc)
                    raise
                self._held_write(cursor, table, rows, rejects)
                # The operation had no conversations: the file's rows are all its rows, and
                # their counts are those of the blocks (otherwise the days are counted again).
                self._aggregates(cursor, self.dates, counted=self.days if fresh else None)
                return self._finish(attempt, ingested=self.total - self.rejected, updated=0)
        except (psycopg.errors.UniqueViolation, psycopg.errors.NotNullViolation) as exc:
            raise DirectFailed from exc

    def _held_write(self, cursor, table: str, rows: list[list], rejects: list[RejectedRow]) -> None:
        """Write (and empty) the rows and rejects held while a direct load's COPY ran."""
        if rows:
            _block_copy(cursor, table, self.checker.copy_columns, b"", rows)
            rows.clear()
        if rejects:
            self._rejects_save(rejects)
            rejects.clear()

    def _operation_lock(self, cursor) -> None:
        """Runs of one operation apply one after the other, and the operation cannot be
        deleted while its conversations are written (what a foreign key's check would do,
        once instead of for every row)."""
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, self.operation.pk])
        cursor.execute(
            f"SELECT 1 FROM {Operation._meta.db_table} WHERE id = %s FOR KEY SHARE",  # noqa: S608
            [self.operation.pk],
        )
        if cursor.fetchone() is None:
            raise _Superseded  # the operation (and with it the run) was deleted

    # Staging

    def stage(self, stream: IO[bytes], *, attempt: int, progress) -> None:
        """Read, check and stage every block; `progress()` is called after each one."""
        for item, check in self._blocks(stream):
            self._item_stage(item, check, attempt=attempt, progress=progress)
        self.stored = None  # not needed any more

    def _item_stage(
        self, item: Block | LongLineAt, check: "_Part | None", *, attempt: int, progress
    ) -> None:
        with transaction.atomic():
            # Nothing of a staging transaction needs to outlive a crash (the rerun stages the
            # file again, and its quarantined rows with it), so it does not wait for its commit
            # to reach the disk: 40 such waits were about a tenth of a second per million rows.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            _claim_check(self.run, attempt)
            if isinstance(item, LongLineAt):
                self._long_line_reject(item)
            else:
                with connection.cursor() as cursor:
                    _block_copy(cursor, STAGE, STAGE_COLUMNS, *self._absorb(check.result()))
                pa.default_memory_pool().release_unused()  # keep the peak to about two blocks
            progress(self.total, self.rejected)

    def _prepare(self, block: Block, known: list[bool] | None = None) -> "Prepared":
        """A block's rows, checked and ready to COPY (run in the checking thread, so that the
        rows pyarrow does not pass are cleaned while PostgreSQL writes the block before): the
        binary COPY data of those pyarrow passed and, for the others that `conversation_clean`
        passes, their values in the COPY's column order (STAGE_COLUMNS or DIRECT_COLUMNS). Touches
        no state of the run; `_absorb` counts and quarantines in the caller's thread."""
        prepared = Prepared(lines=block.lines)
        whole = block
        if known is not None:
            block = self._unstored(block, prepared, known)
            if block is None:
                return prepared  # every line is stored as it is
        checked = self.checker.check(block)
        if checked is None:  # not one record per line: the csv module reads it (every line)
            block = whole
            block.hashes = None
            prepared.skipped.clear()
            prepared.lines = 0  # records, counted as read
            rows = []
            text = block.data.decode("utf-8", errors="replace")
            for record in csv_block_records(
                text, columns=self.columns, first_line=block.first_line
            ):
                prepared.lines += 1
                if record.data is None:
                    prepared.rejects.append(_reject(self.run, record, [("", record.error)]))
                else:
                    rows.append((record.line, record.data, record.original, None))
        else:
            lines = None
            rows = []
            index_of = (
                {n: i for i, n in enumerate(block.numbers)} if block.numbers is not None else None
            )
            for line, data in checked.python_rows:
                if lines is None:
                    lines = block.data.split(b"\n")
                index = index_of[line] if index_of is not None else line - block.first_line
                if TRANSCRIPT_COLUMN in self.columns:
                    fields = [data[c] for c in self.columns]
                    original = csv_line_without_transcript(fields, self.columns)
                else:
                    original = lines[index].decode("utf-8", errors="replace")
                line_hash = block.hashes[index] if block.hashes is not None else None
                rows.append((line, data, original, line_hash))
            prepared.copy_data = checked.copy_data
            prepared.passed = checked.passed
            prepared.dates = checked.dates
            prepared.days = checked.days
            if checked.ids is not None and self.checker.direct is None:
                prepared.ids.extend(map(hash, checked.ids.to_pylist()))
        python_ids = []
        for line, data, original, line_hash in rows:
            row, errors = conversation_clean(data, tz=self.tz)
            if errors:
                record = Record(line, original[:MAX_ORIGINAL_CHARS], None)
                prepared.rejects.append(_reject(self.run, record, errors))
                continue
            row["survey_complaint"] = self._complaint(row["survey_comment"])
            row["metadata"] = json.dumps(row["metadata"], sort_keys=True, ensure_ascii=False)
            # In UTC: PostgreSQL refuses offsets beyond 15:59 that Python accepts.
            row["started_at"] = row["started_at"].astimezone(UTC)
            for name in ("channel", "language", "topic", "survey_comment"):
                row[name] = row[name] or ""
            row["line_hash"] = line_hash
            if self.checker.direct is not None:
                constants = {
                    "operation_id": self.operation.pk,
                    "created_by_run_id": self.run.pk,
                    "changed_by_run_id": self.run.pk,
                }
                values = [
                    constants[c] if c in constants else row[c] for c in self.checker.copy_columns
                ]
            else:
                values = [row[c] for c in STAGE_COLUMNS[:-1]]
                values.append(line)
            prepared.rows.append(values)
            python_ids.append(row["conversation_id"])
            prepared.dates.add(_as_date(row["local_date"]))
        if self.checker.direct is None:
            prepared.ids.extend(map(hash, python_ids))
        elif prepared.rows:
            # Counted like the vectorized rows: their values as a table of the same types.
            cleaned = pa.table(
                {
                    c: [values[self.checker.copy_columns.index(c)] for values in prepared.rows]
                    for c in _DAY_COUNTED.names
                },
                schema=_DAY_COUNTED,
            )
            day_counts_add(prepared.days, day_counts(cleaned))
        return prepared

    def _unstored(self, block: Block, prepared: "Prepared", known: list[bool]) -> Block | None:
        """The block without its lines stored as they are (``known``, per line; their hashes
        go to `prepared.skipped`); None when none is left."""
        keep = [i for i, stored in enumerate(known) if not stored]
        if len(keep) == len(known):
            return block
        prepared.skipped = [h for h, stored in zip(block.hashes, known, strict=True) if stored]
        if not keep:
            return None
        lines = block.data.split(b"\n")
        return Block(
            first_line=block.first_line,
            data=b"\n".join(lines[i] for i in keep) + b"\n",
            lines=len(keep),
            numbers=[block.first_line + i for i in keep],
            hashes=array("q", [block.hashes[i] for i in keep]),
        )

    def _absorb(self, prepared: "Prepared") -> tuple[bytes, list[list]]:
        """Count a prepared block and quarantine its rejected rows; its rows to COPY."""
        copy_data, rows, rejects = self._take(prepared)
        self._rejects_save(rejects)
        return copy_data, rows

    def _take(self, prepared: "Prepared") -> tuple[bytes, list[list], list[RejectedRow]]:
        """Count a prepared block; its rows to COPY and its rejected rows (not saved yet)."""
        self.total += prepared.lines
        self.passed += prepared.passed
        self.dates |= prepared.dates
        day_counts_add(self.days, prepared.days)
        self.ids.extend(prepared.ids)
        self.skipped.extend(prepared.skipped)
        return prepared.copy_data, prepared.rows, prepared.rejects

    def _long_line_reject(self, item: LongLineAt) -> None:
        self.total += 1
        self._rejects_save([_reject(self.run, _record(item), [("", LINE_TOO_LONG)])])

    def _rejects_save(self, rejects: list[RejectedRow]) -> None:
        RejectedRow.objects.bulk_create(rejects, batch_size=REJECTS_BATCH)
        self.rejected += len(rejects)

    def _repeats(self) -> bool:
        """Whether a conversation_id may be staged more than once (one pass over the hashes)."""
        if not self.ids:
            return False
        hashes = int64_array(self.ids)
        # Sorted, a repeat sits next to itself (a hash table of a million ids took ~80 MB).
        ordered = pc.take(hashes, pc.array_sort_indices(hashes))
        return pc.any(pc.equal(ordered[1:], ordered[:-1])).as_py() or False

    def _finish(self, attempt: int, *, ingested: int, updated: int) -> IngestionRun:
        run = self.run
        run.total = self.total
        run.rejected = self.rejected
        run.ingested = ingested
        run.updated = updated
        run.unchanged = run.total - run.rejected - ingested - updated
        run.status = IngestionRun.Status.DONE
        run.progress = 1.0
        run.attempt = attempt
        run_row_finish(run, status=run.status)
        return run

    # Applying

    def apply(self, *, attempt: int, lines_read) -> IngestionRun:
        """Dedupe, upsert, re-aggregate and finish the run in one transaction."""
        with transaction.atomic(), connection.cursor() as cursor:
            _claim_check(self.run, attempt)
            self._operation_lock(cursor)
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # The staged rows are looked up in the conversation table's unique index, whose
            # pages a server keeps cached. At the default cost of a random page (4, a disk's)
            # PostgreSQL reads all of the operation's conversations instead for even 1 % of
            # them staged (a hash join: 220 ms against 70 ms for 10,000 of a million); with a
            # large share staged it still chooses the hash join.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute(f"ANALYZE {STAGE}")
            if self.skipped:
                self._skip_conflicts_check(cursor)
            if self._repeats():
                self._duplicates_drop(cursor, lines_read)
            dates: set[date] = set()
            updated, matched = self._update(cursor, dates)
            ingested = self._insert(cursor, dates) if matched < self.staged_count(cursor) else 0
            self._aggregates(cursor, dates)
            return self._finish(attempt, ingested=ingested, updated=updated)

    def _skip_conflicts_check(self, cursor) -> None:
        """Raise SkipConflict when a staged conversation was last set by a line left out."""
        table = Conversation._meta.db_table
        cursor.execute(
            f"SELECT c.line_hash FROM {STAGE} s JOIN {table} c ON c.operation_id = %s "  # noqa: S608
            "AND c.conversation_id = s.conversation_id WHERE c.line_hash IS NOT NULL",
            [self.operation.pk],
        )
        stored = {h for (h,) in cursor.fetchall()}
        if stored and not stored.isdisjoint(self.skipped):
            raise SkipConflict

    @staticmethod
    def staged_count(cursor) -> int:
        cursor.execute(f"SELECT count(*) FROM {STAGE}")  # noqa: S608
        return cursor.fetchone()[0]

    def _duplicates_drop(self, cursor, lines_read) -> None:
        """The same conversation_id twice in the file: a later row with other values is
        rejected (naming the first line), an identical one is dropped; the first one stays."""
        cursor.execute(f"DROP TABLE IF EXISTS {DUPLICATES}")
        # Grouping 64-bit hashes first is faster than grouping the ids; only the ids whose
        # hash is repeated are grouped exactly.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {DUPLICATES} AS SELECT conversation_id, min(line) AS first "  # noqa: S608
            f"FROM {STAGE} WHERE hashtextextended(conversation_id, 0) IN (SELECT h FROM "
            f"(SELECT hashtextextended(conversation_id, 0) AS h FROM {STAGE}) hashes "
            "GROUP BY h HAVING count(*) > 1) GROUP BY conversation_id HAVING count(*) > 1"
        )
        if not cursor.rowcount:
            return
        values = [c for c in STAGE_COLUMNS if c not in ("conversation_id", "line_hash", "line")]
        later = ", ".join(f"s.{c}" for c in values)
        first = ", ".join(f"f.{c}" for c in values)
        cursor.execute(
            f"SELECT s.line, d.first FROM {STAGE} s "  # noqa: S608
            f"JOIN {DUPLICATES} d ON d.conversation_id = s.conversation_id "
            f"JOIN {STAGE} f ON f.conversation_id = d.conversation_id AND f.line = d.first "
            f"WHERE s.line <> d.first AND ROW({later}) IS DISTINCT FROM ROW({first}) "
            "ORDER BY s.line"
        )
        conflicts = cursor.fetchall()
        cursor.execute(
            f"DELETE FROM {STAGE} s USING {DUPLICATES} d "  # noqa: S608
            "WHERE s.conversation_id = d.conversation_id AND s.line <> d.first"
        )
        if conflicts:
            originals = lines_read({line for line, _ in conflicts})
            self._rejects_save(
                [
                    _reject(self.run, Record(line, originals.get(line, ""), None), [_conflict(f)])
                    for line, f in conflicts
                ]
            )

    def _update(self, cursor, dates: set[date]) -> tuple[int, int]:
        """Conversations already stored whose values change (their old and new dates go to
        `dates`); returns how many changed and how many staged rows are stored already."""
        table = Conversation._meta.db_table
        differs = values_differ("c", "s", postgres=True)
        sets = ", ".join(f"{c} = {value_incoming('t', 'd', c)}" for c in _VALUE_COLUMNS)
        # The verdict goes with the comment: kept when the file has no comment.
        sets += ", survey_complaint = COALESCE(d.survey_complaint, t.survey_complaint)"
        sets += ", line_hash = d.line_hash"
        picked = ", ".join(f"s.{c}" for c in [*_VALUE_COLUMNS, "survey_complaint", "line_hash"])
        cursor.execute(
            f"WITH m AS MATERIALIZED (SELECT c.id AS target, c.local_date AS old_date, "  # noqa: S608
            f"({differs}) AS changed, {picked} "
            f"FROM {STAGE} s JOIN {table} c ON c.operation_id = %s "
            "AND c.conversation_id = s.conversation_id), "
            "d AS (SELECT * FROM m WHERE changed), "
            f"u AS (UPDATE {table} t SET {sets}, changed_by_run_id = %s FROM d "
            "WHERE t.id = d.target RETURNING d.old_date, t.local_date) "
            "SELECT old_date, local_date, count(*), (SELECT count(*) FROM m) FROM u "
            "GROUP BY old_date, local_date "
            "UNION ALL SELECT NULL, NULL, 0, (SELECT count(*) FROM m)",
            [self.operation.pk, self.run.pk],
        )
        count = matched = 0
        for old, new, n, found in cursor.fetchall():
            matched = found
            if old is not None:
                dates.update((_as_date(old), _as_date(new)))
                count += n
        return count, matched

    def _insert(self, cursor, dates: set[date]) -> int:
        table = Conversation._meta.db_table
        names = ["conversation_id", *_VALUE_COLUMNS, "survey_complaint", "line_hash"]
        picked = ", ".join(
            f"coalesce(s.{c}, '')"
            if c in ("channel", "language", "topic", "survey_comment")
            else f"s.{c}"
            for c in names
        )
        cursor.execute(
            f"INSERT INTO {table} (operation_id, {', '.join(names)}, "  # noqa: S608
            f"created_by_run_id, changed_by_run_id) SELECT %s, {picked}, %s, %s FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} c WHERE c.operation_id = %s "
            "AND c.conversation_id = s.conversation_id)",
            [self.operation.pk, self.run.pk, self.run.pk, self.operation.pk],
        )
        count = cursor.rowcount
        if count:
            # Every staged date: a few more than the new rows' perhaps, each rebuilt only
            # where its figures change.
            cursor.execute(f"SELECT DISTINCT local_date FROM {STAGE}")  # noqa: S608
            dates.update(_as_date(day) for (day,) in cursor.fetchall())
        return count

    def _aggregates(
        self, cursor, dates: set[date], *, counted: dict[tuple, list[int]] | None = None
    ) -> None:
        """Rebuild the conversation-based daily aggregates of these dates in two statements
        (what upserts._aggregates_recompute does row by row on SQLite): rows sent as daily
        aggregates are replaced where conversations exist for the date and segment. With
        `counted` (every conversation of these dates, counted per date and complexity while
        checking: a first load), the days are not counted again from the table."""
        if not dates:
            return
        table = DailyAggregate._meta.db_table
        days = sorted(dates)
        fields = [*DAILY_COUNT_FIELDS, "source"]
        sets = ", ".join(f"{f} = excluded.{f}" for f in fields)
        current = ", ".join(f"d.{f}" for f in fields)
        new = ", ".join(f"excluded.{f}" for f in fields)
        source = DailyAggregate.Source.CONVERSATIONS
        cursor.execute(f"DROP TABLE IF EXISTS {DAYS}")
        if counted is not None:
            _days_write(cursor, counted)
        else:
            _days_count(cursor, self.operation.pk, days)
        cursor.execute(
            f"INSERT INTO {table} AS d (operation_id, date, segment, {', '.join(fields)}, "  # noqa: S608
            "created_by_run_id, changed_by_run_id) "
            f"SELECT %s, local_date, complexity, {', '.join(DAILY_COUNT_FIELDS)}, %s, %s, %s "
            f"FROM {DAYS} "
            f"ON CONFLICT (operation_id, date, segment) DO UPDATE SET {sets}, "
            "changed_by_run_id = excluded.changed_by_run_id "
            f"WHERE ROW({current}) IS DISTINCT FROM ROW({new})",
            [self.operation.pk, source, self.run.pk, self.run.pk],
        )
        # The days' segments without conversations are those the day counts do not hold. (Asked
        # of the conversation table instead, PostgreSQL planned a scan of all the operation's
        # rows per aggregate when its statistics still said the table was empty: 55 s after a
        # first load of a million rows.)
        cursor.execute(
            f"DELETE FROM {table} d WHERE d.operation_id = %s AND d.date = ANY(%s) "  # noqa: S608
            f"AND d.source = %s AND NOT EXISTS (SELECT 1 FROM {DAYS} c "
            "WHERE c.local_date = d.date AND c.complexity = d.segment)",
            [self.operation.pk, days, source],
        )
        cursor.execute(f"DROP TABLE {DAYS}")


def first_row_stored(stream: IO[bytes], *, columns: list[str], operation: Operation) -> bool:
    """Whether the file's first row names a conversation the operation has stored already (a
    file sent again, an overlapping export): then a direct load would be refused at its first
    block, and the file goes to staging straight away."""
    line = stream.readline(HEADER_BYTES).decode("utf-8", errors="replace")
    fields = next(csv.reader([line]), [])
    if "conversation_id" not in columns or len(fields) != len(columns):
        return False
    conversation_id = fields[columns.index("conversation_id")]
    return Conversation.objects.filter(
        operation=operation, conversation_id=conversation_id
    ).exists()


def memory_return() -> None:
    """Give the memory of a large load back to the system: pyarrow's pool and glibc's free
    lists keep what a load freed (~60 MB a million rows), and a worker lives on."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _BinaryCopy:
    """One COPY ... FROM STDIN (FORMAT binary) fed with the rows of several blocks, each
    block's data as `BlockChecker` encodes it (a header, the rows, a trailer): the header is
    sent once, the trailer when the COPY is closed. Opened by the first write."""

    HEADER = 19  # the signature, the flags and the header extension's length
    TRAILER = b"\xff\xff"

    def __init__(self, cursor, table: str, columns: list[str]) -> None:
        self.cursor = cursor
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
        self.blocks = 0  # written since the COPY was opened
        self._context = None
        self._copy = None

    def write(self, data: bytes) -> None:
        self.blocks += 1
        if not data:
            return
        if not data.endswith(self.TRAILER) or len(data) < self.HEADER + len(self.TRAILER):
            raise ValueError("not one block's binary COPY data")
        if self._context is None:
            self._context = self.cursor.copy(self.sql)
            self._copy = self._context.__enter__()
            self._copy.write(data[: self.HEADER])
        self._copy.write(memoryview(data)[self.HEADER : -len(self.TRAILER)])

    def close(self) -> None:
        """End the COPY: PostgreSQL's error, if any (a conversation stored already), is raised
        here."""
        self.blocks = 0
        if self._context is not None:
            context, self._context = self._context, None
            self._copy.write(self.TRAILER)
            context.__exit__(None, None, None)

    def fail(self, exc: BaseException) -> None:
        """Abandon the COPY (psycopg tells PostgreSQL), so that the transaction can roll back."""
        if self._context is not None:
            context, self._context = self._context, None
            with contextlib.suppress(Exception):
                context.__exit__(type(exc), exc, exc.__traceback__)


def _block_copy(cursor, table: str, columns: list[str], copy_data: bytes, rows: list[list]) -> None:
    """COPY one block into `table`: the rows pyarrow passed (binary COPY data), then the values
    of the rows `conversation_clean` passed."""
    names = ", ".join(columns)
    if copy_data:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(copy_data)
    if rows:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)


def _days_count(cursor, operation_id: int, days: list[date]) -> None:
    """The temporary table of day counts, counted from the operation's conversations."""
    conversations = Conversation._meta.db_table
    # Counted into a temporary table first: PostgreSQL scans in parallel for CREATE TABLE
    # AS (about half the time on two cores), never for INSERT ... SELECT.
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DAYS} AS "  # noqa: S608
        "SELECT local_date, complexity, count(*) AS conversations, "
        "count(*) FILTER (WHERE escalated) AS escalated, "
        "CASE WHEN count(resolved_first_contact) = 0 THEN NULL "
        "ELSE count(*) FILTER (WHERE resolved_first_contact) END AS resolved_first_contact, "
        "count(resolved_first_contact) AS resolved_known, "
        "CASE WHEN count(human_requested) = 0 THEN NULL "
        "ELSE count(*) FILTER (WHERE human_requested) END AS human_requested, "
        "count(human_requested) AS human_requested_known, "
        "coalesce(sum(csat), 0) AS csat_sum, count(csat) AS csat_count, "
        "count(survey_complaint) AS survey_comments, "
        "count(*) FILTER (WHERE survey_complaint) AS survey_complaints "
        f"FROM {conversations} WHERE operation_id = %s AND local_date = ANY(%s) "
        "GROUP BY local_date, complexity",
        [operation_id, days],
    )


def _days_write(cursor, counted: dict[tuple, list[int]]) -> None:
    """The temporary table of day counts that `_aggregates` otherwise counts from the
    conversations, from counts summed while checking (NULL where nothing was known)."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DAYS} (local_date date, complexity varchar(10), "
        + ", ".join(f"{name} integer" for name in DAILY_COUNT_FIELDS)
        + ")"
    )
    with cursor.copy(f"COPY {DAYS} FROM STDIN") as copy:
        for (day, segment), values in counted.items():
            total, escalated, resolved, resolved_known, human, human_known, *rest = values
            copy.write_row(
                [
                    day,
                    segment,
                    total,
                    escalated,
                    resolved if resolved_known else None,
                    resolved_known,
                    human if human_known else None,
                    human_known,
                    *rest,
                ]
            )


def _record(item: LongLineAt) -> Record:
    return Record(item.line, item.head + "…", None)


def lines_fetch(stream: IO[bytes], wanted: set[int], *, columns: list[str]) -> dict[int, str]:
    """The text of some lines of the file (after the header), read again in blocks; without
    the transcript column if there is one."""
    found: dict[int, str] = {}
    stream.readline(HEADER_BYTES)
    for item in blocks(stream, first_line=2, rows=BLOCK_ROWS):
        if not isinstance(item, Block):
            continue
        inside = [w for w in wanted if item.first_line <= w < item.first_line + item.lines]
        if inside:
            lines = item.data.split(b"\n")
            for line in inside:
                text = lines[line - item.first_line].decode("utf-8", errors="replace")
                text = text.rstrip("\r")
                if TRANSCRIPT_COLUMN in columns:
                    fields = next(csv.reader([text]), [])
                    if len(fields) == len(columns):
                        text = csv_line_without_transcript(fields, columns)
                found[line] = text[:MAX_ORIGINAL_CHARS]
        if len(found) == len(wanted):
            break
    return found
