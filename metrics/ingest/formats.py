"""Reading and checking the files of FORMATS.md §1 (conversations) and §2 (daily aggregates).

Files are streamed: `records_open` returns the header (the CSV header or the first JSON object's
keys) and an iterator of `Record`s, so a file of a million rows is never held in memory.
Whole-file problems (not CSV/JSON Lines, empty, a required column missing, a damaged or
bomb-like gzip) raise `FileRejected` before the first record is yielded; row problems are
returned per row by the `*_clean` functions as `(column, reason)` pairs.

Memory stays bounded whatever the file holds: lines are read at most MAX_LINE_BYTES at a time
(a longer line is skipped to its end and rejected as a row, or the file is rejected when it is
the header), and a gzip file may expand to at most MAX_GZIP_RATIO times its size.
"""

import codecs
import csv
import gzip
import hashlib
import io
import json
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import IO, Any

from accounts.errors import StoplineError
from accounts.redaction import redact

GZIP_MAGIC = b"\x1f\x8b"
# Bytes that are not UTF-8 after the checked head are decoded to U+FFFD; that row is rejected.
INVALID_UTF8 = "\ufffd"
INVALID_UTF8_REASON = "contains bytes that are not valid UTF-8"
SNIFF_BYTES = 64 * 1024
MAX_ORIGINAL_CHARS = 10_000
MAX_JSON_ELEMENT_CHARS = 10 * 1024 * 1024
# The largest daily count a DailyAggregate column (a PostgreSQL integer) holds.
MAX_COUNT = 2_147_483_647
SURVEY_COMMENT_CHARS = 4000
# Longer lines are rejected (a header: the whole file) without ever being held in memory.
MAX_LINE_BYTES = 2 * 1024 * 1024
LINE_TOO_LONG = f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
# A gzip file may expand to this many times its size (CSV compresses ~5-15x; bombs ~1000x).
MAX_GZIP_RATIO = 100
MIN_GZIP_EXPANSION = 64 * 1024 * 1024
READ_BYTES = 1024 * 1024

CONVERSATION_REQUIRED = ["conversation_id", "started_at", "complexity", "escalated"]
CONVERSATION_OPTIONAL = [
    "resolved_first_contact",
    "human_requested",
    "channel",
    "language",
    "csat",
    "topic",
    "survey_comment",
]
# Transcripts: accepted in JSON Lines, never kept in metadata or in rejected rows' text.
TRANSCRIPT_COLUMN = "messages"
DAILY_REQUIRED = ["date", "segment", "conversations", "escalated"]
DAILY_OPTIONAL = ["resolved_first_contact", "human_requested", "csat_sum", "csat_count"]
SEGMENTS = ("simple", "complex")

TRUE_WORDS = {"true", "1", "yes", "y"}
FALSE_WORDS = {"false", "0", "no", "n"}
BOOLEAN_HELP = "use true/false, 1/0, yes/no or y/n"
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
INTEGER_RE = re.compile(r"^[+]?\d+$")


class FileRejected(StoplineError):
    """The whole file is unusable; nothing of it is written."""

    code = "file_rejected"


@dataclass(frozen=True)
class Record:
    line: int  # line of the file where the record starts (the CSV header is line 1)
    original: str  # the record's text as sent (transcripts left out), for quarantine
    data: dict[str, Any] | None  # None when the record could not be parsed at all
    error: str = ""


class RecordReader:
    """A parsed header plus a one-pass iterator of records; `position()` is bytes read."""

    def __init__(
        self, *, format: str, columns: list[str], records: Iterator[Record], raw: IO[bytes]
    ) -> None:
        self.format = format
        self.columns = columns
        self.records = records
        self._raw = raw

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0


def format_sniff(raw: IO[bytes], *, name: str = "") -> str:
    """Check a gzip file whole, then tell the format by the first character: csv, jsonl or
    json (an array). Raises FileRejected for a file that is none of them."""
    gzip_check(raw)
    head = _sniff(raw)
    lowered = name.lower().removesuffix(".gz")
    stripped = head.lstrip()
    if not stripped:
        raise FileRejected("The file is empty: no header and no rows.")
    if stripped[0] == "{":
        return "jsonl"
    if stripped[0] == "[":
        return "json"
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        raise FileRejected(
            "The file is named like JSON Lines but its first line is not a JSON object."
        )
    return "csv"


def records_open(raw: IO[bytes], *, name: str = "", format: str = "") -> RecordReader:
    """Sniff the format (gzip by magic bytes, JSON by the first character) and open it."""
    format = format or format_sniff(raw, name=name)
    if format == "jsonl":
        return _jsonl_open(raw)
    if format == "json":
        return _json_array_open(raw)
    return _csv_open(raw)


def gzip_check(raw: IO[bytes]) -> None:
    """Decompress a gzip file once, in blocks, before anything is written: a damaged or cut
    file, or one that expands like a bomb, is rejected whole (nothing stored half)."""
    raw.seek(0)
    if raw.read(2) != GZIP_MAGIC:
        raw.seek(0)
        return
    size = raw.seek(0, io.SEEK_END)
    raw.seek(0)
    limit = max(size * MAX_GZIP_RATIO, MIN_GZIP_EXPANSION)
    expanded = 0
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            while block := stream.read(SNIFF_BYTES):
                expanded += len(block)
                if expanded > limit:
                    raise FileRejected(
                        f"The gzip file expands to more than {MAX_GZIP_RATIO} times its size "
                        f"({limit / 1_000_000:,.0f} MB); send it uncompressed or split it."
                    )
    except (OSError, EOFError, zlib.error) as exc:
        if expanded == 0:
            raise FileRejected(
                "The file looks gzip-compressed but cannot be decompressed."
            ) from exc
        raise FileRejected(
            f"The gzip file is damaged or cut short after {expanded:,} bytes ({exc}); "
            "nothing was ingested. Send the complete file again."
        ) from exc
    finally:
        raw.seek(0)


def binary_open(raw: IO[bytes]) -> IO[bytes]:
    """The file's bytes from the start, decompressed when it is gzip."""
    return _binary(raw)


def _binary(raw: IO[bytes]) -> IO[bytes]:
    raw.seek(0)
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def _text(raw: IO[bytes]) -> io.TextIOWrapper:
    # Invalid bytes after the checked head become U+FFFD and that row is rejected.
    return io.TextIOWrapper(_binary(raw), encoding="utf-8-sig", errors="replace", newline="")


@dataclass(frozen=True)
class LongLine:
    """A line longer than MAX_LINE_BYTES: only its start is kept."""

    head: str


def _lines(raw: IO[bytes]) -> Iterator["str | LongLine"]:
    """The file's lines decoded (invalid bytes become U+FFFD), each at most MAX_LINE_BYTES."""
    stream = _binary(raw)
    first = True
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            head = line[:200].decode("utf-8", errors="replace")
            while (rest := stream.readline(READ_BYTES)) and not rest.endswith(b"\n"):
                pass  # skipped to the end of the line, never held whole
            yield LongLine(head + "…")
        else:
            yield line.decode("utf-8-sig" if first else "utf-8", errors="replace")
        first = False


def _sniff(raw: IO[bytes]) -> str:
    try:
        head = _binary(raw).read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise FileRejected("The file looks gzip-compressed but cannot be decompressed.") from exc
    raw.seek(0)
    if b"\x00" in head:
        raise FileRejected("The file is binary, not CSV or JSON Lines text.")
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"The file is not UTF-8 text (CSV or JSON Lines): bad byte at offset {exc.start}."
        ) from exc


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_ORIGINAL_CHARS else text[:MAX_ORIGINAL_CHARS] + "…"


class _LineTap:
    """Feeds lines to csv.reader and remembers them, to keep each record's original text.

    A line longer than MAX_LINE_BYTES reaches csv.reader as an empty line; `long` keeps its
    start so that the record is rejected with a clear reason.
    """

    def __init__(self, lines: Iterator["str | LongLine"], *, line: int = 0) -> None:
        self._lines = lines
        self.buffer: list[str] = []
        self.line = line
        self.long: LongLine | None = None

    def __iter__(self) -> "_LineTap":
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self.line += 1
        if isinstance(text, LongLine):
            self.long = text
            text = "\n"
        self.buffer.append(text)
        return text

    def take(self) -> str:
        text = "".join(self.buffer).rstrip("\r\n")
        self.buffer.clear()
        return text


def _csv_line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def csv_line_without_transcript(fields: list[str], columns: list[str]) -> str:
    """A CSV row's text as it would be quarantined: the transcript column left out."""
    if TRANSCRIPT_COLUMN in columns:
        at = columns.index(TRANSCRIPT_COLUMN)
        fields = fields[:at] + fields[at + 1 :]
    return _csv_line(fields)


def header_columns(header: list[str]) -> list[str]:
    """The CSV header's column names, lower-case; rejects an empty or repeated one."""
    columns = [c.strip().lower() for c in header]
    if not any(columns):
        raise FileRejected("The first line is empty; it must be the CSV header.")
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise FileRejected(f"The column {column!r} appears twice in the header.")
        seen.add(column)
    return columns


def _csv_open(raw: IO[bytes]) -> RecordReader:
    tap = _LineTap(_lines(raw))
    reader = csv.reader(tap, strict=False)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileRejected("The file is empty: no header and no rows.") from exc
    except csv.Error as exc:
        raise FileRejected(f"The file is not CSV: {exc}.") from exc
    if tap.long is not None:
        raise FileRejected(f"The first line is not a CSV header: {LINE_TOO_LONG}.")
    tap.take()
    columns = header_columns(header)
    return RecordReader(
        format="csv", columns=columns, records=csv_records(tap, reader, columns), raw=raw
    )


def csv_records(tap: _LineTap, reader: Iterator[list[str]], columns: list[str]) -> Iterator[Record]:
    """The records after the header, with the line each starts on."""
    transcript_at = columns.index(TRANSCRIPT_COLUMN) if TRANSCRIPT_COLUMN in columns else None
    while True:
        start = tap.line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Record(start, _truncate(tap.take()), None, f"not valid CSV: {exc}")
            continue
        original = tap.take()
        if tap.long is not None:
            yield Record(start, tap.long.head, None, LINE_TOO_LONG)
            tap.long = None
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line
        if INVALID_UTF8 in original:
            yield Record(start, _truncate(original), None, INVALID_UTF8_REASON)
            continue
        if len(fields) != len(columns):
            yield Record(
                start,
                _truncate(original),
                None,
                f"has {len(fields)} fields, the header has {len(columns)}",
            )
            continue
        if transcript_at is not None:  # a transcript column: keep its text out
            kept = fields[:transcript_at] + fields[transcript_at + 1 :]
            original = _csv_line(kept)
        yield Record(start, _truncate(original), dict(zip(columns, fields, strict=True)))


def csv_block_records(text: str, *, columns: list[str], first_line: int) -> Iterator[Record]:
    """The records of a block of whole CSV lines that starts on line `first_line`."""
    tap = _LineTap(iter(text.splitlines(keepends=True)), line=first_line - 1)
    return csv_records(tap, csv.reader(tap, strict=False), columns)


def _original_json(obj: dict[str, Any], text: str) -> str:
    if TRANSCRIPT_COLUMN in obj:
        kept = {k: v for k, v in obj.items() if k != TRANSCRIPT_COLUMN}
        return _truncate(json.dumps(kept, ensure_ascii=False))
    return _truncate(text.strip())


def _json_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: PostgreSQL's jsonb would refuse it, and so does JSON
        raise json.JSONDecodeError(f"{text} is too large a number", text, 0)
    return value


# Standard JSON only: Python's json reads NaN, Infinity and 1e999 (as inf), which no JSON
# column in PostgreSQL accepts.
_JSON = json.JSONDecoder(parse_constant=_json_constant, parse_float=_json_float)


def _json_record(line: int, text: str) -> Record:
    if INVALID_UTF8 in text:
        return Record(line, _truncate(text.strip())[:500], None, INVALID_UTF8_REASON)
    try:
        obj = _JSON.decode(text)
    except ValueError as exc:
        # The text may hold a transcript; keep only its start.
        return Record(line, _truncate(text.strip())[:500], None, f"not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return Record(line, _truncate(text.strip()), None, "not a JSON object")
    obj = {str(k).strip().lower(): v for k, v in obj.items()}
    return Record(line, _original_json(obj, text), obj)


def _jsonl_open(raw: IO[bytes]) -> RecordReader:
    lines = (
        (n, s) for n, s in enumerate(_lines(raw), start=1) if isinstance(s, LongLine) or s.strip()
    )
    first = next(lines, None)
    if first is None:
        raise FileRejected("The file is empty: no rows.")
    if isinstance(first[1], LongLine):
        raise FileRejected(f"The file is not JSON Lines: line {first[0]}: {LINE_TOO_LONG}.")
    first_record = _json_record(*first)
    if first_record.data is None:
        raise FileRejected(f"The file is not JSON Lines: line {first[0]} is {first_record.error}.")
    columns = [str(k).lower() for k in first_record.data]

    def records() -> Iterator[Record]:
        yield first_record
        for number, line in lines:
            if isinstance(line, LongLine):
                yield Record(number, line.head, None, LINE_TOO_LONG)
            else:
                yield _json_record(number, line)

    return RecordReader(format="jsonl", columns=columns, records=records(), raw=raw)


def _json_array_elements(raw: IO[bytes]) -> Iterator[tuple[int, str, Any]]:
    """Stream the elements of a top-level JSON array: (line, text, value)."""
    text = _text(raw)
    try:
        yield from _json_array_scan(text)
    finally:
        text.detach()  # keep `raw` open: the records pass reads it again


def _json_array_scan(text: io.TextIOWrapper) -> Iterator[tuple[int, str, Any]]:
    decoder = _JSON
    buffer = text.read(SNIFF_BYTES)
    pos = 0
    line = 1
    eof = False

    def refill() -> bool:
        nonlocal buffer, pos, eof
        if eof:
            return False
        more = text.read(SNIFF_BYTES)
        if not more:
            eof = True
            return False
        buffer = buffer[pos:] + more
        pos = 0
        return True

    def skip_ws() -> str:
        nonlocal pos, line
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                line += buffer[pos] == "\n"
                pos += 1
            if pos < len(buffer):
                return buffer[pos]
            if not refill():
                return ""

    if skip_ws() != "[":
        raise FileRejected("The JSON body is not an array of objects.")
    pos += 1
    expect_value = True
    first = True
    while True:
        char = skip_ws()
        if char == "":
            raise FileRejected("The JSON array is not closed: the file ends too early.")
        if char == "]" and (first or not expect_value):
            return
        if not expect_value:
            if char != ",":
                raise FileRejected(f"The JSON array is broken near line {line}.")
            pos += 1
            expect_value = True
            continue
        while True:
            try:
                value, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError as exc:
                if len(buffer) - pos > MAX_JSON_ELEMENT_CHARS or not refill():
                    raise FileRejected(
                        f"The JSON array is broken near line {line}: {exc.msg}."
                    ) from exc
                continue
            if end == len(buffer) and refill():
                continue  # a number may go on in the next block
            break
        element = buffer[pos:end]
        yield line, element, value
        line += element.count("\n")
        pos = end
        expect_value = False
        first = False


def _json_array_open(raw: IO[bytes]) -> RecordReader:
    # One cheap pass first so that a broken array is rejected before anything is written.
    columns: list[str] = []
    for index, (_, _, value) in enumerate(_json_array_elements(raw)):
        if index == 0:
            if not isinstance(value, dict):
                raise FileRejected("The JSON body is not an array of objects.")
            columns = [str(k).lower() for k in value]
    if not columns:
        raise FileRejected("The file is empty: the JSON array has no rows.")

    def records() -> Iterator[Record]:
        for line, element, value in _json_array_elements(raw):
            if isinstance(value, dict):
                value = {str(k).strip().lower(): v for k, v in value.items()}
                yield Record(line, _original_json(value, element), value)
            else:
                yield Record(line, _truncate(element), None, "not a JSON object")

    return RecordReader(format="json", columns=columns, records=records(), raw=raw)


def kind_infer(columns: list[str]) -> str:
    if "conversation_id" in columns:
        return "conversations"
    if "date" in columns and "segment" in columns:
        return "daily"
    raise FileRejected(
        "Cannot tell what the file holds: its columns have neither conversation_id "
        "(conversations) nor date and segment (daily aggregates)."
    )


def columns_check(columns: list[str], *, kind: str) -> None:
    required = CONVERSATION_REQUIRED if kind == "conversations" else DAILY_REQUIRED
    missing = [c for c in required if c not in columns]
    if missing:
        what = "conversations" if kind == "conversations" else "daily aggregates"
        raise FileRejected(
            f"The file lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for {what} (found: {', '.join(columns) or 'none'})."
        )


# Row checks. CSV gives strings, JSON gives typed values: both are accepted.


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(f"{_show(value)} is not a boolean ({BOOLEAN_HELP})")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{_show(value)} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and INTEGER_RE.match(value.strip()):
        return int(value.strip())
    raise ValueError(f"{_show(value)} is not an integer")


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(text[:60])


def _text_field(value: Any, *, max_length: int) -> str:
    if _blank(value):
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError("is not a string")
    text = str(value).strip()
    if len(text) > max_length:
        raise ValueError(f"is longer than {max_length} characters")
    return text


MESSAGE_ROLES = ("customer", "ai", "agent")
MESSAGES_HELP = 'must be a list of {"role": "customer"|"ai"|"agent", "text": "..."} objects'


def _message_valid(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("role") in MESSAGE_ROLES
        and isinstance(message.get("text"), str)
    )


def digest(values: tuple) -> str:
    """A short fingerprint of a cleaned row: two rows with equal digests say the same."""
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


def conversation_clean(
    data: dict[str, Any], *, tz: tzinfo
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Check one conversation row (keys lower-case, as the readers give them); returns the
    cleaned row or the (column, reason) errors."""
    errors: list[tuple[str, str]] = []
    row: dict[str, Any] = {}

    for column in CONVERSATION_REQUIRED:
        if _blank(data.get(column)):
            errors.append((column, "is required"))

    value = data.get("conversation_id")
    if not _blank(value):
        if isinstance(value, bool) or not isinstance(value, str | int):
            errors.append(("conversation_id", "must be a string"))
        else:
            text = str(value).strip()
            if len(text) > 200:
                errors.append(("conversation_id", "is longer than 200 characters"))
            row["conversation_id"] = text

    value = data.get("started_at")
    if not _blank(value):
        started = None
        if isinstance(value, str):
            try:
                started = datetime.fromisoformat(value.strip())
            except ValueError:
                started = None
        if started is None:
            errors.append(("started_at", f"{_show(value)} is not an ISO 8601 datetime"))
        elif started.tzinfo is None or started.utcoffset() is None:
            errors.append(
                ("started_at", f"{_show(value)} has no offset (add +01:00 or Z, for example)")
            )
        else:
            try:
                # Both must exist: the instant in UTC (stored) and its local date (counted).
                started.astimezone(UTC)
                row["local_date"] = started.astimezone(tz).date()
                row["started_at"] = started
            except OverflowError:
                errors.append(("started_at", f"{_show(value)} is outside the years 1 to 9999"))

    value = data.get("complexity")
    if not _blank(value):
        word = value.strip().lower() if isinstance(value, str) else value
        if word not in SEGMENTS:
            errors.append(("complexity", f"{_show(value)} is not simple or complex"))
        else:
            row["complexity"] = word

    for column in ("escalated", "resolved_first_contact", "human_requested"):
        value = data.get(column)
        if _blank(value):
            row[column] = None
            continue
        try:
            row[column] = _bool(value)
        except ValueError as exc:
            errors.append((column, str(exc)))

    for column, max_length in (("channel", 50), ("language", 35), ("topic", 200)):
        try:
            row[column] = _text_field(data.get(column), max_length=max_length)
        except ValueError as exc:
            errors.append((column, str(exc)))
    if row.get("language") and not LANGUAGE_RE.match(row["language"]):
        errors.append(("language", f"{_show(row['language'])} is not a BCP 47 tag (like es-MX)"))

    value = data.get("csat")
    row["csat"] = None
    if not _blank(value):
        try:
            csat = _int(value)
        except ValueError as exc:
            errors.append(("csat", str(exc)))
        else:
            if not 1 <= csat <= 5:
                errors.append(("csat", f"{csat} is outside 1-5"))
            row["csat"] = csat

    # The transcript is checked here and handed on as row["messages"]; the ingester passes it
    # to the registered transcript sink (metrics/transcripts.py), which redacts it before
    # anything is stored. A string (a CSV column) is not a transcript and is dropped.
    row["messages"] = None
    value = data.get(TRANSCRIPT_COLUMN)
    if isinstance(value, list):
        if all(_message_valid(m) for m in value):
            row["messages"] = value
        else:
            errors.append((TRANSCRIPT_COLUMN, MESSAGES_HELP))
    elif not _blank(value) and not isinstance(value, str):
        errors.append((TRANSCRIPT_COLUMN, MESSAGES_HELP))
    # Free text (the survey comment, unknown columns kept as metadata) is redacted here, before
    # anything is stored, like transcripts: personal data never enters by a side door.
    try:
        comment = _text_field(data.get("survey_comment"), max_length=SURVEY_COMMENT_CHARS)
    except ValueError as exc:
        errors.append(("survey_comment", str(exc)))
    else:
        row["survey_comment"] = redact(comment)[0] if comment else ""
    known = set(CONVERSATION_REQUIRED) | set(CONVERSATION_OPTIONAL) | {TRANSCRIPT_COLUMN}
    row["metadata"] = {
        k: redact_value(v) for k, v in data.items() if k not in known and not _blank(v)
    }

    if errors:
        return None, errors
    return row, []


def redact_value(value: Any) -> Any:
    """A metadata value with every string in it redacted (lists and objects walked)."""
    if isinstance(value, str):
        return redact(value)[0]
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


def conversation_digest(row: dict[str, Any]) -> str:
    return digest(
        (
            row["started_at"].isoformat(),
            row["complexity"],
            row["escalated"],
            row["resolved_first_contact"],
            row["human_requested"],
            row["channel"],
            row["language"],
            row["csat"],
            row["topic"],
            row["survey_comment"],
            sorted(row["metadata"].items()),
        )
    )


def daily_clean(data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Check one daily-aggregate row (FORMATS.md §2)."""
    errors: list[tuple[str, str]] = []
    row: dict[str, Any] = {}
    for column in DAILY_REQUIRED:
        if _blank(data.get(column)):
            errors.append((column, "is required"))

    value = data.get("date")
    if not _blank(value):
        try:
            if not isinstance(value, str) or len(value.strip()) != 10:
                raise ValueError
            row["date"] = date.fromisoformat(value.strip())
        except ValueError:
            errors.append(("date", f"{_show(value)} is not a date (YYYY-MM-DD)"))

    value = data.get("segment")
    if not _blank(value):
        word = value.strip().lower() if isinstance(value, str) else value
        if word not in SEGMENTS:
            errors.append(("segment", f"{_show(value)} is not simple or complex"))
        else:
            row["segment"] = word

    for column in ["conversations", "escalated", *DAILY_OPTIONAL]:
        value = data.get(column)
        row[column] = None
        if _blank(value):
            continue
        try:
            number = _int(value)
        except ValueError as exc:
            errors.append((column, str(exc)))
            continue
        if number < 0:
            errors.append((column, f"{number} is negative"))
        elif number > MAX_COUNT:
            errors.append((column, f"{number} is larger than {MAX_COUNT:,}"))
        row[column] = number

    n = row.get("conversations")
    if n is not None:
        for column in ("escalated", "resolved_first_contact", "human_requested", "csat_count"):
            if row.get(column) is not None and row[column] > n:
                errors.append((column, f"{row[column]} is more than conversations ({n})"))
    count, total = row.get("csat_count"), row.get("csat_sum")
    if (count is None) != (total is None):
        errors.append(("csat_sum", "csat_sum and csat_count go together"))
    elif count is not None and total is not None and not count <= total <= 5 * count:
        errors.append(("csat_sum", f"{total} is impossible for {count} scores of 1-5"))
    if errors:
        return None, errors
    return row, []


def daily_digest(row: dict[str, Any]) -> str:
    return digest(tuple(row.get(c) for c in ["conversations", "escalated", *DAILY_OPTIONAL]))
