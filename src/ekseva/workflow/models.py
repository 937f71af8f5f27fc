"""The back office: each received application is a ``Case`` that moves through its
service version's stages by ``Action`` rows (appended, never edited), against the
time limit of the Public Services Guarantee Act, with a delay register, appeals and
penalties. Guide: docs/workflow.md.

The stages are data in the pinned service version (``workflow`` in its definition;
``definition.stages_of(version)``); the actions each stage allows and where they
lead are the explicit map in ``definition.TRANSITIONS``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ekseva.accounts.scope import Scope
from ekseva.core.errors import BilingualError


class WorkflowError(BilingualError):
    """A refusal in English and Hindi; ``field`` names the form field it concerns."""

    def __init__(self, en: str, hi: str = "", *, field: str = "") -> None:
        super().__init__(en, hi)
        self.field = field


class NotAllowed(WorkflowError):
    status = 403


class Holiday(models.Model):
    """A public holiday staff declare (a local holiday the ``holidays`` package does
    not know); working-day arithmetic counts it from the moment it is added."""

    date = models.DateField(unique=True)
    name_en = models.CharField(max_length=120)
    name_hi = models.CharField(max_length=120, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name_en}"


class Case(models.Model):
    """An application in the back office: its stage, its officer, its clock."""

    class State(models.TextChoices):
        OPEN = "open", "open"  # with an officer
        RETURNED = "returned", "returned to the applicant"  # the clock is paused
        DISPOSED = "disposed", "disposed"  # approved or rejected

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="case"
    )
    # Copied from the application for the queues and figures (indexed).
    department_code = models.CharField(max_length=20)
    service_code = models.CharField(max_length=60)
    district = models.ForeignKey(
        "geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    stage = models.CharField(max_length=40)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # The officer answerable under the Act for the time limit (the designated officer).
    designated_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField()
    limit_days = models.PositiveIntegerField(null=True, blank=True)
    limit_kind = models.CharField(max_length=10, blank=True)  # working | calendar
    # The due date, moved later by the days the clock was paused (returned).
    due_date = models.DateField(null=True, blank=True)
    paused_on = models.DateField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    # A rule of the version says the case is clean (all checks passed): bulk approval.
    clean = models.BooleanField(default=False)
    breached_on = models.DateField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_on = models.DateField(null=True, blank=True)
    disposed_on = models.DateField(null=True, blank=True)
    disposed_in_time = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=10, blank=True)  # approved | rejected
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "state", "due_date"], name="case_inbox"),
            models.Index(
                fields=["department_code", "district", "state"], name="case_department_district"
            ),
            models.Index(fields=["state", "due_date"], name="case_due"),
        ]

    def __str__(self) -> str:
        return f"case of {self.application_id} at {self.stage}"

    def access_scope(self) -> Scope:
        return Scope(
            department_code=self.department_code,
            admin_unit=self.district_id,
            owner_user_id=self.application.applicant_id,
        )


class Action(models.Model):
    """One thing done to a case: appended, never edited. ``kind`` is an officer's
    action (forward, approve, reject, return, ask_document, schedule_hearing), an
    assignment (assign, reassign, transfer, escalate) or the applicant's (resubmit)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20)
    stage = models.CharField(max_length=40)
    to_stage = models.CharField(max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason_code = models.CharField(max_length=40, blank=True)
    remark = models.TextField(blank=True)
    # What to fix (fields / documents) for a return; the document asked for.
    fields = models.JSONField(default=list, blank=True)
    hearing_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["kind", "at"], name="action_kind_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.stage}"


class DelayRecord(models.Model):
    """The delay register: a case past its due date, whose it was, and where it went."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="delays")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(max_length=40)
    due_date = models.DateField()
    breached_on = models.DateField()
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Filled when the case is finally disposed: how many days late it was.
    days_late = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case"], name="delay_once_per_case")]

    def __str__(self) -> str:
        return f"delay of case {self.case_id}"


class Appeal(models.Model):
    """A first or second appeal under the Act, by the applicant, against a rejection
    or a breach of the time limit; heard and ordered by an appellate officer."""

    class Level(models.IntegerChoices):
        FIRST = 1, "first appeal"
        SECOND = 2, "second appeal"

    class Ground(models.TextChoices):
        REJECTED = "rejected", "the application was rejected"
        DELAYED = "delayed", "no decision within the time limit"

    class Status(models.TextChoices):
        FILED = "filed", "filed"
        HEARING = "hearing", "hearing scheduled"
        DECIDED = "decided", "order passed"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "allowed"
        DISMISSED = "dismissed", "dismissed"

    reference = models.CharField(max_length=20, unique=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    ground = models.CharField(max_length=10, choices=Ground.choices)
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals"
    )
    statement = models.TextField()
    filed_at = models.DateTimeField()
    appellate_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FILED)
    hearing_at = models.DateTimeField(null=True, blank=True)
    hearing_place = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    order_text = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "level"], name="appeal_once_per_level"),
        ]

    def __str__(self) -> str:
        return self.reference

    def access_scope(self) -> Scope:
        return Scope(
            department_code=self.case.department_code,
            admin_unit=self.case.district_id,
            owner_user_id=self.appellant_id,
        )


class Penalty(models.Model):
    """A penalty on the officer responsible for a delay (₹250 a day up to ₹5,000 under
    the Act), and compensation to the applicant where the order grants it."""

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="penalty")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="penalties"
    )
    days_late = models.PositiveIntegerField()
    amount = models.BigIntegerField(help_text="paise")
    compensation = models.BigIntegerField(default=0, help_text="paise, to the applicant")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="penalty_not_negative"),
        ]

    def __str__(self) -> str:
        return f"penalty on {self.officer_id} ({self.amount} paise)"
