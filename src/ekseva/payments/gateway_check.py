"""The test payment: a small sum operator staff pay through a gateway to check it
works end to end after a change of keys (purpose ``gateway_test``, credited to
operator revenue; like GOV.UK Pay's "make a demo payment").

Used by the staff console's "Test payment" page and ``POST /api/v1/payments/test/``;
both check ``payments.test_payment`` first.
"""

from __future__ import annotations

from typing import Any

from . import gateways, services
from .models import Payment, PaymentError

MIN_PAISE = 100  # ₹1
MAX_PAISE = 10_000  # ₹100


class FieldError(PaymentError):
    """A refusal that concerns one field of the request (``field``)."""

    def __init__(self, field: str, en: str, hi: str) -> None:
        super().__init__(en, hi)
        self.field = field


def choices() -> list[gateways.Gateway]:
    """The gateways a test payment may go through: the enabled ones that leave the
    portal (the kiosk wallet is not a gateway to test)."""
    return [gateway for gateway in gateways.enabled() if not gateway.immediate]


def check(gateway: str, amount: Any) -> gateways.Gateway:
    """Refuse a gateway that is not offered and an amount outside ₹1–₹100."""
    chosen = next((g for g in choices() if g.name == gateway), None)
    if chosen is None:
        raise FieldError(
            "gateway",
            "Choose one of the enabled gateways.",
            "सक्रिय गेटवे में से एक चुनें।",
        )
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise FieldError("amount", "The amount must be whole paise.", "राशि पूर्ण पैसे में होनी चाहिए।")
    if not MIN_PAISE <= amount <= MAX_PAISE:
        raise FieldError(
            "amount",
            "A test payment is between ₹1 and ₹100.",
            "परीक्षण भुगतान ₹1 से ₹100 के बीच होना चाहिए।",
        )
    return chosen


def create(*, gateway: str, amount: int, payer: Any, idempotency_key: str) -> Payment:
    """Ask for ``amount`` paise through ``gateway`` from ``payer`` (a staff user).
    The same key and request return the first payment; a different request under
    the key raises ``IdempotencyConflict``."""
    chosen = check(gateway, amount)
    return services.create_payment(
        purpose="gateway_test",
        target=chosen.name,
        lines=[
            {
                "code": "gateway_test",
                "label_en": "Gateway test payment",
                "label_hi": "गेटवे परीक्षण भुगतान",
                "amount_paise": amount,
                "rule": "gateway_test",
            }
        ],
        description_en=f"Test payment through {chosen.label_en}",
        description_hi=f"{chosen.label_hi} से परीक्षण भुगतान",
        idempotency_key=idempotency_key,
        gateway=chosen.name,
        payer=payer,
        payer_name=(getattr(payer, "full_name", "") or payer.get_username())[:120],
        payer_email=getattr(payer, "email", "") or "",
        actor=payer,
    )
