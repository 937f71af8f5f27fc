"""Kernel tables: identifier sequences and the hash-chained audit log."""

from __future__ import annotations

from django.db import models


class BilingualName:
    """For models with ``name_en`` and ``name_hi``: the name in a language, English
    when the Hindi one is missing."""

    name_en: str
    name_hi: str

    def name(self, language: str = "en") -> str:
        return self.name_hi if language == "hi" and self.name_hi else self.name_en


class IdentifierSequence(models.Model):
    """One row per identifier sequence key (see ``ekseva.core.ids``)."""

    key = models.CharField(max_length=60, unique=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.last_value}"


class AuditEvent(models.Model):
    """Who did what, when, from where, to which object, before and after.

    Rows are only ever inserted (``ekseva.core.audit.record``). ``digest`` is the
    SHA-256 of the row's content, fixed at insert; the chain itself lives in
    ``AuditSeal`` so that writing an event never waits on a global lock.
    """

    at = models.DateTimeField(db_index=True)
    # A plain id, not a foreign key: the kernel depends on nothing of ours, and
    # the log must outlive the rows it speaks of.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=40, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    digest = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditSeal(models.Model):
    """The hash chain: one link per event, in the order events were sealed.

    ``chain_hash = sha256(prev_hash, position, event id, event digest recomputed
    from content, sealed_at)`` (``ekseva.core.audit.link_hash``).
    Editing, deleting or reordering an event or a link breaks the chain from
    that point, which ``ekseva audit verify`` reports.
    """

    position = models.BigIntegerField(unique=True)
    event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="seal", db_constraint=False
    )
    prev_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"seal {self.position} -> event {self.event_id}"
