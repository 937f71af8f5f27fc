"""Reconciliation through the sandbox gateway end to end: its own settlement file
(fees by method, a refund, a late capture nobody heard about) read back by
``ekseva payments reconcile``, leaving the clearing account at what is unsettled."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments import reconcile, sandbox, services
from ekseva.payments.models import ItemCategory, ReconciliationRun, RefundStatus, Status

from .conftest import make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.SANDBOX_GATEWAY_SECRET = "sandbox-secret-for-tests-0123456789"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _pay(method: str, target: str, scenario: str = sandbox.SUCCESS):
    payment = make_payment(gateway="sandbox", target=target)
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    shown = {"card": "card •••• 1111", "upi": f"{scenario}@sandbox", "netbanking": "SBXS"}
    order = sandbox.pay(
        payment.gateway_order_id, sandbox.Instrument(method, scenario, shown[method])
    )
    if scenario == sandbox.SUCCESS:
        sandbox.deliver_due(order=order.pk)
    payment.refresh_from_db()
    return payment


def clearing() -> int:
    return services.balance_of("gateway_clearing", "sandbox")


def test_a_sandbox_day_reconciles_to_zero(effects, frozen_clock, committed, tmp_path):
    day = frozen_clock.today()
    by_card = _pay("card", "A1")
    by_upi = _pay("upi", "A2")
    by_bank = _pay("netbanking", "A3")
    assert {p.status for p in (by_card, by_upi, by_bank)} == {Status.SUCCEEDED}
    with committed():
        refund = services.refund(by_card, 2000, reason="part", idempotency_key="r1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSED
    # A late capture: the payer gave up, the payment expired here, then the bank
    # took the money. Only the settlement file tells us.
    late = _pay("upi", "A4", scenario=sandbox.LATE)
    services.expire(late)
    frozen_clock.advance(minutes=6)
    assert clearing() == 3 * 12360 - 2000

    path = tmp_path / "sandbox.csv"
    path.write_text(sandbox.settlement_csv(day), encoding="utf-8")
    out = io.StringIO()
    call_command("payments", "reconcile", str(path), "--gateway", "sandbox", stdout=out)
    report = out.getvalue()
    assert "Everything matched." in report

    run = ReconciliationRun.objects.get()
    categories = {item.payment_id: item.category for item in run.items.exclude(line=None)}
    assert run.items.filter(category=ItemCategory.MATCHED).count() == 3
    assert categories[late.pk] == ItemCategory.LATE_SUCCESS
    assert run.items.get(category=ItemCategory.REFUND_MATCHED).payment == by_card
    card_item = run.items.get(payment=by_card, category=ItemCategory.MATCHED)
    assert (card_item.file_fee, card_item.expected_fee) == (262, 262)
    late.refresh_from_db()
    assert late.status == Status.SUCCEEDED and effects.done["A4"] == 1
    # Everything taken here was settled: the clearing account is empty, the bank
    # holds the net of the file.
    assert clearing() == 0
    assert services.balance_of("bank") == run.net
    assert run.fees == 262 + 218  # card and net banking; UPI is free
    assert run.gross == 4 * 12360 - 2000
    assert verify() == []

    # The same file again: the same run, nothing posted.
    entries = JournalEntry.objects.count()
    out = io.StringIO()
    call_command("payments", "reconcile", str(path), "--gateway", "sandbox", stdout=out)
    assert "already imported" in out.getvalue()
    assert JournalEntry.objects.count() == entries


def test_a_sandbox_fee_other_than_its_rate_is_reported(effects, frozen_clock, tmp_path):
    day = frozen_clock.today()
    payment = _pay("card", "A1")
    text = sandbox.settlement_csv(day).replace(",12360,262,40", ",12360,300,46")
    path = tmp_path / "edited.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("payments", "reconcile", str(path), "--gateway", "sandbox", stdout=out)
    assert caught.value.returncode == 1
    assert "fee differs" in out.getvalue() and payment.reference in out.getvalue()
    run = reconcile.find_run("sandbox", text)
    assert run.items.get().expected_fee == 262


def test_a_bad_sandbox_file_exits_2_naming_the_line(effects, frozen_clock, tmp_path):
    _pay("card", "A1")
    text = sandbox.settlement_csv(frozen_clock.today()) + "x,2026-06-15,payment,o,p,,1.5,0,0\n"
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("payments", "reconcile", str(path), "--gateway", "sandbox")
    assert caught.value.returncode == 2
    assert "line 3: amount_paise must be a whole number" in str(caught.value)
    assert not ReconciliationRun.objects.exists()
