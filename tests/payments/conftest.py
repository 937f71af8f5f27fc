"""Payments fixtures: a scriptable gateway, purposes with a visible effect, a
helper to make a fee payment."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from ekseva.payments import gateways, purposes, services
from ekseva.payments.gateways import (
    Checkout,
    Gateway,
    GatewayResult,
    RefundResult,
    WebhookEvent,
)
from ekseva.payments.models import GatewayUnavailable, Payment, SignatureError


class FakeGateway(Gateway):
    """A gateway whose answers the test sets: ``status[order_id]`` for polls,
    ``refund_ok`` for refunds; returns and webhooks are plain JSON with a
    ``sig`` that must equal "ok"."""

    name = "fake"
    label_en = "Fake gateway"
    label_hi = "नकली गेटवे"

    def __init__(self) -> None:
        self.status: dict[str, GatewayResult] = {}
        self.refund_ok = True
        self.unavailable = False
        self.refunds: list[str] = []
        self._ids = itertools.count(1)

    def create_order(self, payment: Payment) -> str:
        return f"order_{payment.reference}"

    def checkout(self, payment: Payment, *, return_url: str, language: str) -> Checkout:
        return Checkout(redirect_url=f"https://fake.example/pay/{payment.gateway_order_id}")

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> GatewayResult:
        if params.get("sig") != "ok":
            raise SignatureError("bad signature")
        return GatewayResult(
            status=params["status"],
            order_id=params["order_id"],
            payment_id=params.get("payment_id", ""),
            amount=int(params["amount"]) if params.get("amount") else None,
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        import json

        if headers.get("X-Sig") != "ok":
            raise SignatureError("bad signature")
        data = json.loads(body)
        return WebhookEvent(
            event_id=data["id"],
            kind=data["kind"],
            result=GatewayResult(
                status=data["status"],
                order_id=data["order_id"],
                payment_id=data.get("payment_id", ""),
                amount=data.get("amount"),
                method="upi",
            ),
        )

    def fetch_status(self, payment: Payment) -> GatewayResult:
        if self.unavailable:
            raise GatewayUnavailable("down")
        return self.status.get(
            payment.gateway_order_id,
            GatewayResult(status="pending", order_id=payment.gateway_order_id),
        )

    def refund(self, payment: Payment, refund) -> RefundResult:
        if not self.refund_ok:
            return RefundResult(ok=False, error="gateway refused")
        self.refunds.append(refund.reference)
        return RefundResult(ok=True, refund_id=f"rfnd_{next(self._ids)}")


@dataclass
class Effects:
    """What the test purpose did: target → times fulfilled; targets that refuse."""

    done: dict[str, int] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    refunded: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture(autouse=True)
def _payments_own_topup():
    """Payments' tests top up wallets of kiosks that do not exist (K0001): they run
    with payments' own ``wallet_topup``, not the one the kiosks app registers over
    it (which refunds a top-up for no active kiosk; tests/kiosks/test_wallet.py)."""
    registered = purposes.get("wallet_topup")
    purposes.load_builtin()
    yield
    purposes.register(registered)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the block queued for after commit (tasks)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def fake_gateway(settings):
    gateway = FakeGateway()
    gateways.register(gateway)
    settings.PAYMENT_GATEWAYS = ["fake", "sandbox"]
    yield gateway
    gateways._REGISTRY.pop("fake", None)


@pytest.fixture
def effects():
    """A purpose ``test_fee`` (once per target) whose effect is counted."""
    seen = Effects()

    def fulfil(payment):
        seen.done[payment.target] = seen.done.get(payment.target, 0) + 1

    def usable(payment):
        if payment.target in seen.closed:
            return purposes.Refusal("The window is closed.", "अवधि समाप्त हो गई है।")
        return None

    purposes.register(
        purposes.Purpose(
            kind="test_fee",
            label_en="Test fee",
            label_hi="परीक्षण शुल्क",
            once_per_target=True,
            usable=usable,
            fulfil=fulfil,
            refunded=lambda payment, amount: seen.refunded.append((payment.target, amount)),
        )
    )
    yield seen
    purposes.unregister("test_fee")


FEE_LINES = [
    {
        "code": "government",
        "label_en": "Fee",
        "label_hi": "शुल्क",
        "amount_paise": 10000,
        "rule": "r1",
    },
    {
        "code": "convenience",
        "label_en": "Conv",
        "label_hi": "सुविधा",
        "amount_paise": 2000,
        "rule": "p",
    },
    {"code": "gst", "label_en": "GST", "label_hi": "जीएसटी", "amount_paise": 360, "rule": "gst"},
]


def make_payment(target="APP1", key=None, gateway="fake", lines=None, **extra) -> Payment:
    return services.create_payment(
        purpose=extra.pop("purpose", "test_fee"),
        target=target,
        lines=lines or FEE_LINES,
        description_en="Test fee",
        description_hi="परीक्षण शुल्क",
        idempotency_key=f"key-{target}" if key is None else key,
        gateway=gateway,
        department_code=extra.pop("department_code", "LSG"),
        service_code=extra.pop("service_code", "income-certificate"),
        district_code=extra.pop("district_code", "BPL"),
        **extra,
    )


def succeed(payment: Payment, payment_id: str = "pay_1", amount: int | None = None) -> Payment:
    """The gateway says the money was taken."""
    if not payment.gateway_order_id:
        services.start_checkout(payment, return_url="/back/")
        payment.refresh_from_db()
    return services.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id=payment_id,
            amount=payment.amount if amount is None else amount,
            method="upi",
        ),
        source="webhook",
    )


# --------------------------------------------------------------------------- settlement files
# (added for reconciliation: a fake gateway that reads the sandbox's CSV layout)

SETTLEMENT_HEADER = (
    "settlement_id,settled_on,type,order_id,payment_id,refund_id,amount_paise,fee_paise,tax_paise"
)


class SettlingGateway(FakeGateway):
    """The fake gateway plus a settlement file in the sandbox's CSV layout and a fee
    of 2 % + 18 % GST on it (``fee_rate`` in basis points, tax included)."""

    fee_rate = 236

    def expected_fee(self, amount: int, method: str) -> int | None:
        return amount * self.fee_rate // 10000

    def parse_settlement(self, text: str):
        import csv
        import io

        from ekseva.payments.gateways import SettlementRow
        from ekseva.payments.models import PaymentError

        lines = text.splitlines()
        if not lines or lines[0].strip() != SETTLEMENT_HEADER:
            raise PaymentError("Line 1: not a settlement file header", "पंक्ति 1: शीर्षक गलत है")
        rows = []
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            if number == 1 or not cells:
                continue
            if len(cells) != 9:
                raise PaymentError(f"Line {number}: expected 9 columns", f"पंक्ति {number}: 9 स्तंभ")
            sid, day, kind, order, pay, refund, amount, fee, tax = cells
            try:
                amount, fee, tax = int(amount), int(fee), int(tax)
            except ValueError:
                raise PaymentError(
                    f"Line {number}: amounts must be whole paise", f"पंक्ति {number}: राशि"
                ) from None
            rows.append(
                SettlementRow(
                    line=number,
                    kind=kind,
                    payment_id=pay,
                    order_id=order,
                    amount=amount,
                    fee=fee,
                    tax=tax,
                    settlement_id=sid,
                    settled_on=day,
                    refund_id=refund,
                )
            )
        return rows


@pytest.fixture
def settling_gateway(fake_gateway):
    """``fake`` replaced by a ``SettlingGateway`` (removed again by ``fake_gateway``)."""
    gateway = SettlingGateway()
    gateways.register(gateway)
    return gateway


def settlement_csv(*rows: tuple) -> str:
    """A settlement file: the header, then one line per tuple of the nine columns."""
    return (
        "\n".join([SETTLEMENT_HEADER, *(",".join(str(cell) for cell in row) for row in rows)])
        + "\n"
    )
