"""Departments (the portal's clients), their services, and immutable service versions.

A ``ServiceVersion`` holds the whole service definition as data (form, rules, fees,
documents, time limit, workflow). Once published it never changes: applications pin
it. That is enforced twice: in ``save()``/``delete()`` here, and by a database
trigger (migration 0002) so that no query, however written, can edit it.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ekseva.core import clock
from ekseva.core.models import BilingualName

# The first four letters of an IFSC name the bank. A list of the banks a state
# department settles with; extend it as departments are onboarded.
KNOWN_BANK_PREFIXES = frozenset(
    {
        "SBIN", "BKID", "CNRB", "PUNB", "UBIN", "BARB", "CBIN", "IOBA", "UCBA", "IDIB",
        "MAHB", "PSIB", "HDFC", "ICIC", "UTIB", "KKBK", "YESB", "IDFB", "INDB", "RBIS",
        "AUBL", "MPRB", "CIUB", "FDRL", "KARB", "SIBL", "BKDN", "ORBC", "ALLA", "ANDB",
    }
)  # fmt: skip
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")


class CatalogError(Exception):
    """A refusal with a message for people in English and Hindi."""

    def __init__(self, en: str, hi: str = "") -> None:
        super().__init__(en)
        self.en, self.hi = en, hi or en


class ImmutableVersionError(CatalogError):
    pass


def normalise_text(text: str) -> str:
    """NFC, case-folded, single-spaced: what search compares on both databases.

    Devanagari typed on phones arrives in either composed or decomposed form
    (e.g. nukta letters); NFC makes them compare equal.
    """
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


def validate_ifsc(value: str) -> None:
    if not IFSC_RE.match(value or ""):
        raise ValidationError(
            _("IFSC must be 11 characters: 4 letters, a zero, then 6 letters or digits."),
            code="ifsc_format",
        )
    if value[:4] not in KNOWN_BANK_PREFIXES:
        raise ValidationError(
            _("IFSC names a bank we do not know: %(bank)s"),
            params={"bank": value[:4]},
            code="ifsc_bank",
        )


class Category(models.TextChoices):
    EDUCATIONAL = "educational", _("Educational")
    RECRUITMENT = "recruitment", _("Recruitment")
    CITIZEN = "citizen", _("Citizen services")
    BUSINESS = "business", _("Business and licences")
    BILL_PAYMENT = "bill_payment", _("Bill payment")


class Deliverable(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    CERTIFICATE = "certificate", _("Certificate")
    ADMIT_CARD = "admit_card", _("Admit card")
    LICENCE = "licence", _("Licence")


class Department(BilingualName, models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government department")
        UNIVERSITY = "university", _("University")
        EXAM_BOARD = "exam_board", _("Examination board")
        PSC = "psc", _("Public service commission")
        UTILITY = "utility", _("Utility")
        URBAN_BODY = "urban_body", _("Urban body")

    code = models.CharField(max_length=20, unique=True)
    name_en = models.CharField(max_length=200)
    name_hi = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    account_name = models.CharField(max_length=200, blank=True)
    account_number = models.CharField(max_length=20, blank=True)
    ifsc = models.CharField(max_length=11, blank=True, validators=[validate_ifsc])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.code


class Service(BilingualName, models.Model):
    code = models.CharField(max_length=60, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="services")
    name_en = models.CharField(max_length=250)
    name_hi = models.CharField(max_length=250)
    keywords_en = models.JSONField(default=list, blank=True)
    keywords_hi = models.JSONField(default=list, blank=True)
    current_version = models.ForeignKey(
        "ServiceVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # NFC-normalised, case-folded names and keywords in both languages: the
    # SQLite search and the Hindi substring match read this.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.code

    def refresh_search_text(self) -> None:
        parts = [self.name_en, self.name_hi, *self.keywords_en, *self.keywords_hi, self.code]
        self.search_text = normalise_text(" | ".join(parts))


class ServiceVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_from = models.CharField(max_length=300, blank=True)
    # SHA-256 of the YAML file's bytes: lets a reload skip unchanged files unparsed.
    source_hash = models.CharField(max_length=64, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    # Denormalised from ``definition`` at creation, for browsing and filtering.
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    channels = models.JSONField(default=list)
    opens = models.DateField(null=True, blank=True)
    closes = models.DateField(null=True, blank=True)
    deliverable = models.CharField(max_length=20, choices=Deliverable.choices)
    time_limit_days = models.PositiveIntegerField(null=True, blank=True)
    time_limit_kind = models.CharField(max_length=10, blank=True)
    # "|district:123|district:456|" or "" for every district (a LIKE works on both databases).
    district_codes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["service", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="catalog_version_number"),
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="published"),
                name="catalog_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.number} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        """Refuse to change a published version (retiring it is done by a service
        with a queryset update that touches only status and retired_at, which the
        trigger allows)."""
        if self._stored_status() == self.Status.PUBLISHED:
            raise ImmutableVersionError(
                "A published service version cannot be changed; make a new draft.",
                "प्रकाशित सेवा संस्करण बदला नहीं जा सकता; नया प्रारूप बनाइए।",
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() in (self.Status.PUBLISHED, self.Status.RETIRED):
            raise ImmutableVersionError(
                "A published service version cannot be deleted.",
                "प्रकाशित सेवा संस्करण हटाया नहीं जा सकता।",
            )
        return super().delete(*args, **kwargs)

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return ServiceVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def districts(self) -> list[str]:
        return [c for c in self.district_codes.split("|") if c]
