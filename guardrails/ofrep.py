"""The OpenFeature Remote Evaluation Protocol (OFREP v1) for an operation's guardrail flags.

Follows service/openapi.yaml of open-feature/protocol: single evaluation
`POST /ofrep/v1/evaluate/flags/{key}` and bulk `POST /ofrep/v1/evaluate/flags` (ETag,
If-None-Match → 304). The key in `Authorization: Bearer ...` (or `X-API-Key`) names the
operation. The request's `context` must carry a `targetingKey` (the schema requires it): any
stable id, e.g. the conversation id; every conversation of an operation gets the same answer.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guardrails.flags import flags_etag, flags_evaluate
from guardrails.models import FlagKey
from guardrails.services import flag_key_authenticate


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


def _authenticate(request: HttpRequest) -> FlagKey | HttpResponse:
    token = _token(request)
    if not token:
        return _unauthorized("Send the operation's OFREP key: Authorization: Bearer <key>.")
    key = flag_key_authenticate(token)
    if key is None:
        return _unauthorized("This key is not valid (unknown or revoked).")
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
        response = JsonResponse(
            {
                "flags": [flag.as_ofrep() for flag in flags.values()],
                "metadata": {"operation": operation.slug},
            }
        )
    response["ETag"] = etag
    return _headers(response)
