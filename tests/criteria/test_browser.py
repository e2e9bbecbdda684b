"""The whole workshop in real Chromium: five people, one page, four signatures."""

import pytest
from django.urls import reverse

from criteria.models import CriteriaVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # plain synchronous code, so Django's async-safety guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def open_as(browser, live_server, username):
    from tests.conftest import PASSWORD

    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("criteria:operation_list"))
    return page


def test_four_departments_agree_then_an_edit_dismisses_signatures(browser, live_server, personas):
    slug = personas.operation.slug
    board_url = live_server.url + reverse("criteria:board", args=[slug])
    detail_url = live_server.url + reverse("criteria:operation_detail", args=[slug])

    facilitator = open_as(browser, live_server, "facilitator")
    facilitator.goto(board_url)
    assert "Not ready for go-live" in facilitator.inner_text("#signoff")

    positions = {
        "ops_lead": ("8", "22"),
        "legal_lead": ("10", ""),
        "cx_lead": ("8", "25"),
        "finance_lead": ("", "20"),
    }
    leads = {}
    for username, (lo, hi) in positions.items():
        page = open_as(browser, live_server, username)
        page.goto(board_url)
        form = page.locator("#ind-escalation_rate form.position-form")
        form.locator("input[name=min]").fill(lo)
        form.locator("input[name=max]").fill(hi)
        form.locator("textarea[name=rationale]").fill(f"{username} can defend this.")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        leads[username] = page

    # A comment from legal reaches the facilitator's open board without a reload.
    legal = leads["legal_lead"]
    comment = legal.locator("#ind-escalation_rate form.comment-form")
    comment.locator("textarea[name=text]").fill("Disputes must always reach a person.")
    comment.locator("button[type=submit]").click()
    facilitator.wait_for_selector(
        "#live-escalation_rate >> text=Disputes must always reach", timeout=15_000
    )
    # The overlap of 8-22, >=10, 8-25, <=20 is 10-20 %.
    assert "10 %–20 %" in facilitator.inner_text("#live-escalation_rate").replace("\xa0", " ")

    # The facilitator sets the draft to the overlap and proposes it.
    target = facilitator.locator("#ind-escalation_rate form.target-form")
    target.locator("input[name=min]").fill("10")
    target.locator("input[name=max]").fill("20")
    target.locator("button[type=submit]").click()
    facilitator.wait_for_load_state()
    facilitator.click("#propose")
    facilitator.wait_for_selector("text=is proposed for signature")

    for page in leads.values():
        page.goto(board_url)
        page.click("#sign")
        page.wait_for_selector("text=Signed version")

    facilitator.goto(detail_url)
    assert facilitator.inner_text("#readiness") == "Ready for go-live"
    version = CriteriaVersion.objects.get(operation=personas.operation, status="agreed")
    assert version.signatures.count() == 4

    # An edit afterwards opens a new draft with no signatures; version 1 stays in force.
    facilitator.goto(board_url)
    target = facilitator.locator("#ind-fcr_simple form.target-form")
    target.locator("input[name=min]").fill("85")
    target.locator("button[type=submit]").click()
    facilitator.wait_for_selector("text=Draft version")
    signoff = facilitator.inner_text("#signoff")
    assert "Live on version 1" in signoff
    assert "0 of 4 departments signed" in signoff
    assert "do not carry over" in signoff
    facilitator.goto(detail_url)
    assert facilitator.inner_text("#readiness") == "Live on version 1"
    assert "Version 2 is draft: no signatures yet" in facilitator.inner_text("#amendment")
