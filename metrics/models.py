from datetime import date as date_type

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from criteria.formatting import percent, range_text
from criteria.models import Operation
from metrics.weeks import week_label


class Complexity(models.TextChoices):
    SIMPLE = "simple", "Simple"
    COMPLEX = "complex", "Complex"


class Conversation(models.Model):
    """One customer contact (FORMATS.md §1). Written only by the ingestion service.

    `created_by_run_id` / `changed_by_run_id` are the ingestion runs that inserted and last
    changed the row; a run's report is counted from them, so re-executing a run after a crash
    reports the same numbers. They are plain integers (no foreign key) to keep bulk loads fast.
    """

    # No database-level foreign key and no index of its own (docs/performance.md, Ingest): a per-row
    # foreign-key check cost a bulk load more than COPY itself, and the unique constraint's
    # index starts with operation. Ingestion holds the operation row FOR KEY SHARE while it
    # writes (so it cannot be deleted meanwhile) and Django cascades a deleted operation.
    operation = models.ForeignKey(
        Operation,
        on_delete=models.CASCADE,
        related_name="conversations",
        db_constraint=False,
        db_index=False,
    )
    conversation_id = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    local_date = models.DateField(help_text="The date of started_at in the operation's zone.")
    complexity = models.CharField(max_length=10, choices=Complexity.choices)
    escalated = models.BooleanField()
    resolved_first_contact = models.BooleanField(null=True, blank=True)
    human_requested = models.BooleanField(null=True, blank=True)
    channel = models.CharField(max_length=50, blank=True)
    language = models.CharField(max_length=35, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    topic = models.CharField(max_length=200, blank=True)
    survey_comment = models.TextField(
        blank=True, help_text="The post-contact survey's free text, redacted before storage."
    )
    survey_complaint = models.BooleanField(
        null=True,
        blank=True,
        help_text="The survey comment says the customer could not reach a person or was not "
        "understood (metrics.ingest.complaints); None without a comment.",
    )
    metadata = models.JSONField(default=dict, blank=True)
    created_by_run_id = models.BigIntegerField(null=True, blank=True)
    changed_by_run_id = models.BigIntegerField(null=True, blank=True)
    # The hash of the CSV line that last set the row (PostgreSQL's fast path, seeded with the
    # file's columns, time zone and phrases: pg_csv.FastConversations.seed). A line sent again
    # with this hash would change nothing, so it is not parsed again. Every other writer clears
    # it when it changes the row.
    line_hash = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "conversation_id"], name="conversation_unique_id"
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="conversation_csat_1_to_5",
            ),
        ]
        # Queries by day use a BRIN index on PostgreSQL (migration 0014: a B-tree on
        # (operation, local_date) cost a fresh load as much as the rows); the list of flagged
        # comments, newest first, reads this partial one.
        indexes = [
            models.Index(
                fields=["operation", "local_date"],
                condition=Q(survey_complaint=True),
                name="conversation_op_complaint",
            )
        ]

    def __str__(self) -> str:
        return self.conversation_id


# DailyAggregate's counts for a date and segment: what ingestion rebuilds from conversations
# (metrics.ingest.upserts, pg_csv) and what the indicators read (metrics.detection.indicators).
DAILY_COUNT_FIELDS = (
    "conversations",
    "escalated",
    "resolved_first_contact",
    "resolved_known",
    "human_requested",
    "human_requested_known",
    "csat_sum",
    "csat_count",
    "survey_comments",
    "survey_complaints",
)


class DailyAggregate(models.Model):
    """Counts per operation, local date and segment: sent as such or computed from conversations.

    `resolved_known` / `human_requested_known` count the conversations whose outcome is known;
    FCR is resolved_first_contact / resolved_known, never over all conversations.
    """

    class Source(models.TextChoices):
        CONVERSATIONS = "conversations", "Computed from conversations"
        DAILY = "daily", "Sent as daily aggregates"

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="daily_aggregates"
    )
    date = models.DateField()
    segment = models.CharField(max_length=10, choices=Complexity.choices)
    conversations = models.PositiveIntegerField()
    escalated = models.PositiveIntegerField()
    resolved_first_contact = models.PositiveIntegerField(null=True, blank=True)
    resolved_known = models.PositiveIntegerField(default=0)
    human_requested = models.PositiveIntegerField(null=True, blank=True)
    human_requested_known = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveIntegerField(default=0)
    csat_count = models.PositiveIntegerField(default=0)
    survey_comments = models.PositiveIntegerField(default=0)
    survey_complaints = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=15, choices=Source.choices)
    created_by_run_id = models.BigIntegerField(null=True, blank=True)
    changed_by_run_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["operation", "date", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "date", "segment"], name="daily_unique_segment"
            ),
            models.CheckConstraint(
                condition=Q(escalated__lte=F("conversations")), name="daily_escalated_le_n"
            ),
            models.CheckConstraint(
                condition=Q(resolved_known__lte=F("conversations")),
                name="daily_resolved_known_le_n",
            ),
            models.CheckConstraint(
                condition=Q(resolved_first_contact__isnull=True)
                | Q(resolved_first_contact__lte=F("resolved_known")),
                name="daily_resolved_le_known",
            ),
            models.CheckConstraint(
                condition=Q(human_requested_known__lte=F("conversations")),
                name="daily_human_known_le_n",
            ),
            models.CheckConstraint(
                condition=Q(human_requested__isnull=True)
                | Q(human_requested__lte=F("human_requested_known")),
                name="daily_human_le_known",
            ),
            models.CheckConstraint(
                condition=Q(csat_count__lte=F("conversations")), name="daily_csat_count_le_n"
            ),
            models.CheckConstraint(
                condition=Q(survey_complaints__lte=F("survey_comments")),
                name="daily_complaints_le_comments",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.date} {self.segment}"


class IngestionRun(models.Model):
    """One file (upload, API body or CLI) being ingested; the status row the UI polls."""

    class Kind(models.TextChoices):
        CONVERSATIONS = "conversations", "Conversations"
        DAILY = "daily", "Daily aggregates"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="ingestion_runs"
    )
    # Blank until the header is read when the caller did not say which kind the file is.
    kind = models.CharField(max_length=15, choices=Kind.choices, blank=True)
    file_name = models.CharField(max_length=255)
    stored_name = models.CharField(
        max_length=255, blank=True, help_text="Where the worker reads the file (default storage)."
    )
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=10, default="upload")  # upload | api | cli
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    ingested = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["operation", "-created_at"], name="run_op_created")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def report_line(self) -> str:
        return f"{self.ingested} ingested, {self.updated} updated, {self.rejected} rejected"

    @property
    def progress_percent(self) -> int:
        return int(round(self.progress * 100))


class RejectedRow(models.Model):
    """A quarantined row: what was wrong and the original text, to fix and re-send."""

    run = models.ForeignKey(IngestionRun, on_delete=models.CASCADE, related_name="rejected_rows")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    original = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "line", "id"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class WeeklyReviewScore(models.Model):
    """The senior reviewers' weekly verdict, handed over by sampling (metrics owns the table).

    `segment` is all/simple/complex. Shares are weighted by inverse inclusion probability;
    intervals are 95 %. The drift engine reads `acceptable_*` as the review_score indicator
    and shows `missed_handoff_*` beside the escalation rate.
    """

    class Segment(models.TextChoices):
        ALL = "all", "All"
        SIMPLE = "simple", "Simple"
        COMPLEX = "complex", "Complex"

    operation = models.ForeignKey(
        "criteria.Operation", on_delete=models.CASCADE, related_name="weekly_review_scores"
    )
    week_start = models.DateField(help_text="Monday of the ISO week, operation-local.")
    segment = models.CharField(max_length=10, choices=Segment.choices, default=Segment.ALL)
    reviewed = models.PositiveIntegerField(default=0)
    acceptable_share = models.FloatField(null=True, blank=True)
    acceptable_lo = models.FloatField(null=True, blank=True)
    acceptable_hi = models.FloatField(null=True, blank=True)
    missed_handoff_share = models.FloatField(
        null=True, blank=True, help_text="Of non-escalated conversations."
    )
    missed_handoff_lo = models.FloatField(null=True, blank=True)
    missed_handoff_hi = models.FloatField(null=True, blank=True)
    missed_handoff_count = models.FloatField(
        null=True, blank=True, help_text="Estimated count in the population that week."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["operation", "-week_start", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "week_start", "segment"], name="weekly_review_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.week_start} {self.segment}"


class Alert(models.Model):
    """One episode of one trigger firing against the agreed criteria.

    Two tiers (``severity``): a *breach* is the agreed rule, exactly as signed, and opens a
    review; a *warning* is the calibrated change detection that watches every series of the
    operation whatever rule was agreed, with its evidence (baseline and current rate, the
    detector's statistic and limit); it opens a review only if the operation says so. A breach
    that follows a warning on the same indicator links it (``warning``): one story.

    At most one alert per operation, indicator, rule and tier is not resolved at a time (no
    storm): a trigger that keeps firing updates its alert instead of opening another.
    """

    class Severity(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach"

    class Direction(models.TextChoices):
        BELOW = "below", "Below the range"
        ABOVE = "above", "Above the range"
        CHANGE = "change", "Change detected"
        NO_DATA = "no_data", "No data"
        MIX = "mix", "Case-mix shift"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="alerts")
    version = models.ForeignKey(
        "criteria.CriteriaVersion", on_delete=models.PROTECT, related_name="alerts"
    )
    indicator = models.CharField(max_length=40)
    rule = models.CharField(max_length=20)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.BREACH)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    opened_on = models.DateField(help_text="The local day the trigger fired.")
    value = models.FloatField(null=True, blank=True)
    range_min = models.FloatField(null=True, blank=True)
    range_max = models.FloatField(null=True, blank=True)
    # Evidence of a change detection (warnings, and change_detected breaches).
    baseline_rate = models.FloatField(null=True, blank=True)
    baseline_start = models.DateField(null=True, blank=True)
    baseline_end = models.DateField(null=True, blank=True)
    detector = models.CharField(max_length=40, blank=True)
    statistic = models.FloatField(null=True, blank=True)
    limit = models.FloatField(null=True, blank=True)
    warning = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="breaches",
        help_text="The warning on the same indicator that came first (a breach only).",
    )
    state = models.CharField(max_length=15, choices=State.choices, default=State.OPEN)
    snooze_until = models.DateField(null=True, blank=True)
    snooze_reason = models.TextField(blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "indicator", "rule", "severity"],
                condition=~Q(state="resolved"),
                name="alert_one_open_per_rule_tier",
            ),
            models.UniqueConstraint(
                fields=["operation", "indicator", "rule", "severity", "opened_on"],
                name="alert_unique_episode_tier",
            ),
        ]
        indexes = [models.Index(fields=["operation", "state"], name="alert_op_state")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.direction} since {self.opened_on}"

    @property
    def is_resolved(self) -> bool:
        return self.state == self.State.RESOLVED

    @property
    def range_display(self) -> str:
        return range_text(self.range_min, self.range_max)

    @property
    def value_display(self) -> str:
        return percent(self.value)

    @property
    def is_warning(self) -> bool:
        return self.severity == self.Severity.WARNING

    @property
    def direction_display(self) -> str:
        """ "Below the baseline" for a warning, "Below the range" for a breach."""
        if self.is_warning and self.direction in (self.Direction.BELOW, self.Direction.ABOVE):
            return f"{self.direction.title()} the baseline"
        return self.get_direction_display()

    @property
    def evidence_display(self) -> str:
        """Baseline → current rate, the detector's statistic against its limit; "" if none."""
        if self.statistic is None or self.limit is None:
            return ""
        since = ""
        if self.baseline_start and self.baseline_end:
            since = f" ({self.baseline_start} – {self.baseline_end})"
        return (
            f"baseline {percent(self.baseline_rate)}{since}, now {percent(self.value)}; "
            f"{self.detector} statistic {self.statistic:.2f} beyond limit {self.limit:.2f}"
        )


class AlertEvent(models.Model):
    """One state change of an alert: who (None: the evaluator), when, from → to, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=15, blank=True)
    to_state = models.CharField(max_length=15)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"


class Review(models.Model):
    """The decision an alert asks for, owned by the trigger's department, due by a date."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue as agreed"
        ADJUST = "adjust", "Adjust the ranges (new criteria draft)"
        PAUSE = "pause", "Pause the AI for a segment"

    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="review")
    owner = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="reviews"
    )
    due_on = models.DateField()
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    pause_segment = models.CharField(max_length=10, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    draft_version = models.ForeignKey(
        "criteria.CriteriaVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The criteria draft an 'adjust' decision opened.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"Review of {self.alert}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    def is_overdue(self, today: date_type) -> bool:
        return not self.is_decided and today > self.due_on


class WarningSettings(models.Model):
    """How an operation's early warnings behave: their false-alarm budget (across all its
    series together) and whether a warning opens a review as a breach does. Without a row,
    the defaults apply (2 a year, no review)."""

    operation = models.OneToOneField(
        Operation, on_delete=models.CASCADE, related_name="warning_settings"
    )
    warnings_open_review = models.BooleanField(
        default=False, help_text="A warning opens a review, as a breach does."
    )
    warning_budget_per_year = models.FloatField(
        default=2.0,
        help_text="False warnings an in-control operation should rarely exceed in a year, "
        "across all its series together.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(warning_budget_per_year__gt=0), name="warning_budget_positive"
            )
        ]

    def __str__(self) -> str:
        return f"warning settings of {self.operation_id}"


class SurveyPhrases(models.Model):
    """An organization's own "could not reach a person / not understood" phrases for survey
    comments, by language, in the phrase syntax of metrics/ingest/data/complaint_phrases.yaml,
    e.g. {"sv": ["fick aldrig prata med kundtjänst"]}."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="survey_phrases"
    )
    extra_complaint_phrases = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"survey phrases of {self.organization_id}"


class WeeklyDigest(models.Model):
    """One weekly e-mail per operation and ISO week: the row is the claim that makes the
    digest idempotent (sent at most once, whatever retries or double beats happen)."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    operation = models.ForeignKey(
        "criteria.Operation", on_delete=models.CASCADE, related_name="weekly_digests"
    )
    week_start = models.DateField(help_text="Monday of the ISO week reported.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    recipients = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["operation", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "week_start"], name="weekly_digest_once")
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.week_start} {self.status}"


class ReviewerRecommendation(models.Model):
    """The senior reviewers' weekly call (continue / adjust / pause), handed over by sampling
    so that it stands next to the indicators, in the reviews and in the status report."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue"
        ADJUST = "adjust", "Adjust"
        PAUSE = "pause", "Pause"

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="reviewer_recommendations"
    )
    week_start = models.DateField(help_text="Monday of the ISO week the call is about.")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_name = models.CharField(max_length=200, help_text="As printed when recorded.")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField()
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["operation", "-week_start", "-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "week_start", "reviewer"],
                name="reviewer_recommendation_once_per_week",
            )
        ]

    def __str__(self) -> str:
        return f"{self.week_start} {self.decision} ({self.reviewer_name})"

    @property
    def summary(self) -> str:
        return (
            f"{self.get_decision_display()} ({self.reviewer_name}, week "
            f"{week_label(self.week_start)}): {self.reason}"
        )
