import hashlib
import json
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Department, Organization
from criteria.formatting import range_text


class IndicatorKey(models.TextChoices):
    ESCALATION_RATE = "escalation_rate", "Human-escalation rate"
    FCR_SIMPLE = "fcr_simple", "First-contact resolution, simple cases"
    FCR_COMPLEX = "fcr_complex", "First-contact resolution, complex cases"
    REVIEW_SCORE = "review_score", "Qualitative review score"


INDICATOR_ORDER = [k.value for k in IndicatorKey]
INDICATOR_HELP = {
    "escalation_rate": "Share of conversations handed to a human. Too low is as alarming "
    "as too high.",
    "fcr_simple": "Share of simple cases resolved in the first contact.",
    "fcr_complex": "Share of complex cases resolved in the first contact, never blended away.",
    "review_score": "Share of sampled transcripts senior reviewers rate acceptable.",
}


def indicator_label(key: str) -> str:
    """An indicator as people read it ("Human-escalation rate"), not its key."""
    try:
        return IndicatorKey(key).label
    except ValueError:
        return key.replace("_", " ").capitalize()


class TriggerRule(models.TextChoices):
    OUTSIDE_RANGE = "outside_range", "Outside the range"
    CHANGE_DETECTED = "change_detected", "Statistical change detected"
    NO_DATA = "no_data", "No data"


class Operation(models.Model):
    """An AI deployment in customer service whose handoff boundary is governed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="operations"
    )
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    go_live = models.DateField(null=True, blank=True)
    channels = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Archived operations keep their history; none is deleted."
    )

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CriteriaVersion(models.Model):
    """The one-page criteria. Mutable while draft; frozen once proposed for signature."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed for signature"
        AGREED = "agreed", "Agreed"

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    content_hash = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["operation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.operation.slug} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_agreed(self) -> bool:
        return self.status == self.Status.AGREED

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def targets_in_order(self) -> list["IndicatorTarget"]:
        targets = list(self.targets.all())
        return sorted(targets, key=lambda t: INDICATOR_ORDER.index(t.key))

    def canonical_content(self) -> dict[str, Any]:
        """What the signatures cover: the operation and every indicator's range and trigger."""
        return {
            "operation": self.operation.slug,
            "indicators": [t.canonical() for t in self.targets_in_order()],
        }

    def compute_hash(self) -> str:
        return content_hash(self.canonical_content())


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no whitespace, decimals as strings)."""
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _fraction(value: Any) -> str | None:
    return None if value is None else format(float(value), ".4f")


class IndicatorTarget(models.Model):
    """One indicator's target range and its review trigger within a version."""

    version = models.ForeignKey(CriteriaVersion, on_delete=models.CASCADE, related_name="targets")
    key = models.CharField(max_length=40, choices=IndicatorKey.choices)
    range_min = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    range_max = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    rule = models.CharField(
        max_length=20, choices=TriggerRule.choices, default=TriggerRule.OUTSIDE_RANGE
    )
    for_days = models.PositiveSmallIntegerField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    owner = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    action = models.TextField(blank=True)
    review_within_days = models.PositiveSmallIntegerField(default=3)
    recipients = models.JSONField(default=list, blank=True)
    sampling_per_week = models.PositiveIntegerField(null=True, blank=True)
    sampling_complex_share = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="target_unique_key"),
            models.CheckConstraint(
                condition=Q(range_min__isnull=False) | Q(range_max__isnull=False),
                name="target_has_a_bound",
            ),
            models.CheckConstraint(
                condition=Q(range_min__isnull=True)
                | Q(range_max__isnull=True)
                | Q(range_min__lte=models.F("range_max")),
                name="target_min_le_max",
            ),
            models.CheckConstraint(
                condition=(Q(range_min__isnull=True) | Q(range_min__gte=0, range_min__lte=1))
                & (Q(range_max__isnull=True) | Q(range_max__gte=0, range_max__lte=1)),
                name="target_range_is_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.range_display}"

    @property
    def label(self) -> str:
        return IndicatorKey(self.key).label

    @property
    def range_display(self) -> str:
        return range_text(self.range_min, self.range_max)

    @property
    def trigger_display(self) -> str:
        if self.rule == TriggerRule.OUTSIDE_RANGE:
            if self.window_days:
                return f"Outside range over a pooled {self.window_days}-day window"
            return f"Outside range {self.for_days or 1} day(s) in a row"
        if self.rule == TriggerRule.NO_DATA:
            return f"No data for {self.for_days or 1} day(s)"
        return "Statistical change detected"

    def canonical(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "range": {"min": _fraction(self.range_min), "max": _fraction(self.range_max)},
            "trigger": {
                "rule": self.rule,
                "for_days": self.for_days,
                "window_days": self.window_days,
                "owner": self.owner.key,
                "action": self.action.strip(),
                "review_within_days": self.review_within_days,
                "recipients": sorted(self.recipients or []),
            },
        }
        if self.sampling_per_week is not None or self.sampling_complex_share is not None:
            data["sampling"] = {
                "per_week": self.sampling_per_week,
                "complex_share": _fraction(self.sampling_complex_share),
            }
        return data


class Position(models.Model):
    """The range a department will defend for an indicator, and why."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="positions")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40, choices=IndicatorKey.choices)
    range_min = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    range_max = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    rationale = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "department__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "department", "key"], name="position_unique_department"
            ),
            models.CheckConstraint(
                condition=Q(range_min__isnull=False) | Q(range_max__isnull=False),
                name="position_has_a_bound",
            ),
            models.CheckConstraint(
                condition=Q(range_min__isnull=True)
                | Q(range_max__isnull=True)
                | Q(range_min__lte=models.F("range_max")),
                name="position_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}:{self.key}"


class Comment(models.Model):
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="comments")
    key = models.CharField(max_length=40, choices=IndicatorKey.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Signature(models.Model):
    version = models.ForeignKey(
        CriteriaVersion, on_delete=models.CASCADE, related_name="signatures"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["department__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "department"], name="signature_one_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.meaning})"


class AuditEvent(models.Model):
    """Who changed what and when. Written by criteria.services.audit_record only.

    Append-only: on PostgreSQL a trigger rejects UPDATE and DELETE, and nothing that an event
    points to can be deleted (PROTECT). Each event carries the SHA-256 of its content chained
    over the previous event of its organization (criteria.audit), so that a gap or an edit
    made past the trigger shows in `manage.py verify_audit`.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    operation = models.ForeignKey(
        Operation, null=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    version_number = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=50)
    summary = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    event_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "id"], name="audit_org_chain")]
        triggers = [
            pgtrigger.Protect(
                name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return self.summary
