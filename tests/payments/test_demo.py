"""The payments demo: each state it promises, through the real services and the
sandbox; a second run writes nothing; the ledger and the sandbox's books agree."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from ekseva.accounts import demo as accounts_demo
from ekseva.core import clock
from ekseva.ledger.verify import verify
from ekseva.payments import demo, sandbox, services
from ekseva.payments.models import Payment, RefundStatus, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    accounts_demo.load()  # the operator staff member who makes the test payments
    lines = demo.load()
    return lines


def by_key(step: str) -> Payment:
    return Payment.objects.get(idempotency_key=f"demo:{step}")


def test_every_promised_state_is_there(loaded):
    states = {
        p.idempotency_key.removeprefix("demo:"): p.status
        for p in Payment.objects.filter(idempotency_key__startswith="demo:")
    }
    assert states == {
        "test:1": Status.SUCCEEDED,
        "test:2": Status.SUCCEEDED,
        "test:3": Status.FAILED,
        "test:4": Status.REFUNDED,
        "test:5": Status.PARTLY_REFUNDED,
        "test:6": Status.PENDING,
    }
    assert by_key("test:1").payer.username == "ops"
    assert by_key("test:1").method == "card"  # as the sandbox reported it
    assert by_key("test:6").gateway_order_id  # the payer can still pay it
    for step in ("test:4", "test:5"):
        assert [r.status for r in by_key(step).refunds.all()] == [RefundStatus.PROCESSED]
    # What the test payments left with the operator: paid less refunded.
    assert services.balance_of("operator_revenue", "") == 1000 + 2500 + 5000 + 2000 - 5000 - 500
    assert verify() == []
    assert loaded == [
        "payments: 6 (1 pending, 2 succeeded, 1 failed, 1 partly_refunded, 1 refunded); "
        "console at http://127.0.0.1:8000/en/payments/manage/"
    ]


def test_earlier_payments_are_dated_on_earlier_days(loaded):
    today = clock.today()

    def day(step: str) -> dt.date:
        return timezone.localtime(by_key(step).created_at).date()

    assert day("test:1") == today - dt.timedelta(days=2)
    assert day("test:2") == today - dt.timedelta(days=1)
    assert day("test:6") == today
    assert timezone.localtime(by_key("test:2").succeeded_at).date() == day("test:2")


def test_the_sandbox_books_agree_so_reconciliation_has_matches(loaded):
    yesterday = clock.today() - dt.timedelta(days=1)
    csv = sandbox.settlement_csv(yesterday)
    for step in ("test:2", "test:4", "test:5"):
        assert by_key(step).gateway_payment_id in csv, step
    assert by_key("test:3").gateway_order_id not in csv  # failed: nothing to settle
    refunds = [line for line in csv.splitlines() if ",refund," in line]
    assert len(refunds) == 2


def test_a_second_run_writes_nothing_and_asks_little(loaded, django_assert_max_num_queries):
    def counts() -> dict[str, int]:
        return {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    before = counts()
    with django_assert_max_num_queries(60):
        again = demo.load()
    assert counts() == before
    assert again == loaded


def test_without_the_demo_staff_the_test_payments_have_no_payer(db):
    demo.load()
    assert by_key("test:1").payer is None
    assert verify() == []


def test_the_demo_command_runs_it(db):
    out = StringIO()
    call_command("demo", stdout=out)
    assert "[payments]" in out.getvalue()
    assert "payments: 6 (" in out.getvalue()
