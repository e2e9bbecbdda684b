"""Remove personal data from transcript text before it is stored.

Pure Python, no Django imports: the ingestion service calls :func:`redact_messages` on every
transcript before anything reaches the database, a log line or a task argument.

What is replaced, in this order (the order matters: an IBAN's digits or a card number would
otherwise look like a phone number):

1. ``[EMAIL]``  e-mail addresses (``local@domain.tld``).
2. ``[IBAN]``   IBANs of a known country with the country's exact length, with or without
   single spaces/dashes between characters, that pass the ISO 13616 mod-97 check.
   An IBAN-looking string with a wrong check sum stays.
3. ``[CARD]``   payment card numbers: 13-19 digits, written as one run or in groups of
   3-8 digits separated by single spaces or dashes, that pass the Luhn check. A 16-digit
   order number that fails Luhn stays. Any run of 13-19 digits written without separators
   that passes Luhn is replaced even when glued to letters (``ref4111111111111111``): the
   output never contains such a run. Exception: right after a ``+`` it is an international
   phone number (up to 15 digits) and becomes ``[PHONE]``.
4. ``[PHONE]``  phone numbers: international (``+46 70 123 45 67``, ``+1 (415) 555-0132``,
   ``0044 20 7946 0958``, ``+44 (0)20 7946 0958``: 8-15 digits after the ``+``/``00``),
   national with a trunk ``0`` (``070-123 45 67``, ``020 7946 0958``: 9-12 digits, spaces or
   dashes only) and North-American (``(415) 555-0132``, ``415-555-0132``, ``415.555.0132``).

Kept on purpose (false positives avoided): dates (``2025-03-04``, ``04.03.2025``), times,
amounts (``1,299.00``), version strings (``2.3.14``), short numbers, order numbers that fail
Luhn.

Known limitations: obfuscated e-mail addresses (``name at example dot com``), phone numbers
written in words or without a ``+``/``00``/trunk ``0`` outside North-American format
(``46701234567``) are not recognised; a 9-12 digit number starting with ``0`` (an order number
with a leading zero) is treated as a phone number, which errs on the side of privacy; street
addresses and names are not redacted. Any other 13-19 digit number that happens to pass Luhn
(one in ten do: e.g. the STAR corpus's bank account number 9931939443153) becomes ``[CARD]``.

Placeholders contain no digits and no ``@``, so redacting twice changes nothing more.
"""

import re
from collections.abc import Iterable

EMAIL = "EMAIL"
PHONE = "PHONE"
CARD = "CARD"
IBAN = "IBAN"
KINDS = (EMAIL, IBAN, CARD, PHONE)

# ISO 13616 registry: country code -> total IBAN length.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TL": 23, "TN": 24, "TR": 26, "UA": 29,
    "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

# Lengths are bounded (RFC 5321: 64 for the local part, 63 per label) so that long tokens
# without an "@" cannot make the scan quadratic.
_EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@(?:[\w-]{1,63}\.){1,8}[^\W\d_]{2,63}\b")
_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}")
# Maximal runs of digits joined by single spaces or dashes.
_DIGIT_RUN_RE = re.compile(r"\d+(?:[ -]\d+)*")
_CONTIGUOUS_RE = re.compile(r"\d+")
# A phone-number candidate: optional "+", digit groups or "(0)"/"(415)" groups joined by at
# most one separator. Atomic so that it is always the longest run; the lookbehinds make sure
# it is not the tail of a longer token (a date's end, an amount's decimals). What follows it is
# checked in Python, not with a lookahead, so that a failed candidate is not rescanned from
# every position inside it (which made long digit lists quadratic).
_PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w+])(?<!\d[.,])"
    r"(?>\+ ?)?"
    r"(?>(?:\(\d{1,5}\)|\d+)(?:[ .-]?(?:\(\d{1,5}\)|\d+))*)"
)
_NANP_RE = re.compile(r"(?:1[ .-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .-]?[2-9]\d{2}[ .-]\d{4}")
_NATIONAL_RE = re.compile(r"(?:\(0\d{1,4}\)|0\d*)(?:[ -]?(?:\(\d{1,5}\)|\d+))*")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """ISO 13616 check: known country, its exact length, and mod-97 of the rearranged number."""
    compact = compact.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact):
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _replace_spans(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    parts: list[str] = []
    cursor = 0
    for start, end, kind in sorted(spans):
        parts.append(text[cursor:start])
        parts.append(f"[{kind}]")
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def _email_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), EMAIL) for m in _EMAIL_RE.finditer(text)]


def _iban_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    taken_until = 0
    for match in _IBAN_START_RE.finditer(text):
        start = match.start()
        if start < taken_until:
            continue
        length = IBAN_LENGTHS.get(text[start : start + 2].upper())
        if length is None:
            continue
        compact: list[str] = []
        i = start
        # Collect exactly `length` characters, allowing one space or dash between them.
        while i < len(text) and len(compact) < length:
            char = text[i]
            if char.isascii() and char.isalnum():
                compact.append(char)
                i += 1
            elif (
                char in " -"
                and i + 1 < len(text)
                and text[i + 1].isascii()
                and text[i + 1].isalnum()
            ):
                i += 1
            else:
                break
        if len(compact) != length:
            continue
        if i < len(text) and text[i].isalnum():
            continue  # longer than this country's IBAN: not one
        if iban_valid("".join(compact)):
            spans.append((start, i, IBAN))
            taken_until = i
    return spans


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    # Grouped numbers: windows of whole groups inside a run, the longest valid one from the
    # leftmost group that starts one.
    for run in _DIGIT_RUN_RE.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in
                  _CONTIGUOUS_RE.finditer(run.group())]  # fmt: skip
        i = 0
        while i < len(groups):
            found = None
            # Windows of 2+ whole groups of 3-8 digits, at most 19 digits: a handful per i.
            digits = text[groups[i][0] : groups[i][1]]
            last = len(groups) if 3 <= len(digits) <= 8 else i + 1
            for j in range(i + 1, last):
                group = text[groups[j][0] : groups[j][1]]
                if not 3 <= len(group) <= 8:
                    break
                digits += group
                if len(digits) > 19:
                    break
                start, end = groups[i][0], groups[j][1]
                if len(digits) < 13 or digits[0] == "0":
                    continue
                before = text[start - 1] if start else ""
                after = text[end] if end < len(text) else ""
                if before.isalnum() or before == "+" or after.isalnum():
                    continue
                if luhn_valid(digits):
                    found = (start, end, j)  # keep looking: the longest valid window wins
            if found:
                spans.append((found[0], found[1], CARD))
                i = found[2] + 1
            else:
                i += 1
    # Contiguous runs: never leave a Luhn-valid 13-19 digit run behind. (Grouped windows are
    # made of groups of at most 8 digits, so they never overlap these.)
    for match in _CONTIGUOUS_RE.finditer(text):
        start, end = match.span()
        digits = match.group()
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            continue
        if start and text[start - 1] == "+" and len(digits) <= 15:
            spans.append((start - 1, end, PHONE))
        else:
            spans.append((start, end, CARD))
    return spans


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15
    if candidate.startswith("00") and not candidate.startswith("000"):
        return 8 <= len(digits) - 2 <= 15
    if _NANP_RE.fullmatch(candidate):
        return True
    if _NATIONAL_RE.fullmatch(candidate):
        return 9 <= len(digits) <= 12
    return False


def _phone_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for match in _PHONE_CANDIDATE_RE.finditer(text):
        end = match.end()
        glued = end < len(text) and (text[end].isalnum() or text[end] in "_@")
        if not glued and _is_phone(match.group()):
            spans.append((match.start(), end, PHONE))
    return spans


_PASSES = (_email_spans, _iban_spans, _card_spans, _phone_spans)
# What every pass looks for holds a digit (any script: the patterns' \d) or an "@".
_REDACTABLE = re.compile(r"[\d@]")


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Return ``text`` with personal data replaced, and how many of each kind were replaced.

    The counts always hold the four keys ``EMAIL``, ``IBAN``, ``CARD``, ``PHONE``. The passes
    are repeated until nothing changes (at most a few rounds), because removing one item can
    expose another (``4111111111111111DE89370400440532013000``: the IBAN only stands on its own
    once the card before it is gone); this keeps ``redact`` idempotent.
    """
    counts = dict.fromkeys(KINDS, 0)
    for _ in range(5):
        if not _REDACTABLE.search(text):
            break  # each pass needs a digit or an "@"; placeholders hold neither
        changed = False
        for find_spans in _PASSES:
            spans = find_spans(text)
            if spans:
                changed = True
                for _start, _end, kind in spans:
                    counts[kind] += 1
                text = _replace_spans(text, spans)
        if not changed:
            break
    return text, counts


def redact_messages(messages: list[dict]) -> list[dict]:
    """Redact the ``text`` of every message (FORMATS.md §1); ``role``, ``at`` etc. are kept.

    Returns new dicts; the input is left untouched so nothing unredacted is kept by accident.
    """
    redacted: list[dict] = []
    for message in messages:
        copy = dict(message)
        if isinstance(copy.get("text"), str):
            copy["text"], _counts = redact(copy["text"])
        redacted.append(copy)
    return redacted


def redact_note(text: str) -> str:
    """A free-text note as it may be stored: comments, rationales, review notes and reasons
    pass through the same redaction as transcripts."""
    return redact(text)[0]
