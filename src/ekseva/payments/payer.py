"""The payer's side of a payment: who may see and pay it, what the status page says,
and paying again after a failure (docs/payments.md#the-payers-pages).

A failed payment is final (``services.start_checkout`` refuses it), so paying again
makes a *replacement*: a new payment for the same purpose, target and itemised fee,
under the idempotency key ``again:<reference>`` (pressing the button twice makes one
replacement). It is offered only while the failed payment's own checkout window is
open, so the quoted fee is no older than a payment's window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ekseva.accounts.permissions import can
from ekseva.core import clock

from . import permissions, purposes, services
from .models import AlreadyPaid, InvalidTransition, Payment, Refund, Status

GIVEN_UP = frozenset({Status.FAILED, Status.EXPIRED})
MAX_CHAIN = 50


def again_key(payment: Payment) -> str:
    return f"again:{payment.reference}"


def _staff_view(user: Any, payment: Payment) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified()) and can(user, permissions.VIEW, payment)


def may_see(user: Any, payment: Payment) -> bool:
    """The payer, or staff allowed ``payments.view`` on a TOTP-verified session."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if payment.payer_id is not None and payment.payer_id == user.pk:
        return True
    return _staff_view(user, payment)


def may_pay(user: Any, payment: Payment) -> bool:
    """The payer; for a payment with no payer (a staff test payment), staff who may see it."""
    if not may_see(user, payment):
        return False
    return payment.payer_id == user.pk if payment.payer_id is not None else True


def replacement(payment: Payment) -> Payment | None:
    """The payment made when the payer paid again after this one failed, if any."""
    return Payment.objects.filter(idempotency_key=again_key(payment)).first()


def latest_in_chain(payment: Payment) -> Payment:
    current = payment
    for _ in range(MAX_CHAIN):
        following = replacement(current)
        if following is None:
            break
        current = following
    return current


def can_pay_again(payment: Payment) -> bool:
    return (
        payment.status in GIVEN_UP
        and not payment.is_paid
        and clock.now() < payment.expires_at
        and replacement(payment) is None
    )


def pay_again(
    payment: Payment,
    *,
    return_url_for: Callable[[Payment], str],
    language: str = "en",
    actor: Any = None,
) -> services.CheckoutStart:
    """Pay a failed payment again: check out its replacement (made now, or earlier by
    the same button), following replacements that failed in their turn."""
    current = latest_in_chain(payment)
    if current.status in (Status.CREATED, Status.PENDING):
        return services.start_checkout(
            current, return_url=return_url_for(current), language=language, actor=actor
        )
    if current.is_paid:
        raise AlreadyPaid("This has been paid already.", "इसका भुगतान पहले ही हो चुका है।")
    if clock.now() >= current.expires_at:
        raise InvalidTransition(
            "The time to pay this has run out; start again from where you began.",
            "इस भुगतान का समय समाप्त हो गया है; जहाँ से शुरू किया था वहीं से फिर शुरू करें।",
        )
    again = services.create_payment(
        purpose=current.purpose,
        target=current.target,
        lines=current.lines,
        description_en=current.description_en,
        description_hi=current.description_hi,
        idempotency_key=again_key(current),
        gateway=current.gateway,
        department_code=current.department_code,
        service_code=current.service_code,
        channel=current.channel,
        district_code=current.district_code,
        kiosk_code=current.kiosk_code,
        payer=current.payer,
        payer_name=current.payer_name,
        payer_mobile=current.payer_mobile,
        payer_email=current.payer_email,
        actor=actor,
    )
    return services.start_checkout(
        again, return_url=return_url_for(again), language=language, actor=actor
    )


@dataclass(frozen=True)
class Line:
    label: str
    amount: int


@dataclass(frozen=True)
class StatusView:
    """What the payer's status page shows, in the page language."""

    payment: Payment
    description: str
    lines: list[Line]
    refunds: list[Refund]
    replaced_by: Payment | None
    can_pay: bool
    can_pay_again: bool
    pending: bool
    gateway_label: str


def status_view(payment: Payment, *, language: str, user: Any) -> StatusView:
    from . import gateways

    label_key = "label_hi" if language == "hi" else "label_en"
    lines = [
        Line(
            label=str(line.get(label_key) or line.get("label_en") or line["code"]),
            amount=int(line["amount_paise"]),
        )
        for line in payment.lines
    ]
    try:
        gateway = gateways.get(payment.gateway)
    except gateways.UnknownGateway:
        gateway_label, immediate = payment.gateway, True
    else:
        gateway_label, immediate = gateway.label(language), gateway.immediate
    payer_may_pay = may_pay(user, payment) and not immediate
    return StatusView(
        payment=payment,
        description=payment.description(language),
        lines=lines,
        refunds=list(payment.refunds.order_by("id")),
        replaced_by=replacement(payment),
        can_pay=payer_may_pay and payment.status in (Status.CREATED, Status.PENDING),
        can_pay_again=payer_may_pay and can_pay_again(payment),
        pending=payment.status == Status.PENDING,
        gateway_label=gateway_label,
    )


def purpose_link(payment: Payment) -> str:
    """Where the payer goes back to (the purpose's ``link``), or ""."""
    try:
        the_purpose = purposes.get(payment.purpose)
    except purposes.UnknownPurpose:
        return ""
    return the_purpose.link(payment) if the_purpose.link else ""
