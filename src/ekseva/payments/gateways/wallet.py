"""The kiosk's prepaid wallet as a gateway: the money is already with us, so a
payment succeeds or fails at once (``services.pay_from_wallet``) and a refund
goes straight back onto the wallet."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..models import Payment, PaymentError, Refund
from ..purposes import Refusal
from .base import Gateway, GatewayResult, RefundResult, WebhookEvent

# (payment) -> Refusal | None, asked before a wallet is debited: a higher app says
# a kiosk may not pay now (the kiosks app: a suspended or unknown kiosk).
WalletGuard = Callable[[Payment], Refusal | None]
_guards: list[WalletGuard] = []


def register_guard(guard: WalletGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def guard_refusal(payment: Payment) -> Refusal | None:
    """The first guard's refusal of this wallet payment, or None."""
    for guard in _guards:
        refusal = guard(payment)
        if refusal is not None:
            return refusal
    return None


class WalletGateway(Gateway):
    name = "wallet"
    label_en = "Kiosk wallet"
    label_hi = "कियोस्क वॉलेट"
    immediate = True

    def funding_account(self, payment: Payment) -> tuple[str, str]:
        if not payment.kiosk_code:
            raise PaymentError(
                "A wallet payment needs the kiosk that pays.", "वॉलेट भुगतान के लिए कियोस्क आवश्यक है।"
            )
        return ("kiosk_wallet", payment.kiosk_code)

    def create_order(self, payment: Payment) -> str:
        return f"WAL-{payment.reference}"

    def fetch_status(self, payment: Payment) -> GatewayResult:
        # Nothing outside the portal to ask: a wallet payment is decided when it is made.
        return GatewayResult(
            status="succeeded" if payment.is_paid else "failed",
            order_id=payment.gateway_order_id or "",
            payment_id=payment.gateway_payment_id,
            amount=payment.amount,
            method="wallet",
        )

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> GatewayResult:
        raise PaymentError("A wallet payment has no return.", "वॉलेट भुगतान की कोई वापसी नहीं होती।")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise PaymentError("A wallet payment has no webhook.", "वॉलेट भुगतान का कोई वेबहुक नहीं होता।")

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        return RefundResult(ok=True, refund_id=f"WAL-{refund.reference}")
