"""The OpenFeature Remote Evaluation Protocol (OFREP v1) for an operation's guardrail flags.

Follows service/openapi.yaml of open-feature/protocol: single evaluation
`POST /ofrep/v1/evaluate/flags/{key}` and bulk `POST /ofrep/v1/evaluate/flags` (ETag,
If-None-Match → 304). The key in `Authorization: Bearer ...` (or `X-API-Key`) names the
operation. The request's `context` must carry a `targetingKey` (the schema requires it): any
stable id, e.g. the conversation id; every conversation of an operation gets the same answer.
"""

import json
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.throttling import api_key_wait, failed_key_record, failed_keys_wait
from guardrails.flags import flags_etag, flags_evaluate
from guardrails.models import FlagKey
from guardrails.services import flag_key_authenticate

STREAM_SALT = "stopline.ofrep.event-stream"
STREAM_TOKEN_MAX_AGE = 24 * 3600


class OfrepError(Exception):
    def __init__(self, status: int, code: str, details: str) -> None:
        super().__init__(details)
        self.status, self.code, self.details = status, code, details


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip()


def _unauthorized(details: str) -> HttpResponse:
    response = JsonResponse({"errorDetails": details}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="ofrep"'
    return response


def _throttled(wait: int) -> HttpResponse:
    response = JsonResponse(
        {"errorDetails": f"Too many requests: try again in {wait} seconds."}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def _authenticate(request: HttpRequest) -> FlagKey | HttpResponse:
    # Throttled like the REST API (accounts.throttling): wrong keys per address, and each
    # valid key has its own budget; past either, 429 with Retry-After.
    wait = failed_keys_wait(request)
    if wait:
        return _throttled(wait)
    token = _token(request)
    if not token:
        failed_key_record(request)
        return _unauthorized("Send the operation's OFREP key: Authorization: Bearer <key>.")
    key = flag_key_authenticate(token)
    if key is None:
        failed_key_record(request)
        return _unauthorized("This key is not valid (unknown or revoked).")
    wait = api_key_wait(request, str(key.pk))
    if wait:
        return _throttled(wait)
    return key


def _context(request: HttpRequest, key: FlagKey) -> dict[str, Any]:
    """The request's evaluation context, checked against the schema's rules."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise OfrepError(400, "PARSE_ERROR", "The request body is not JSON.") from exc
    if not isinstance(body, dict):
        raise OfrepError(400, "PARSE_ERROR", "The request body must be a JSON object.")
    context = body.get("context")
    if not isinstance(context, dict):
        raise OfrepError(400, "INVALID_CONTEXT", "The request needs a `context` object.")
    if "targetingKey" not in context or context["targetingKey"] in (None, ""):
        raise OfrepError(
            400,
            "TARGETING_KEY_MISSING",
            "Context is missing required targetingKey property (send e.g. the conversation id).",
        )
    if not isinstance(context["targetingKey"], str):
        raise OfrepError(400, "INVALID_CONTEXT", "targetingKey must be a string.")
    # A client may say which operation it means; a key of another operation cannot read it.
    named = context.get("operation")
    if named is not None and named != key.operation.slug:
        raise OfrepError(403, "GENERAL", "This key does not give access to that operation.")
    return context


def _headers(response: HttpResponse) -> HttpResponse:
    # Clients revalidate with If-None-Match; nothing in between may serve a stale answer.
    response["Cache-Control"] = "no-cache, private"
    return response


@csrf_exempt
@require_POST
def evaluate_flag(request: HttpRequest, key: str) -> HttpResponse:
    flag_key = _authenticate(request)
    if isinstance(flag_key, HttpResponse):
        return flag_key
    try:
        _context(request, flag_key)
    except OfrepError as exc:
        if exc.status == 403:
            return JsonResponse({"errorDetails": exc.details}, status=403)
        body = {"key": key, "errorCode": exc.code, "errorDetails": exc.details}
        return JsonResponse(body, status=exc.status)
    flags = flags_evaluate(flag_key.operation)
    if key not in flags:
        return JsonResponse(
            {
                "key": key,
                "errorCode": "FLAG_NOT_FOUND",
                "errorDetails": f"Flag '{key}' was not found",
            },
            status=404,
        )
    return _headers(JsonResponse(flags[key].as_ofrep()))


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


@csrf_exempt
@require_POST
def evaluate_flags(request: HttpRequest) -> HttpResponse:
    flag_key = _authenticate(request)
    if isinstance(flag_key, HttpResponse):
        return flag_key
    try:
        _context(request, flag_key)
    except OfrepError as exc:
        if exc.status == 403:
            return JsonResponse({"errorDetails": exc.details}, status=403)
        return JsonResponse({"errorCode": exc.code, "errorDetails": exc.details}, status=400)
    operation = flag_key.operation
    flags = flags_evaluate(operation)
    etag = flags_etag(flags)
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
    else:
        body: dict[str, Any] = {
            "flags": [flag.as_ofrep() for flag in flags.values()],
            "metadata": {"operation": operation.slug},
        }
        if settings.STOPLINE_OFREP_STREAM_SECONDS > 0:
            body["eventStreams"] = [_event_stream(flag_key)]
        response = JsonResponse(body)
    response["ETag"] = etag
    return _headers(response)


# --- Change notifications over SSE (ADR 0008) ------------------------------------------------


def _event_stream(key: FlagKey) -> dict[str, Any]:
    """The bulk answer's `eventStreams` entry. `endpoint.requestUri` (no origin): the client
    joins it to the base URL it is configured with. The token in it only lets a client hear
    that the flags changed; it names the key, expires in a day and dies with the key."""
    token = signing.dumps({"k": key.pk}, salt=STREAM_SALT)
    return {
        "type": "sse",
        "endpoint": {"requestUri": f"{reverse('ofrep_event_stream')}?token={token}"},
        "inactivityDelaySec": 120,
    }


def _sse(etag: str) -> str:
    data = json.dumps({"type": "refetchEvaluation", "etag": etag, "lastModified": int(time.time())})
    event_id = etag.strip('"')
    return f"id: {event_id}\nevent: message\ndata: {data}\n\n"


def _changes(operation, last_event_id: str) -> Iterator[str]:
    """Tell the client each time the flags' ETag changes, for the stream's lifetime (the
    client reconnects, as EventSource does, and re-fetches the bulk evaluation)."""
    poll = settings.STOPLINE_OFREP_STREAM_POLL_SECONDS
    deadline = time.monotonic() + settings.STOPLINE_OFREP_STREAM_SECONDS
    last = flags_etag(flags_evaluate(operation))
    yield "retry: 2000\n: connected\n\n"
    if last_event_id and last_event_id != last.strip('"'):
        yield _sse(last)  # changed while the client was away
    try:
        while time.monotonic() < deadline:
            time.sleep(poll)
            etag = flags_etag(flags_evaluate(operation))
            if etag != last:
                last = etag
                yield _sse(etag)
            else:
                # A comment line: keeps proxies from timing out, and a client that left is
                # noticed at the next poll (the write fails), not at the end of the stream.
                yield ":\n\n"
    finally:
        close_old_connections()


@require_GET
def event_stream(request: HttpRequest) -> HttpResponse:
    """GET /ofrep/v1/event-stream?token=...: `refetchEvaluation` events when a flag changes."""
    try:
        data = signing.loads(
            request.GET.get("token", ""), salt=STREAM_SALT, max_age=STREAM_TOKEN_MAX_AGE
        )
        key = FlagKey.objects.select_related("operation").get(pk=data["k"], revoked_at__isnull=True)
    except (signing.BadSignature, FlagKey.DoesNotExist, KeyError, TypeError):
        return _unauthorized("This event-stream link is not valid (expired, or its key revoked).")
    if settings.STOPLINE_OFREP_STREAM_SECONDS <= 0:
        return JsonResponse({"errorDetails": "Event streams are turned off."}, status=404)
    response = StreamingHttpResponse(
        _changes(key.operation, request.headers.get("Last-Event-ID", "")),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass events on at once
    return response
