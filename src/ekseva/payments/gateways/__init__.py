"""The gateway plugin registry.

    from ekseva.payments import gateways
    gateway = gateways.get("sandbox")
    problems = gateway.check_config()

``PAYMENT_GATEWAYS`` (setting) names the gateways citizens may choose, in
order; the first is the default. ``wallet`` is always registered (kiosks pay
from their prepaid wallet) but is offered only where a purpose allows it.
"""

from __future__ import annotations

from django.conf import settings

from ..models import PaymentError
from .base import (
    Checkout,
    Gateway,
    GatewayResult,
    RefundResult,
    SettingSpec,
    SettlementRow,
    WebhookEvent,
)

__all__ = [
    "Checkout",
    "Gateway",
    "GatewayResult",
    "RefundResult",
    "SettingSpec",
    "SettlementRow",
    "WebhookEvent",
    "default",
    "enabled",
    "get",
    "register",
]

_REGISTRY: dict[str, Gateway] = {}


class UnknownGateway(PaymentError):
    status = 404


def register(gateway: Gateway) -> Gateway:
    _REGISTRY[gateway.name] = gateway
    return gateway


def get(name: str) -> Gateway:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownGateway(f"unknown payment gateway {name!r}", "अज्ञात भुगतान गेटवे") from None


def registered() -> list[Gateway]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def enabled() -> list[Gateway]:
    """The gateways a payer may choose, in the order of the PAYMENT_GATEWAYS setting."""
    return [get(name) for name in settings.PAYMENT_GATEWAYS if name in _REGISTRY]


def default() -> Gateway:
    choices = enabled()
    if not choices:
        raise UnknownGateway("no payment gateway is enabled", "कोई भुगतान गेटवे सक्रिय नहीं है")
    return choices[0]


def load_builtin() -> None:
    from .razorpay import RazorpayGateway
    from .sandbox import SandboxGateway
    from .wallet import WalletGateway

    register(SandboxGateway())
    register(RazorpayGateway())
    register(WalletGateway())
