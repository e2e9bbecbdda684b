"""A NUL character in a parameter is refused with a message, never a server error.

PostgreSQL cannot store NUL in text: a value that reached the database with one made a 500
(a comment on the board did, found by a fuzzer). Runs on both databases; on PostgreSQL it is
the crash these tests guard against."""

from urllib.parse import urlencode

import pytest
from django.db import DataError
from django.urls import reverse

from accounts.errors import StoplineError
from config.middleware import NulRefuse
from criteria.models import Comment
from criteria.services import comment_add
from tests.criteria.signing import membership
from tests.criteria.test_views import login

pytestmark = pytest.mark.django_db


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("text", ["\x00", "before\x00after"])
def test_a_comment_with_a_nul_is_refused_and_nothing_is_stored(client, personas, text):
    login(client, personas.facilitator)
    url = reverse("criteria:comment_submit", args=[personas.operation.slug, "fcr_complex"])
    # Sent as multipart (what the test client sends): the service refuses it, and the board
    # says why, like any other input error.
    response = client.post(url, {"text": text}, follow=True)
    assert response.status_code == 200
    assert "NUL character" in response.content.decode()
    assert Comment.objects.count() == 0
    # Url-encoded (what a browser's form sends): refused before the view.
    response = client.post(url, urlencode({"text": text}), content_type=FORM)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert Comment.objects.count() == 0
    # The same comment without it goes in.
    assert client.post(url, {"text": text.replace("\x00", " ") + "ok"}).status_code == 302
    assert Comment.objects.count() == 1


def test_a_nul_in_a_parameter_name_or_the_query_string_is_refused(client, personas):
    login(client, personas.facilitator)
    board = reverse("criteria:board", args=[personas.operation.slug])
    assert client.get(board).status_code == 200
    assert client.get(board, {"page": "1\x00"}).status_code == 400
    url = reverse("criteria:comment_submit", args=[personas.operation.slug, "fcr_complex"])
    body = urlencode({"text": "fine", "x\x00": "1"})
    assert client.post(url, body, content_type=FORM).status_code == 400
    assert Comment.objects.count() == 0


def test_the_api_reads_its_fields_and_ignores_the_others(client, personas):
    """The API's schema lets unknown parameters through: a NUL in one is ignored, a NUL in a
    field the API reads is refused by its serializer, in the API's own error format."""
    login(client, personas.facilitator)
    assert client.get("/api/v1/operations/", {"x\x00": "\x00"}).status_code == 200
    url = f"/api/v1/operations/{personas.operation.slug}/comments/"
    body = {"key": "fcr_complex", "text": "a\x00b"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Comment.objects.count() == 0


def test_the_service_refuses_a_nul_whoever_calls_it(personas):
    with pytest.raises(StoplineError, match="NUL character"):
        comment_add(
            operation=personas.operation,
            membership=membership(personas.legal_lead, personas.operation),
            key="escalation_rate",
            text="a\x00b",
        )
    assert Comment.objects.count() == 0


def test_a_nul_the_database_refuses_becomes_the_same_400(rf):
    """The last line of defence, for a multipart value that reached the database unchecked."""
    middleware = NulRefuse(lambda request: None)
    refused = DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    page = middleware.process_exception(rf.post("/ops/eu-chat/comments/x/"), refused)
    assert page.status_code == 400
    assert "NUL character" in page.content.decode()
    api = middleware.process_exception(rf.post("/api/v1/operations/"), refused)
    assert api.status_code == 400
    assert api["Content-Type"] == "application/json"
    # Any other database error stays a server error (logged, not dressed up as the user's).
    assert middleware.process_exception(rf.get("/"), DataError("numeric overflow")) is None
