"""Transcripts, sampling draws, the reviewer queue, rubric scores and what reviewers decide.

Dependencies point one way: sampling imports metrics and criteria, never the reverse.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from criteria.models import Operation
from metrics.models import Conversation


class SamplingSettings(models.Model):
    """Per-operation switches of the review process (the defaults apply without a row)."""

    operation = models.OneToOneField(
        Operation, on_delete=models.CASCADE, related_name="sampling_settings"
    )
    redact_transcripts = models.BooleanField(
        default=True,
        help_text="Replace e-mails, phones, cards and IBANs before storing. Turn off only "
        "when the data is synthetic or already anonymised.",
    )
    double_review_share = models.FloatField(
        default=0.10, help_text="Share of sampled conversations reviewed blind a second time."
    )
    review_sla_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days after the draw by which an item should be reviewed."
    )
    reservation_minutes = models.PositiveSmallIntegerField(default=30)
    extra_handoff_phrases = models.JSONField(
        default=dict,
        blank=True,
        help_text='This operation\'s "asked for a human" phrases in addition to the '
        'organization\'s, e.g. {"sv": ["prata med kundtjänst"]}.',
    )
    # The plan's targeted rules (sampling.services): the week's size and complex share come
    # from the signed criteria; these say how the targeted part is drawn.
    targeted_share = models.FloatField(
        default=0.4, help_text="At most this share of the week's sample goes to targeted strata."
    )
    targeted_strata = models.JSONField(
        default=list,
        blank=True,
        help_text="The targeted rules in use (empty: all of them).",
    )
    low_csat_max = models.PositiveSmallIntegerField(
        default=2, help_text="A CSAT of this or less counts as low."
    )
    long_turns = models.PositiveSmallIntegerField(
        default=20, help_text="A conversation with this many turns or more counts as long."
    )

    class Meta:
        verbose_name_plural = "sampling settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(double_review_share__gte=0, double_review_share__lte=1),
                name="sampling_double_share_fraction",
            ),
            models.CheckConstraint(
                condition=Q(targeted_share__gte=0, targeted_share__lte=0.8),
                name="sampling_targeted_share_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"sampling settings of {self.operation_id}"


class HandoffPhrases(models.Model):
    """An organization's own "asked for a human" phrases, per language, for all its
    operations (each operation may add more in its SamplingSettings)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="handoff_phrases"
    )
    phrases = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "handoff phrases"

    def __str__(self) -> str:
        return f"handoff phrases of {self.organization_id}"


class Transcript(models.Model):
    """A conversation's messages, redacted before they were stored (unless switched off)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="transcript"
    )
    messages = models.JSONField(default=list)
    redacted = models.BooleanField(default=True)
    redaction_counts = models.JSONField(default=dict, blank=True)
    asked_for_human_detected = models.BooleanField(default=False)
    turns = models.PositiveIntegerField(default=0)
    looping = models.BooleanField(
        default=False,
        help_text="The customer sent the same text twice, or the AI the same reply three times.",
    )
    language = models.CharField(max_length=35, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the text was erased (retention or a request); the flags above stay.",
    )

    def __str__(self) -> str:
        return f"transcript of {self.conversation_id}"


class Rubric(models.Model):
    """An organization's review rubric; a sensible default is created on first use."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="rubric"
    )
    definition = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rubric of {self.organization_id}"

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.definition.get("items", []))


class SamplingDraw(models.Model):
    """One week's sample of an operation: reproducible from its seed."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="draws")
    week = models.CharField(max_length=8, help_text="ISO week, e.g. 2025-W14.")
    week_start = models.DateField()
    seed = models.BigIntegerField()
    strata = models.JSONField(default=dict, help_text="stratum -> {population, size, probability}")
    double_review_share = models.FloatField(default=0.10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["operation", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "week"], name="draw_unique_week")
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.week}"


class ReviewItem(models.Model):
    """One sampled conversation waiting for (or done by) one reviewer."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RESERVED = "reserved", "Reserved"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    draw = models.ForeignKey(SamplingDraw, on_delete=models.CASCADE, related_name="items")
    # The draw's operation, on the item too, so that "next item" walks one operation's pool
    # (review_item_pool_by_due starts with it): otherwise a large pool of another operation in
    # the same database is walked before this one's items are reached.
    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="+", db_index=False, editable=False
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="review_items"
    )
    stratum = models.CharField(max_length=40)
    inclusion_probability = models.FloatField()
    is_double = models.BooleanField(
        default=False, help_text="A blind second review of a conversation already sampled."
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_items",
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.TextField(blank=True)
    due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "conversation", "is_double"], name="review_item_once_per_draw"
            ),
            models.CheckConstraint(
                condition=Q(inclusion_probability__gt=0, inclusion_probability__lte=1),
                name="review_item_probability",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "assigned_to"], name="review_item_queue"),
            # "Next item" walks the pool in the order it hands items out and stops at the
            # first it can lock: with a million items it must not sort them all.
            models.Index(
                fields=["operation", "due", "is_double", "id"],
                name="review_item_pool_by_due",
                condition=Q(status="pending", assigned_to__isnull=True) | Q(status="reserved"),
            ),
            # A reviewer's open items, without reading the thousands they have done.
            models.Index(
                fields=["assigned_to", "due", "id"],
                name="review_item_open_by_reviewer",
                condition=Q(status__in=["pending", "reserved"]),
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.pk} ({self.stratum})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RESERVED)

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and (today or timezone.localdate()) > self.due

    @staticmethod
    def due_for(week_start: date, sla_days: int) -> date:
        """Due `sla_days` after the end of the sampled week."""
        return week_start + timedelta(days=7 + sla_days)


class HandoffVerdict(models.TextChoices):
    ESCALATED_WARRANTED = "escalated_warranted", "Escalated, and it was warranted"
    ESCALATED_NOT_NEEDED = "escalated_not_needed", "Escalated, but not needed"
    MISSED_HANDOFF = "missed_handoff", "Not escalated, but should have been (missed handoff)"
    NOT_ESCALATED_CORRECT = "not_escalated_correct", "Not escalated, and correctly so"


class RubricScore(models.Model):
    """A reviewer's answers for one review item; the headline answers also as columns."""

    item = models.OneToOneField(ReviewItem, on_delete=models.CASCADE, related_name="score")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rubric_scores"
    )
    answers = models.JSONField(default=dict)
    verdict = models.CharField(max_length=30, choices=HandoffVerdict.choices)
    handoff_turn = models.PositiveIntegerField(null=True, blank=True)
    handoff_broken = models.BooleanField(default=False)
    critical_failed = models.BooleanField(default=False)
    acceptable = models.BooleanField(help_text="After critical items: a failed one fails it.")
    understood = models.BooleanField(null=True, blank=True)
    resolved = models.BooleanField(null=True, blank=True)
    compliance_flag = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"score of item {self.item_id}"


class TranscriptReadLog(models.Model):
    """Who read which transcript, when, and through which interface."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transcript_reads"
    )
    item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="reads"
    )
    via = models.CharField(max_length=10, default="web")  # web | api | export
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-read_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.transcript_id} at {self.read_at:%Y-%m-%d %H:%M}"


class CalibrationCase(models.Model):
    """Two blind reviews of one conversation that disagree on a rubric item: to discuss."""

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="calibration_cases"
    )
    week_start = models.DateField()
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    item_key = models.CharField(max_length=60)
    first_score = models.ForeignKey(RubricScore, on_delete=models.CASCADE, related_name="+")
    second_score = models.ForeignKey(RubricScore, on_delete=models.CASCADE, related_name="+")
    first_answer = models.CharField(max_length=200, blank=True)
    second_answer = models.CharField(max_length=200, blank=True)
    resolved = models.BooleanField(default=False)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resolved", "-week_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["first_score", "second_score", "item_key"], name="calibration_case_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_key}: {self.first_answer} vs {self.second_answer}"
