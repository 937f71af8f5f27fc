"""Demo payments, so the ledger, the staff console, reconciliation and settlements
have something to show: gateway test payments through the sandbox in each state
(paid, failed, refunded, part refunded, waiting). Kiosk wallets, their top-ups and
the applications they pay for belong to the kiosks demo (``ekseva.kiosks.demo``),
which makes real kiosks.

Sandbox payments are paid the way a payer pays them: the portal opens the order
(``services.start_checkout``), the payer pays on the sandbox (``sandbox.pay`` with a
test instrument) and the sandbox's webhooks bring the answer back
(``sandbox.deliver_due``), so the sandbox's own books (refunds, the settlement file
that reconciliation imports) agree with the ledger. The earlier payments are dated
the two previous days (the clock helper is moved), so daily settlements and
settlement files have closed days to show.

Idempotent: every payment and refund is keyed (``demo:…``) and each step is skipped
once done, so a second run writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation

from ekseva.accounts.models import User
from ekseva.core import clock

from . import sandbox, services
from .models import Payment, Refund, RefundKind, Status

CONSOLE_URL = "http://127.0.0.1:8000/en/payments/manage/"


@dataclass(frozen=True)
class Step:
    key: str  # the payment's idempotency key, after "demo:"
    day: int  # days before today (0: now, the clock not moved)
    at: str  # local time of day on that day, "HH:MM"
    outcome: str  # succeeded, failed, pending
    amount: int = 0  # paise
    method: str = "upi"  # how the payer pays at the sandbox: card, upi, netbanking
    refund: int = 0  # paise given back afterwards


TEST_PAYMENTS = [
    Step("test:1", 2, "10:15", "succeeded", amount=1000, method="card"),
    Step("test:2", 1, "11:40", "succeeded", amount=2500),
    Step("test:3", 1, "12:05", "failed", amount=500, method="card"),
    Step("test:4", 1, "15:30", "succeeded", amount=5000, method="netbanking", refund=5000),
    Step("test:5", 1, "16:10", "succeeded", amount=2000, method="card", refund=500),
    Step("test:6", 0, "", "pending", amount=1500),
]


def _moment(step: Step) -> Any:
    """The clock for a step: stopped at that day and time, or running (day 0)."""
    if not step.day:
        return contextlib.nullcontext()
    day = clock.today() - dt.timedelta(days=step.day)
    hour, minute = (int(part) for part in step.at.split(":"))
    return clock.frozen(timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute))))


INSTRUMENTS = {
    ("card", sandbox.SUCCESS): "•••• 1111",
    ("card", sandbox.FAILURE): "•••• 0002",
    ("upi", sandbox.SUCCESS): "success@sandbox",
    ("upi", sandbox.FAILURE): "failure@sandbox",
    ("netbanking", sandbox.SUCCESS): "SBXS",
    ("netbanking", sandbox.FAILURE): "SBXF",
}


def _pay_at_sandbox(payment: Payment, step: Step) -> Payment:
    """What the payer does: open the checkout, pay (or fail) with a test instrument,
    and the sandbox's webhooks bring the answer. Only what is not done yet."""
    if payment.status == Status.CREATED:
        with translation.override("en"):
            back = reverse("payments:return", args=[payment.reference])
        services.start_checkout(payment, return_url=back)
        payment = Payment.objects.get(pk=payment.pk)
    if step.outcome == "pending":
        return payment  # the payer has not paid yet: the pay button works
    order = sandbox.get_order(payment.gateway_order_id or "")
    if order is not None and sandbox.is_open(order):
        scenario = sandbox.SUCCESS if step.outcome == "succeeded" else sandbox.FAILURE
        shown = INSTRUMENTS[(step.method, scenario)]
        sandbox.pay(order.order_id, sandbox.Instrument(step.method, scenario, shown))
    if order is not None:
        sandbox.deliver_due(order=order.pk)  # now, even inside a caller's transaction
    return Payment.objects.get(pk=payment.pk)


def _refund(payment: Payment, step: Step) -> Payment:
    """Give back ``step.refund`` once, and let the gateway pay it back now."""
    if not step.refund or not payment.is_paid:
        return payment
    key = f"demo:{step.key}:refund"
    refund = Refund.objects.filter(idempotency_key=key).first()
    if refund is None:
        refund = services.refund(
            payment,
            step.refund,
            reason="Demo: money returned after the check",
            idempotency_key=key,
            kind=RefundKind.MANUAL,
        )
    if refund.status != "processed":
        refund = services.process_refund(refund.pk)  # the task's work, done here
        order = sandbox.get_order(payment.gateway_order_id or "")
        if order is not None:
            sandbox.deliver_due(order=order.pk)
    return Payment.objects.get(pk=payment.pk)


def _existing(step: Step) -> Payment | None:
    return Payment.objects.filter(idempotency_key=f"demo:{step.key}").first()


def _test_payment(step: Step, payer: User | None) -> Payment:
    payment = _existing(step)
    if payment is None:
        payment = services.create_payment(
            purpose="gateway_test",
            target="sandbox",
            lines=[
                {
                    "code": "gateway_test",
                    "label_en": "Gateway test payment",
                    "label_hi": "गेटवे परीक्षण भुगतान",
                    "amount_paise": step.amount,
                    "rule": "gateway_test",
                }
            ],
            description_en="Test payment through the sandbox gateway (demo)",
            description_hi="सैंडबॉक्स गेटवे से परीक्षण भुगतान (डेमो)",
            idempotency_key=f"demo:{step.key}",
            gateway="sandbox",
            payer=payer,
            payer_name=(payer.full_name or payer.username) if payer else "",
            actor=payer,
        )
    return _refund(_pay_at_sandbox(payment, step), step)


def load() -> list[str]:
    """Make the demo payments that are missing; one line for the banner."""
    payer = User.objects.filter(username="ops").first()  # the demo operator staff member
    for step in TEST_PAYMENTS:
        with _moment(step):
            _test_payment(step, payer)
    demo = Payment.objects.filter(idempotency_key__startswith="demo:")
    by_status = {status: demo.filter(status=status).count() for status in Status.values}
    shown = ", ".join(f"{count} {status}" for status, count in by_status.items() if count)
    return [f"payments: {demo.count()} ({shown}); console at {CONSOLE_URL}"]
