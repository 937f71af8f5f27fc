"""The sandbox's fees and its settlement file: what it writes, the gateway reads back,
and how a bad file is refused line by line, in English and Hindi."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from ekseva.payments import gateways, sandbox, services
from ekseva.payments.gateways.sandbox import SettlementFileError
from ekseva.payments.models import PaymentError, RefundStatus

from .conftest import make_payment

pytestmark = pytest.mark.django_db

HEADER = (
    "settlement_id,settled_on,type,order_id,payment_id,refund_id,amount_paise,fee_paise,tax_paise"
)


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.SANDBOX_GATEWAY_SECRET = "sandbox-secret-for-tests-0123456789"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def gateway():
    return gateways.get("sandbox")


@pytest.mark.parametrize(
    "amount, method, fee",
    [
        # card 1.8 %: 12360 → 222.48 → 222; GST 18 % of 222 = 39.96 → 40
        (12360, "card", 262),
        # net banking 1.5 %: 12360 → 185.4 → 185; GST 33.3 → 33
        (12360, "netbanking", 218),
        (12360, "upi", 0),
        (10000, "card", 212),  # 180 + 32.4 → 32
        (250, "card", 6),  # 4.5 → 5 (half up); GST 0.9 → 1
        (1389, "card", 30),  # 25.002 → 25; GST 4.5 → 5 (half up)
        (100, "netbanking", 2),  # 1.5 → 2; GST 0.36 → 0
        (25, "card", 0),  # 0.45 → 0
    ],
)
def test_expected_fee_figures(gateway, amount, method, fee):
    assert gateway.expected_fee(amount, method) == fee


def test_expected_fee_is_unknown_for_methods_the_sandbox_does_not_price(gateway):
    assert gateway.expected_fee(12360, "wallet") is None
    assert gateway.expected_fee(12360, "") is None


def _pay(method: str, target: str):
    payment = make_payment(gateway="sandbox", target=target)
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    instrument = {
        "card": sandbox.Instrument("card", sandbox.SUCCESS, "card •••• 1111"),
        "upi": sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox"),
        "netbanking": sandbox.Instrument("netbanking", sandbox.SUCCESS, "SBXS"),
    }[method]
    order = sandbox.pay(payment.gateway_order_id, instrument)
    sandbox.deliver_due(order=order.pk)
    payment.refresh_from_db()
    return payment, order


def test_settlement_file_round_trip(gateway, effects, frozen_clock, committed):
    day = frozen_clock.today()
    by_card, card_order = _pay("card", "A1")
    _, upi_order = _pay("upi", "A2")
    _, bank_order = _pay("netbanking", "A3")
    with committed():
        refund = services.refund(by_card, 2000, reason="part", idempotency_key="r1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSED
    # An order paid the next day is in the next day's file only.
    frozen_clock.advance(days=1)
    _next_day, next_order = _pay("upi", "A4")

    text = sandbox.settlement_csv(day)
    assert text.splitlines()[0] == HEADER
    rows = gateway.parse_settlement(text)
    assert [(row.kind, row.order_id) for row in rows] == [
        ("payment", card_order.order_id),
        ("payment", upi_order.order_id),
        ("payment", bank_order.order_id),
        ("refund", card_order.order_id),
    ]
    card, upi, bank, back = rows
    assert (card.line, card.payment_id, card.amount) == (2, by_card.gateway_payment_id, 12360)
    assert (card.fee, card.tax) == (262, 40)
    assert card.fee == gateway.expected_fee(card.amount, "card")
    assert (upi.fee, upi.tax) == (0, 0)
    assert (bank.fee, bank.tax) == (218, 33)
    assert (back.amount, back.fee, back.refund_id) == (2000, 0, refund.gateway_refund_id)
    assert back.payment_id == by_card.gateway_payment_id
    assert {row.settled_on for row in rows} == {day.isoformat()}
    assert {row.settlement_id for row in rows} == {f"sbx_setl_{day:%Y%m%d}"}

    next_rows = gateway.parse_settlement(sandbox.settlement_csv(day + dt.timedelta(days=1)))
    assert [row.order_id for row in next_rows] == [next_order.order_id]


def test_a_late_capture_is_settled_on_the_day_it_was_captured(gateway, effects, frozen_clock):
    payment = make_payment(gateway="sandbox")
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    sandbox.pay(payment.gateway_order_id, sandbox.Instrument("upi", sandbox.LATE, "late@sandbox"))
    assert gateway.parse_settlement(sandbox.settlement_csv(frozen_clock.today())) == []
    frozen_clock.advance(minutes=6)  # captured, though nobody has asked yet
    rows = gateway.parse_settlement(sandbox.settlement_csv(frozen_clock.today()))
    assert [row.order_id for row in rows] == [payment.gateway_order_id]


def test_columns_may_come_in_any_order_and_blank_lines_are_skipped(gateway):
    text = (
        "\ufefftype,order_id,payment_id,refund_id,amount_paise,fee_paise,tax_paise,"
        "settlement_id,settled_on\n"
        "\n"
        "payment,o1,p1,,10000,212,32,s1,2026-06-15\n"
        "refund,o1,p1,r1,500,0,0,s1,2026-06-15\n"
    )
    payment, refund = gateway.parse_settlement(text)
    assert (payment.line, payment.kind, payment.amount, payment.fee, payment.tax) == (
        3,
        "payment",
        10000,
        212,
        32,
    )
    assert (refund.line, refund.refund_id, refund.amount) == (4, "r1", 500)


def test_bad_rows_are_refused_naming_each_line_in_english_and_hindi(gateway):
    text = "\n".join(
        [
            HEADER,
            "s1,2026-06-15,payment,o1,p1,,12360,262,40",  # 2: good
            "s1,2026-06-15,chargeback,o2,p2,,100,0,0",  # 3: unknown type
            "s1,15/06/2026,payment,o3,p3,,100,0,0",  # 4: date
            "s1,2026-06-15,payment,o4,p4,,12.50,0,0",  # 5: not whole paise
            "s1,2026-06-15,payment,o5,p5,,100,50,60",  # 6: tax more than fee
            "s1,2026-06-15,refund,o1,p1,,100,0,0",  # 7: refund without refund_id
            "s1,2026-06-15,payment,o1,p1,,12360,262,40",  # 8: listed again
            "s1,2026-06-15,payment,o6,p6",  # 9: too few fields
            "s1,2026-06-15,payment,o7,,,100,0,0",  # 10: no payment id
            "s1,2026-06-15,payment,o8,p8,,-5,0,0",  # 11: negative
        ]
    )
    with pytest.raises(SettlementFileError) as caught:
        gateway.parse_settlement(text)
    error = caught.value
    assert isinstance(error, PaymentError)
    assert [line for line, _, _ in error.problems] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "line 3: type must be payment or refund, not 'chargeback'" in error.en
    assert "line 5: amount_paise must be a whole number of paise" in error.en
    assert "line 8: payment p1 is listed again (first on line 2)" in error.en
    assert "पंक्ति 4: settled_on 2026-06-15 जैसी तिथि होनी चाहिए" in error.hi
    assert "पंक्ति 9:" in error.hi
    assert error.message("hi") == error.hi


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "line 1: the file is empty"),
        ("payment,o1,p1,,100,0,0\n", "missing column(s)"),
        (HEADER + ",extra\n", "unknown column(s) extra"),
        (HEADER.replace("refund_id", "order_id") + "\n", "repeated column(s) order_id"),
    ],
)
def test_a_file_without_the_right_header_is_refused(gateway, text, message):
    with pytest.raises(SettlementFileError) as caught:
        gateway.parse_settlement(text)
    assert message in caught.value.en
    assert caught.value.hi != caught.value.en
