"""The outbox: every SMS, email and in-app message is a row before anything is sent.

A ``Message`` row is written in the caller's transaction, so a message exists if
and only if the business change that caused it committed. Delivery moves the row
forward (queued → sending → sent | failed → … | dead); ``MessageAttempt`` keeps
the append-only history of every try.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    INAPP = "inapp", _("In-app")


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed (will retry)")
    DEAD = "dead", _("dead (gave up)")


class Message(models.Model):
    """One outbound message to one recipient, rendered at queue time."""

    channel = models.CharField(max_length=8, choices=Channel.choices)
    template = models.CharField(max_length=80)
    language = models.CharField(max_length=5, default="en")
    # Normalised address: 10-digit mobile, lower-cased email, or the user id for in-app.
    recipient = models.CharField(max_length=254, db_index=True)
    # A plain id, not a foreign key: notifications sits below accounts.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    # An email's attachment, rendered when sent (notifications.attachments): "kind:reference".
    attachment = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # When the current "sending" claim was taken; a claim older than the timeout
    # means the sender died mid-send and the sweep may retry.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_msg_sweep_idx"),
            models.Index(fields=["status", "claimed_at"], name="notif_msg_stale_idx"),
            models.Index(fields=["-created_at"], name="notif_msg_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notif_msg_dedupe_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="notif_msg_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="notif_msg_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} {self.template} → {self.recipient} ({self.status})"

    @property
    def reference(self) -> str:
        """The idempotency reference handed to providers: the same on every retry,
        so a provider that dedupes on it never delivers one message twice."""
        prefix = getattr(settings, "NOTIFY_REFERENCE_PREFIX", "ekseva")
        return f"{prefix}-{self.pk}"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "sent"
    FAILED = "failed", "failed"
    DEAD = "dead", "gave up"
    LOST = "lost", "lost (sender stopped mid-send)"


class MessageAttempt(models.Model):
    """One try at delivering a message. Rows are appended, never edited."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="history")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=AttemptOutcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message_id", "pk"]

    def __str__(self) -> str:
        return f"message {self.message_id} try {self.number}: {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("MessageAttempt rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("MessageAttempt rows are append-only")
