"""The contract every payment gateway plugin keeps (docs/payments.md#gateways).

A plugin is a subclass of ``Gateway`` registered under its ``name``. It declares
its settings (``SettingSpec``: read from Django settings, which read them from
the environment) and reports what is wrong with them in ``check_config()``.
Every call that reaches the gateway may raise ``GatewayUnavailable``; a return or
webhook that does not verify raises ``SignatureError`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.conf import settings

if TYPE_CHECKING:
    from ..models import Payment, Refund


@dataclass(frozen=True)
class SettingSpec:
    name: str  # the Django setting (and environment variable) name
    description: str
    secret: bool = False
    required: bool = True


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway says about a payment (from a return, a webhook or a poll)."""

    status: Literal["succeeded", "failed", "pending"]
    order_id: str
    payment_id: str = ""
    amount: int | None = None  # paise the gateway took, when it says
    method: str = ""  # card, upi, netbanking, wallet
    reason: str = ""  # why it failed, in the gateway's words
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str  # the gateway's own id of this notification: deduplication key
    kind: str  # e.g. payment.captured
    result: GatewayResult | None  # None: an event we record but do not act on


@dataclass(frozen=True)
class Checkout:
    """How to send the payer to the gateway: a redirect, or a page of ours that
    hands over to the gateway's script (``template`` with ``context``)."""

    redirect_url: str = ""
    template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_id: str = ""
    error: str = ""


@dataclass(frozen=True)
class SettlementRow:
    """One line of a gateway's settlement file, in paise."""

    line: int  # line number in the file, for the report
    kind: Literal["payment", "refund"]
    payment_id: str  # the gateway's payment id
    order_id: str
    amount: int  # gross
    fee: int  # the gateway's fee, tax included
    tax: int  # the tax part of fee
    settlement_id: str = ""
    settled_on: str = ""  # ISO date
    refund_id: str = ""


class Gateway:
    name: ClassVar[str]
    label_en: ClassVar[str]
    label_hi: ClassVar[str]
    settings: ClassVar[tuple[SettingSpec, ...]] = ()
    # True if payments go through without leaving the portal (the kiosk wallet).
    immediate: ClassVar[bool] = False

    # ----- configuration -------------------------------------------------
    def setting(self, name: str) -> Any:
        return getattr(settings, name, "")

    def check_config(self) -> list[str]:
        """Problems with this gateway's settings, in plain words; [] when it is ready."""
        return [
            f"{spec.name} is not set ({spec.description})"
            for spec in self.settings
            if spec.required and not self.setting(spec.name)
        ]

    def options_snapshot(self) -> dict[str, Any]:
        """The non-secret settings, copied onto each payment as they were."""
        return {spec.name: self.setting(spec.name) for spec in self.settings if not spec.secret}

    def label(self, language: str) -> str:
        return self.label_hi if language == "hi" else self.label_en

    # ----- the ledger ----------------------------------------------------
    def funding_account(self, payment: Payment) -> tuple[str, str]:
        """The ledger account the money comes from: (kind, owner)."""
        return ("gateway_clearing", self.name)

    def expected_fee(self, amount: int, method: str) -> int | None:
        """The fee (tax included) this gateway should charge on ``amount``; None: unknown."""
        return None

    # ----- the payment ---------------------------------------------------
    def create_order(self, payment: Payment) -> str:
        """Tell the gateway about the payment; return its order id."""
        raise NotImplementedError

    def checkout(self, payment: Payment, *, return_url: str, language: str) -> Checkout:
        raise NotImplementedError

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> GatewayResult:
        """Check the signed parameters the payer's browser brought back."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Check the webhook's signature and read it."""
        raise NotImplementedError

    def fetch_status(self, payment: Payment) -> GatewayResult:
        """Ask the gateway where the payment stands (polling)."""
        raise NotImplementedError

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        raise NotImplementedError

    def parse_settlement(self, text: str) -> list[SettlementRow]:
        """Read a settlement file; raise ``PaymentError`` naming the bad line."""
        raise NotImplementedError
