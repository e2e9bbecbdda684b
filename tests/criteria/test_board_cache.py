"""The workshop board draws its shared parts once per data version: what one reader's view put
in the cache never carries that reader's forms, buttons or CSRF token to another, access is
checked on every request, and a change shows on the next view."""

import re

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from criteria.services import comment_add, position_propose
from tests.criteria.signing import membership

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(operation):
    return reverse("criteria:board", args=[operation.slug])


def _propose(personas, user, key, lo, hi, why):
    op = personas.operation
    position_propose(
        operation=op,
        membership=membership(user, op),
        key=key,
        range_min=lo,
        range_max=hi,
        rationale=why,
    )


def _comment(personas, user, key, text):
    op = personas.operation
    comment_add(operation=op, membership=membership(user, op), key=key, text=text)


def _tokens(html: str) -> set[str]:
    """The CSRF secrets behind every token of a page (tokens are masked per request)."""
    found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    found += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    return {_unmask_cipher_token(t) for t in found}


def test_a_reader_never_gets_the_forms_buttons_or_token_of_whoever_filled_the_cache(
    client, personas
):
    _propose(personas, personas.legal_lead, "escalation_rate", "0.10", "0.30", "Disputes.")
    _comment(personas, personas.facilitator, "escalation_rate", "Facilitator asks why")
    client.force_login(personas.facilitator)
    first = client.get(url(personas.operation)).content.decode()
    facilitator_secret = client.cookies["csrftoken"].value
    assert "Set draft" in first and ">resolve</button>" in first
    assert _tokens(first) == {facilitator_secret}

    other = Client()  # another person's browser
    other.force_login(personas.viewer)
    for headers in ({}, HX):
        page = other.get(url(personas.operation), **headers).content.decode()
        assert "Disputes." in page and "Facilitator asks why" in page  # the shared parts
        assert "Set draft" not in page and "Save position" not in page
        assert ">resolve</button>" not in page  # not their comment, not a facilitator
        assert facilitator_secret not in _tokens(page)
        assert _tokens(page) <= {other.cookies["csrftoken"].value}


def test_the_author_of_a_comment_may_resolve_it_on_a_cached_board(client, personas):
    _comment(personas, personas.cx_lead, "fcr_simple", "CX asks about weekends")
    client.force_login(personas.viewer)
    assert ">resolve</button>" not in client.get(url(personas.operation)).content.decode()
    client.force_login(personas.cx_lead)
    page = client.get(url(personas.operation)).content.decode()
    assert page.count(">resolve</button>") == 1
    assert "s position</h3>" in page  # their department's form


def test_access_is_checked_on_every_request_of_a_cached_board(client, personas):
    _propose(personas, personas.legal_lead, "escalation_rate", "0.10", "0.30", "Disputes.")
    client.force_login(personas.facilitator)
    assert client.get(url(personas.operation)).status_code == 200
    client.force_login(personas.outsider)
    assert client.get(url(personas.operation)).status_code == 404
    assert client.get(url(personas.operation), **HX).status_code == 404
    own = client.get(url(personas.other_operation)).content.decode()
    assert "Disputes." not in own  # another organization's board, drawn from its own data
    client.logout()
    assert client.get(url(personas.operation)).status_code == 302  # to the login page


def test_a_change_shows_on_the_next_view_of_a_cached_board(client, personas):
    client.force_login(personas.viewer)
    assert "Disputes." not in client.get(url(personas.operation)).content.decode()
    _propose(personas, personas.legal_lead, "escalation_rate", "0.10", "0.30", "Disputes.")
    page = client.get(url(personas.operation)).content.decode()
    assert "Disputes." in page and "10 %–30 %" in page.replace("\xa0", " ")
    _comment(personas, personas.cx_lead, "escalation_rate", "CX agrees")
    assert "CX agrees" in client.get(url(personas.operation), **HX).content.decode()
