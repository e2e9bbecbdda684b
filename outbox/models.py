"""The transactional outbox: events written with the change that caused them, and their
deliveries to webhooks and e-mail addresses, each retried until delivered or given up."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Organization


class EventType(models.TextChoices):
    ALERT_OPENED = "alert.opened", "Alert opened"
    ALERT_RESOLVED = "alert.resolved", "Alert resolved"
    REVIEW_OPENED = "review.opened", "Review opened"
    REVIEW_DECIDED = "review.decided", "Review decided"
    GUARDRAIL_CHANGED = "guardrail.changed", "Guardrail changed (pause or resume)"
    CRITERIA_AGREED = "criteria.agreed", "Criteria agreed"
    DIGEST_WEEKLY = "digest.weekly", "Weekly digest"
    TEST = "test.ping", "Test event"


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


class Event(models.Model):
    """Something that happened, once. `uid` is the stable id every delivery carries, so a
    receiver that gets it twice (at-least-once delivery) can drop the repeat."""

    uid = models.CharField(max_length=40, unique=True, default=new_event_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # A string reference: criteria emits `criteria.agreed` through this app, so this app's
    # code never imports criteria.
    operation = models.ForeignKey(
        "criteria.Operation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_events",
    )
    type = models.CharField(max_length=40, choices=EventType.choices)
    data = models.JSONField(default=dict, blank=True)
    text = models.TextField(help_text="One sentence for people (Slack text, e-mail body).")
    subject = models.CharField(max_length=250, blank=True)
    email_text = models.TextField(blank=True, help_text="The e-mail body, when not `text`.")
    html = models.TextField(blank=True, help_text="Optional HTML body for e-mail.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class WebhookEndpoint(models.Model):
    """A receiver of an operation's events; it subscribes to some event types (none: all)."""

    class Format(models.TextChoices):
        STOPLINE = "stopline", "Stopline JSON (signed envelope)"
        SLACK = "slack", 'Slack-compatible ({"text": ...})'

    operation = models.ForeignKey(
        "criteria.Operation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True)
    payload_format = models.CharField(max_length=10, choices=Format.choices, default="stopline")
    # The signing key must be readable to sign; it is shown to people once, at creation.
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["operation", "id"]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        if event_type == EventType.TEST:
            return True
        return not self.event_types or event_type in self.event_types

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class Delivery(models.Model):
    """One event to one receiver. Claimed with a conditional update and a lease, so a
    redelivered task never sends twice at once, and a worker that died mid-send is retried
    once the lease has run out."""

    class Channel(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField(help_text="After this a failed try marks it failed.")
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "target"], name="delivery_once_per_target"
            ),
            models.CheckConstraint(
                condition=Q(channel="email") | Q(endpoint__isnull=False) | Q(status="failed"),
                name="delivery_webhook_has_endpoint",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.target}: {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.DELIVERED, self.Status.FAILED)
