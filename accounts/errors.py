"""The one project error type. Services raise it; views and the API map it to responses."""

from typing import Any


class StoplineError(Exception):
    """A domain rule was broken. `status` is the HTTP status the interfaces answer with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class PermissionDenied(StoplineError):
    status = 403
    code = "forbidden"


class Conflict(StoplineError):
    status = 409
    code = "conflict"


class ReauthRequired(StoplineError):
    status = 403
    code = "reauth_required"
