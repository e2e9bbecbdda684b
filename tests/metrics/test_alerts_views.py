"""Alert and review pages: who can read, who can act, and what a user sees."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse

from criteria.models import CriteriaVersion
from metrics.models import Alert, AlertEvent, Review
from tests.conftest import PASSWORD
from tests.metrics.alert_data import make_alert

READERS = ["facilitator", "member", "cx_lead", "viewer", "reviewer"]
# The escalation alert's review is owned by operations.
DECIDERS = ["facilitator", "member"]
REFUSED = ["cx_lead", "viewer", "reviewer"]


def login(client, user):
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def alert(personas):
    return make_alert(personas.operation)


def pages(alert):
    slug = alert.operation.slug
    return [
        reverse("metrics:alert_list", args=[slug]),
        reverse("metrics:alert_detail", args=[slug, alert.pk]),
        reverse("metrics:review_list", args=[slug]),
    ]


@pytest.mark.parametrize("persona", READERS)
def test_every_member_reads_the_pages(client, personas, alert, persona):
    login(client, getattr(personas, persona))
    for url in pages(alert):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "escalation_rate" in response.content.decode()


def test_other_organizations_get_404_and_anonymous_logs_in(client, personas, alert):
    for url in pages(alert):
        assert client.get(url).status_code == 302
    review = alert.review
    decide = reverse("metrics:review_decide", args=["eu-chat", review.pk])
    assert client.post(decide, {"decision": "continue", "reason": "x"}).status_code == 302
    login(client, personas.outsider)
    for url in pages(alert):
        assert client.get(url).status_code == 404
    detail = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    assert client.post(detail, {"action": "acknowledge"}).status_code == 404
    assert client.post(decide, {"decision": "continue", "reason": "x"}).status_code == 404
    # Their own operation's URL with our alert's id is not a way in either.
    other = reverse("metrics:alert_detail", args=["rival-chat", alert.pk])
    assert client.get(other).status_code == 404


@pytest.mark.parametrize("persona", DECIDERS)
def test_owners_acknowledge_snooze_and_resolve(client, personas, alert, persona):
    login(client, getattr(personas, persona))
    url = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    assert client.post(url, {"action": "acknowledge", "note": "looking"}).status_code == 302
    until = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(url, {"action": "snooze", "note": "vendor fix", "until": until})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.state, alert.snooze_reason) == ("snoozed", "vendor fix")
    client.post(url, {"action": "resolve", "note": "fixed"})
    alert.refresh_from_db()
    assert alert.state == "resolved"
    events = list(alert.events.values_list("from_state", "to_state", "actor__username"))
    user = getattr(personas, persona).username
    assert events == [
        ("", "open", None),
        ("open", "acknowledged", user),
        ("acknowledged", "snoozed", user),
        ("snoozed", "resolved", user),
    ]
    page = client.get(url).content.decode()
    assert "vendor fix" in page and "snoozed → resolved" in page


def test_a_snooze_needs_a_reason_and_an_expiry(client, personas, alert):
    login(client, personas.facilitator)
    url = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    response = client.post(url, {"action": "snooze", "note": ""})
    assert response.status_code == 400
    assert "needs a reason and an expiry" in response.content.decode()
    alert.refresh_from_db()
    assert alert.state == "open"


def test_htmx_action_returns_the_fragment(client, personas, alert):
    login(client, personas.member)
    url = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    response = client.post(url, {"action": "acknowledge"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="alert-state">')
    assert 'data-state="acknowledged"' in body


@pytest.mark.parametrize("persona", REFUSED)
def test_others_cannot_act_or_decide(client, personas, alert, persona):
    login(client, getattr(personas, persona))
    url = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    assert client.post(url, {"action": "acknowledge"}).status_code == 403
    decide = reverse("metrics:review_decide", args=["eu-chat", alert.review.pk])
    assert client.post(decide, {"decision": "continue", "reason": "fine"}).status_code == 403
    alert.refresh_from_db()
    assert alert.state == "open" and not Review.objects.get(alert=alert).decision
    assert "Acknowledge</button>" not in client.get(url).content.decode()


def test_decide_continue_and_pause(client, personas):
    first = make_alert(personas.operation)
    second = make_alert(personas.operation, indicator="fcr_simple", owner="cx")
    login(client, personas.member)
    url = reverse("metrics:review_decide", args=["eu-chat", first.review.pk])
    response = client.post(url, {"decision": "continue", "reason": "seasonal dip"})
    assert response.status_code == 302
    review = Review.objects.get(pk=first.review.pk)
    assert (review.decision, review.decided_by, review.reason) == (
        "continue",
        personas.member,
        "seasonal dip",
    )
    # The cx lead owns the fcr review; pausing needs a segment.
    client.logout()
    login(client, personas.cx_lead)
    url = reverse("metrics:review_decide", args=["eu-chat", second.review.pk])
    client.post(url, {"decision": "pause", "reason": "too many repeats"})
    assert not Review.objects.get(pk=second.review.pk).decision
    client.post(url, {"decision": "pause", "pause_segment": "complex", "reason": "repeats"})
    review = Review.objects.get(pk=second.review.pk)
    assert (review.decision, review.pause_segment) == ("pause", "complex")
    # Decided once is decided: a second decision is a conflict, nothing changes.
    response = client.post(url, {"decision": "continue", "reason": "changed my mind"})
    assert response.status_code == 409
    assert Review.objects.get(pk=second.review.pk).decision == "pause"


def test_decide_adjust_opens_a_criteria_draft(client, personas, alert):
    from tests.criteria.signing import agree

    agreed = agree(personas)
    login(client, personas.facilitator)
    url = reverse("metrics:review_decide", args=["eu-chat", alert.review.pk])
    response = client.post(url, {"decision": "adjust", "reason": "the floor is too high"})
    assert response.status_code == 302
    review = Review.objects.get(pk=alert.review.pk)
    assert review.draft_version.status == CriteriaVersion.Status.DRAFT
    assert review.draft_version.number == agreed.number + 1
    page = client.get(reverse("metrics:review_list", args=["eu-chat"])).content.decode()
    assert f"draft v{review.draft_version.number}" in page


def test_overdue_reviews_are_flagged(client, personas):
    late = make_alert(personas.operation, opened_on=date.today() - timedelta(days=10))
    make_alert(personas.operation, indicator="fcr_complex", opened_on=date.today(), owner="cx")
    login(client, personas.viewer)
    body = client.get(reverse("metrics:review_list", args=["eu-chat"])).content.decode()
    assert body.count("data-overdue") == 1
    row = body[body.index(f'data-review="{late.review.pk}"') :]
    assert "overdue" in row[: row.index("</tr>")]


def test_alert_list_queries_do_not_grow_with_alerts(
    client, personas, django_assert_max_num_queries
):
    login(client, personas.viewer)
    url = reverse("metrics:alert_list", args=["eu-chat"])
    for i in range(3):
        make_alert(
            personas.operation, opened_on=date(2026, 1, 1) + timedelta(days=i), state="resolved"
        )
    make_alert(personas.operation, indicator="fcr_simple", owner="cx")
    client.get(url)
    cache.clear()  # compare two first views: the tables are drawn once, then cached
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(30):
        make_alert(
            personas.operation,
            opened_on=date(2025, 1, 1) + timedelta(days=i * 10),
            state="resolved",
        )
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert Alert.objects.count() == 34 and AlertEvent.objects.count() == 34


def test_htmx_snooze_error_comes_back_in_the_fragment(client, personas, alert):
    login(client, personas.facilitator)
    url = reverse("metrics:alert_detail", args=["eu-chat", alert.pk])
    response = client.post(url, {"action": "snooze"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "needs a reason and an expiry" in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_history_pages_swap_as_a_fragment_under_htmx(client, personas):
    for i in range(30):
        make_alert(
            personas.operation, opened_on=date(2025, 1, 1) + timedelta(days=i), state="resolved"
        )
    login(client, personas.viewer)
    url = reverse("metrics:alert_list", args=["eu-chat"])
    page = client.get(url).content.decode()
    assert "Page 1 of 2" in page and "<html" in page
    fragment = client.get(url + "?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="alert-tables">')
    assert "Page 2 of 2" in fragment and "<html" not in fragment
