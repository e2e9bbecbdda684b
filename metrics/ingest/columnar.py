"""Reading a CSV conversations file in blocks and checking each block column by column.

The fast path (PostgreSQL) never looks at a row in Python when the row is plain:

- `blocks` cuts the decompressed byte stream into blocks of whole lines (never inside a quoted
  value, never holding a line longer than MAX_LINE_BYTES), with the line each block starts on;
- `block_check` parses a block with pyarrow's CSV reader and runs the row checks of
  `formats.conversation_clean` as vectorized kernels. A row that passes them all is typed here
  and encoded in PostgreSQL's binary COPY format (pgpq) in `CheckedBlock.copy_data`. Every
  other row (an error, an unusual but valid spelling, personal data in a kept column) is handed
  back as a dict, so that `conversation_clean` checks it and words its errors exactly as on
  the slow path.

The vectorized checks are strict on purpose: they accept only what `conversation_clean`
accepts *and* stores the same way (for example `2025-03-04T09:15:00+01:00` but not
`2025-03-04 09:15:00.5+01:00`, which goes to Python). Free text (survey comments, unknown
columns kept as metadata) that holds no digit and no `@` is stored as it is: the redactor
(accounts.redaction) only ever replaces text containing one of them. A survey comment that
holds one is redacted here with `redact` (its row stays on the vectorized path); a metadata
value that holds one sends its row to Python.
"""

import io
import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq import schema as pgpq_schema
from pgpq.encoders import StringEncoderBuilder
from xxhash import xxh3_64_intdigest

from accounts.redaction import redact
from metrics.ingest.formats import (
    CONVERSATION_OPTIONAL,
    CONVERSATION_REQUIRED,
    FALSE_WORDS,
    LANGUAGE_RE,
    MAX_LINE_BYTES,
    READ_BYTES,
    SURVEY_COMMENT_CHARS,
    TRANSCRIPT_COLUMN,
    TRUE_WORDS,
)

# Whitespace that str.strip() removes at the ends (RE2 syntax).
_WS = r"[\s\p{Z}\x{0b}\x{1c}-\x{1f}\x{85}]"
_EDGE_WS = rf"^{_WS}|{_WS}$"
_ONLY_WS = rf"^{_WS}+$"
# Text the redactor could change: it only replaces runs holding a digit (any script) or "@".
_MAYBE_PERSONAL = r"[\p{Nd}@]"
# Characters a JSON string must escape: such metadata values are encoded in Python.
_JSON_ESCAPED = r'["\\\x{00}-\x{1f}]'
_STARTED_AT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-](0\d|1[0-4]):[0-5]\d)$"
_WORDS = sorted(TRUE_WORDS | FALSE_WORDS)

# Columns of the staging table, in COPY order.
STAGE_COLUMNS = [
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
    "survey_comment",
    "survey_complaint",
    "metadata",
    "line_hash",
    "line",
]
# Straight into the conversation table (FastConversations.direct): the same values without the
# line, and the operation and run as constants.
DIRECT_COLUMNS = [
    *STAGE_COLUMNS[:-1],
    "operation_id",
    "created_by_run_id",
    "changed_by_run_id",
]


@dataclass
class Block:
    first_line: int
    data: bytes
    lines: int
    # When some lines of the block were left out (pg_csv: lines stored as they are), the line
    # numbers of those kept, in order; None when the block holds every line from first_line.
    numbers: list[int] | None = None
    # Each line's hash (line_hashes), or None when the block's lines are not whole records.
    hashes: array | None = None

    def line_number(self, index: int) -> int:
        return self.numbers[index] if self.numbers is not None else self.first_line + index


# Every byte but the quote and the line end: with them deleted, each line's quotes are one
# run, and once the pairs are removed a quote is left exactly where some line has an odd
# number of them (one C pass instead of counting line by line: 6x faster).
_NOT_QUOTE_OR_NEWLINE = bytes(range(256)).replace(b'"', b"").replace(b"\n", b"")


def line_hashes(data: bytes, seed: int) -> array | None:
    """Each line's 64-bit hash (signed, as PostgreSQL's bigint: the same 8 bytes read as a
    signed integer), seeded with what else decides the line's values
    (pg_csv.FastConversations.seed); None when a line holds an odd number of quotes, that is
    when a record may span lines (then no line stands for a record)."""
    if b'"' in data and b'"' in data.translate(None, _NOT_QUOTE_OR_NEWLINE).replace(b'""', b""):
        return None
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    signed = array("q")
    signed.frombytes(array("Q", [xxh3_64_intdigest(line, seed) for line in lines]).tobytes())
    return signed


def int64_array(values: array) -> pa.Array:
    """An array("q") as a pyarrow int64 array, without copying it."""
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


@dataclass
class LongLineAt:
    line: int
    head: str


def blocks(
    stream: IO[bytes], *, first_line: int, rows: int, max_line: int = MAX_LINE_BYTES
) -> Iterator[Block | LongLineAt]:
    """Whole lines in blocks of about `rows` lines, cut where the count of quotes is even.

    A line longer than `max_line` is never held: it is yielded as a LongLineAt (its start
    only) and the stream is skipped to its end.
    """
    buffer = bytearray()
    counted = 0  # newlines in buffer
    line = first_line
    eof = False
    while True:
        mark, before = 0, 0  # where the last read starts, and the newlines before it
        while not eof and counted < rows:
            data = stream.read(READ_BYTES)
            if not data:
                eof = True
                break
            mark, before = len(buffer), counted
            buffer += data
            counted += data.count(b"\n")
            tail = len(buffer) - (buffer.rfind(b"\n") + 1)
            if tail <= max_line:
                continue
            # The last line has no end in sight: give back the lines before it, skip it.
            cut = len(buffer) - tail
            if cut:
                yield from _split_long(bytes(buffer[:cut]), line, max_line, counted)
                line += counted
            yield LongLineAt(line, bytes(buffer[cut : cut + 200]).decode(errors="replace"))
            line += 1
            buffer.clear()
            counted = mark = before = 0
            while data := stream.read(READ_BYTES):
                end = data.find(b"\n")
                if end >= 0:
                    buffer += data[end + 1 :]
                    counted = buffer.count(b"\n")
                    break
            else:
                eof = True
        if not buffer:
            return
        if counted < rows:
            cut = len(buffer)  # the end of the file
        else:
            if before >= rows:
                mark, before = 0, 0
            cut = _nth_newline(buffer, rows - before, mark) + 1
            # (counting is a byte-by-byte loop; finding, a memchr)
            quotes = buffer.count(b'"', 0, cut) if buffer.find(b'"', 0, cut) >= 0 else 0
            limit = cut + max_line
            while quotes % 2 and cut < limit:  # inside a quoted value: take more lines
                following = buffer.find(b"\n", cut)
                if following < 0:
                    if not eof:
                        break
                    following = len(buffer) - 1
                quotes += buffer.count(b'"', cut, following + 1)
                cut = following + 1
            if quotes % 2 and cut < limit and not eof:
                rows += rows  # the value goes on after what is read: read more first
                continue
        data = bytes(buffer[:cut])
        del buffer[:cut]
        remaining = buffer.count(b"\n")
        lines = counted - remaining  # each byte is counted once, not again for the block
        counted = remaining
        if not data.endswith(b"\n"):
            data += b"\n"
            lines += 1
        yield from _split_long(data, line, max_line, lines)
        line += lines


def _nth_newline(buffer: bytearray, n: int, start: int) -> int:
    position = start - 1
    for _ in range(n):
        found = buffer.find(b"\n", position + 1)
        if found < 0:
            return len(buffer) - 1
        position = found
    return position


def _split_long(
    data: bytes, first_line: int, max_line: int, lines: int
) -> Iterator[Block | LongLineAt]:
    """Yield `data` (whole lines, `lines` of them) as blocks, with any line longer than
    max_line on its own."""
    position = 0
    while position < len(data):  # usually no line is too long: one block, nothing counted
        last = data.rfind(b"\n", position, position + max_line + 1)
        if last < 0:
            break
        position = last + 1
    else:
        yield Block(first_line, data, lines)
        return
    position = start = 0
    line = first_line
    start_line = first_line
    while position < len(data):
        last = data.rfind(b"\n", position, position + max_line + 1)
        if last >= 0:
            line += data.count(b"\n", position, last + 1)
            position = last + 1
            continue
        end = data.find(b"\n", position)
        if start < position:
            yield Block(start_line, data[start:position], line - start_line)
        yield LongLineAt(line, data[position : position + 200].decode(errors="replace"))
        line += 1
        position = start = end + 1
        start_line = line
    if start < len(data):
        yield Block(start_line, data[start:], line - start_line)


@dataclass
class CheckedBlock:
    # the rows that passed, typed, in PostgreSQL's binary COPY format, in STAGE_COLUMNS order
    # (DIRECT_COLUMNS when the checker writes straight into the conversation table)
    copy_data: bytes
    passed: int
    python_rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ids: pa.ChunkedArray | None = None  # the passed rows' conversation_id
    dates: set = field(default_factory=set)  # the passed rows' local dates
    # direct loads: the passed rows' daily counts per (local date, complexity) (day_counts)
    days: dict = field(default_factory=dict)


def day_counts(good: pa.Table) -> dict[tuple, list[int]]:
    """The daily counts of checked rows (the typed table `_check` writes to COPY), summed per
    (local date, complexity): a fresh load's aggregates, counted while its blocks are checked
    instead of by scanning the loaded rows again. Each is a list of ten: conversations,
    escalated, resolved at first contact (true; known), asked for a human (true; known), csat
    (sum; count), survey comments, survey complaints (`pg_csv._days_write` stores them)."""

    def ones(values) -> pa.Array:
        return pc.cast(pc.fill_null(values, False), pa.int64())

    csat = pc.cast(good.column("csat"), pa.int64())
    complaint = good.column("survey_complaint")
    counted = pa.table(
        {
            "day": good.column("local_date"),
            "segment": good.column("complexity"),
            "escalated": ones(good.column("escalated")),
            "resolved": ones(good.column("resolved_first_contact")),
            "resolved_known": ones(pc.is_valid(good.column("resolved_first_contact"))),
            "human": ones(good.column("human_requested")),
            "human_known": ones(pc.is_valid(good.column("human_requested"))),
            "csat_sum": pc.fill_null(csat, 0),
            "csat_count": ones(pc.is_valid(csat)),
            "comments": ones(pc.is_valid(complaint)),
            "complaints": ones(complaint),
        }
    )
    sums = [c for c in counted.column_names if c not in ("day", "segment")]
    grouped = counted.group_by(["day", "segment"]).aggregate(
        [("day", "count"), *((c, "sum") for c in sums)]
    )
    names = ["day_count", *(f"{c}_sum" for c in sums)]
    return {
        (day, segment): list(values)
        for day, segment, *values in zip(
            grouped.column("day").to_pylist(),
            grouped.column("segment").to_pylist(),
            *(grouped.column(n).to_pylist() for n in names),
            strict=True,
        )
    }


def day_counts_add(days: dict[tuple, list[int]], more: dict[tuple, list[int]]) -> None:
    """Add the counts of `more` to `days` (both as `day_counts` gives them)."""
    for key, values in more.items():
        known = days.get(key)
        if known is None:
            days[key] = list(values)
        else:
            for i, value in enumerate(values):
                known[i] += value


# What str.strip() removes among ASCII characters.
_ASCII_WS = " \t\n\v\f\r\x1c\x1d\x1e\x1f"


def _edge_whitespace(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Whether each value begins or ends with whitespace (what str.strip() would remove). A
    column of ASCII values (the usual case) is trimmed of the ASCII whitespace and measured,
    about three times faster than the regular expression the others need."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        trimmed = pc.ascii_trim(values, characters=_ASCII_WS)
        return pc.not_equal(pc.binary_length(trimmed), pc.binary_length(values))
    return pc.match_substring_regex(values, _EDGE_WS)


def _instants(started: pa.ChunkedArray, shaped: pa.ChunkedArray) -> tuple[pa.Array, list]:
    """Each started_at (shaped as _STARTED_AT) as seconds since the epoch in UTC, and the checks
    its rows must pass besides the shape: its year (of the instant) from 2 to 9998, since years
    0, 1 and 9999 go to Python (the instant or its local date may fall outside the years 1 to
    9999 that Python and the day counts hold).

    pyarrow's ISO 8601 cast refuses what Python refuses among shaped values (30 February,
    second 60, hour 24) but fails the whole block for one such value; then each part is read
    on its own (`_instants_by_part`), where those rows fail a check."""
    safe = pc.if_else(shaped, started, "2000-01-01T00:00:00Z")
    try:
        instant = pc.cast(safe, pa.timestamp("s", tz="UTC"))
    except pa.ArrowInvalid:
        return _instants_by_part(started, shaped)
    year = pc.year(instant)
    inside = pc.and_(pc.greater_equal(year, 2), pc.less_equal(year, 9998))
    return pc.cast(instant, pa.int64()), [inside]


def _instants_by_part(started: pa.ChunkedArray, shaped: pa.ChunkedArray) -> tuple[pa.Array, list]:
    local = pc.utf8_slice_codeunits(started, 0, 19)
    naive = pc.strptime(local, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    # strptime rolls 30 February over to 2 March (and second 60 to the next minute): the
    # month, day and second read back must be the ones written.
    safe = pc.if_else(shaped, local, "2000-01-01T00:00:00")
    same = None
    for extract, start, end in ((pc.month, 5, 7), (pc.day, 8, 10), (pc.second, 17, 19)):
        written = pc.cast(pc.utf8_slice_codeunits(safe, start, end), pa.int64())
        equal = pc.equal(pc.cast(extract(naive), pa.int64()), written)
        same = equal if same is None else pc.and_(same, equal)
    year = pc.year(naive)
    inside = pc.and_(pc.greater_equal(year, 2), pc.less_equal(year, 9998))
    offset = pc.if_else(
        pc.and_(shaped, pc.invert(pc.ends_with(started, "Z"))),
        pc.utf8_slice_codeunits(started, 19, 25),
        "+00:00",
    )
    minutes = pc.add(
        pc.multiply(pc.cast(pc.utf8_slice_codeunits(offset, 1, 3), pa.int64()), 60),
        pc.cast(pc.utf8_slice_codeunits(offset, 4, 6), pa.int64()),
    )
    minutes = pc.if_else(pc.starts_with(offset, "-"), pc.negate(minutes), minutes)
    seconds = pc.subtract(pc.fill_null(pc.cast(naive, pa.int64()), 0), pc.multiply(minutes, 60))
    return seconds, [pc.fill_null(same, False), pc.fill_null(inside, False)]


class BlockChecker:
    """The vectorized row checks for one file (its header and the operation's time zone)."""

    def __init__(
        self,
        *,
        columns: list[str],
        timezone: str,
        complaint: Callable[[str], bool | None],
        direct: tuple[int, int] | None = None,
    ) -> None:
        """``complaint`` gives a survey comment's verdict (metrics.ingest.complaints);
        ``direct`` is (operation id, run id) when the COPY data goes straight into the
        conversation table (DIRECT_COLUMNS), None for the staging table (STAGE_COLUMNS)."""
        self.columns = columns
        self.timezone = timezone
        self.complaint = complaint
        self.direct = direct
        self.names = [f"c{i}" for i in range(len(columns))]
        known = set(CONVERSATION_REQUIRED) | set(CONVERSATION_OPTIONAL) | {TRANSCRIPT_COLUMN}
        self.unknown = [c for c in columns if c not in known]
        # A direct load's COPY columns: without metadata when the file has no unknown columns
        # (every row's is {}, the column's default on PostgreSQL, migration 0014): PostgreSQL
        # then parses no JSON, about 4 % of its share of a load.
        self.copy_columns = [c for c in DIRECT_COLUMNS if self.unknown or c != "metadata"]
        self._encoders: tuple[pa.Schema, dict] | None = None
        self._read = pv.ReadOptions(column_names=self.names, block_size=4 * 1024 * 1024)
        self._parse = pv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False)
        self._convert = pv.ConvertOptions(
            column_types=dict.fromkeys(self.names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )

    def check(self, block: Block) -> CheckedBlock | None:
        """None when the block is not plain CSV with one record per line (then the caller
        reads it with the csv module: quoted line breaks, blank lines, bad bytes...)."""
        if b"\x00" in block.data or b"\r" in block.data:
            return None
        try:
            table = pv.read_csv(
                io.BytesIO(block.data),
                read_options=self._read,
                parse_options=self._parse,
                convert_options=self._convert,
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
            return None
        if table.num_rows != block.lines:
            return None
        return self._check(table, block)

    def _column(self, table: pa.Table, name: str, n: int) -> pa.ChunkedArray:
        if name in self.columns:
            return table.column(self.columns.index(name))
        return pa.chunked_array([pa.array([""] * n, pa.string())])

    def _check(self, table: pa.Table, block: Block) -> CheckedBlock:
        n, first_line = table.num_rows, block.first_line
        col = lambda name: self._column(table, name, n)  # noqa: E731
        blank = lambda a: pc.equal(a, "")  # noqa: E731
        edge_ws = _edge_whitespace
        length = pc.utf8_length
        checks = []

        cid = col("conversation_id")
        checks += [pc.greater_equal(length(cid), 1), pc.less_equal(length(cid), 200)]
        checks.append(pc.invert(edge_ws(cid)))

        started = col("started_at")
        shaped = pc.match_substring_regex(started, _STARTED_AT)
        seconds, started_checks = _instants(started, shaped)
        checks += [shaped, *started_checks]
        instant = pc.cast(pc.cast(seconds, pa.timestamp("s", tz="UTC")), self._zone_type())
        local_date = pc.cast(pc.local_timestamp(instant), pa.date32())

        complexity = pc.utf8_lower(col("complexity"))
        checks.append(pc.is_in(complexity, pa.array(["simple", "complex"])))
        booleans = {}
        for name in ("escalated", "resolved_first_contact", "human_requested"):
            word = pc.utf8_lower(col(name))
            known = pc.is_in(word, pa.array(_WORDS))
            checks.append(known if name == "escalated" else pc.or_(blank(word), known))
            truth = pc.is_in(word, pa.array(sorted(TRUE_WORDS)))
            booleans[name] = pc.if_else(blank(word), pa.scalar(None, pa.bool_()), truth)

        texts = {}
        for name, limit in (("channel", 50), ("topic", 200)):
            value = col(name)
            fine = pc.and_(pc.less_equal(length(value), limit), pc.invert(edge_ws(value)))
            checks.append(pc.or_(blank(value), fine))
            texts[name] = value
        language = col("language")
        tag = pc.match_substring_regex(language, LANGUAGE_RE.pattern)
        checks.append(pc.or_(blank(language), pc.and_(pc.less_equal(length(language), 35), tag)))
        csat = col("csat")
        checks.append(pc.or_(blank(csat), pc.is_in(csat, pa.array(["1", "2", "3", "4", "5"]))))
        comment = col("survey_comment")
        fits = pc.and_(
            pc.less_equal(length(comment), SURVEY_COMMENT_CHARS), pc.invert(edge_ws(comment))
        )
        checks.append(pc.or_(blank(comment), fits))

        metadata, metadata_checks = self._metadata(table, n)
        checks += metadata_checks

        passed = checks[0]
        for check in checks[1:]:
            passed = pc.and_(passed, check)
        passed = pc.fill_null(passed, False)
        comment = self._comments_redact(comment, passed)

        numbers = block.numbers if block.numbers is not None else range(first_line, first_line + n)
        lines = pa.array(numbers, pa.int64())
        hashes = int64_array(block.hashes) if block.hashes is not None else pa.nulls(n, pa.int64())
        null = pa.scalar(None, pa.string())
        out = pa.table(
            {
                "conversation_id": cid,
                # The instant in microseconds (what PostgreSQL's binary timestamptz holds).
                "started_at": pc.cast(
                    pc.multiply(seconds, 1_000_000), pa.timestamp("us", tz="UTC")
                ),
                "local_date": local_date,
                "complexity": complexity,
                "escalated": booleans["escalated"],
                "resolved_first_contact": booleans["resolved_first_contact"],
                "human_requested": booleans["human_requested"],
                "channel": texts["channel"],
                "language": language,
                "csat": pc.if_else(blank(csat), null, csat),
                "topic": texts["topic"],
                "survey_comment": comment,
                "metadata": metadata,
                "line_hash": hashes,
                "line": lines,
            }
        )
        good = out.filter(passed)
        # Only passed values are cast: a csat of "x" on a rejected row would not cast.
        good = good.set_column(
            STAGE_COLUMNS.index("csat"), "csat", pc.cast(good.column("csat"), pa.int16())
        )
        good = good.set_column(
            good.schema.get_field_index("line"), "line", pc.cast(good.column("line"), pa.int32())
        )
        good = good.add_column(
            STAGE_COLUMNS.index("survey_complaint"),
            "survey_complaint",
            self._complaints(good.column("survey_comment")),
        )
        if self.direct is not None:
            operation_id, run_id = self.direct
            good = good.drop_columns(["line"] if self.unknown else ["line", "metadata"])
            constants = (operation_id, run_id, run_id)
            for name, value in zip(DIRECT_COLUMNS[-3:], constants, strict=True):
                good = good.append_column(name, pa.array([value] * good.num_rows, pa.int64()))
        copy = self._binary(good) if good.num_rows else b""
        dates = set(pc.unique(good.column("local_date")).to_pylist()) if good.num_rows else set()
        days = day_counts(good) if self.direct is not None and good.num_rows else {}
        python_rows = []
        failed = pc.indices_nonzero(pc.invert(passed))
        if len(failed):
            rows = table.take(failed).to_pylist()
            for index, row in zip(failed.to_pylist(), rows, strict=True):
                data = {self.columns[i]: row[name] for i, name in enumerate(self.names)}
                python_rows.append((block.line_number(index), data))
        return CheckedBlock(
            copy,
            good.num_rows,
            python_rows,
            good.column("conversation_id"),
            dates,
            days,
        )

    def _binary(self, good: pa.Table) -> bytes:
        """The rows in PostgreSQL's binary COPY format (pgpq): PostgreSQL parses no text, and
        encoding costs a fraction of writing CSV (docs/performance.md)."""
        if self._encoders is None or self._encoders[0] != good.schema:
            encoders = {
                f.name: StringEncoderBuilder.new_with_output(f, pgpq_schema.Jsonb())
                if f.name == "metadata"
                else ArrowToPostgresBinaryEncoder.infer_encoder(f)
                for f in good.schema
            }
            self._encoders = (good.schema, encoders)
        encoder = ArrowToPostgresBinaryEncoder.new_with_encoders(good.schema, self._encoders[1])
        parts = [encoder.write_header()]
        parts += [encoder.write_batch(batch) for batch in good.to_batches()]
        parts.append(encoder.finish())
        return b"".join(parts)

    def _comments_redact(self, comments: pa.ChunkedArray, passed: pa.Array) -> pa.Array:
        """The survey comments with those that may hold personal data (a digit or an '@', on
        the rows that pass) redacted, as `conversation_clean` does (what `redact` would leave
        alone is all other text). Only these comments go through Python, not their rows."""
        comments = comments.combine_chunks()
        personal = pc.fill_null(pc.and_(passed, self._maybe_personal(comments)), False)
        if isinstance(personal, pa.ChunkedArray):
            personal = personal.combine_chunks()
        found = pc.indices_nonzero(personal)
        if not len(found):
            return comments
        redacted = [redact(text)[0] for text in comments.take(found).to_pylist()]
        return pc.replace_with_mask(comments, personal, pa.array(redacted, pa.string()))

    def _complaints(self, comments: pa.ChunkedArray) -> pa.Array:
        """The verdict of every non-blank survey comment (None where there is none)."""
        flags: list[bool | None] = [None] * len(comments)
        written = pc.indices_nonzero(pc.not_equal(comments, ""))
        texts = comments.take(written).to_pylist()
        for index, text in zip(written.to_pylist(), texts, strict=True):
            flags[index] = self.complaint(text)
        return pa.array(flags, pa.bool_())

    def _zone_type(self) -> pa.DataType:
        return pa.timestamp("s", tz=self.timezone)

    @staticmethod
    def _maybe_personal(values: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.match_substring_regex(values, _MAYBE_PERSONAL)

    def _metadata(self, table: pa.Table, n: int) -> tuple[pa.ChunkedArray, list]:
        """Unknown columns as a JSON object of their non-blank values, when no value needs
        redacting or JSON escaping (those rows go to Python)."""
        if not self.unknown:
            return pa.chunked_array([pa.array(["{}"] * n, pa.string())]), []
        checks, parts = [], []
        for name in self.unknown:
            value = table.column(self.columns.index(name))
            blank = pc.equal(value, "")
            fine = pc.invert(
                pc.or_(
                    pc.or_(
                        pc.match_substring_regex(value, _ONLY_WS),
                        self._maybe_personal(value),
                    ),
                    pc.match_substring_regex(value, _JSON_ESCAPED),
                )
            )
            checks.append(pc.or_(blank, fine))
            key = json.dumps(name, ensure_ascii=False)
            part = pc.binary_join_element_wise(f'{key}: "', value, '", ', "")
            parts.append(pc.if_else(blank, "", part))
        # Each part ends with '", ': trimming commas and spaces stops at the closing quote.
        joined = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), characters=", ")
        return pc.binary_join_element_wise("{", joined, "}", ""), checks
