"""Free-text notes go through the same redaction as transcripts before they are stored."""

from criteria.models import Comment, Position
from criteria.services import comment_add, position_propose
from metrics.alerts.reviews import alert_act, review_decide
from metrics.models import AlertEvent, Review
from tests.criteria.signing import membership
from tests.metrics.alert_data import make_alert

PERSONAL = "mail anna.berg@example.com, card 4111 1111 1111 1111, IBAN DE89370400440532013000"


def assert_redacted(text: str) -> None:
    assert "anna.berg@example.com" not in text and "4111" not in text and "DE89" not in text
    assert "[EMAIL]" in text and "[CARD]" in text and "[IBAN]" in text


def test_comments_and_rationales_are_redacted(personas):
    member = membership(personas.legal_lead, personas.operation)
    comment_add(operation=personas.operation, membership=member, key="fcr_simple", text=PERSONAL)
    position_propose(
        operation=personas.operation,
        membership=member,
        key="fcr_simple",
        range_min="0.8",
        range_max=None,
        rationale=PERSONAL,
    )
    assert_redacted(Comment.objects.get().text)
    assert_redacted(Position.objects.get().rationale)


def test_alert_notes_and_review_reasons_are_redacted(personas):
    alert = make_alert(personas.operation)
    owner = membership(personas.ops_lead, personas.operation)
    alert_act(alert=alert, membership=owner, action="acknowledge", note=PERSONAL)
    assert_redacted(AlertEvent.objects.filter(alert=alert).order_by("-pk").first().note)
    review = Review.objects.get(alert=alert)
    review_decide(review=review, membership=owner, decision="continue", reason=PERSONAL)
    review.refresh_from_db()
    assert_redacted(review.reason)
