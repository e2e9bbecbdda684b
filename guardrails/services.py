"""Pauses and resumes (from a review, an emergency stop or the command line), and the
read-only OFREP keys. Every change is audited and announced as a `guardrail.changed` event
in the same transaction."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.errors import Conflict, PermissionDenied, StoplineError
from accounts.models import Membership
from criteria.models import Operation
from criteria.services import audit_record
from guardrails.access import membership_can_stop, owning_departments
from guardrails.flags import flags_evaluate
from guardrails.models import KEY_PREFIX, FlagKey, Pause, Segment, key_digest
from outbox.models import EventType
from outbox.services import event_emit

SEGMENTS = tuple(Segment.values)


def _actor_name(actor: AbstractBaseUser | None, membership: Membership | None) -> str:
    if membership is not None:
        return membership.display_name
    if actor is not None:
        return actor.get_full_name() or actor.get_username()
    return "command line"


def _check(segment: str, reason: str) -> str:
    if segment not in SEGMENTS:
        raise StoplineError(
            "Say which segment: all, simple or complex.", fields={"segment": "invalid"}
        )
    reason = reason.strip()
    if not reason:
        raise StoplineError("Say why.", fields={"reason": "required"})
    return reason


def _announce(operation: Operation, *, pause: Pause, paused: bool, text: str) -> None:
    flags = flags_evaluate(operation)
    url = settings.SITE_URL.rstrip("/") + reverse("guardrails:state", args=[operation.slug])
    data: dict[str, Any] = {
        "segment": pause.segment,
        "paused": paused,
        "source": pause.source,
        "review_id": pause.review_id,
        "reason": pause.reason if paused else pause.end_reason,
        "by": pause.started_by_name if paused else pause.ended_by_name,
        "flags": {key: flag.value for key, flag in flags.items()},
        "url": url,
    }
    event_emit(
        operation=operation,
        type=EventType.GUARDRAIL_CHANGED,
        data=data,
        text=f"{text} {url}",
        subject=text.split(", by ")[0][:200],
        emails=_deciders_emails(operation),
    )


def _deciders_emails(operation: Operation) -> list[str]:
    """Who hears of a stop or resume by e-mail: the facilitators and the signatories of the
    departments that own a trigger (the people who may stop or resume)."""
    owners = [d.pk for d in owning_departments(operation)]
    return sorted(
        set(
            Membership.objects.filter(organization_id=operation.organization_id)
            .filter(
                Q(role=Membership.Role.FACILITATOR)
                | Q(is_signatory=True, role=Membership.Role.MEMBER, department_id__in=owners)
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def pause_start(
    *,
    operation: Operation,
    segment: str,
    reason: str,
    source: str,
    membership: Membership | None = None,
    actor: AbstractBaseUser | None = None,
    review_id: int | None = None,
) -> tuple[Pause, bool]:
    """Pause the AI for a segment. Returns (the standing pause, whether this call made it):
    a pause that stands already is kept as it is (its start and reason are the record)."""
    reason = _check(segment, reason)
    if source not in Pause.Source.values:
        raise StoplineError(f"Unknown source {source!r}.")
    if membership is not None:
        actor = membership.user
        if source != Pause.Source.REVIEW and not membership_can_stop(membership, operation):
            raise PermissionDenied(
                "Only the facilitator or a signatory of a department that owns a trigger can "
                "stop the AI."
            )
    with transaction.atomic():
        Operation.objects.select_for_update().filter(pk=operation.pk).first()
        standing = Pause.objects.filter(
            operation=operation, segment=segment, ended_at__isnull=True
        ).first()
        if standing is not None:
            return standing, False
        name = _actor_name(actor, membership)
        pause = Pause.objects.create(
            operation=operation,
            segment=segment,
            source=source,
            review_id=review_id,
            reason=reason,
            started_by=actor,
            started_by_name=name,
            started_at=timezone.now(),
        )
        label = Segment(segment).label.lower()
        audit_record(
            operation=operation,
            actor=actor,
            action="guardrail_paused",
            summary=f"AI paused for {label} ({pause.get_source_display().lower()}): {reason}",
            detail={"segment": segment, "source": source, "review": review_id, "pause": pause.pk},
        )
        _announce(
            operation,
            pause=pause,
            paused=True,
            text=f"{operation.title}: the AI is paused for {label}, by {name}: {reason}.",
        )
    return pause, True


def pause_end(
    *,
    operation: Operation,
    segment: str,
    reason: str,
    membership: Membership | None = None,
    actor: AbstractBaseUser | None = None,
) -> list[Pause]:
    """Resume the AI for a segment: the only way a pause ends. Resuming "all" ends every
    standing pause of the operation; a segment's resume ends that segment's pause."""
    reason = _check(segment, reason)
    if membership is not None:
        actor = membership.user
        if not membership_can_stop(membership, operation):
            raise PermissionDenied(
                "Only the facilitator or a signatory of a department that owns a trigger can "
                "resume the AI."
            )
    with transaction.atomic():
        Operation.objects.select_for_update().filter(pk=operation.pk).first()
        standing = Pause.objects.filter(operation=operation, ended_at__isnull=True)
        if segment != Segment.ALL:
            if (
                standing.filter(segment=Segment.ALL).exists()
                and not standing.filter(segment=segment).exists()
            ):
                raise Conflict(
                    "The AI is paused for all conversations: resume all, then pause the other "
                    "segment if it should stay stopped."
                )
            standing = standing.filter(segment=segment)
        pauses = list(standing)
        if not pauses:
            raise Conflict(f"No pause stands for {Segment(segment).label.lower()}.")
        name = _actor_name(actor, membership)
        now = timezone.now()
        for pause in pauses:
            pause.ended_at, pause.ended_by, pause.ended_by_name = now, actor, name
            pause.end_reason = reason
            pause.save(update_fields=["ended_at", "ended_by", "ended_by_name", "end_reason"])
        label = Segment(segment).label.lower()
        audit_record(
            operation=operation,
            actor=actor,
            action="guardrail_resumed",
            summary=f"AI resumed for {label}: {reason}",
            detail={"segment": segment, "pauses": [p.pk for p in pauses]},
        )
        _announce(
            operation,
            pause=pauses[0],
            paused=False,
            text=f"{operation.title}: the AI is resumed for {label}, by {name}: {reason}.",
        )
    return pauses


def flag_key_create(
    *, operation: Operation, name: str, actor: AbstractBaseUser | None
) -> tuple[FlagKey, str]:
    """A new read-only key. Returns the row and the key itself, which is not stored and
    cannot be shown again."""
    name = name.strip() or "OFREP key"
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = FlagKey.objects.create(
            operation=operation,
            name=name[:100],
            digest=key_digest(token),
            hint=token[:10],
            created_by=actor,
        )
        audit_record(
            operation=operation,
            actor=actor,
            action="flag_key_created",
            summary=f"OFREP key “{key.name}” ({key.hint}…) created",
            detail={"key": key.pk},
        )
    return key, token


def flag_key_revoke(*, key: FlagKey, actor: AbstractBaseUser | None) -> FlagKey:
    with transaction.atomic():
        updated = FlagKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if not updated:
            raise Conflict("This key is revoked already.")
        audit_record(
            operation=key.operation,
            actor=actor,
            action="flag_key_revoked",
            summary=f"OFREP key “{key.name}” ({key.hint}…) revoked",
            detail={"key": key.pk},
        )
    key.refresh_from_db()
    return key


def flag_key_authenticate(token: str) -> FlagKey | None:
    """The active key for `token`, or None. Marks it used (at most once a minute)."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    key = (
        FlagKey.objects.select_related("operation")
        .filter(digest=key_digest(token), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        FlagKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
