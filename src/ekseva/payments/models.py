"""Payments: what was asked for, what the gateway said, what was given back.

A ``Payment`` is money asked for one *purpose* (an application fee, a wallet
top-up …) and one *target* (an application number, a kiosk code). Its status
moves only along ``TRANSITIONS``; every move is a ``PaymentEvent`` row
(append-only). Every gateway callback is a ``GatewayEvent`` row, unique by
(gateway, event id), so a callback delivered twice is seen once. Refunds are
``Refund`` rows. Money itself lives in the ledger: a payment's rows only point
at the journal entries by their idempotency keys (docs/payments.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ekseva.core.errors import BilingualError


class PaymentError(BilingualError):
    """A refusal with a message for people in English and Hindi; ``status`` is the
    HTTP status an API answers with."""


class IdempotencyConflict(PaymentError):
    """The idempotency key was used before with a different request body."""

    status = 409


class InvalidTransition(PaymentError):
    status = 409


class AlreadyPaid(PaymentError):
    status = 409


class SignatureError(PaymentError):
    """A return or webhook whose signature does not verify: refused, never applied."""

    status = 400


class GatewayUnavailable(PaymentError):
    """The gateway could not be reached or answered with an error; try again."""

    status = 503


class Status(models.TextChoices):
    CREATED = "created", "created"
    PENDING = "pending", "pending"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"
    EXPIRED = "expired", "expired"
    PARTLY_REFUNDED = "partly_refunded", "partly refunded"
    REFUNDED = "refunded", "refunded"


# The only moves a payment makes. failed/expired → succeeded is the *late
# success*: the citizen gave up or the gateway said no, then the money was taken.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CREATED: frozenset({Status.PENDING, Status.SUCCEEDED, Status.FAILED, Status.EXPIRED}),
    Status.PENDING: frozenset({Status.SUCCEEDED, Status.FAILED, Status.EXPIRED}),
    Status.FAILED: frozenset({Status.SUCCEEDED}),
    Status.EXPIRED: frozenset({Status.SUCCEEDED}),
    Status.SUCCEEDED: frozenset({Status.PARTLY_REFUNDED, Status.REFUNDED}),
    Status.PARTLY_REFUNDED: frozenset({Status.PARTLY_REFUNDED, Status.REFUNDED}),
    Status.REFUNDED: frozenset(),
}

OPEN_STATUSES = frozenset({Status.CREATED, Status.PENDING})
PAID_STATUSES = frozenset({Status.SUCCEEDED, Status.PARTLY_REFUNDED, Status.REFUNDED})


class Outcome(models.TextChoices):
    """What a succeeded payment did: exactly one of these, set once."""

    NONE = "", "not yet"
    FULFILLED = "fulfilled", "paid for its purpose"
    DUPLICATE = "duplicate", "refunded: the purpose was already paid"
    UNUSABLE = "unusable", "refunded: the purpose could no longer use it"


class Channel(models.TextChoices):
    ONLINE = "online", "online"
    KIOSK = "kiosk", "kiosk"


class Payment(models.Model):
    id = models.BigAutoField(primary_key=True)
    reference = models.CharField(max_length=20, unique=True)
    purpose = models.CharField(max_length=40)
    target = models.CharField(
        max_length=60, help_text="what is paid for, e.g. an application number"
    )
    description_en = models.CharField(max_length=200)
    description_hi = models.CharField(max_length=200)
    amount = models.BigIntegerField(help_text="paise")
    lines = models.JSONField(help_text="the itemised fee: code, labels, amount_paise, rule")

    # Dimensions for the ledger's daily rollups and the reports.
    department_code = models.CharField(max_length=20, blank=True, default="")
    service_code = models.CharField(max_length=60, blank=True, default="")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    district_code = models.CharField(max_length=20, blank=True, default="")
    kiosk_code = models.CharField(max_length=20, blank=True, default="")

    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    payer_name = models.CharField(max_length=120, blank=True, default="")
    payer_mobile = models.CharField(max_length=15, blank=True, default="")
    payer_email = models.EmailField(blank=True, default="")

    gateway = models.CharField(max_length=30)
    gateway_options = models.JSONField(
        default=dict, blank=True, help_text="the gateway's settings as they were (no secrets)"
    )
    gateway_order_id = models.CharField(max_length=80, null=True, blank=True)
    gateway_payment_id = models.CharField(max_length=80, blank=True, default="")
    method = models.CharField(max_length=30, blank=True, default="")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    effect_key = models.CharField(
        max_length=120,
        null=True,
        blank=True,
        unique=True,
        help_text="set when the payment takes effect; unique, so a purpose that is paid once "
        "can take effect once",
    )
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    refunded_amount = models.BigIntegerField(default=0)

    idempotency_key = models.CharField(max_length=100, unique=True)
    request_digest = models.CharField(max_length=64)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="the citizen's checkout window closes here")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    poll_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["purpose", "target"], name="payments_purpose_target"),
            models.Index(fields=["status", "next_poll_at"], name="payments_status_poll"),
            models.Index(fields=["gateway", "gateway_payment_id"], name="payments_gateway_payment"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_order_id"], name="payments_gateway_order_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_amount_gt0"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="payments_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def description(self, language: str) -> str:
        return self.description_hi if language == "hi" else self.description_en

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded_amount if self.is_paid else 0

    def dimensions(self) -> dict[str, str]:
        """The rollup dimensions of this payment's ledger entries (empty ones left out)."""
        dims = {
            "department": self.department_code,
            "service": self.service_code,
            "channel": self.channel,
            "district": self.district_code,
            "purpose": self.purpose.replace("-", "_"),
        }
        return {key: value for key, value in dims.items() if value}

    def access_scope(self) -> Any:
        """Its department, kiosk, payer and the district its ``district_code`` names
        (the part of the ``AdminUnit`` code after ``district:``, since a ledger
        dimension may not carry the colon), so a district posting covers it."""
        from ekseva.accounts.scope import Scope
        from ekseva.geo.models import AdminUnit

        unit = None
        if self.district_code:
            unit = (
                AdminUnit.objects.filter(code=f"district:{self.district_code}")
                .values_list("pk", flat=True)
                .first()
            )
        return Scope(
            department_code=self.department_code,
            admin_unit=unit,
            kiosk_code=self.kiosk_code,
            owner_user_id=self.payer_id,
        )


class PaymentEvent(models.Model):
    """One move of a payment, appended, never changed: who or what moved it and why."""

    id = models.BigAutoField(primary_key=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    source = models.CharField(
        max_length=20, help_text="citizen, return, webhook, poll, sweep, reconciliation, staff"
    )
    note = models.CharField(max_length=300, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status} → {self.to_status} ({self.source})"


class GatewayEvent(models.Model):
    """A callback from a gateway (return or webhook), recorded before it is applied.
    Unique by (gateway, event_id): a second delivery is recognised and ignored."""

    id = models.BigAutoField(primary_key=True)
    gateway = models.CharField(max_length=30)
    event_id = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="gateway_events"
    )
    received_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    result = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="payments_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "pending"  # owed to the citizen, not yet accepted by the gateway
    PROCESSED = "processed", "processed"
    FAILED = "failed", "failed"  # the gateway refused; retried by the sweep


class RefundKind(models.TextChoices):
    MANUAL = "manual", "by staff"
    DUPLICATE = "duplicate", "paid twice"
    UNUSABLE = "unusable", "the purpose could no longer use it"
    WITHDRAWAL = "withdrawal", "the applicant withdrew"


class Refund(models.Model):
    id = models.BigAutoField(primary_key=True)
    reference = models.CharField(max_length=20, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    lines = models.JSONField(help_text="how the amount is taken back from the fee lines")
    kind = models.CharField(max_length=20, choices=RefundKind.choices)
    reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    gateway_refund_id = models.CharField(max_length=80, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    idempotency_key = models.CharField(max_length=100, unique=True)
    request_digest = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payments_refund_gt0"),
        ]

    def __str__(self) -> str:
        return self.reference


# --------------------------------------------------------------------------- sandbox
# The sandbox gateway's own books: what a real gateway keeps on its side. Only
# gateways/sandbox.py and its views touch these tables.


class SandboxOrder(models.Model):
    order_id = models.CharField(max_length=40, unique=True)
    receipt = models.CharField(max_length=40, help_text="the merchant's reference (our payment)")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=12, default="created")  # created, paid, failed
    scenario = models.CharField(max_length=30, blank=True, default="")
    method = models.CharField(max_length=20, blank=True, default="")
    payment_id = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    attempts = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.order_id


class SandboxWebhook(models.Model):
    """A webhook the sandbox will send (or has sent): scenarios schedule late,
    duplicated and out-of-order deliveries."""

    order = models.ForeignKey(SandboxOrder, on_delete=models.CASCADE, related_name="webhooks")
    event_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    due_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind}"


class SandboxRefund(models.Model):
    refund_id = models.CharField(max_length=40, unique=True)
    order = models.ForeignKey(SandboxOrder, on_delete=models.CASCADE, related_name="refunds")
    merchant_reference = models.CharField(max_length=40, unique=True)
    amount = models.BigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.refund_id


# --------------------------------------------------------------------------- reconciliation


class ReconciliationRun(models.Model):
    """One imported gateway settlement file. Importing the same file again (same
    gateway and SHA-256) returns this run instead of posting twice."""

    gateway = models.CharField(max_length=30)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True, help_text="items per category")
    gross = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "file_sha256"], name="payments_recon_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.file_name}"


class ItemCategory(models.TextChoices):
    MATCHED = "matched", "matched"
    LATE_SUCCESS = "late_success", "late success resolved"
    NOT_IN_LEDGER = "not_in_ledger", "in the file, not in the ledger"
    NOT_IN_FILE = "not_in_file", "in the ledger, not in the file"
    AMOUNT_DIFFERS = "amount_differs", "amount differs"
    FEE_DIFFERS = "fee_differs", "fee differs"
    REFUND_MATCHED = "refund_matched", "refund matched"
    REFUND_UNKNOWN = "refund_unknown", "refund not in the ledger"


class ReconciliationItem(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    line = models.PositiveIntegerField(null=True, blank=True, help_text="line in the file")
    category = models.CharField(max_length=20, choices=ItemCategory.choices, db_index=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="recon_items"
    )
    gateway_payment_id = models.CharField(max_length=80, blank=True, default="")
    order_id = models.CharField(max_length=80, blank=True, default="")
    file_amount = models.BigIntegerField(null=True, blank=True)
    ledger_amount = models.BigIntegerField(null=True, blank=True)
    file_fee = models.BigIntegerField(null=True, blank=True)
    expected_fee = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.line} {self.category}"


# --------------------------------------------------------------------------- settlement


class SettlementStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    POSTED = "posted", "posted (payable → bank)"


class Settlement(models.Model):
    """What a department is owed for a period: collected less refunded, as a
    statement; posting it moves the sum from department payable to the bank."""

    reference = models.CharField(max_length=20, unique=True)
    department_code = models.CharField(max_length=20)
    frequency = models.CharField(max_length=10)  # daily, weekly
    period_start = models.DateField()
    period_end = models.DateField()
    collected = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    owed = models.BigIntegerField(default=0)
    payments_count = models.PositiveIntegerField(default=0)
    refunds_count = models.PositiveIntegerField(default=0)
    by_service = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.DRAFT
    )
    bank_reference = models.CharField(max_length=60, blank=True, default="")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_end", "department_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["department_code", "period_start", "period_end"],
                name="payments_settlement_once",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="payments_settlement_period",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def access_scope(self) -> Any:
        from ekseva.accounts.scope import Scope

        return Scope(department_code=self.department_code)
