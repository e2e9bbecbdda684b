"""Guardrails: what the AI platform must obey right now (pauses per segment), and the
read-only keys it uses to ask over OpenFeature (OFREP)."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from criteria.models import Operation


class Segment(models.TextChoices):
    ALL = "all", "All conversations"
    SIMPLE = "simple", "Simple cases"
    COMPLEX = "complex", "Complex cases"


class Pause(models.Model):
    """One pause of the AI for a segment of an operation, from its start (who, why, from which
    review or emergency) until an explicit resume (who, why). Rows are never deleted: the
    table is the history. At most one pause stands per operation and segment."""

    class Source(models.TextChoices):
        REVIEW = "review", "Review decision"
        EMERGENCY = "emergency", "Emergency stop"
        COMMAND = "command", "Command line"

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="pauses")
    segment = models.CharField(max_length=10, choices=Segment.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    # The metrics Review that decided it (metrics depends on this app, not the reverse).
    review_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_name = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by_name = models.CharField(max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "segment"],
                condition=Q(ended_at__isnull=True),
                name="pause_one_standing_per_segment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.segment} paused {self.started_at:%Y-%m-%d}"

    @property
    def is_standing(self) -> bool:
        return self.ended_at is None


KEY_PREFIX = "slk_"


def key_digest(token: str) -> str:
    """Keys are 32 random bytes: a plain SHA-256 is enough to store them (no dictionary to
    attack), and it lets every request be looked up by its digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class FlagKey(models.Model):
    """A read-only OFREP key for one operation. Only its SHA-256 is stored; the key itself
    is shown once, when it is made."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="flag_keys")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16, help_text="The first characters, to recognise it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["operation", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
