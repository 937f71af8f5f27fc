"""The double-entry ledger's tables (guide: docs/ledger.md).

Sign convention: a ``Posting.amount`` is signed integer paise, **debit positive,
credit negative**; the postings of one ``JournalEntry`` sum to zero. An account's
*balance* is shown on its normal side: ``Account.sign * sum(amounts)``, so a
kiosk wallet holding ₹100 (a liability, credit-normal) has balance 10000.

Entries and postings are append-only: ``save()`` of a stored row, ``delete()``
and queryset ``update()``/``delete()`` refuse, and database triggers refuse
UPDATE/DELETE as well (migration 0002). A mistake is undone by a reversing entry.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class LedgerError(Exception):
    """A refusal with a message for people in English and Hindi."""

    def __init__(self, en: str, hi: str = "") -> None:
        super().__init__(en)
        self.en, self.hi = en, hi or en


class ImmutableLedgerError(LedgerError):
    """Somebody tried to change or delete a journal entry or posting."""


def _refuse_change(what: str) -> ImmutableLedgerError:
    return ImmutableLedgerError(
        f"A {what} is never changed or deleted; post a reversing entry instead.",
        "खाता प्रविष्टि बदली या हटाई नहीं जा सकती; उलटी (रिवर्सल) प्रविष्टि दर्ज करें।",
    )


class Side(models.TextChoices):
    DEBIT = "debit", "debit"
    CREDIT = "credit", "credit"


class AccountKind(models.TextChoices):
    GATEWAY_CLEARING = "gateway_clearing", "Gateway clearing"
    DEPARTMENT_PAYABLE = "department_payable", "Department payable"
    OPERATOR_REVENUE = "operator_revenue", "Operator revenue"
    GST_PAYABLE = "gst_payable", "GST payable"
    KIOSK_WALLET = "kiosk_wallet", "Kiosk wallet"
    KIOSK_COMMISSION_PAYABLE = "kiosk_commission_payable", "Kiosk commission payable"
    TDS_PAYABLE = "tds_payable", "TDS payable"
    REFUNDS_PAYABLE = "refunds_payable", "Refunds payable"
    BANK = "bank", "Bank"
    GATEWAY_FEES = "gateway_fees", "Gateway fees"


class Account(models.Model):
    """One account of the chart; opened through ``ledger.accounts.get_or_open``."""

    code = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    owner = models.CharField(max_length=60, blank=True, default="")
    normal_side = models.CharField(max_length=6, choices=Side.choices)
    may_go_negative = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner"], name="ledger_account_kind_owner"),
            models.CheckConstraint(
                condition=models.Q(normal_side__in=["debit", "credit"]),
                name="ledger_account_side",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def sign(self) -> int:
        """+1 for debit-normal accounts, -1 for credit-normal ones."""
        return 1 if self.normal_side == Side.DEBIT else -1


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update/delete would bypass the model's refusal; refuse them too."""

    def update(self, **kwargs: Any) -> int:
        raise _refuse_change(self.model._meta.verbose_name)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse_change(self.model._meta.verbose_name)


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refuse_change(self._meta.verbose_name)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise _refuse_change(self._meta.verbose_name)


class JournalEntry(AppendOnly):
    """One movement of money: postings that sum to zero, written in one transaction."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    day = models.DateField(db_index=True, help_text="created_at's date in the portal time zone")
    kind = models.CharField(max_length=40)
    memo = models.CharField(max_length=200, blank=True, default="")
    reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    lines_digest = models.CharField(max_length=64, help_text="SHA-256 of kind and postings")
    dimensions = models.CharField(max_length=200, blank=True, default="")
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(AppendOnly):
    """One line of an entry: signed paise, debit positive, credit negative."""

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()

    class Meta:
        verbose_name = "posting"
        indexes = [models.Index(fields=["account", "id"], name="ledger_posting_account_id")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_posting_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class WalletBalance(models.Model):
    """The running balance of an account that must never go negative (a kiosk
    wallet): the one row locked with select_for_update on the hot path.

    ``balance`` is on the account's normal side; the database refuses < 0."""

    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, primary_key=True, related_name="wallet_balance"
    )
    balance = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="ledger_wallet_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


class BalanceSnapshot(models.Model):
    """An account's normal-side balance over all its postings with id <= as_of;
    ``selectors.balance`` adds only the postings after the latest one."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="snapshots")
    as_of = models.BigIntegerField(help_text="id of the last posting included")
    balance = models.BigIntegerField()
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="ledger_snapshot_once"),
        ]
        indexes = [models.Index(fields=["as_of"], name="ledger_snapshot_as_of")]

    def __str__(self) -> str:
        return f"{self.account_id}@{self.as_of}: {self.balance}"


ROLLUP_SHARDS = 8


class DailyRollup(models.Model):
    """Per day × account × dimensions × shard: debits, credits and postings count.

    Written by an UPSERT after the business rows of each entry; the shard
    (entry id % ROLLUP_SHARDS) spreads a busy account's day over several rows so
    concurrent entries do not queue on one. Readers sum over shards.
    ``dimensions`` is a canonical "key=value;…" string (``services.dimensions_key``)."""

    day = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="rollups")
    dimensions = models.CharField(max_length=200, blank=True, default="")
    shard = models.PositiveSmallIntegerField()
    debits = models.BigIntegerField(default=0)
    credits = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "account", "dimensions", "shard"], name="ledger_rollup_key"
            ),
        ]
        indexes = [models.Index(fields=["account", "day"], name="ledger_rollup_account_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} [{self.dimensions}] #{self.shard}"
