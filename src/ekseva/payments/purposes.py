"""What a payment is for, and what happens when it succeeds: a registry of purposes.

Payments know nothing of applications or kiosks. A higher app registers a
``Purpose`` for each thing it charges for, in its ``AppConfig.ready()``::

    purposes.register(Purpose(
        kind="application_fee",
        label_en="Application fee", label_hi="आवेदन शुल्क",
        once_per_target=True,
        usable=application_can_take_fee,   # (payment) -> Refusal | None
        fulfil=mark_application_paid,      # (payment) -> None
    ))

When a payment succeeds, ``services`` calls, inside the transaction that holds
the payment's row lock and writes the ledger entry:

1. if ``once_per_target`` and another payment already took effect for the same
   target: the payment is a duplicate and is refunded in full (``usable`` and
   ``fulfil`` are not called);
2. ``usable(payment)``: ``None`` means go on; a ``Refusal`` (window closed,
   application withdrawn) refunds the payment in full;
3. ``fulfil(payment)``: the one effect. It runs once per payment, whatever the
   number of callbacks, because the payment row is locked and its outcome set
   in the same transaction. An exception rolls the whole success back (the
   gateway callback is then answered with an error and retried). For a wallet
   payment the ledger entry is written *after* ``fulfil`` (the wallet's row lock
   is taken last, docs/ledger.md), so a purpose a wallet may pay must not read
   the payment's entry in ``fulfil``.

``credits(payment)`` says where the money goes: (account kind, owner, paise)
triples whose sum is the payment's amount. The default maps the itemised fee
lines by their code (``split.default_credits``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Payment


@dataclass(frozen=True)
class Refusal:
    en: str
    hi: str


Credit = tuple[str, str, int]  # (ledger account kind, owner key, paise)


def _always_usable(payment: Payment) -> Refusal | None:
    return None


def _no_effect(payment: Payment) -> None:
    return None


@dataclass(frozen=True)
class Purpose:
    kind: str
    label_en: str
    label_hi: str
    once_per_target: bool = True
    usable: Callable[[Payment], Refusal | None] = _always_usable
    fulfil: Callable[[Payment], None] = _no_effect
    credits: Callable[[Payment], list[Credit]] | None = None
    # Called after a refund of this purpose's payment is recorded (e.g. to note it
    # on the application); inside the refund's transaction.
    refunded: Callable[[Payment, int], None] | None = None
    # Gateways this purpose may be paid through (empty: any enabled gateway but "wallet").
    gateways: frozenset[str] = field(default_factory=frozenset)
    # May a kiosk also pay it from its prepaid wallet (besides ``gateways``)?
    kiosk_wallet: bool = False
    # Where the payer goes back to from the payment's page (the application,
    # the kiosk's wallet): a URL in the current language, or "" for none.
    link: Callable[[Payment], str] | None = None

    def label(self, language: str) -> str:
        return self.label_hi if language == "hi" else self.label_en


_REGISTRY: dict[str, Purpose] = {}


class UnknownPurpose(KeyError):
    pass


def register(purpose: Purpose) -> Purpose:
    """Register (or re-register, for tests) a purpose under its kind."""
    _REGISTRY[purpose.kind] = purpose
    return purpose


def unregister(kind: str) -> None:
    _REGISTRY.pop(kind, None)


def get(kind: str) -> Purpose:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise UnknownPurpose(kind) from None


def registered() -> list[Purpose]:
    return sorted(_REGISTRY.values(), key=lambda p: p.kind)


def _topup_credits(payment: Payment) -> list[Credit]:
    return [("kiosk_wallet", payment.target, payment.amount)]


def _test_credits(payment: Payment) -> list[Credit]:
    return [("operator_revenue", "", payment.amount)]


def load_builtin() -> None:
    """Purposes that belong to payments itself."""
    # Money onto a kiosk's prepaid wallet. Many top-ups per kiosk, so not once per
    # target; the kiosks app adds the check that the kiosk exists and is active by
    # registering its own Purpose of this kind over this one.
    register(
        Purpose(
            kind="wallet_topup",
            label_en="Kiosk wallet top-up",
            label_hi="कियोस्क वॉलेट रिचार्ज",
            once_per_target=False,
            credits=_topup_credits,
        )
    )
    # A small payment operator staff make through a gateway to check that it works
    # end to end after a change of keys (like GOV.UK Pay's "make a demo payment").
    register(
        Purpose(
            kind="gateway_test",
            label_en="Gateway test payment",
            label_hi="गेटवे परीक्षण भुगतान",
            once_per_target=False,
            credits=_test_credits,
        )
    )
