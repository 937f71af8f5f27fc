"""Where each rupee of a payment goes: fee lines → ledger accounts, refunds → back.

The itemised fee (``catalog.fees.FeeQuote``) names each line by a code. On
success the whole amount is one journal entry::

    gateway clearing (or the kiosk wallet)   + total
    government, late, correction fee  →  department payable   −
    convenience fee                   →  operator revenue     −
    GST                               →  GST payable          −
    kiosk charge                      →  kiosk commission     −
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .models import PaymentError

if TYPE_CHECKING:
    from .models import Payment
    from .purposes import Credit

# fee line code → (ledger account kind, which payment field names the owner)
LINE_ACCOUNTS: dict[str, tuple[str, str]] = {
    "government": ("department_payable", "department_code"),
    "late": ("department_payable", "department_code"),
    "correction": ("department_payable", "department_code"),
    "convenience": ("operator_revenue", ""),
    "gst": ("gst_payable", ""),
    "kiosk": ("kiosk_commission_payable", "kiosk_code"),
}


def default_credits(payment: Payment) -> list[Credit]:
    """The credits of a fee payment, one per account, from its fee lines."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for line in payment.lines:
        try:
            kind, owner_field = LINE_ACCOUNTS[line["code"]]
        except KeyError:
            raise PaymentError(
                f"fee line {line['code']!r} has no ledger account", "शुल्क पंक्ति का कोई खाता नहीं है"
            ) from None
        owner = getattr(payment, owner_field) if owner_field else ""
        if owner_field and not owner:
            raise PaymentError(
                f"fee line {line['code']!r} needs the payment's {owner_field}",
                "भुगतान में आवश्यक जानकारी नहीं है",
            )
        totals[(kind, owner)] += int(line["amount_paise"])
    return [(kind, owner, amount) for (kind, owner), amount in totals.items() if amount]


def allocate(amount: int, remaining: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Share ``amount`` paise over accounts in proportion to what each still holds
    of the payment (``remaining``: (account code, paise)), exactly: largest
    remainder, ties to the first listed; no account gives back more than it holds.

    >>> allocate(100, [("a", 300), ("b", 100)])
    [('a', 75), ('b', 25)]
    """
    total = sum(paise for _, paise in remaining)
    if amount <= 0 or amount > total:
        raise PaymentError(
            f"cannot take back {amount} paise of {total}", "इतनी राशि वापस नहीं की जा सकती"
        )
    shares = []
    for index, (code, paise) in enumerate(remaining):
        whole, rest = divmod(amount * paise, total)
        shares.append([code, whole, rest, index, paise])
    short = amount - sum(share[1] for share in shares)
    for share in sorted(shares, key=lambda s: (-s[2], s[3])):
        if short == 0:
            break
        if share[1] < share[4]:
            share[1] += 1
            short -= 1
    return [(code, paise) for code, paise, _, _, _ in shares if paise]
