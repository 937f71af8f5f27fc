"""The chart of accounts: which kinds exist, their normal side, who owns them.

    from ekseva.ledger import accounts
    wallet = accounts.get_or_open("kiosk_wallet", "K0001234")
    revenue = accounts.get_or_open("operator_revenue")

Per-owner kinds (gateway, department, kiosk) need an owner key; the others are
single accounts and take none (``bank`` may name one of several bank accounts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ekseva.core import clock

from .models import Account, AccountKind, LedgerError, Side, WalletBalance

_OWNER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")


@dataclass(frozen=True)
class KindRule:
    prefix: str  # the account code is "<prefix>:<owner>" or just "<prefix>"
    normal_side: str
    owner: str  # "required", "none" or "optional"
    may_go_negative: bool = True


CHART: dict[str, KindRule] = {
    # assets: debit-normal
    AccountKind.GATEWAY_CLEARING: KindRule("gateway", Side.DEBIT, "required"),
    AccountKind.BANK: KindRule("bank", Side.DEBIT, "optional"),
    # liabilities: credit-normal
    AccountKind.DEPARTMENT_PAYABLE: KindRule("dept_payable", Side.CREDIT, "required"),
    AccountKind.GST_PAYABLE: KindRule("gst_payable", Side.CREDIT, "none"),
    AccountKind.KIOSK_WALLET: KindRule("kiosk_wallet", Side.CREDIT, "required", False),
    AccountKind.KIOSK_COMMISSION_PAYABLE: KindRule("kiosk_commission", Side.CREDIT, "required"),
    AccountKind.TDS_PAYABLE: KindRule("tds_payable", Side.CREDIT, "none"),
    AccountKind.REFUNDS_PAYABLE: KindRule("refunds_payable", Side.CREDIT, "none"),
    # expense: debit-normal (what gateways keep of each payment, tax included)
    AccountKind.GATEWAY_FEES: KindRule("gateway_fees", Side.DEBIT, "optional"),
    # income: credit-normal
    AccountKind.OPERATOR_REVENUE: KindRule("operator_revenue", Side.CREDIT, "none"),
}


class AccountError(LedgerError):
    """An unknown kind or a bad owner key: a programming error, not user input."""


def code_for(kind: str, owner: str = "") -> str:
    """The account code for ``kind`` and ``owner``, e.g. ``dept_payable:LSG``."""
    rule = CHART.get(kind)
    if rule is None:
        raise AccountError(f"unknown account kind {kind!r}", f"अज्ञात खाता प्रकार {kind!r}")
    if rule.owner == "required" and not owner:
        raise AccountError(f"a {kind} account needs an owner key", "इस खाते के लिए स्वामी कुंजी चाहिए")
    if rule.owner == "none" and owner:
        raise AccountError(f"a {kind} account has no owner", "इस खाते का कोई स्वामी नहीं होता")
    if owner and not _OWNER_RE.match(owner):
        raise AccountError(f"bad owner key {owner!r}", f"अमान्य स्वामी कुंजी {owner!r}")
    return f"{rule.prefix}:{owner}" if owner else rule.prefix


def get_or_open(kind: str, owner: str = "") -> Account:
    """The account for (kind, owner), opened on first use. Idempotent and safe
    against a concurrent opener: the unique code decides, the loser reads the winner's row.

    A wallet (may_go_negative=False) gets its balance row in the same transaction."""
    code = code_for(kind, owner)
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    rule = CHART[kind]
    try:
        with transaction.atomic():
            account = Account.objects.create(
                code=code,
                kind=kind,
                owner=owner,
                normal_side=rule.normal_side,
                may_go_negative=rule.may_go_negative,
                created_at=clock.now(),
            )
            if not rule.may_go_negative:
                WalletBalance.objects.create(account=account)
    except IntegrityError:
        account = Account.objects.get(code=code)
    return account
