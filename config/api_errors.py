"""One error format for the whole API: {"error": {"code", "message", "fields"?}}."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import StoplineError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StoplineError):
        body = {"error": {"code": exc.code, "message": exc.message}}
        if exc.fields:
            body["error"]["fields"] = exc.fields
        return Response(body, status=exc.status)
    # DRF turns these into its own exceptions inside its handler; do it first so the code
    # in our body is "not_found" / "permission_denied", not a generic one.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = "The request has invalid fields."
        body = {"error": {"code": "invalid", "message": message, "fields": response.data}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(exc, "default_code", "error")
        body = {"error": {"code": code, "message": str(detail) or str(exc)}}
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        body["error"]["code"] = "method_not_allowed"
    response.data = body
    return response
