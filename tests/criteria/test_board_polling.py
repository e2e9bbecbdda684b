"""The workshop board with a year of data: flat queries, and a room full of people polling
it costs a 304 each until something changes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from criteria.services import comment_add, position_propose
from metrics.reporting.dashboard import operation_today
from tests.criteria.signing import membership
from tests.metrics.drift_data import add_days

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def year(personas):
    op = personas.operation
    add_days(op, operation_today(op) - timedelta(days=365), 365)
    return personas


def url(personas):
    return reverse("criteria:board", args=[personas.operation.slug])


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


def test_board_queries_do_not_grow_with_positions_and_comments(
    client, year, django_assert_max_num_queries
):
    client.force_login(year.facilitator)
    _propose(year, year.legal_lead, "escalation_rate", "0.10", "0.30", "Disputes need people.")
    with CaptureQueriesContext(connection) as few:  # drawn afresh, backtests included
        page = client.get(url(year)).content.decode()
    assert "would have fired" in page  # the backtest over the year of data
    for user in (year.ops_lead, year.cx_lead, year.finance_lead):
        for key in ("escalation_rate", "fcr_simple", "fcr_complex", "review_score"):
            _propose(year, user, key, "0.05", "0.90", f"{user.username} on {key}")
            comment_add(
                operation=year.operation,
                membership=membership(user, year.operation),
                key=key,
                text=f"{user.username} asks about {key}",
            )
    with django_assert_max_num_queries(len(few)):
        page = client.get(url(year)).content.decode()
    assert "finance_lead asks about review_score" in page
    with django_assert_max_num_queries(len(few)):
        assert "finance_lead on fcr_simple" in client.get(url(year), **HX).content.decode()


def test_a_poll_that_finds_nothing_new_gets_304(client, year, django_assert_max_num_queries):
    client.force_login(year.facilitator)
    client.get(url(year))  # the page the browser polls from
    first = client.get(url(year), **HX)
    assert first.status_code == 200 and first["ETag"]
    assert "HX-Request" in first["Vary"] and "no-cache" in first["Cache-Control"]
    # 20 people polling every 4 s: each poll is the session, the user, the membership.
    for _ in range(3):
        with django_assert_max_num_queries(5):
            again = client.get(url(year), HTTP_IF_NONE_MATCH=first["ETag"], **HX)
        assert again.status_code == 304 and again.content == b""
    # Someone states a position: the next poll brings it.
    _propose(year, year.legal_lead, "escalation_rate", "0.10", "0.30", "Disputes need people.")
    changed = client.get(url(year), HTTP_IF_NONE_MATCH=first["ETag"], **HX)
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "Disputes need people." in changed.content.decode()


def test_each_reader_has_an_etag_of_their_own(client, year):
    """The fragment holds the reader's resolve buttons and CSRF token: never someone else's."""
    client.force_login(year.facilitator)
    client.get(url(year))
    facilitator = client.get(url(year), **HX)["ETag"]
    client.force_login(year.viewer)
    client.get(url(year))
    viewer = client.get(url(year), HTTP_IF_NONE_MATCH=facilitator, **HX)
    assert viewer.status_code == 200 and viewer["ETag"] != facilitator


def test_outsiders_get_404_not_304(client, year):
    client.force_login(year.facilitator)
    client.get(url(year))
    etag = client.get(url(year), **HX)["ETag"]
    client.force_login(year.outsider)
    assert client.get(url(year), HTTP_IF_NONE_MATCH=etag, **HX).status_code == 404
