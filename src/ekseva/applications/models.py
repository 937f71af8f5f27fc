"""Applications: what a citizen (or a kiosk for them) asks a department for.

An ``Application`` pins the ``ServiceVersion`` it was made under; its answers,
documents and fee are read against that version for ever. Its status moves
only along ``TRANSITIONS``; every move appends a ``StatusChange`` (who, when, a
remark in both languages). Documents live in the applicant's **locker**
(``LockerDocument``) and are attached to applications, so one upload serves
many applications. Guide: docs/applications.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ekseva.accounts.scope import Scope
from ekseva.core.errors import BilingualError


class ApplicationError(BilingualError):
    """A refusal with a message for people in English and Hindi; ``field`` names
    the form field it concerns, if any; ``status`` the HTTP answer."""

    def __init__(self, en: str, hi: str = "", *, field: str = "") -> None:
        super().__init__(en, hi)
        self.field = field


class WindowClosed(ApplicationError):
    status = 409


class InvalidTransition(ApplicationError):
    status = 409


class Status(models.TextChoices):
    DRAFT = "draft", "draft"
    SUBMITTED = "submitted", "submitted"
    FEE_PENDING = "fee_pending", "fee pending"
    RECEIVED = "received", "received"
    IN_PROCESS = "in_process", "in process"
    RETURNED = "returned", "returned for correction"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    DELIVERED = "delivered", "delivered"
    WITHDRAWN = "withdrawn", "withdrawn"
    CLOSED = "closed", "closed"


TRANSITIONS: dict[str, frozenset[str]] = {
    # closed: the window ended with the draft unfinished
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.CLOSED}),
    Status.SUBMITTED: frozenset({Status.FEE_PENDING, Status.RECEIVED, Status.WITHDRAWN}),
    # closed: the fee was never paid by the last date
    Status.FEE_PENDING: frozenset({Status.RECEIVED, Status.WITHDRAWN, Status.CLOSED}),
    Status.RECEIVED: frozenset({Status.IN_PROCESS, Status.WITHDRAWN}),
    Status.IN_PROCESS: frozenset({Status.APPROVED, Status.REJECTED, Status.RETURNED}),
    # the applicant corrects and sends it back, or lets the time run out
    Status.RETURNED: frozenset({Status.IN_PROCESS, Status.CLOSED}),
    Status.APPROVED: frozenset({Status.DELIVERED}),
    Status.REJECTED: frozenset(),
    Status.DELIVERED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.CLOSED: frozenset(),
}

# Before processing starts an applicant may withdraw.
WITHDRAWABLE = frozenset({Status.SUBMITTED, Status.FEE_PENDING, Status.RECEIVED})
FINAL = frozenset({Status.REJECTED, Status.DELIVERED, Status.WITHDRAWN, Status.CLOSED})
# A submitted application can be corrected (in the version's window) unless it is
# a draft (edit it instead) or has ended without a decision for the applicant.
NOT_CORRECTABLE = frozenset({Status.DRAFT, Status.WITHDRAWN, Status.CLOSED, Status.REJECTED})

# Status in plain words for the applicant, both languages, and the next step.
STATUS_TEXT: dict[str, tuple[str, str]] = {
    Status.DRAFT: ("Draft: not yet submitted", "प्रारूप: अभी जमा नहीं हुआ"),
    Status.SUBMITTED: ("Submitted", "जमा किया गया"),
    Status.FEE_PENDING: ("Submitted; fee not yet paid", "जमा किया गया; शुल्क अभी बाकी है"),
    Status.RECEIVED: ("Received by the department", "विभाग को प्राप्त"),
    Status.IN_PROCESS: ("Being processed", "प्रक्रिया में"),
    Status.RETURNED: ("Returned to you for correction", "सुधार के लिए आपको लौटाया गया"),
    Status.APPROVED: ("Approved", "स्वीकृत"),
    Status.REJECTED: ("Rejected", "अस्वीकृत"),
    Status.DELIVERED: ("Delivered", "प्रदान किया गया"),
    Status.WITHDRAWN: ("Withdrawn", "वापस लिया गया"),
    Status.CLOSED: ("Closed", "बंद"),
}


class Channel(models.TextChoices):
    ONLINE = "online", "online"
    KIOSK = "kiosk", "kiosk"


class Application(models.Model):
    id = models.BigAutoField(primary_key=True)
    number = models.CharField(max_length=24, unique=True, null=True, blank=True)
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="applications"
    )
    version = models.ForeignKey(
        "catalog.ServiceVersion", on_delete=models.PROTECT, related_name="applications"
    )
    department_code = models.CharField(max_length=20, db_index=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    kiosk_code = models.CharField(max_length=20, blank=True, default="", db_index=True)
    district = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict, blank=True)
    step = models.CharField(max_length=60, blank=True, default="", help_text="the step to resume")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    late = models.BooleanField(default=False, help_text="submitted in the late window")
    fee_lines = models.JSONField(default=list, blank=True)
    fee_total = models.BigIntegerField(default=0)
    paid_payment = models.CharField(max_length=20, blank=True, default="")
    declaration_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0, help_text="bumped at every save")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["applicant", "-id"], name="applications_by_applicant"),
            models.Index(fields=["department_code", "status"], name="applications_dept_status"),
        ]

    def __str__(self) -> str:
        return self.number or f"draft #{self.pk}"

    def access_scope(self) -> Scope:
        return Scope(
            department_code=self.department_code,
            admin_unit=self.district_id,
            kiosk_code=self.kiosk_code,
            owner_user_id=self.applicant_id,
        )

    def status_text(self, language: str) -> str:
        en, hi = STATUS_TEXT[self.status]
        return hi if language == "hi" else en

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


class StatusChange(models.Model):
    """One move of an application, appended, never changed."""

    id = models.BigAutoField(primary_key=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, default="")
    remark_en = models.CharField(max_length=500, blank=True, default="")
    remark_hi = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"

    def remark(self, language: str) -> str:
        return self.remark_hi if language == "hi" else self.remark_en


class LockerDocument(models.Model):
    """A file in a citizen's document locker: checked once on upload, reusable."""

    class Kind(models.TextChoices):
        IMAGE = "image", "image"
        PDF = "pdf", "PDF"

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="locker_documents"
    )
    label = models.CharField(max_length=200, help_text="what it is, in the uploader's words")
    purpose = models.CharField(
        max_length=60, blank=True, default="", help_text="document id it was uploaded for"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to="locker/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "sha256"], name="applications_locker_once"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.label}"


class ApplicationDocument(models.Model):
    """A locker document attached to an application for one of the version's documents."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    document_id = models.CharField(max_length=60)
    locker_document = models.ForeignKey(
        LockerDocument, on_delete=models.PROTECT, related_name="attachments"
    )
    attached_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "document_id"], name="applications_document_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.document_id}"


class Correction(models.Model):
    """One correction made in the version's correction window (or on return):
    every changed field with its value before and after, kept for the officer."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="corrections"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(help_text="{field: [before, after]}")
    fee_payment = models.CharField(max_length=20, blank=True, default="")
    applied = models.BooleanField(default=True, help_text="False while its fee is unpaid")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.application_id} correction #{self.pk}"

    def access_scope(self) -> Any:
        return self.application.access_scope()
