"""Hostile values in every parameter of every URL: a message, never a server error.

The access matrix sends one valid body everywhere; here the facilitator (who may write the
most) sends, to every URL pattern, query strings and bodies whose every field holds one
hostile value: NUL characters (PostgreSQL cannot store them; a board comment with one was a
500), numbers that overflow, impossible dates, wrong JSON types, very long text. Each request
runs in its own savepoint, so that one failure cannot hide the next. On PostgreSQL, where
these values fail."""

import json

import pytest
from django.db import transaction

from tests.criteria.test_views import login
from tests.test_access_matrix import BODY, SIGN_OUT, fill, url_patterns, world  # noqa: F401

pytestmark = pytest.mark.postgres

HOSTILE = [
    "\x00",
    "a\x00b",
    "'\"; --",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "2025-02-30",
    "",
    "<script>alert(1)</script>",
    "😀" * 300,
    "99999999999999999999",
    "[]",
]
# Parameters the views read besides BODY's (query strings and forms).
FIELDS = [*BODY, "page", "status", "from", "to", "days", "custom", "projector", "paper"]
FIELDS += ["token", "sso", "state", "severity", "label", "organization", "content_hash"]
FIELDS += ["department", "recipients", "window_days", "min", "max", "is_active", "phrases"]
JSON_HOSTILE = [None, True, 10**30, 1.5e308, [], {}, {"a": {"b": []}}, "\x00", "x" * 100_000]


def _send(client, method: str, url: str, **kwargs) -> str | None:
    try:
        with transaction.atomic():
            status = getattr(client, method)(url, **kwargs).status_code
    except Exception as exc:  # noqa: BLE001 - an uncaught exception is a server error
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    return f"status {status}" if status >= 500 else None


def test_hostile_values_get_an_answer_not_a_server_error(client, personas, world):  # noqa: F811
    login(client, personas.facilitator)
    problems = []
    for route, name in sorted(set(url_patterns())):
        if name in SIGN_OUT:
            continue
        url = fill(route, world)
        api = url.startswith("/api/")
        for value in HOSTILE:
            body = dict.fromkeys(FIELDS, value)
            sent = [("get", {"data": body})]
            if api:
                sent.append(
                    ("post", {"data": json.dumps(body), "content_type": "application/json"})
                )
            else:
                sent.append(("post", {"data": body}))
            for method, kwargs in sent:
                if problem := _send(client, method, url, **kwargs):
                    problems.append(f"{method.upper()} {url} {value[:12]!r}: {problem}")
        if not api:
            continue
        for value in JSON_HOSTILE:
            body = json.dumps(dict.fromkeys(FIELDS, value))
            for method in ("post", "put", "patch"):
                if problem := _send(
                    client, method, url, data=body, content_type="application/json"
                ):
                    problems.append(f"{method.upper()} {url} {str(value)[:12]!r}: {problem}")
        for raw in (b"\xff\xfe", b"[", b"null", b"1", b"[]", b'{"a":' * 5000):
            if problem := _send(client, "post", url, data=raw, content_type="application/json"):
                problems.append(f"POST {url} {raw[:10]!r}: {problem}")
    assert problems == []
