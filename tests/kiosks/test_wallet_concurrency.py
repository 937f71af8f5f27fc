"""The wallet under real concurrency, on PostgreSQL: many debits at once on one
kiosk spend exactly what the wallet holds and never more; one request key retried,
even at the same moment, debits once. Both through ``services.pay_assisted``, the
path the kiosk console uses.

Run with your own database: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>
.venv/bin/pytest tests/kiosks/test_wallet_concurrency.py -p no:xdist``.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection

from ekseva.accounts.models import User
from ekseva.applications.models import Application
from ekseva.core import clock
from ekseva.kiosks import services, wallet
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger.models import JournalEntry, Posting
from ekseva.ledger.verify import verify
from ekseva.notifications.models import Message
from ekseva.payments.models import Payment, Status

from .conftest import assisted_submitted, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Threads at once: each holds a connection, and the server's limit is shared with
# other test runs, so 200 requests go through this many (as tests/payments does).
WORKERS = 40


def race(count: int, work) -> list:
    """``work(n)`` for n in range(count) on WORKERS threads, the first WORKERS
    released together; each thread closes its own connection at the end. An
    exception is returned, not raised, so every outcome can be counted."""
    start = threading.Barrier(min(count, WORKERS))

    def run(n: int):
        try:
            if n < WORKERS:
                start.wait()
            return work(n)
        except Exception as exc:  # counted by the test
            return exc
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, range(count)))


def pay(operator_pk: int, app_pk: int, key: str):
    """One request of the console: its own user and application rows, as a view loads them."""
    operator = User.objects.get(pk=operator_pk)
    app = Application.objects.get(pk=app_pk)
    return services.pay_assisted(operator, app, idempotency_key=key)


def test_200_debits_at_once_spend_exactly_what_the_wallet_holds(operator, kiosk, citizen, service):
    covered = 50
    apps = [assisted_submitted(operator, citizen, service) for _ in range(200)]
    fee = apps[0].fee_total
    assert all(app.fee_total == fee for app in apps)
    fund(kiosk, covered * fee)
    kiosk.low_balance_paise = (covered // 2) * fee + 1  # crossed by exactly one debit
    kiosk.save(update_fields=["low_balance_paise"])

    outcomes = race(200, lambda n: pay(operator.pk, apps[n].pk, f"race-{n}"))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Counter(o.status for o in outcomes) == {Status.SUCCEEDED: covered, Status.FAILED: 150}
    failed = Payment.objects.filter(kiosk_code=kiosk.code, status=Status.FAILED)
    assert all(
        r.startswith("Not enough money") for r in failed.values_list("failure_reason", flat=True)
    )
    assert Application.objects.filter(paid_at__isnull=False).count() == covered
    wallet_account = services.wallet_account(kiosk)
    assert ledger_selectors.wallet_balance(wallet_account) == 0
    assert services.wallet_balance(kiosk) == 0
    # never below zero: the balance after every posting, in posting order
    running = 0
    for amount in (
        Posting.objects.filter(account=wallet_account)
        .order_by("pk")
        .values_list("amount", flat=True)
    ):
        running -= amount
        assert running >= 0
    found = wallet.statement(kiosk, clock.today(), clock.today())
    assert len(found.entries) == 1 + covered
    assert found.closing == services.wallet_balance(kiosk) == 0
    assert found.closing == found.opening + found.total_credit - found.total_debit
    assert found.entries[-1].balance == found.closing
    assert all(line.balance >= 0 for line in found.entries)
    commission = ledger_accounts.get_or_open("kiosk_commission_payable", kiosk.code)
    kiosk_line = next(line for line in apps[0].fee_lines if line["code"] == "kiosk")
    assert ledger_selectors.balance(commission) == covered * kiosk_line["amount_paise"]
    alerts = Message.objects.filter(template="kiosks.low_balance", recipient=kiosk.owner_mobile)
    assert alerts.count() == 1
    assert verify() == []


def test_one_key_retried_at_once_debits_once(operator, kiosk, citizen, service):
    app = assisted_submitted(operator, citizen, service)
    other = assisted_submitted(operator, citizen, service)
    fund(kiosk, 10 * app.fee_total)

    outcomes = race(60, lambda n: pay(operator.pk, app.pk, "the-one-key"))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert {o.pk for o in outcomes} == {outcomes[0].pk}
    assert all(o.status == Status.SUCCEEDED for o in outcomes)
    payment = Payment.objects.get(target=app.number)
    assert JournalEntry.objects.filter(reference=f"payment:{payment.reference}").count() == 1
    assert services.wallet_balance(kiosk) == 9 * app.fee_total
    # and once more later, as a retried request would come: the same payment, no debit
    again = pay(operator.pk, app.pk, "the-one-key")
    assert again.pk == payment.pk and services.wallet_balance(kiosk) == 9 * app.fee_total
    # the key belongs to that application: another one is refused, nothing taken
    refused = pay_or_error(operator.pk, other.pk, "the-one-key")
    assert "another application" in str(refused)
    assert services.wallet_balance(kiosk) == 9 * app.fee_total
    assert verify() == []


def pay_or_error(operator_pk: int, app_pk: int, key: str):
    try:
        return pay(operator_pk, app_pk, key)
    except Exception as exc:
        return exc
