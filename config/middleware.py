"""Project-wide request checks that no single view should have to repeat."""

from collections.abc import Callable

from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

NUL = "\x00"
NUL_MESSAGE = (
    "The request contains a NUL character (\\x00), which no field accepts. "
    "Remove it and send the request again."
)
FORM_TYPES = ("application/x-www-form-urlencoded",)
API = "/api/"


class NulRefuse:
    """Answer 400, with a message, to a request with a NUL character in a value.

    PostgreSQL cannot store NUL in text, so a view that passed such a value on would fail
    with a server error. Django's form fields and the API's serializers refuse it, but a view
    that reads a parameter directly would not. The query string and url-encoded forms of the
    web pages are checked before the view. Multipart bodies are not read here (that would parse
    an upload before its view sets the upload's size limit): a NUL that reaches the database
    from one is turned into the same 400 when the database refuses it, before anything was
    committed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API's serializers refuse NUL in the fields they read and ignore the others, as
        # its schema says: only the last line of defence (process_exception) applies there.
        if not request.path.startswith(API) and _has_nul(request):
            return _refusal(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DataError) and "NUL" in str(exception):
            return _refusal(request)
        return None


def _refusal(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API):
        return JsonResponse({"error": {"code": "invalid", "message": NUL_MESSAGE}}, status=400)
    return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path or _params_have_nul(request.GET):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        return _params_have_nul(request.POST)
    return False


def _params_have_nul(params) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in params.lists())
