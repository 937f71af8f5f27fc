"""The kiosk network: franchisees, their kiosks, operators, consent, wallets,
commission, complaints and ratings. Guide: docs/kiosks.md.

A person applies to run a kiosk (``KioskApplication``), pays a registration fee
and is reviewed by the district coordinator or operator staff. Approval opens a
``Kiosk`` with a code (``K`` + district + sequence + check character), a prepaid
wallet (ledger account ``kiosk_wallet:<code>``) and the owner's login
(``KioskOperator`` with role franchisee). The franchisee adds operator logins.

Money lives in the ledger only; the rows here describe it (a deposit slip, a
commission statement, a payout batch) and name the journal entry that moved it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ekseva.accounts.scope import Scope
from ekseva.core.errors import BilingualError


class KioskError(BilingualError):
    """A refusal in English and Hindi; ``field`` names the form field it concerns."""

    def __init__(self, en: str, hi: str = "", *, field: str = "") -> None:
        super().__init__(en, hi)
        self.field = field


class KioskSuspended(KioskError):
    status = 403


class ConsentRequired(KioskError):
    status = 403


class Kind(models.TextChoices):
    PORTAL_KIOSK = "portal_kiosk", "portal kiosk"
    CSC = "csc", "Common Service Centre"
    CYBER_CAFE = "cyber_cafe", "cyber cafe"


KIND_TEXT = {
    Kind.PORTAL_KIOSK: ("Portal kiosk", "पोर्टल कियोस्क"),
    Kind.CSC: ("Common Service Centre", "कॉमन सर्विस सेंटर"),
    Kind.CYBER_CAFE: ("Cyber cafe", "साइबर कैफ़े"),
}


class Location(models.Model):
    """Where a kiosk is (or would be): shared by the application and the kiosk."""

    district = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    tehsil = models.ForeignKey(
        "geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=300)
    pin_code = models.CharField(max_length=6, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # e.g. "Mon–Sat 09:00–19:00" in both languages, as the franchisee writes them
    opening_hours_en = models.CharField(max_length=120, blank=True)
    opening_hours_hi = models.CharField(max_length=120, blank=True)

    class Meta:
        abstract = True


class Owner(models.Model):
    """The franchisee's identity and bank: shared by the application and the kiosk.
    Aadhaar is kept only as the accounts app's HMAC token plus its last 4 digits."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    business_name = models.CharField(max_length=150)
    owner_name = models.CharField(max_length=150)
    owner_mobile = models.CharField(max_length=10)
    owner_email = models.EmailField(blank=True)
    pan = models.CharField(max_length=10)
    aadhaar_token = models.CharField(max_length=64, blank=True)
    aadhaar_last4 = models.CharField(max_length=4, blank=True)
    bank_account_name = models.CharField(max_length=150)
    bank_account_number = models.CharField(max_length=18)
    bank_ifsc = models.CharField(max_length=11)
    shop_registration = models.CharField(max_length=60, blank=True)

    class Meta:
        abstract = True

    @property
    def bank_account_masked(self) -> str:
        return "XXXX" + self.bank_account_number[-4:]


class KioskApplication(Owner, Location):
    """An application to become a franchisee and open a kiosk."""

    class Status(models.TextChoices):
        FEE_PENDING = "fee_pending", "fee pending"
        UNDER_REVIEW = "under_review", "under review"
        RETURNED = "returned", "returned for correction"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"

    reference = models.CharField(max_length=20, unique=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kiosk_applications"
    )
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    # Service codes the kiosk means to offer (empty: every kiosk-channel service).
    services = models.JSONField(default=list, blank=True)
    fee_paise = models.BigIntegerField(default=0)
    fee_payment = models.CharField(max_length=20, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    # The last review's reason (return or rejection), in the reviewer's words.
    review_reason = models.TextField(blank=True)
    fix_fields = models.JSONField(default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    kiosk = models.OneToOneField(
        "Kiosk", null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "district"], name="kiosk_app_status_district")]

    def __str__(self) -> str:
        return self.reference

    def access_scope(self) -> Scope:
        return Scope(admin_unit=self.district_id, owner_user_id=self.applicant_id)


class KioskApplicationEvent(models.Model):
    """Each move of an application (submitted, paid, returned, resubmitted, decided)."""

    application = models.ForeignKey(
        KioskApplication, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField()
    to_status = models.CharField(max_length=20, choices=KioskApplication.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.to_status}"


class KioskApplicationDocument(models.Model):
    """A KYC document of an application (PAN card, Aadhaar, bank passbook, shop licence, photo)."""

    application = models.ForeignKey(
        KioskApplication, on_delete=models.CASCADE, related_name="documents"
    )
    document_id = models.CharField(max_length=30)
    file = models.FileField(upload_to="kiosks/kyc/%Y/%m/")
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "document_id"], name="kiosk_app_one_document_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.document_id}"


class Kiosk(Owner, Location):
    """A kiosk that may transact for citizens (while active)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        SUSPENDED = "suspended", "suspended"
        CLOSED = "closed", "closed"

    code = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    services = models.JSONField(default=list, blank=True)
    # An SMS goes to the owner when a debit takes the wallet below this (paise).
    low_balance_paise = models.BigIntegerField(default=50_000)
    low_balance_alerted_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "district"], name="kiosk_status_district")]

    def __str__(self) -> str:
        return f"{self.code} {self.business_name}"

    def access_scope(self) -> Scope:
        return Scope(admin_unit=self.district_id, kiosk_code=self.code)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def kind_text(self, language: str) -> str:
        en, hi = KIND_TEXT[Kind(self.kind)]
        return hi if language == "hi" else en

    def opening_hours(self, language: str) -> str:
        return (self.opening_hours_hi if language == "hi" else "") or self.opening_hours_en


class KioskStatusChange(models.Model):
    """Suspension, reinstatement or closure of a kiosk, with the reason (append only)."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="status_changes")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, choices=Kiosk.Status.choices)
    to_status = models.CharField(max_length=20, choices=Kiosk.Status.choices)
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kiosk_id}: {self.from_status} → {self.to_status}"


class KioskOperator(models.Model):
    """A login of a kiosk: the franchisee (owner) or an operator they added. The
    account is a staff user with a kiosk posting; it is activated by the person
    themselves from a link sent by SMS (set a password, enrol the authenticator)."""

    class Role(models.TextChoices):
        FRANCHISEE = "franchisee", "franchisee"
        OPERATOR = "kiosk_operator", "kiosk operator"

    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="operators")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kiosk_operator"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    name = models.CharField(max_length=150)
    mobile = models.CharField(max_length=10)
    activation_hash = models.CharField(max_length=64, blank=True)
    activation_expires_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kiosk", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role}) @ {self.kiosk_id}"


class Consent(models.Model):
    """A citizen's consent, given by an OTP sent to their own mobile, for one kiosk
    to act for them until ``expires_at``. The OTP challenge is consumed once; its
    purpose names the kiosk, so a code sent for one kiosk cannot serve another."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="consents")
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kiosk_consents"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    challenge = models.OneToOneField(
        "accounts.OtpChallenge", on_delete=models.PROTECT, related_name="kiosk_consent"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kiosk", "citizen", "-expires_at"], name="consent_lookup")]

    def __str__(self) -> str:
        return f"consent {self.citizen_id} → kiosk {self.kiosk_id}"


class WalletDeposit(models.Model):
    """Money a franchisee paid into the operator's bank account, to be credited to
    the wallet once operator staff find it in the bank statement."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "waiting for verification"
        VERIFIED = "verified", "verified and credited"
        REJECTED = "rejected", "rejected"

    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="deposits")
    amount = models.BigIntegerField()
    bank_reference = models.CharField(max_length=40)
    deposited_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One bank transaction credits one wallet once (a rejected slip may be resent).
            models.UniqueConstraint(
                fields=["bank_reference"],
                condition=~Q(status="rejected"),
                name="kiosk_deposit_reference_once",
            )
        ]

    def __str__(self) -> str:
        return f"deposit {self.bank_reference} ({self.status})"

    def access_scope(self) -> Scope:
        return self.kiosk.access_scope()


class PayoutBatch(models.Model):
    """Commission paid out to franchisees' bank accounts in one bank file."""

    class Status(models.TextChoices):
        CREATED = "created", "created"
        PAID = "paid", "paid"

    reference = models.CharField(max_length=20, unique=True)
    month = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    total = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    bank_reference = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference


class CommissionStatement(models.Model):
    """A kiosk's commission for one month: gross (kiosk charges earned less those
    refunded), TDS deducted, net payable; paid through a payout batch."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(help_text="the first day of the month")
    transactions = models.PositiveIntegerField(default=0)
    gross = models.BigIntegerField(default=0)
    tds_rate_bp = models.PositiveIntegerField(help_text="basis points: 200 = 2%")
    tds = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)
    tds_entry_id = models.BigIntegerField(null=True, blank=True)
    payout = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "kiosk"]
        constraints = [
            models.UniqueConstraint(fields=["kiosk", "month"], name="kiosk_statement_once")
        ]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.month:%Y-%m}"

    def access_scope(self) -> Scope:
        return self.kiosk.access_scope()


class Complaint(models.Model):
    """A citizen's complaint against a kiosk (overcharging, behaviour, other)."""

    class Kind(models.TextChoices):
        OVERCHARGING = "overcharging", "overcharging"
        BEHAVIOUR = "behaviour", "behaviour"
        SERVICE = "service", "poor service"
        OTHER = "other", "other"

    class Status(models.TextChoices):
        OPEN = "open", "open"
        UPHELD = "upheld", "upheld"
        DISMISSED = "dismissed", "dismissed"

    reference = models.CharField(max_length=20, unique=True)
    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="complaints")
    application_number = models.CharField(max_length=24, blank=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_charged = models.BigIntegerField(null=True, blank=True)
    official_amount = models.BigIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    mobile = models.CharField(max_length=10, blank=True)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    def access_scope(self) -> Scope:
        return self.kiosk.access_scope()


class Rating(models.Model):
    """A citizen's rating (1–5) of the kiosk that served one of their applications."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.PROTECT, related_name="ratings")
    application_number = models.CharField(max_length=24, unique=True)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="kiosk_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_number}: {self.stars}"
