"""The review queue by keyboard alone in real Chromium: score, save-and-next, help, skip."""

import pytest
from django.urls import reverse

from sampling.models import ReviewItem
from sampling.services import sample_draw
from tests.criteria.test_browser import browser, open_as  # noqa: F401 - the shared fixture
from tests.sampling.factories import WEEK, plan_set, week_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def keys_ready(page) -> None:
    """The review page has loaded and its keyboard script is listening."""
    page.wait_for_selector("#rubric-form")
    # Selectors and URL predicates, not wait_for_function: CSP forbids evaluating strings.
    page.wait_for_selector("html[data-review-keys=ready]", state="attached")


def test_score_and_save_and_next_without_a_mouse(browser, live_server, personas):  # noqa: F811
    op = personas.operation
    plan_set(op, per_week=3)
    week_make(op, 10)
    sample_draw(operation=op, week=WEEK, double_share=0)
    page = open_as(browser, live_server, "senior_reviewer")
    page.goto(live_server.url + reverse("sampling:queue", args=[op.slug]))

    # "Next item" has the focus: Enter takes the first item.
    page.wait_for_selector(":focus:has-text('Next item')")
    page.keyboard.press("Enter")
    keys_ready(page)
    first = ReviewItem.objects.get(assigned_to=personas.reviewer)
    assert page.url.endswith(reverse("sampling:item", args=[op.slug, first.pk]))
    assert page.locator(".turn.role-customer").count() >= 1
    assert page.locator(".turn.role-ai").count() >= 1

    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#keys-help").is_visible()

    page.keyboard.press("3")  # missed handoff
    page.keyboard.press("n")  # not acceptable
    page.keyboard.press("u")  # understood: yes
    page.keyboard.press("c")  # compliance concern
    assert page.locator('input[name="handoff_verdict"][value="missed_handoff"]').is_checked()
    page.keyboard.press("Enter")  # save and next
    page.wait_for_url(lambda url: not url.endswith(f"/items/{first.pk}/"))
    keys_ready(page)

    first.refresh_from_db()
    score = first.score
    assert (first.status, score.verdict, score.acceptable) == ("done", "missed_handoff", False)
    assert (score.understood, score.compliance_flag, score.critical_failed) == (True, True, False)
    second = ReviewItem.objects.get(assigned_to=personas.reviewer, status="reserved")
    assert page.url.endswith(reverse("sampling:item", args=[op.slug, second.pk]))

    # Skip with a reason, still by keyboard: "s" focuses the reason, Enter sends it.
    page.keyboard.press("s")
    page.keyboard.type("transcript is in Finnish")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith(f"/items/{second.pk}/"))
    second.refresh_from_db()
    assert (second.status, second.skip_reason) == ("skipped", "transcript is in Finnish")
