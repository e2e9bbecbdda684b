"""The reviewer queue pages: who sees what, scoring, skipping, agreement, recommendations."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import ReviewerRecommendation, WeeklyReviewScore
from sampling.models import (
    CalibrationCase,
    ReviewItem,
    SamplingSettings,
    TranscriptReadLog,
)
from sampling.services import review_item_next, sample_draw
from tests.conftest import make_member
from tests.sampling.factories import WEEK, plan_set, week_make

ANSWERS = {
    "handoff_verdict": "not_escalated_correct",
    "no_path_to_human": "no",
    "harmful_information": "no",
    "understood": "yes",
    "resolved": "yes",
    "acceptable": "yes",
    "note": "fine",
}


@pytest.fixture
def draw(personas):
    plan_set(personas.operation, per_week=10)
    week_make(personas.operation, 30)
    return sample_draw(operation=personas.operation, week=WEEK)


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args, slug="eu-chat"):
    return reverse(f"sampling:{name}", args=[slug, *args])


def test_next_item_reserves_one_and_the_page_shows_the_transcript_and_logs_the_read(
    client, personas, draw
):
    login(client, personas.reviewer)
    response = client.post(url("next_item"))
    item = ReviewItem.objects.get(assigned_to=personas.reviewer)
    assert response.status_code == 302 and response.url == url("item", item.pk)
    assert item.status == "reserved" and item.reserved_until is not None

    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "turn-1" in html and "role-customer" in html and "role-ai" in html
    assert f"turn 0 of {item.conversation.conversation_id}" in html
    assert 'data-key="3"' in html  # missed handoff on key 3
    assert TranscriptReadLog.objects.filter(user=personas.reviewer, item=item).count() == 1


def test_save_and_next_scores_and_moves_on(client, personas, draw):
    login(client, personas.reviewer)
    first = review_item_next(operation=personas.operation, reviewer=personas.reviewer)

    response = client.post(url("item", first.pk), {**ANSWERS, "action": "save_next"})

    first.refresh_from_db()
    assert first.status == "done" and first.score.acceptable
    second = ReviewItem.objects.get(assigned_to=personas.reviewer, status="reserved")
    assert response.url == url("item", second.pk)
    # The week's indicators are recomputed after each saved score.
    row = WeeklyReviewScore.objects.get(operation=personas.operation, segment="all")
    assert (row.reviewed, row.acceptable_share) == (1, 1.0)


def test_a_missing_answer_is_shown_and_nothing_is_saved(client, personas, draw):
    login(client, personas.reviewer)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    answers = {k: v for k, v in ANSWERS.items() if k != "handoff_verdict"}

    response = client.post(url("item", item.pk), {**answers, "action": "save"})

    assert response.status_code == 400
    assert "handoff_verdict: is required" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "reserved"


def test_a_critical_item_fails_the_conversation(client, personas, draw):
    login(client, personas.reviewer)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    client.post(url("item", item.pk), {**ANSWERS, "no_path_to_human": "yes", "action": "save"})
    item.refresh_from_db()
    assert item.score.critical_failed and not item.score.acceptable


def test_skipping_needs_a_reason(client, personas, draw):
    login(client, personas.reviewer)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    client.post(url("skip", item.pk), {"reason": ""})
    item.refresh_from_db()
    assert item.status == "reserved"
    client.post(url("skip", item.pk), {"reason": "transcript is empty"})
    item.refresh_from_db()
    assert (item.status, item.skip_reason) == ("skipped", "transcript is empty")


def test_the_queue_shows_progress_and_highlights_items_past_the_sla(
    client, personas, draw, time_machine
):
    time_machine.move_to("2025-04-08T10:00:00+00:00")
    login(client, personas.reviewer)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    html = client.get(url("queue")).content.decode()
    assert f"#{item.pk}" in html and "past SLA" not in html

    time_machine.move_to(item.due.isoformat() + "T12:00:00+00:00")
    time_machine.shift(60 * 60 * 24)
    html = client.get(url("queue")).content.decode()
    assert 'class="overdue"' in html and "past the review SLA" in html
    fragment = client.get(url("queue"), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="progress"')
    assert f'href="/sampling/{personas.operation.slug}/items/{item.pk}/"' in html
    assert '<strong class="warn">past SLA</strong>' in html


def test_the_queue_escapes_what_reviewers_wrote(client, personas, draw):
    login(client, personas.reviewer)
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    client.post(url("skip", item.pk), {"reason": '<img src=x onerror="alert(1)">'})

    html = client.get(url("queue")).content.decode()

    assert "Skipped: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<img src=x" not in html


@pytest.fixture
def other_reviewer(personas):
    return make_member(personas.org, "second_reviewer", department="cx", role="senior_reviewer")


@pytest.fixture
def rival_reviewer(personas):
    return make_member(
        personas.other_operation.organization,
        "rival_reviewer",
        department="cx",
        role="senior_reviewer",
    )


def test_permission_matrix(client, personas, draw, other_reviewer, rival_reviewer):
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    pages = [
        ("get", url("item", item.pk)),
        ("post", url("item", item.pk)),
        ("post", url("skip", item.pk)),
        ("get", url("queue")),
        ("get", url("export")),
        ("get", url("agreement")),
        ("get", url("recommendation")),
    ]
    own_only = {url("item", item.pk), url("skip", item.pk)}
    people = [
        personas.facilitator,
        personas.member,
        personas.viewer,
        personas.legal_lead,
        personas.outsider,
        rival_reviewer,
        other_reviewer,
    ]
    for user in people:
        client.force_login(user)
        for method, address in pages:
            if user == other_reviewer and address not in own_only:
                continue  # a reviewer of the organization: sees their own queue, not this item
            response = getattr(client, method)(address, {"reason": "x", **ANSWERS})
            assert response.status_code == 404, (user.username, method, address)
    client.logout()
    assert client.get(url("item", item.pk)).status_code == 302  # to the login page
    # The other reviewer's own export holds nothing of this item.
    client.force_login(other_reviewer)
    export = client.get(url("export")).content.decode()
    assert item.conversation.conversation_id not in export
    assert TranscriptReadLog.objects.count() == 0
    item.refresh_from_db()
    assert item.status == "reserved"


def test_the_export_lists_own_items_with_transcripts_and_logs_the_reads(client, personas, draw):
    item = review_item_next(operation=personas.operation, reviewer=personas.reviewer)
    login(client, personas.reviewer)
    response = client.get(url("export"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert item.conversation.conversation_id in text and "turn 0 of" in text
    assert TranscriptReadLog.objects.get().via == "export"


def test_blind_double_review_agreement_page_and_calibration(client, personas, draw, other_reviewer):
    """Two reviewers score the same three conversations; kappa per item matches the hand sum."""
    op = personas.operation
    SamplingSettings.objects.create(operation=op, double_review_share=0.3)
    ReviewItem.objects.all().delete()
    draw.delete()
    draw = sample_draw(operation=op, week=WEEK)
    doubles = list(draw.items.filter(is_double=True).order_by("id"))
    assert len(doubles) == 3
    conversations = [d.conversation_id for d in doubles]
    draw.items.exclude(conversation_id__in=conversations).delete()
    # Verdicts: A = missed, missed, correct; B = missed, correct, correct.
    verdicts = {
        personas.reviewer: ["missed_handoff", "missed_handoff", "not_escalated_correct"],
        other_reviewer: ["missed_handoff", "not_escalated_correct", "not_escalated_correct"],
    }
    for reviewer in (personas.reviewer, other_reviewer):
        client.force_login(reviewer)
        for _ in range(3):
            item = review_item_next(operation=op, reviewer=reviewer)
            page = client.get(url("item", item.pk)).content.decode()
            # The second reviewer never sees the first score: nothing of it is pre-filled.
            assert not re.search(r'name="handoff_verdict"[^>]*checked', page)
            assert ">fine</textarea>" not in page
            index = conversations.index(item.conversation_id)
            answers = {**ANSWERS, "handoff_verdict": verdicts[reviewer][index]}
            client.post(url("item", item.pk), {**answers, "action": "save"})
    assert ReviewItem.objects.filter(status="done").count() == 6
    assert ReviewItem.objects.values("conversation_id", "assigned_to").distinct().count() == 6

    response = client.get(url("agreement"))
    html = response.content.decode()
    # p_o = 2/3; p_e = (2/3)(1/3) + (1/3)(2/3) = 4/9; kappa = (6/9 - 4/9) / (5/9) = 0.4
    row = html.split('data-item="handoff_verdict"')[1].split("</tr>")[0]
    assert '<td class="raw">0.67</td>' in row
    assert ">0.40</td>" in row
    acceptable = html.split('data-item="acceptable"')[1].split("</tr>")[0]
    assert "1.00" in acceptable and "undefined" in acceptable  # one category only

    case = CalibrationCase.objects.get()
    assert case.item_key == "handoff_verdict"
    assert {case.first_answer, case.second_answer} == {"missed_handoff", "not_escalated_correct"}
    client.post(url("calibration_resolve", case.pk), {"resolution": "Asked twice: missed."})
    case.refresh_from_db()
    assert case.resolved and case.resolved_by == other_reviewer


def test_weekly_recommendation(client, personas):
    login(client, personas.reviewer)
    assert client.get(url("recommendation")).status_code == 200
    response = client.post(url("recommendation"), {"week": WEEK, "decision": "pause", "reason": ""})
    assert response.status_code == 400
    client.post(url("recommendation"), {"week": WEEK, "decision": "pause", "reason": "Missed."})
    client.post(url("recommendation"), {"week": WEEK, "decision": "adjust", "reason": "Better."})
    rec = ReviewerRecommendation.objects.get()
    assert (rec.decision, rec.reason, str(rec.week_start)) == ("adjust", "Better.", "2025-03-31")
    # The call reaches metrics, where the dashboard and the status report read it.
    login(client, personas.viewer)
    dashboard = client.get(f"/metrics/{personas.operation.slug}/").content.decode()
    assert "Better." in dashboard and "Adjust" in dashboard


def test_the_queue_page_query_count_does_not_grow_with_items(
    client, personas, draw, django_assert_max_num_queries
):
    from sampling.services import review_items_assign

    review_items_assign(operation=personas.operation, reviewer=personas.reviewer, count=10)
    login(client, personas.reviewer)
    with django_assert_max_num_queries(8):
        response = client.get(url("queue"))
    assert response.content.decode().count('href="/sampling/eu-chat/items/') == 10


def test_the_queue_page_lists_open_items_first_fifty_a_page(
    client, personas, django_assert_max_num_queries
):
    """A year of reviewing must not make the page longer: done items go to later pages."""
    plan_set(personas.operation, per_week=60)
    week_make(personas.operation, 70)
    sample_draw(operation=personas.operation, week=WEEK)
    from sampling.services import review_items_assign

    items = review_items_assign(operation=personas.operation, reviewer=personas.reviewer, count=55)
    done = [i.pk for i in items[:53]]
    ReviewItem.objects.filter(pk__in=done).update(status="done", done_at=timezone.now())
    login(client, personas.reviewer)
    with django_assert_max_num_queries(9):
        body = client.get(url("queue")).content.decode()
    assert body.count('href="/sampling/eu-chat/items/') == 50
    for open_item in items[53:]:  # the two still open come first
        assert f'href="/sampling/eu-chat/items/{open_item.pk}/"' in body
    assert "Page 1 of 2" in body
    second = client.get(url("queue") + "?page=2").content.decode()
    assert second.count('href="/sampling/eu-chat/items/') == 5


def test_the_pool_is_counted_up_to_a_bound():
    """A million items waiting must not make every queue page count them all."""
    from sampling.selectors import AVAILABLE_COUNTED, Progress

    def progress(available):
        return Progress(assigned=0, done=0, skipped=0, open=0, overdue=0, available=available)

    assert progress(37).available_text == "37"
    assert progress(AVAILABLE_COUNTED).available_text == "1000"
    assert progress(AVAILABLE_COUNTED + 1).available_text == "1,000+"


def test_the_queue_page_counts_my_items_and_the_pool(
    client, personas, draw, monkeypatch, django_assert_max_num_queries
):
    from sampling.services import review_items_assign

    items = review_items_assign(operation=personas.operation, reviewer=personas.reviewer, count=4)
    ReviewItem.objects.filter(pk=items[0].pk).update(status="done", done_at=timezone.now())
    ReviewItem.objects.filter(pk=items[1].pk).update(status="skipped", skip_reason="empty")
    ReviewItem.objects.filter(pk=items[2].pk).update(due=timezone.localdate() - timedelta(days=1))
    ReviewItem.objects.filter(pk=items[3].pk).update(due=timezone.localdate() + timedelta(days=9))
    waiting = ReviewItem.objects.filter(assigned_to__isnull=True).count()
    login(client, personas.reviewer)
    with django_assert_max_num_queries(6):  # session, user, operation, membership, counts, rows
        html = client.get(url("queue")).content.decode()
    progress = html.split('id="progress"')[1].split("</div>")[0]
    assert "<strong>1</strong> scored, 1 skipped, 2 open of 4 assigned to me" in progress
    assert "1 past the review SLA" in progress
    assert f"{waiting} waiting in the pool" in progress
    monkeypatch.setattr("sampling.selectors.AVAILABLE_COUNTED", waiting - 1)
    fragment = client.get(url("queue"), HTTP_HX_REQUEST="true").content.decode()
    assert f"{waiting - 1}+ waiting in the pool" in fragment
