"""Random sequences of what happens to payments, checked after every step.

A hypothesis state machine makes fee payments, kiosk wallet top-ups and wallet
payments; delivers successes and failures through the webhook, the return, a poll
or directly (duplicated, late, out of order, a second capture); expires payments;
closes a target's window; refunds (part, all, too much); lets the gateway pay refunds
back or refuse. After every step:

- ``ledger.verify()`` finds nothing (entries balance, wallets ≥ 0, rows = postings);
- no wallet is below zero, and each wallet holds exactly what its top-ups, wallet
  payments and refunds say;
- a paid payment has exactly one success entry, an unpaid one none, and an outcome;
- the once-per-target purpose took effect at most once per target, exactly as many
  times as it has fulfilled payments;
- a payment's refunded amount is the sum of its refunds;
- the fake gateway's clearing account holds what was paid through it less the
  refunds it paid back; refunds payable holds the refunds not yet paid back.

Each example runs in a savepoint rolled back at its end (the ``db`` transaction
holds them all), so examples start from an empty book.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger.models import JournalEntry, Posting, WalletBalance
from ekseva.ledger.verify import verify
from ekseva.payments import gateways, purposes, services
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import (
    OPEN_STATUSES,
    PAID_STATUSES,
    AlreadyPaid,
    InvalidTransition,
    Outcome,
    Payment,
    PaymentError,
    Refund,
    RefundStatus,
    Status,
)

from .conftest import FEE_LINES, FakeGateway

PURPOSE = "machine_fee"
TARGETS = ["A1", "A2", "A3", "A4"]
KIOSKS = ["K1", "K2"]
KIOSK_LINE = {
    "code": "kiosk",
    "label_en": "Kiosk",
    "label_hi": "कियोस्क",
    "amount_paise": 500,
    "rule": "k",
}
WALLET_LINES = [{**FEE_LINES[0], "amount_paise": 2000}, KIOSK_LINE]
FEES = st.sampled_from(
    [
        FEE_LINES,
        FEE_LINES[:1],
        [{**FEE_LINES[0], "amount_paise": 333}, {**FEE_LINES[2], "amount_paise": 61}],
    ]
)


def _load(pk: int) -> Payment:
    return Payment.objects.get(pk=pk)


PAID = list(PAID_STATUSES)
CALLBACK = st.sampled_from(["webhook", "return", "poll", "direct"])


class PaymentMachine(RuleBasedStateMachine):
    """Rules pick the payment they act on from the payments made so far (drawn, so
    hypothesis can shrink the choice); a rule about paid payments picks a paid one."""

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.gateway = gateways.register(FakeGateway())
        self.effects: dict[str, int] = defaultdict(int)
        self.closed: set[str] = set()
        self.keys = itertools.count(1)
        self.through_gateway: list[int] = []  # fee payments and top-ups (fake gateway)
        self.from_wallet: list[int] = []  # kiosk payments from the wallet
        purposes.register(
            purposes.Purpose(
                kind=PURPOSE,
                label_en="Machine fee",
                label_hi="मशीन शुल्क",
                once_per_target=True,
                usable=self._usable,
                fulfil=self._fulfil,
                gateways=frozenset({"fake", "wallet"}),
            )
        )

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)
        gateways._REGISTRY.pop("fake", None)
        purposes.unregister(PURPOSE)

    def _usable(self, payment: Payment) -> purposes.Refusal | None:
        if payment.target in self.closed:
            return purposes.Refusal("The window is closed.", "अवधि समाप्त हो गई है।")
        return None

    def _fulfil(self, payment: Payment) -> None:
        self.effects[payment.target] += 1

    # ----------------------------------------------------------------- making payments

    def _create(self, **kwargs) -> Payment | None:
        key = f"m{next(self.keys)}"
        arguments = {
            "description_en": "Machine",
            "description_hi": "मशीन",
            "idempotency_key": key,
            "department_code": "LSG",
            "service_code": "svc",
            **kwargs,
        }
        try:
            payment = services.create_payment(**arguments)
        except AlreadyPaid:
            # refused only when the target's effect is already taken
            assert self.effects[kwargs["target"]] == 1
            return None
        assert services.create_payment(**arguments).pk == payment.pk  # a replay
        return payment

    def _topup(self, kiosk: str, amount: int) -> Payment:
        line = {"code": "topup", "label_en": "T", "label_hi": "T", "amount_paise": amount}
        payment = self._create(
            purpose="wallet_topup",
            target=kiosk,
            lines=[{**line, "rule": "topup"}],
            gateway="fake",
            kiosk_code=kiosk,
        )
        self.through_gateway.append(payment.pk)
        return payment

    @initialize(amount=st.integers(2_500, 20_000), via=CALLBACK)
    def a_kiosk_topped_up(self, amount, via):
        """Start each history with money on a wallet (or a top-up on its way)."""
        payment = self._topup(KIOSKS[0], amount)
        self._tell(payment.pk, "succeeded", via, 0, "a")

    @rule(who=st.sampled_from(TARGETS), lines=FEES)
    def create_fee(self, who, lines):
        payment = self._create(purpose=PURPOSE, target=who, lines=lines, gateway="fake")
        if payment is not None:
            self.through_gateway.append(payment.pk)

    @rule(kiosk=st.sampled_from(KIOSKS), amount=st.integers(100, 20_000))
    def create_topup(self, kiosk, amount):
        self._topup(kiosk, amount)

    @rule(who=st.sampled_from(TARGETS), kiosk=st.sampled_from(KIOSKS))
    def create_wallet_payment(self, who, kiosk):
        payment = self._create(
            purpose=PURPOSE,
            target=who,
            lines=WALLET_LINES,
            gateway="wallet",
            kiosk_code=kiosk,
            channel="kiosk",
        )
        if payment is not None:
            self.from_wallet.append(payment.pk)

    # ----------------------------------------------------------------- the gateway speaks

    @precondition(lambda self: self.through_gateway)
    @rule(data=st.data())
    def checkout(self, data):
        payment = _load(data.draw(st.sampled_from(self.through_gateway), label="payment"))
        if payment.status in OPEN_STATUSES:
            services.start_checkout(payment, return_url="/r/")
            assert _load(payment.pk).status == Status.PENDING
        else:
            with pytest.raises(InvalidTransition):
                services.start_checkout(payment, return_url="/r/")

    def _tell(self, pk: int, result_status: str, via: str, delivery: int, capture: str) -> None:
        payment = _load(pk)
        if via != "direct" and not payment.gateway_order_id and payment.status in OPEN_STATUSES:
            services.start_checkout(payment, return_url="/r/")  # the payer goes to pay
            payment = _load(pk)
        if not payment.gateway_order_id:
            via = "direct"  # nothing a webhook, a return or a poll could name
        result = GatewayResult(
            status=result_status,
            order_id=payment.gateway_order_id or "",
            payment_id=f"pay_{payment.reference}_{capture}" if result_status == "succeeded" else "",
            amount=payment.amount,
            method="upi",
            reason="declined" if result_status == "failed" else "",
        )
        if via == "webhook":
            body = {
                "id": f"evt_{payment.reference}_{result_status}_{delivery}",
                "kind": f"payment.{result_status}",
                "status": result_status,
                "order_id": result.order_id,
                "payment_id": result.payment_id,
                "amount": result.amount,
            }
            services.handle_webhook("fake", json.dumps(body).encode(), {"X-Sig": "ok"})
        elif via == "return":
            params = {
                "sig": "ok",
                "status": result_status,
                "order_id": result.order_id,
                "payment_id": result.payment_id,
                "amount": str(result.amount),
            }
            services.handle_return(payment, params)
        elif via == "poll":
            self.gateway.status[payment.gateway_order_id] = result
            services.poll(payment)
        else:
            services.apply_result(payment, result, source="reconciliation")

    @precondition(lambda self: self.through_gateway)
    @rule(
        data=st.data(),
        via=CALLBACK,
        delivery=st.integers(0, 1),
        capture=st.sampled_from(["a", "a", "b"]),
    )
    def success(self, data, via, delivery, capture):
        before = _load(data.draw(st.sampled_from(self.through_gateway), label="payment"))
        self._tell(before.pk, "succeeded", via, delivery, capture)
        after = _load(before.pk)
        assert after.is_paid
        if before.is_paid:  # a repeat or a second capture changes nothing
            assert (after.status, after.refunded_amount) == (before.status, before.refunded_amount)

    @precondition(lambda self: self.through_gateway)
    @rule(data=st.data(), via=CALLBACK, delivery=st.integers(0, 1))
    def failure(self, data, via, delivery):
        before = _load(data.draw(st.sampled_from(self.through_gateway), label="payment"))
        self._tell(before.pk, "failed", via, delivery, "a")
        after = _load(before.pk)
        if before.status in OPEN_STATUSES:
            assert after.status == Status.FAILED
        else:  # failure after success (or after a failure, expiry): nothing changes
            assert after.status == before.status

    @precondition(lambda self: self.through_gateway)
    @rule(data=st.data())
    def expire(self, data):
        before = _load(data.draw(st.sampled_from(self.through_gateway), label="payment"))
        services.expire(before)
        expected = Status.EXPIRED if before.status in OPEN_STATUSES else before.status
        assert _load(before.pk).status == expected

    @rule(who=st.sampled_from(TARGETS))
    def close_window(self, who):
        self.closed.add(who)

    @precondition(lambda self: self.from_wallet)
    @rule(data=st.data())
    def pay_from_wallet(self, data):
        before = _load(data.draw(st.sampled_from(self.from_wallet), label="payment"))
        account = ledger_accounts.get_or_open("kiosk_wallet", before.kiosk_code)
        balance = ledger_selectors.balance(account)
        after = services.pay_from_wallet(before)
        if before.is_paid or before.status == Status.FAILED:
            assert after.status == before.status
        elif balance >= before.amount:
            assert after.is_paid
        else:
            assert after.status == Status.FAILED and "Not enough" in after.failure_reason

    # ----------------------------------------------------------------- refunds

    @rule(
        data=st.data(),
        kind=st.sampled_from(["fee", "topup", "wallet"]),
        share=st.sampled_from([1, 50, 100]),
        too_much=st.booleans(),
        task_runs=st.booleans(),
    )
    def refund(self, data, kind, share, too_much, task_runs):
        """Refund part or all of a paid payment of one kind (or try to take back too
        much); the task that asks the gateway to pay it back may run at once or not."""
        paid = Payment.objects.filter(status__in=PAID)
        paid = {
            "fee": paid.filter(purpose=PURPOSE, gateway="fake"),
            "topup": paid.filter(purpose="wallet_topup"),
            "wallet": paid.filter(gateway="wallet"),
        }[kind]
        candidates = list(paid.values_list("pk", flat=True))
        if not candidates:
            return
        payment = _load(data.draw(st.sampled_from(candidates), label="payment"))
        key = f"r{next(self.keys)}"
        if too_much or payment.refundable == 0:
            with pytest.raises(PaymentError):
                services.refund(
                    payment, payment.refundable + 1, reason="too much", idempotency_key=key
                )
            assert _load(payment.pk).refunded_amount == payment.refunded_amount
            return
        amount = max(1, payment.refundable * share // 100)
        try:
            refund = services.refund(payment, amount, reason="machine", idempotency_key=key)
        except PaymentError as exc:
            # only a top-up whose money the kiosk has spent cannot be taken back
            assert payment.purpose == "wallet_topup", exc.en
            wallet = ledger_accounts.get_or_open("kiosk_wallet", payment.kiosk_code)
            assert ledger_selectors.balance(wallet) < amount
            return
        assert services.refund(payment, amount, reason="machine", idempotency_key=key) == refund
        after = _load(payment.pk)
        assert after.refunded_amount == payment.refunded_amount + amount
        assert after.status == (
            Status.REFUNDED if after.refunded_amount == after.amount else Status.PARTLY_REFUNDED
        )
        if task_runs:
            services.process_refund(refund.pk)

    @precondition(lambda self: self.through_gateway or self.from_wallet)
    @rule(data=st.data())
    def refund_of_unpaid_is_refused(self, data):
        unpaid = list(Payment.objects.exclude(status__in=PAID).values_list("pk", flat=True))
        if not unpaid:
            return
        payment = _load(data.draw(st.sampled_from(unpaid), label="payment"))
        with pytest.raises(InvalidTransition):
            services.refund(payment, 100, reason="x", idempotency_key=f"r{next(self.keys)}")

    @rule(ok=st.booleans())
    def gateway_pays_refunds_back(self, ok):
        self.gateway.refund_ok = ok
        waiting = Refund.objects.exclude(status=RefundStatus.PROCESSED).values_list("pk", flat=True)
        for pk in list(waiting):
            refund = services.process_refund(pk)
            if ok or refund.payment.gateway == "wallet":
                assert refund.status == RefundStatus.PROCESSED
            else:
                assert refund.status == RefundStatus.FAILED

    # ----------------------------------------------------------------- invariants
    # One pass per step: the ledger's own check, then the payments and refunds read
    # once and compared with the balances the ledger derives.

    @invariant()
    def the_books_agree(self):
        assert verify() == []
        payments = list(Payment.objects.all())
        refunds = list(Refund.objects.all())
        balances = _balances()
        _success_entries_and_outcomes(payments)
        _effects_once_per_target(payments, self.effects)
        _refunded_amounts(payments, refunds)
        _wallets(payments, refunds, balances)
        _clearing_and_refunds_payable(payments, refunds, balances)


def _balances() -> dict[str, int]:
    """Every account's balance on its normal side, from its postings (one query;
    ``verify()`` has just checked the wallet rows and snapshots against them)."""
    rows = Posting.objects.values("account__code", "account__normal_side").annotate(
        total=Sum("amount")
    )
    return {
        row["account__code"]: row["total"] * (1 if row["account__normal_side"] == "debit" else -1)
        for row in rows
    }


def _success_entries_and_outcomes(payments: list[Payment]) -> None:
    """A paid payment has exactly one success entry (``services.succeeded_effects``
    for all payments in one query), an unpaid one none; paid means an outcome."""
    counts = dict(
        JournalEntry.objects.filter(idempotency_key__in=[services.success_key(p) for p in payments])
        .values_list("idempotency_key")
        .annotate(n=Count("pk"))
    )
    for payment in payments:
        assert counts.get(services.success_key(payment), 0) == (1 if payment.is_paid else 0)
        assert bool(payment.outcome) == payment.is_paid
        if payment.outcome in (Outcome.DUPLICATE, Outcome.UNUSABLE):
            assert payment.status == Status.REFUNDED  # given back whole, at once
    for payment in payments[:1]:  # and the service's own count agrees
        assert services.succeeded_effects(payment) == (1 if payment.is_paid else 0)


def _effects_once_per_target(payments: list[Payment], effects: dict[str, int]) -> None:
    for who in TARGETS:
        fulfilled = sum(
            1
            for p in payments
            if p.purpose == PURPOSE and p.target == who and p.outcome == Outcome.FULFILLED
        )
        assert effects[who] <= 1
        assert effects[who] == fulfilled


def _refunded_amounts(payments: list[Payment], refunds: list[Refund]) -> None:
    given: dict[int, int] = defaultdict(int)
    for refund in refunds:
        given[refund.payment_id] += refund.amount
    for payment in payments:
        assert payment.refunded_amount == given[payment.pk]


def _wallets(payments: list[Payment], refunds: list[Refund], balances: dict[str, int]) -> None:
    """No wallet below zero, and each holds its paid top-ups less what was taken
    back from them, less its paid wallet payments, plus their refunds paid back."""
    assert not WalletBalance.objects.filter(balance__lt=0).exists()
    by_pk = {p.pk: p for p in payments}
    for kiosk in KIOSKS:
        expected = 0
        for p in payments:
            if p.is_paid and p.purpose == "wallet_topup" and p.target == kiosk:
                expected += p.amount
            if p.is_paid and p.gateway == "wallet" and p.kiosk_code == kiosk:
                expected -= p.amount
        for refund in refunds:
            paid_for = by_pk[refund.payment_id]
            if paid_for.purpose == "wallet_topup" and paid_for.target == kiosk:
                expected -= refund.amount
            if paid_for.gateway == "wallet" and paid_for.kiosk_code == kiosk:
                expected += refund.amount if refund.status == RefundStatus.PROCESSED else 0
        assert expected >= 0
        assert balances.get(f"kiosk_wallet:{kiosk}", 0) == expected


def _clearing_and_refunds_payable(
    payments: list[Payment], refunds: list[Refund], balances: dict[str, int]
) -> None:
    """The fake gateway's clearing account: paid through it less refunds it paid
    back (read through ``services.balance_of``, snapshots and all); refunds payable:
    the refunds not yet paid back."""
    through = {p.pk for p in payments if p.gateway == "fake"}
    paid = sum(p.amount for p in payments if p.gateway == "fake" and p.is_paid)
    paid_back = sum(
        r.amount for r in refunds if r.payment_id in through and r.status == RefundStatus.PROCESSED
    )
    assert services.balance_of("gateway_clearing", "fake") == paid - paid_back
    owed = sum(r.amount for r in refunds if r.status != RefundStatus.PROCESSED)
    assert balances.get("refunds_payable", 0) == owed


@pytest.mark.django_db
def test_random_payment_histories_keep_every_invariant(settings):
    settings.PAYMENT_GATEWAYS = ["fake"]
    run_state_machine_as_test(
        PaymentMachine,
        settings=hypothesis_settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
