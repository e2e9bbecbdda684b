"""drf-spectacular postprocessing: every operation documents the one error format.

The API answers 400 (invalid input), 401 (no or bad credentials), 403 (not your role),
404 (not found, or another organization's), 409 (conflict, e.g. an outdated version) and
429 (throttled, with Retry-After), always as {"error": {"code", "message", "fields"?}}.
"""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
ERRORS = {
    "400": "Invalid input; `fields` names what is wrong.",
    "401": "No credentials, or an unknown, expired or revoked token.",
    "403": "Your role does not allow this.",
    "404": "Not found (objects of other organizations are not found either).",
    "409": "Conflict with the current state (e.g. an outdated version).",
    "413": "The request body is too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests; see the Retry-After header.",
}
READ_ERRORS = {"400", "401", "403", "404", "429"}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = READ_ERRORS if method == "get" else ERRORS
            for code, description in ERRORS.items():
                if code in codes and code not in responses:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
    return result
