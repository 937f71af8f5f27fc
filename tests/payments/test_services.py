"""The payment life cycle: create, check out, succeed once, fail, expire, late success."""

import datetime as dt

import pytest

from ekseva.core import clock
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import verify
from ekseva.ledger.models import JournalEntry
from ekseva.payments import services
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import (
    AlreadyPaid,
    IdempotencyConflict,
    InvalidTransition,
    Outcome,
    PaymentError,
    PaymentEvent,
    RefundStatus,
    Status,
)

from .conftest import FEE_LINES, make_payment, succeed

pytestmark = pytest.mark.django_db


def test_create_payment_itemises_and_numbers(fake_gateway, effects):
    payment = make_payment()
    assert payment.status == Status.CREATED
    assert payment.amount == 12360
    assert payment.reference.startswith("PY")
    assert [line["code"] for line in payment.lines] == ["government", "convenience", "gst"]
    assert payment.events.get().to_status == Status.CREATED


def test_same_key_same_body_returns_first_payment(fake_gateway, effects):
    first = make_payment(key="k1")
    again = make_payment(key="k1")
    assert again.pk == first.pk


def test_same_key_other_body_is_a_conflict(fake_gateway, effects):
    make_payment(key="k1")
    with pytest.raises(IdempotencyConflict) as caught:
        make_payment(key="k1", target="APP2")
    assert caught.value.status == 409
    assert caught.value.hi


def test_refuses_bad_input(fake_gateway, effects):
    with pytest.raises(PaymentError):
        make_payment(lines=[{**FEE_LINES[0], "amount_paise": 100.5}])
    with pytest.raises(PaymentError):
        make_payment(lines=[{**FEE_LINES[0], "amount_paise": 0}])
    with pytest.raises(PaymentError):
        make_payment(purpose="no_such_purpose")
    with pytest.raises(PaymentError):
        make_payment(key="")


def test_success_posts_the_split_once_and_fulfils_once(fake_gateway, effects):
    payment = make_payment()
    succeed(payment)
    succeed(payment)  # a duplicate callback
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.outcome == Outcome.FULFILLED
    assert effects.done == {"APP1": 1}
    entry = JournalEntry.objects.get(idempotency_key=services.success_key(payment))
    amounts = {p.account.code: p.amount for p in entry.postings.select_related("account")}
    assert amounts == {
        "gateway:fake": 12360,
        "dept_payable:LSG": -10000,
        "operator_revenue": -2000,
        "gst_payable": -360,
    }
    assert entry.dimensions == (
        "channel=online;department=LSG;district=BPL;purpose=test_fee;service=income-certificate"
    )
    assert verify.verify() == []


def test_failure_then_late_success_takes_effect(fake_gateway, effects):
    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    services.apply_result(
        payment,
        GatewayResult(status="failed", order_id=payment.gateway_order_id, reason="declined"),
        source="return",
    )
    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    succeed(payment)
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and payment.outcome == Outcome.FULFILLED
    assert "late success" in payment.events.filter(to_status=Status.SUCCEEDED).get().note


def test_failure_after_success_changes_nothing(fake_gateway, effects):
    payment = succeed(make_payment())
    services.apply_result(
        payment, GatewayResult(status="failed", order_id=payment.gateway_order_id), source="webhook"
    )
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


def test_late_success_when_window_closed_is_refunded(fake_gateway, effects, committed):
    payment = make_payment()
    effects.closed.add("APP1")
    with committed():
        succeed(payment)
    payment.refresh_from_db()
    assert payment.outcome == Outcome.UNUSABLE
    assert payment.status == Status.REFUNDED
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.PROCESSED  # eager task
    assert effects.done == {}
    assert services.balance_of("department_payable", "LSG") == 0
    assert services.balance_of("refunds_payable") == 0
    assert services.balance_of("gateway_clearing", "fake") == 0
    assert verify.verify() == []


def test_second_payment_for_same_target_is_refunded(fake_gateway, effects, committed):
    first = make_payment(key="a")
    second = make_payment(key="b")
    succeed(first, "pay_a")
    succeed(second, "pay_b")
    second.refresh_from_db()
    assert second.outcome == Outcome.DUPLICATE
    assert second.status == Status.REFUNDED
    assert effects.done == {"APP1": 1}
    with pytest.raises(AlreadyPaid):
        make_payment(key="c")


def test_amount_mismatch_is_held_not_applied(fake_gateway, effects):
    payment = make_payment()
    succeed(payment, amount=100)
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert "amount differs" in payment.failure_reason
    assert effects.done == {}


def test_partial_then_full_refund(fake_gateway, effects, committed):
    payment = succeed(make_payment())
    with committed():
        services.refund(payment, 6180, reason="half", idempotency_key="r1")
    payment.refresh_from_db()
    assert payment.status == Status.PARTLY_REFUNDED and payment.refunded_amount == 6180
    assert services.balance_of("department_payable", "LSG") == 5000
    assert services.balance_of("operator_revenue") == 1000
    assert services.balance_of("gst_payable") == 180
    again = services.refund(payment, 6180, reason="half", idempotency_key="r1")
    assert again.pk == payment.refunds.get().pk
    with pytest.raises(IdempotencyConflict):
        services.refund(payment, 100, reason="other", idempotency_key="r1")
    with pytest.raises(PaymentError):
        services.refund(payment, 6181, reason="too much", idempotency_key="r2")
    with committed():
        services.refund(payment, 6180, reason="rest", idempotency_key="r3")
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert services.balance_of("department_payable", "LSG") == 0
    assert services.balance_of("gateway_clearing", "fake") == 0
    assert effects.refunded == [("APP1", 6180), ("APP1", 6180)]
    assert verify.verify() == []


def test_refund_refusals(fake_gateway, effects):
    payment = make_payment()
    with pytest.raises(InvalidTransition):
        services.refund(payment, 100, reason="x", idempotency_key="r")
    succeed(payment)
    with pytest.raises(PaymentError):
        services.refund(payment, 0, reason="x", idempotency_key="r")
    with pytest.raises(PaymentError):
        services.refund(payment, 100, reason="  ", idempotency_key="r")


def test_refund_the_gateway_refuses_is_retried_by_the_sweep(
    fake_gateway, effects, frozen_clock, committed
):
    payment = succeed(make_payment())
    fake_gateway.refund_ok = False
    with committed():
        refund = services.refund(payment, 12360, reason="x", idempotency_key="r")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert services.balance_of("refunds_payable") == 12360  # owed, not lost
    fake_gateway.refund_ok = True
    assert services.sweep().refunds_retried == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSED
    assert services.balance_of("refunds_payable") == 0


def test_poll_applies_success_and_backs_off(fake_gateway, effects, frozen_clock):
    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    assert services.poll_due() == 0
    frozen_clock.advance(seconds=61)
    assert services.poll_due() == 1
    payment.refresh_from_db()
    assert payment.status == Status.PENDING and payment.poll_count == 1
    assert payment.next_poll_at == clock.now() + dt.timedelta(seconds=120)
    fake_gateway.status[payment.gateway_order_id] = GatewayResult(
        status="succeeded", order_id=payment.gateway_order_id, payment_id="p", amount=payment.amount
    )
    frozen_clock.advance(seconds=121)
    services.poll_due()
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}


def test_unanswered_payment_expires_then_late_success_found_by_sweep(
    fake_gateway, effects, frozen_clock
):
    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    frozen_clock.advance(minutes=45)
    report = services.sweep()
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED and report.expired == 1
    fake_gateway.status[payment.gateway_order_id] = GatewayResult(
        status="succeeded", order_id=payment.gateway_order_id, payment_id="p", amount=payment.amount
    )
    frozen_clock.advance(days=1)
    report = services.sweep()
    assert report.late_succeeded == 1
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and effects.done == {"APP1": 1}


def test_checkout_after_window_expires(fake_gateway, effects, frozen_clock):
    payment = make_payment()
    frozen_clock.advance(minutes=31)
    with pytest.raises(InvalidTransition):
        services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED


def test_gateway_down_during_poll_keeps_payment_pending(fake_gateway, effects, frozen_clock):
    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    fake_gateway.unavailable = True
    frozen_clock.advance(seconds=61)
    services.poll_due()
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


def test_return_with_bad_signature_changes_nothing(fake_gateway, effects):
    from ekseva.payments.models import SignatureError

    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    with pytest.raises(SignatureError):
        services.handle_return(
            payment, {"sig": "forged", "status": "succeeded", "order_id": payment.gateway_order_id}
        )
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert PaymentEvent.objects.filter(payment=payment).count() == 2


def test_webhook_duplicates_are_seen_once(fake_gateway, effects):
    import json

    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    body = json.dumps(
        {
            "id": "evt_1",
            "kind": "payment.captured",
            "status": "succeeded",
            "order_id": payment.gateway_order_id,
            "payment_id": "pay_9",
            "amount": payment.amount,
        }
    ).encode()
    first = services.handle_webhook("fake", body, {"X-Sig": "ok"})
    second = services.handle_webhook("fake", body, {"X-Sig": "ok"})
    assert not first.duplicate and second.duplicate
    assert effects.done == {"APP1": 1}


def test_wallet_payment_and_topup(fake_gateway, effects, committed):
    topup = make_payment(
        purpose="wallet_topup",
        target="K0001",
        key="t1",
        lines=[{**FEE_LINES[0], "code": "topup", "amount_paise": 5000}],
    )
    succeed(topup)
    wallet = ledger_selectors.wallet_balance
    from ekseva.ledger import accounts

    account = accounts.get_or_open("kiosk_wallet", "K0001")
    assert wallet(account) == 5000
    from ekseva.payments import purposes

    purposes.register(
        purposes.Purpose(
            kind="test_fee",
            label_en="Test fee",
            label_hi="परीक्षण शुल्क",
            gateways=frozenset({"wallet"}),
            fulfil=lambda p: effects.done.__setitem__(p.target, effects.done.get(p.target, 0) + 1),
        )
    )
    cheap = make_payment(
        target="A", key="w1", gateway="wallet", kiosk_code="K0001", channel="kiosk"
    )
    cheap = services.pay_from_wallet(cheap)
    assert cheap.status == Status.FAILED and "Not enough" in cheap.failure_reason
    small = [{**FEE_LINES[0], "amount_paise": 4000}]
    paid = make_payment(
        target="B", key="w2", gateway="wallet", kiosk_code="K0001", channel="kiosk", lines=small
    )
    paid = services.pay_from_wallet(paid)
    assert paid.status == Status.SUCCEEDED
    assert wallet(account) == 1000
    with committed():
        services.refund(paid, 4000, reason="withdrawn", idempotency_key="wr")
    assert wallet(account) == 5000
    assert verify.verify() == []


def test_refund_of_a_spent_topup_is_refused_in_words(fake_gateway, effects):
    topup = make_payment(
        purpose="wallet_topup",
        target="K0009",
        key="t9",
        lines=[{**FEE_LINES[0], "code": "topup", "amount_paise": 5000}],
    )
    succeed(topup)
    from ekseva.ledger import accounts
    from ekseva.ledger import services as ledger

    wallet = accounts.get_or_open("kiosk_wallet", "K0009")
    ledger.post(
        "wallet.debit",
        [(wallet, 4000), (accounts.get_or_open("operator_revenue"), -4000)],
        idempotency_key="spend",
    )
    with pytest.raises(PaymentError) as caught:
        services.refund(topup, 5000, reason="asked back", idempotency_key="r9")
    assert "already been spent" in caught.value.en and caught.value.hi
    topup.refresh_from_db()
    assert topup.status == Status.SUCCEEDED and topup.refunded_amount == 0


def test_a_wallet_payment_takes_effect_before_the_wallet_is_debited(
    fake_gateway, django_assert_max_num_queries, monkeypatch
):
    """The purpose's effect and the payment's rows are written first and the wallet's
    balance row is locked last; a wallet short at the lock (a debit raced it past the
    early check) rolls the effect back and fails the payment, nothing taken."""
    from ekseva.core import audit
    from ekseva.core.models import AuditEvent
    from ekseva.ledger import accounts
    from ekseva.ledger import services as ledger
    from ekseva.payments import purposes

    account = accounts.get_or_open("kiosk_wallet", "K0002")
    ledger.post(
        "test.fund",
        [(accounts.get_or_open("bank"), 10**6), (account, -(10**6))],
        idempotency_key="fund-k2",
    )

    def fulfil(payment):
        audit.record("test.effect", after={"target": payment.target})

    purposes.register(
        purposes.Purpose(
            kind="test_fee",
            label_en="Test fee",
            label_hi="परीक्षण शुल्क",
            gateways=frozenset({"wallet"}),
            fulfil=fulfil,
        )
    )
    paid = make_payment(target="A", key="o1", gateway="wallet", kiosk_code="K0002", channel="kiosk")
    with django_assert_max_num_queries(60) as ctx:
        paid = services.pay_from_wallet(paid)
    assert paid.status == Status.SUCCEEDED
    statements = [query["sql"] for query in ctx.captured_queries]
    effect = next(i for i, sql in enumerate(statements) if "core_auditevent" in sql.lower())
    lock = next(
        i
        for i, sql in enumerate(statements)
        if "ledger_walletbalance" in sql.lower() and sql.upper().startswith("UPDATE")
    )
    assert effect < lock
    assert not any("FOR UPDATE" in sql and "ledger_walletbalance" in sql for sql in statements)
    assert ledger_selectors.wallet_balance(account) == 10**6 - paid.amount

    # The early check sees enough money; the debit under the lock does not.
    monkeypatch.setattr(ledger_selectors, "wallet_balance", lambda account: 10**9)
    short = [{**FEE_LINES[0], "amount_paise": 2 * 10**6}]
    refused = make_payment(
        target="B", key="o2", gateway="wallet", kiosk_code="K0002", channel="kiosk", lines=short
    )
    refused = services.pay_from_wallet(refused)
    monkeypatch.undo()
    assert refused.status == Status.FAILED and "Not enough" in refused.failure_reason
    assert not AuditEvent.objects.filter(action="test.effect", after__target="B").exists()
    assert AuditEvent.objects.filter(action="test.effect", after__target="A").count() == 1
    assert not JournalEntry.objects.filter(reference=f"payment:{refused.reference}").exists()
    assert ledger_selectors.wallet_balance(account) == 10**6 - paid.amount
