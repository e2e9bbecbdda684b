"""Reads for the criteria pages: the operation overview, the workshop board, history, diff."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from criteria.formatting import range_text
from criteria.models import (
    INDICATOR_HELP,
    INDICATOR_ORDER,
    AuditEvent,
    Comment,
    CriteriaVersion,
    IndicatorKey,
    IndicatorTarget,
    Operation,
    Position,
    Signature,
)


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else float(value) * 100


@dataclass
class Bar:
    """A range drawn on the 0-100 % number line (open ends run to the edge)."""

    label: str
    range_min: Decimal | None
    range_max: Decimal | None
    css: str = ""
    title: str = ""

    @property
    def left(self) -> float:
        return _pct(self.range_min) or 0.0

    @property
    def width(self) -> float:
        right = _pct(self.range_max)
        return max((100.0 if right is None else right) - self.left, 0.4)

    @property
    def text(self) -> str:
        return range_text(self.range_min, self.range_max, symbols=True)


@dataclass
class IndicatorRow:
    key: str
    label: str
    help: str
    target: IndicatorTarget | None
    positions: list[Position] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    zone: Bar | None = None
    no_overlap: bool = False
    bars: list[Bar] = field(default_factory=list)
    draft_bar: Bar | None = None

    @property
    def draft_outside_zone(self) -> bool:
        """The draft asks for more than every department agreed to defend."""
        if self.zone is None or self.target is None:
            return False
        lo, hi = self.zone.range_min, self.zone.range_max
        t_lo, t_hi = self.target.range_min, self.target.range_max
        below = lo is not None and (t_lo is None or t_lo < lo)
        above = hi is not None and (t_hi is None or t_hi > hi)
        return below or above


@dataclass
class Board:
    operation: Operation
    version: CriteriaVersion | None
    in_force: CriteriaVersion | None
    rows: list[IndicatorRow]
    departments: list[Any]
    signatures: dict[int, Signature]
    previous_signatures: list[Signature]
    ready: bool
    readiness: str = ""

    @property
    def signed_count(self) -> int:
        return sum(1 for d in self.departments if d.pk in self.signatures)


def feasible_zone(positions: list[Position]) -> tuple[Decimal | None, Decimal | None, bool]:
    """The overlap of every position: (lo, hi, empty). Open ends stay open."""
    mins = [p.range_min for p in positions if p.range_min is not None]
    maxs = [p.range_max for p in positions if p.range_max is not None]
    lo = max(mins) if mins else None
    hi = min(maxs) if maxs else None
    empty = lo is not None and hi is not None and lo > hi
    return lo, hi, empty


def readiness_label(
    operation: Operation, latest: CriteriaVersion | None, in_force: CriteriaVersion | None
) -> str:
    """One line that is true: "Ready for go-live", "Live on version 1" (while version 2 is
    drafted), or "Not ready for go-live" when nothing is agreed."""
    if in_force is None:
        return "Not ready for go-live"
    if latest == in_force:
        return "Ready for go-live"
    before_go_live = operation.go_live is not None and operation.go_live > timezone.localdate()
    if before_go_live:
        return f"Ready for go-live on version {in_force.number}"
    return f"Live on version {in_force.number}"


def operation_status(operation: Operation) -> dict[str, Any]:
    """What is true of the operation's criteria: the version in force (the newest agreed; the
    operation is ready for go-live, or live, on it) and an amendment under way, if any, with
    the signatures it has so far. A drafted amendment does not unmake the agreed version."""
    versions = list(operation.versions.order_by("-number")[:50])
    latest = versions[0] if versions else None
    in_force = next((v for v in versions if v.is_agreed), None)
    amendment = latest if in_force is not None and latest != in_force else None
    amendment_signatures = []
    if amendment is not None:
        amendment_signatures = [
            s
            for s in amendment.signatures.select_related("department")
            if s.content_hash == amendment.content_hash
        ]
    return {
        "latest": latest,
        "in_force": in_force,
        "ready": in_force is not None,
        "readiness": readiness_label(operation, latest, in_force),
        "amendment": amendment,
        "amendment_signatures": amendment_signatures,
    }


def board_get(operation: Operation) -> Board:
    status = operation_status(operation)
    version: CriteriaVersion | None = status["latest"]
    targets: dict[str, IndicatorTarget] = {}
    signatures: dict[int, Signature] = {}
    previous: list[Signature] = []
    if version is not None:
        targets = {t.key: t for t in version.targets.select_related("owner")}
        signatures = {
            s.department_id: s
            for s in version.signatures.select_related("department", "user")
            if s.content_hash == version.content_hash
        }
        before = (
            operation.versions.filter(number__lt=version.number)
            .order_by("-number")
            .prefetch_related(
                Prefetch("signatures", Signature.objects.select_related("department"))
            )
            .first()
        )
        if before is not None and not signatures:
            previous = list(before.signatures.all())
    positions = list(operation.positions.select_related("department", "author"))
    comments = list(
        operation.comments.filter(resolved_at__isnull=True).select_related("author", "department")
    )
    departments = list(operation.organization.departments.all())
    rows = []
    for key in INDICATOR_ORDER:
        mine = [p for p in positions if p.key == key]
        row = IndicatorRow(
            key=key,
            label=IndicatorKey(key).label,
            help=INDICATOR_HELP[key],
            target=targets.get(key),
            positions=mine,
            comments=[c for c in comments if c.key == key],
        )
        for p in sorted(mine, key=lambda p: p.department.position):
            row.bars.append(Bar(p.department.name, p.range_min, p.range_max, title=p.rationale))
        if mine:
            lo, hi, empty = feasible_zone(mine)
            row.no_overlap = empty
            if not empty:
                row.zone = Bar("Overlap", lo, hi, css="zone")
        if row.target is not None:
            row.draft_bar = Bar(
                "Draft" if version and version.is_draft else f"Version {version.number}",
                row.target.range_min,
                row.target.range_max,
                css="draft",
            )
        rows.append(row)
    return Board(
        operation=operation,
        version=version,
        in_force=status["in_force"],
        rows=rows,
        departments=[d for d in departments if d.requires_signature],
        signatures=signatures,
        previous_signatures=previous,
        ready=status["ready"],
        readiness=status["readiness"],
    )


def versions_list(operation: Operation) -> QuerySet[CriteriaVersion]:
    return operation.versions.select_related("created_by").prefetch_related(
        Prefetch("signatures", Signature.objects.select_related("department"))
    )


def version_diff(old: CriteriaVersion, new: CriteriaVersion) -> list[dict[str, Any]]:
    """Field-by-field changes between two versions' canonical content."""
    a = {i["key"]: i for i in old.canonical_content()["indicators"]}
    b = {i["key"]: i for i in new.canonical_content()["indicators"]}
    changes = []
    for key in INDICATOR_ORDER:
        fa, fb = _flatten(a.get(key, {})), _flatten(b.get(key, {}))
        for name in sorted(set(fa) | set(fb)):
            if name == "key":
                continue
            if fa.get(name) != fb.get(name):
                changes.append(
                    {
                        "indicator": IndicatorKey(key).label,
                        "key": key,
                        "field": name,
                        "old": fa.get(name),
                        "new": fb.get(name),
                    }
                )
    return changes


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, f"{name}."))
        elif isinstance(v, list):
            out[name] = ", ".join(str(x) for x in v)
        else:
            out[name] = v
    return out


def audit_list(operation: Operation, filters: dict | None = None) -> QuerySet[AuditEvent]:
    """The operation's audit events, newest first, narrowed by the audit page's filters."""
    events = operation.audit_events.select_related("actor")
    filters = filters or {}
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("actor"):
        events = events.filter(actor__username=filters["actor"])
    if filters.get("since"):
        events = events.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(at__date__lte=filters["until"])
    if filters.get("q"):
        events = events.filter(summary__icontains=filters["q"])
    return events


def audit_actions(operation: Operation) -> list[str]:
    return sorted(set(operation.audit_events.values_list("action", flat=True).distinct()))
