"""What people do with alerts and reviews: acknowledge, snooze, resolve, decide."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, PermissionDenied, StoplineError
from accounts.models import Membership
from accounts.redaction import redact_note
from config.freshness import operation_changed
from criteria.models import indicator_label
from criteria.services import audit_record, draft_ensure
from guardrails.models import Pause
from guardrails.services import pause_start
from metrics.access import membership_can_act_on
from metrics.alerts.notifications import alert_resolved_emit, review_decided_emit
from metrics.models import Alert, AlertEvent, Review

ACTIONS = {
    "acknowledge": Alert.State.ACKNOWLEDGED,
    "snooze": Alert.State.SNOOZED,
    "resolve": Alert.State.RESOLVED,
}
SEGMENTS = ("all", "simple", "complex")


def _require(membership: Membership, alert: Alert) -> None:
    if not membership_can_act_on(membership, alert):
        raise PermissionDenied(
            "Only the facilitator or members of the owning department can act on this alert."
        )


def alert_act(
    *,
    alert: Alert,
    membership: Membership,
    action: str,
    note: str = "",
    snooze_until: date | None = None,
) -> Alert:
    """Acknowledge, snooze (a reason and an expiry in the future) or resolve an alert."""
    _require(membership, alert)
    if action not in ACTIONS:
        raise StoplineError(f"Unknown action {action!r}.", fields={"action": "unknown"})
    to_state = ACTIONS[action]
    note = redact_note(note.strip())
    today = timezone.localdate()
    if to_state == Alert.State.ACKNOWLEDGED and alert.is_warning and not note:
        raise StoplineError(
            "Say why the warning can be acknowledged.", fields={"reason": "required"}
        )
    if to_state == Alert.State.SNOOZED:
        problems = {}
        if not note:
            problems["reason"] = "Say why the alert can wait."
        if snooze_until is None or snooze_until <= today:
            problems["until"] = "Give an expiry date after today."
        if problems:
            raise StoplineError("A snooze needs a reason and an expiry date.", fields=problems)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.is_resolved:
            raise Conflict("This alert is resolved already.")
        before = locked.state
        fields = ["state", "updated_at"]
        if to_state == Alert.State.SNOOZED:
            locked.snooze_until, locked.snooze_reason = snooze_until, note
            fields += ["snooze_until", "snooze_reason"]
        if to_state == Alert.State.RESOLVED:
            locked.resolved_on = today
            fields.append("resolved_on")
        locked.state = to_state
        locked.save(update_fields=fields)
        operation_changed(locked.operation_id)
        AlertEvent.objects.create(
            alert=locked, actor=membership.user, from_state=before, to_state=to_state, note=note
        )
        if to_state == Alert.State.RESOLVED:
            locked.operation = alert.operation
            alert_resolved_emit(locked, note or f"resolved by {membership.display_name}")
    alert.state, alert.snooze_until, alert.snooze_reason, alert.resolved_on = (
        locked.state,
        locked.snooze_until,
        locked.snooze_reason,
        locked.resolved_on,
    )
    return alert


def review_decide(
    *,
    review: Review,
    membership: Membership,
    decision: str,
    reason: str,
    pause_segment: str = "",
) -> Review:
    """Record the decision. 'adjust' opens (or reuses) a criteria draft to change the ranges;
    'pause' names the segment the AI stops handling."""
    _require(membership, review.alert)
    reason = redact_note(reason.strip())
    if decision not in Review.Decision.values:
        raise StoplineError("Choose continue, adjust or pause.", fields={"decision": "invalid"})
    if not reason:
        raise StoplineError("Say why.", fields={"reason": "required"})
    if decision == Review.Decision.PAUSE and pause_segment not in SEGMENTS:
        raise StoplineError(
            "Say which segment to pause: all, simple or complex.",
            fields={"pause_segment": "required"},
        )
    operation = review.alert.operation
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.is_decided:
            raise Conflict("This review is decided already.")
        locked.decision = decision
        locked.reason = reason
        locked.pause_segment = pause_segment if decision == Review.Decision.PAUSE else ""
        locked.decided_by = membership.user
        locked.decided_at = timezone.now()
        if decision == Review.Decision.ADJUST:
            locked.draft_version = draft_ensure(operation=operation, actor=membership.user)
        locked.save()
        what = {
            "continue": "continue as agreed",
            "adjust": f"adjust the ranges (draft v{getattr(locked.draft_version, 'number', '')})",
            "pause": f"pause the AI for the {locked.pause_segment} segment",
        }[decision]
        audit_record(
            operation=operation,
            actor=membership.user,
            action="review_decided",
            summary=f"Review of {review.alert.indicator}: {what}",
            detail={"review": locked.pk, "decision": decision, "reason": reason},
        )
        locked.alert = review.alert
        review_decided_emit(locked, membership.display_name)
        if decision == Review.Decision.PAUSE:
            # The decision acts: the guardrail flags turn false for the segment, in this
            # same transaction, until someone resumes explicitly.
            pause_start(
                operation=operation,
                segment=locked.pause_segment,
                reason=f"Review #{locked.pk} of {indicator_label(review.alert.indicator)}: "
                f"{reason}",
                source=Pause.Source.REVIEW,
                membership=membership,
                review_id=locked.pk,
            )
    return locked
