"""Every write in the criteria workshop: positions, comments, draft edits, sign-off, import."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.errors import Conflict, PermissionDenied, ReauthRequired, StoplineError
from accounts.models import Department, Membership, Organization
from accounts.redaction import redact_note
from accounts.services import organization_ensure
from config.freshness import operation_changed
from criteria.audit import event_seal
from criteria.models import (
    AuditEvent,
    Comment,
    CriteriaVersion,
    IndicatorKey,
    IndicatorTarget,
    Operation,
    Position,
    Signature,
)
from criteria.validation import check_range, clean_target
from outbox.models import EventType
from outbox.services import event_emit

TARGET_FIELDS = [
    "range_min",
    "range_max",
    "rule",
    "for_days",
    "window_days",
    "action",
    "review_within_days",
    "recipients",
    "sampling_per_week",
    "sampling_complex_share",
]

# The starting point of a new operation's first draft: a sensible page to argue about.
DEFAULT_TARGETS: list[dict[str, Any]] = [
    {
        "key": "escalation_rate",
        "range": {"min": 0.08, "max": 0.25},
        "trigger": {
            "rule": "outside_range",
            "for_days": 3,
            "owner": "operations",
            "review_within_days": 2,
            "action": "Operations and CX review the handoff path.",
        },
    },
    {
        "key": "fcr_simple",
        "range": {"min": 0.80},
        "trigger": {
            "rule": "outside_range",
            "window_days": 7,
            "owner": "cx",
            "review_within_days": 5,
            "action": "CX reviews the top failing topics.",
        },
    },
    {
        "key": "fcr_complex",
        "range": {"min": 0.50},
        "trigger": {
            "rule": "change_detected",
            "owner": "cx",
            "review_within_days": 3,
            "action": "Senior review of 30 complex transcripts.",
        },
    },
    {
        "key": "review_score",
        "range": {"min": 0.80},
        "sampling": {"per_week": 50, "complex_share": 0.6},
        "trigger": {
            "rule": "outside_range",
            "window_days": 14,
            "owner": "legal",
            "review_within_days": 5,
            "action": "Decision meeting: continue, adjust or pause.",
        },
    },
]


def audit_record(
    *,
    operation: Operation,
    actor: AbstractBaseUser | None,
    action: str,
    summary: str,
    version_number: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the organization's hash chain (see criteria.audit)."""
    operation_changed(operation.pk)  # the board and dashboard show what was written
    with transaction.atomic():
        # One writer per organization at a time, so that each event chains to the last one.
        Organization.objects.select_for_update().filter(pk=operation.organization_id).first()
        prev_hash = (
            AuditEvent.objects.filter(organization_id=operation.organization_id)
            .order_by("-id")
            .values_list("event_hash", flat=True)
            .first()
        )
        event = AuditEvent(
            organization_id=operation.organization_id,
            operation=operation,
            version_number=version_number,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            summary=summary[:500],
            detail=detail or {},
            at=timezone.now(),
        )
        event_seal(event, prev_hash or "")
        event.save()
    return event


def operation_archive(*, operation: Operation, actor: AbstractBaseUser | None) -> Operation:
    """Archive an operation: it leaves the lists, its history stays (never deleted)."""
    if operation.archived_at is None:
        operation.archived_at = timezone.now()
        operation.save(update_fields=["archived_at"])
        audit_record(
            operation=operation,
            actor=actor,
            action="operation_archived",
            summary=f"Archived operation {operation.title}",
        )
    return operation


def _departments_by_key(organization: Organization) -> dict[str, Department]:
    return {d.key: d for d in organization.departments.all()}


def _require_facilitator(membership: Membership) -> None:
    if not membership.is_facilitator:
        raise PermissionDenied("Only the workshop facilitator can change the draft.")


def version_latest(operation: Operation) -> CriteriaVersion | None:
    return operation.versions.order_by("-number").first()


def version_in_force(operation: Operation) -> CriteriaVersion | None:
    """The newest agreed version: the one monitoring runs against."""
    return (
        operation.versions.filter(status=CriteriaVersion.Status.AGREED).order_by("-number").first()
    )


def _create_version(
    *,
    operation: Operation,
    actor: AbstractBaseUser | None,
    targets: list[dict[str, Any]],
    note: str = "",
) -> CriteriaVersion:
    number = (operation.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = CriteriaVersion.objects.create(
        operation=operation, number=number, created_by=actor, note=note[:300]
    )
    departments = _departments_by_key(operation.organization)
    IndicatorTarget.objects.bulk_create(
        IndicatorTarget(
            version=version,
            owner=departments[t["owner"]],
            **{k: v for k, v in t.items() if k != "owner"},
        )
        for t in targets
    )
    version.content_hash = version.compute_hash()
    version.save(update_fields=["content_hash"])
    return version


def _target_values(target: IndicatorTarget) -> dict[str, Any]:
    values = {f: getattr(target, f) for f in TARGET_FIELDS}
    values["key"] = target.key
    values["owner"] = target.owner.key
    return values


@transaction.atomic
def operation_create(
    *,
    organization: Organization,
    slug: str,
    title: str,
    timezone_name: str = "UTC",
    go_live: date | None = None,
    channels: list[str] | None = None,
    description: str = "",
    actor: AbstractBaseUser | None = None,
) -> Operation:
    if Operation.objects.filter(slug=slug).exists():
        raise Conflict(
            f"An operation with the slug {slug!r} exists already.", fields={"slug": "taken"}
        )
    operation = Operation.objects.create(
        organization=organization,
        slug=slug,
        title=title,
        timezone=timezone_name,
        go_live=go_live,
        channels=channels or [],
        description=description,
    )
    departments = set(_departments_by_key(organization))
    targets = [
        clean_target(t, prefix=f"indicators[{i}]", departments=departments)
        for i, t in enumerate(DEFAULT_TARGETS)
    ]
    version = _create_version(
        operation=operation, actor=actor, targets=targets, note="Starting draft"
    )
    audit_record(
        operation=operation,
        actor=actor,
        action="operation_created",
        summary=f"Created operation {title}",
        version_number=version.number,
    )
    return operation


def draft_ensure(*, operation: Operation, actor: AbstractBaseUser | None) -> CriteriaVersion:
    """The draft to edit: the latest version if it is a draft, else a copy of the latest."""
    latest = (
        CriteriaVersion.objects.select_for_update()
        .filter(operation=operation)
        .order_by("-number")
        .first()
    )
    if latest is not None and latest.is_draft:
        return latest
    targets = [_target_values(t) for t in latest.targets.select_related("owner")] if latest else []
    version = _create_version(
        operation=operation,
        actor=actor,
        targets=targets,
        note=f"Draft based on version {latest.number}" if latest else "",
    )
    if latest is not None and latest.signatures.exists():
        signed = [s.department.name for s in latest.signatures.select_related("department")]
        audit_record(
            operation=operation,
            actor=actor,
            action="signatures_dismissed",
            version_number=latest.number,
            summary=f"Version {latest.number} reopened as draft {version.number}; signatures "
            f"of {', '.join(signed)} do not carry over",
        )
    return version


@transaction.atomic
def target_set(
    *, operation: Operation, membership: Membership, key: str, values: dict[str, Any]
) -> tuple[CriteriaVersion, bool]:
    """Set the draft's range and trigger for one indicator.

    Returns (version, changed). A save that changes nothing creates no version and dismisses
    no signatures; a real change to a proposed or agreed version opens a new draft.
    """
    _require_facilitator(membership)
    Operation.objects.select_for_update().filter(pk=operation.pk).first()
    departments = set(_departments_by_key(operation.organization))
    latest = version_latest(operation)
    current = {}
    if latest is not None:
        target = latest.targets.select_related("owner").filter(key=key).first()
        current = _target_values(target) if target else {}
    trigger = {
        k: values.get(k, current.get(k))
        for k in (
            "rule",
            "for_days",
            "window_days",
            "owner",
            "review_within_days",
            "action",
            "recipients",
        )
    }
    raw = {
        "key": key,
        "range": {"min": values.get("range_min"), "max": values.get("range_max")},
        "trigger": trigger,
        "sampling": {
            "per_week": values.get("sampling_per_week", current.get("sampling_per_week")),
            "complex_share": values.get(
                "sampling_complex_share", current.get("sampling_complex_share")
            ),
        },
    }
    cleaned = clean_target(raw, prefix=key, departments=departments)
    if current and all(current.get(f) == cleaned.get(f) for f in [*TARGET_FIELDS, "owner"]):
        return latest, False
    version = draft_ensure(operation=operation, actor=membership.user)
    owner = _departments_by_key(operation.organization)[cleaned.pop("owner")]
    cleaned.pop("key")
    IndicatorTarget.objects.update_or_create(
        version=version, key=key, defaults={**cleaned, "owner": owner}
    )
    version.content_hash = version.compute_hash()
    version.save(update_fields=["content_hash"])
    audit_record(
        operation=operation,
        actor=membership.user,
        action="target_set",
        version_number=version.number,
        summary=f"Set {IndicatorKey(key).label} to {version.targets.get(key=key).range_display}",
        detail={
            "key": key,
            "before": _jsonable(current),
            "after": _jsonable({**cleaned, "owner": owner.key}),
        },
    )
    return version, True


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


@transaction.atomic
def version_propose(*, operation: Operation, membership: Membership) -> CriteriaVersion:
    """Freeze the draft: from now on its content cannot change, only be signed."""
    _require_facilitator(membership)
    latest = (
        CriteriaVersion.objects.select_for_update()
        .filter(operation=operation)
        .order_by("-number")
        .first()
    )
    if latest is None or not latest.is_draft:
        raise Conflict("There is no draft to propose; edit a range to start a new draft.")
    keys = set(latest.targets.values_list("key", flat=True))
    missing = [k.label for k in IndicatorKey if k.value not in keys]
    if missing:
        raise StoplineError(f"The draft lacks indicators: {', '.join(missing)}.")
    latest.content_hash = latest.compute_hash()
    latest.status = CriteriaVersion.Status.PROPOSED
    latest.proposed_at = timezone.now()
    latest.save(update_fields=["content_hash", "status", "proposed_at"])
    audit_record(
        operation=operation,
        actor=membership.user,
        action="version_proposed",
        version_number=latest.number,
        summary=f"Proposed version {latest.number} for signature (sha256 {latest.short_hash})",
    )
    return latest


def reauth_needed(session_auth_at: float | None) -> bool:
    if session_auth_at is None:
        return True
    age = timezone.now().timestamp() - session_auth_at
    return age > settings.STOPLINE_SIGN_REAUTH_SECONDS


@transaction.atomic
def version_sign(
    *,
    operation: Operation,
    membership: Membership,
    number: int,
    content_hash: str,
    meaning: str = "",
    printed_name: str = "",
    department_key: str | None = None,
    fresh_login: bool,
    password: str | None = None,
) -> Signature:
    """Sign version `number` for the signer's department.

    The signer states the hash they read; if the version changed or a newer version exists
    in the meantime, nothing is saved and a conflict is raised.
    """
    user = membership.user
    department = membership.department
    if department_key and (department is None or department.key != department_key):
        raise PermissionDenied(f"You cannot sign for the department {department_key!r}.")
    if department is None or not membership.can_sign_for(department):
        raise PermissionDenied("Only the department's signatory can sign for it.")
    if not fresh_login:
        if not password:
            minutes = settings.STOPLINE_SIGN_REAUTH_SECONDS // 60
            raise ReauthRequired(
                f"Your login is older than {minutes} minutes: enter your password to sign.",
                fields={"password": "required"},
            )
        if not user.check_password(password):
            raise ReauthRequired("The password is not correct.", fields={"password": "incorrect"})
    version = (
        CriteriaVersion.objects.select_for_update()
        .filter(operation=operation, number=number)
        .first()
    )
    if version is None:
        raise StoplineError(f"Version {number} does not exist.", fields={"number": "unknown"})
    latest_number = operation.versions.aggregate(n=Max("number"))["n"]
    if version.number != latest_number:
        raise Conflict(
            f"Version {number} is outdated: version {latest_number} replaced it. "
            "Read the new version before signing."
        )
    if version.is_draft:
        raise Conflict(
            "This version is still a draft; the facilitator proposes it for signature first."
        )
    if content_hash != version.content_hash:
        raise Conflict(
            "The version you read is not the version on file (its content hash "
            "differs). Reload and read it again before signing."
        )
    if version.signatures.filter(department=department).exists():
        raise Conflict(f"{department.name} has signed version {number} already.")
    name = printed_name.strip() or membership.display_name
    signature = Signature.objects.create(
        version=version,
        department=department,
        user=user,
        printed_name=name,
        meaning=meaning.strip() or f"Approved for {department.name}",
        signed_at=timezone.now(),
        content_hash=version.content_hash,
    )
    audit_record(
        operation=operation,
        actor=user,
        action="version_signed",
        version_number=number,
        summary=f"{name} signed version {number} for {department.name}",
    )
    required = set(
        operation.organization.departments.filter(requires_signature=True).values_list(
            "pk", flat=True
        )
    )
    signed = set(
        version.signatures.filter(content_hash=version.content_hash).values_list(
            "department_id", flat=True
        )
    )
    if required <= signed and not version.is_agreed:
        version.status = CriteriaVersion.Status.AGREED
        version.agreed_at = timezone.now()
        version.save(update_fields=["status", "agreed_at"])
        audit_record(
            operation=operation,
            actor=user,
            action="version_agreed",
            version_number=number,
            summary=f"Version {number} is agreed by every required department",
        )
        _announce_agreed(operation, version)
    return signature


def _announce_agreed(operation: Operation, version: CriteriaVersion) -> None:
    """The `criteria.agreed` event, in the transaction that agreed the version."""
    url = settings.SITE_URL.rstrip("/") + reverse(
        "criteria:version_detail", args=[operation.slug, version.number]
    )
    signers = [
        {"department": s.department.name, "name": s.printed_name, "signed_at": s.signed_at}
        for s in version.signatures.select_related("department")
    ]
    event_emit(
        operation=operation,
        type=EventType.CRITERIA_AGREED,
        data={
            "version": version.number,
            "content_hash": version.content_hash,
            "indicators": [
                {"key": t.key, "name": t.label, "range": t.range_display}
                for t in version.targets_in_order()
            ],
            "signatures": [{**s, "signed_at": s["signed_at"].isoformat()} for s in signers],
            "url": url,
        },
        text=(
            f"{operation.title}: criteria version {version.number} is agreed, signed by "
            + ", ".join(f"{s['name']} ({s['department']})" for s in signers)
            + f". {url}"
        ),
        subject=f"{operation.title}: criteria version {version.number} agreed",
    )


@transaction.atomic
def position_propose(
    *,
    operation: Operation,
    membership: Membership,
    key: str,
    range_min: Any,
    range_max: Any,
    rationale: str,
) -> Position:
    """A department states the range it will defend; one position per department and key."""
    from criteria.validation import parse_fraction

    if not membership.can_propose:
        raise PermissionDenied("Only members of a department can propose its position.")
    if key not in IndicatorKey.values:
        raise StoplineError(f"Unknown indicator {key!r}.", fields={"key": "unknown indicator"})
    lo = parse_fraction(range_min, "range_min")
    hi = parse_fraction(range_max, "range_max")
    check_range(lo, hi, "range")
    if not rationale.strip():
        raise StoplineError(
            "Say why your department will defend this range.", fields={"rationale": "required"}
        )
    position, _ = Position.objects.update_or_create(
        operation=operation,
        department=membership.department,
        key=key,
        defaults={
            "range_min": lo,
            "range_max": hi,
            "rationale": redact_note(rationale.strip()),
            "author": membership.user,
        },
    )
    audit_record(
        operation=operation,
        actor=membership.user,
        action="position_proposed",
        summary=f"{membership.department.name} proposes {IndicatorKey(key).label}: "
        f"{_range_text(lo, hi)}",
        detail={"key": key, "min": _s(lo), "max": _s(hi)},
    )
    return position


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _range_text(lo: Decimal | None, hi: Decimal | None) -> str:
    return f"{_s(lo) or '–'} to {_s(hi) or '–'}"


def comment_add(*, operation: Operation, membership: Membership, key: str, text: str) -> Comment:
    if not membership.can_comment:
        raise PermissionDenied("Viewers cannot comment.")
    if key not in IndicatorKey.values:
        raise StoplineError(f"Unknown indicator {key!r}.", fields={"key": "unknown indicator"})
    if not text.strip():
        raise StoplineError("The comment is empty.", fields={"text": "required"})
    if "\x00" in text:
        raise StoplineError(
            "The comment contains a NUL character (\\x00); remove it and send it again.",
            fields={"text": "NUL character"},
        )
    comment = Comment.objects.create(
        operation=operation,
        key=key,
        author=membership.user,
        department=membership.department,
        text=redact_note(text.strip()[:5000]),
    )
    audit_record(
        operation=operation,
        actor=membership.user,
        action="comment_added",
        summary=f"Comment on {IndicatorKey(key).label}",
    )
    return comment


def comment_resolve(*, comment: Comment, membership: Membership) -> Comment:
    if not (membership.is_facilitator or comment.author_id == membership.user_id):
        raise PermissionDenied("Only the facilitator or the author can resolve a comment.")
    if comment.resolved_at is None:
        comment.resolved_at = timezone.now()
        comment.resolved_by = membership.user
        comment.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(
            operation=comment.operation,
            actor=membership.user,
            action="comment_resolved",
            summary=f"Resolved a comment on {IndicatorKey(comment.key).label}",
        )
    return comment


def review_due(*, opened_on: date, target: IndicatorTarget) -> date:
    return opened_on + timedelta(days=target.review_within_days)


@transaction.atomic
def criteria_import(
    *,
    data: dict[str, Any],
    org_slug: str | None = None,
    organization: Organization | None = None,
    actor: AbstractBaseUser | None = None,
) -> CriteriaVersion:
    """Import a FORMATS.md §3 document as a new draft. Never signs; all or nothing."""
    from criteria.yaml_io import clean_document

    if organization is None:
        if not org_slug:
            raise StoplineError("Name the organization to import into.", fields={"org": "required"})
        organization = organization_ensure(slug=org_slug)
    doc = clean_document(data, departments=set(_departments_by_key(organization)))
    operation = Operation.objects.filter(slug=doc["operation"]).first()
    if operation is not None and operation.organization_id != organization.pk:
        raise Conflict(
            f"The operation {doc['operation']!r} belongs to another organization.",
            fields={"operation": "taken"},
        )
    if operation is None:
        operation = Operation.objects.create(
            organization=organization,
            slug=doc["operation"],
            title=doc["title"],
            timezone=doc["timezone"],
            go_live=doc["go_live"],
        )
        audit_record(
            operation=operation,
            actor=actor,
            action="operation_created",
            summary=f"Created operation {operation.title} by import",
        )
    else:
        changed = False
        for field in ("title", "timezone", "go_live"):
            # Only what the file states: a file without `timezone` keeps the operation's.
            if data.get(field) and getattr(operation, field) != doc[field]:
                setattr(operation, field, doc[field])
                changed = True
        if changed:
            operation.save()
    # FORMATS.md §3: an import always creates a new draft version; earlier ones stay in history.
    version = _create_version(
        operation=operation, actor=actor, targets=doc["indicators"], note="Imported"
    )
    audit_record(
        operation=operation,
        actor=actor,
        action="criteria_imported",
        version_number=version.number,
        summary=f"Imported criteria into draft version {version.number}",
    )
    return version


def diagnostic_save(
    *, membership: Membership, title: str, slug: str, keys: list[str], custom: list[str]
) -> Operation:
    """Start an operation whose first draft holds the diagnostic's suggested ranges."""
    from django.utils.text import slugify

    from criteria.diagnostic import diagnose

    if not membership.is_facilitator:
        raise PermissionDenied("Only a facilitator can start an operation's criteria.")
    title = title.strip()
    if not title:
        raise StoplineError("Give the operation a title.", fields={"title": "required"})
    slug = slugify(slug or title)[:100]
    if not slug:
        raise StoplineError(
            "Give the operation a short name (letters and digits).", fields={"slug": "required"}
        )
    result = diagnose(keys, custom)
    with transaction.atomic():
        operation = operation_create(
            organization=membership.organization,
            slug=slug,
            title=title[:200],
            actor=membership.user,
        )
        audit_record(
            operation=operation,
            actor=membership.user,
            action="diagnostic_saved",
            version_number=1,
            summary="First draft from the indicator diagnostic (tracked today: "
            + (", ".join(e.name for e in result.entries) or "nothing")
            + ")",
            detail={
                "tracked": [e.key for e in result.entries],
                "verdicts": {e.key: e.verdict for e in result.entries},
            },
        )
    return operation
