"""The weekly digest: all three indicators, sent once per week, with both parts."""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership
from metrics.alerts.digest import weekly_digest_send
from metrics.ingest.review_scores import weekly_review_score_record
from metrics.models import WeeklyDigest
from metrics.tasks import weekly_digest_all
from tests.criteria.signing import agree
from tests.metrics.drift_data import add_days

WEEK = date(2026, 11, 23)  # a Monday

# E-mail goes through the outbox after commit, delivered by (eager) tasks.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def live(personas):
    agree(personas)
    # Escalation collapses to 2 % (range 8-25 %); FCR fine; review score weekly.
    add_days(personas.operation, WEEK, 7, escalation=0.02, fcr=0.9)
    weekly_review_score_record(
        operation=personas.operation,
        week_start=WEEK,
        segment="all",
        reviewed=50,
        acceptable=(0.86, 0.75, 0.93),
        missed_handoff=None,
    )
    return personas


def test_digest_has_all_three_indicators_and_both_parts(live):
    digest = weekly_digest_send(operation=live.operation, week_start=WEEK)
    assert digest is not None and digest.status == "sent"
    recipients = {m.to[0] for m in mail.outbox}
    assert "legal_lead@example.com" in recipients and len(mail.outbox) == digest.recipients
    message = mail.outbox[0]
    assert "2026-W48" in message.subject and "1 out of range" in message.subject
    text = message.body
    for label in (
        "Human-escalation rate",
        "simple cases",
        "complex cases",
        "Qualitative review score",
    ):
        assert label in text
    assert "OUT OF RANGE (below)" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Out of range (below)" in html
    assert "/accounts/preferences/" in text


def test_digest_is_sent_once_per_week(live):
    assert weekly_digest_send(operation=live.operation, week_start=WEEK) is not None
    sent = len(mail.outbox)
    # Any day of the same week, the beat again, or the command: nothing more is sent.
    assert weekly_digest_send(operation=live.operation, week_start=date(2026, 11, 26)) is None
    weekly_digest_all(WEEK.isoformat())
    out = StringIO()
    call_command("send_digest", live.operation.slug, "--week", "2026-W48", stdout=out)
    assert "already sent" in out.getvalue()
    assert len(mail.outbox) == sent
    assert WeeklyDigest.objects.filter(operation=live.operation).count() == 1


def test_no_data_is_said_plainly(personas):
    agree(personas)
    weekly_digest_send(operation=personas.operation, week_start=WEEK)
    text = mail.outbox[0].body
    assert text.count("NO DATA") == 4
    assert "missing data is not good news" in text


def test_opted_out_members_get_nothing(live):
    Membership.objects.filter(user=live.legal_lead).update(weekly_digest=False)
    weekly_digest_send(operation=live.operation, week_start=WEEK)
    recipients = {m.to[0] for m in mail.outbox}
    assert "legal_lead@example.com" not in recipients
    assert "cx_lead@example.com" in recipients
    assert "outsider@example.com" not in recipients  # another organization


def test_no_agreed_criteria_means_no_digest(personas):
    assert weekly_digest_send(operation=personas.operation, week_start=WEEK) is None
    assert mail.outbox == [] and not WeeklyDigest.objects.exists()


def test_a_mail_server_down_is_retried_by_the_outbox_and_nobody_gets_it_twice(live, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from outbox.models import Delivery
    from outbox.services import outbox_sweep

    original = EmailBackend.send_messages
    down = {"on": True}

    def flaky(self, messages):
        if down["on"]:
            raise ConnectionError("smtp down")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    digest = weekly_digest_send(operation=live.operation, week_start=WEEK)
    assert digest is not None and mail.outbox == []
    deliveries = Delivery.objects.filter(event__type="digest.weekly")
    assert set(deliveries.values_list("status", flat=True)) == {"pending"}
    assert deliveries.count() == digest.recipients
    assert "smtp down" in deliveries.first().last_response
    assert weekly_digest_send(operation=live.operation, week_start=WEEK) is None

    down["on"] = False
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        outbox_sweep()
    assert len(mail.outbox) == digest.recipients
    assert len({m.to[0] for m in mail.outbox}) == digest.recipients
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        outbox_sweep()
    assert len(mail.outbox) == digest.recipients
    assert WeeklyDigest.objects.get().status == "sent"


def test_bad_week_argument_is_a_clear_error(live):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-Www"):
        call_command("send_digest", live.operation.slug, "--week", "48")
