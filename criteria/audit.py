"""The audit trail's hash chain: one SHA-256 chain per organization, in event id order.

event_hash = SHA-256(canonical JSON of the event's content + the previous event's hash). An
edited, removed or inserted event breaks the chain at that point; `verify_audit` finds it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounts.models import Organization
from criteria.models import AuditEvent


def _at(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_content(event: AuditEvent) -> dict[str, Any]:
    return {
        "organization": event.organization_id,
        "operation": event.operation_id,
        "version_number": event.version_number,
        "actor": event.actor_id,
        "action": event.action,
        "summary": event.summary,
        "detail": event.detail,
        "at": _at(event.at),
    }


def event_hash(content: dict[str, Any], prev_hash: str) -> str:
    data = json.dumps(
        {"event": content, "prev": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def event_seal(event: AuditEvent, prev_hash: str) -> None:
    """Set prev_hash and event_hash on an event that is about to be saved."""
    # What the database gives back (JSON round trip) is what must hash the same later.
    event.detail = json.loads(json.dumps(event.detail or {}))
    event.prev_hash = prev_hash
    event.event_hash = event_hash(event_content(event), prev_hash)


@dataclass
class ChainCheck:
    organization: Organization
    events: int
    broken_event: AuditEvent | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event is None


def audit_chain_verify(organization: Organization) -> ChainCheck:
    """Walk the organization's chain in id order; stop at the first broken link."""
    prev = ""
    count = 0
    events = AuditEvent.objects.filter(organization=organization).order_by("id")
    for event in events.iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != prev:
            return ChainCheck(
                organization,
                count,
                event,
                "its prev_hash does not match the previous event's hash "
                "(an event before it was removed or changed)",
            )
        if event_hash(event_content(event), prev) != event.event_hash:
            return ChainCheck(
                organization, count, event, "its content no longer matches its hash (edited)"
            )
        prev = event.event_hash
    return ChainCheck(organization, count)
