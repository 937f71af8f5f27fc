"""Real concurrency on PostgreSQL: one batch per department and period however
many make it at once; one posting however many post it at once."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from ekseva.core import clock
from ekseva.ledger import accounts, services
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments import settlements
from ekseva.payments.models import PaymentError, Settlement

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 12
DAY = dt.date(2026, 6, 15)


def in_thread(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connection.close()

    return run


@pytest.fixture
def fees():
    """Three fees for LSG on Monday the 15th; the clock then stands on the
    Tuesday after the week (all threads), so both a daily and a weekly batch
    could be made."""
    with clock.frozen(dt.datetime(2026, 6, 15, 11, 0), all_threads=True):
        for n in range(3):
            services.post(
                "payment.success",
                [
                    (accounts.get_or_open("gateway_clearing", "sandbox"), 10000),
                    (accounts.get_or_open("department_payable", "LSG"), -10000),
                ],
                idempotency_key=f"fee-{n}",
                dimensions={"department": "LSG", "service": "income"},
            )
    with clock.frozen(dt.datetime(2026, 6, 23, 2, 0), all_threads=True):
        yield


def test_one_batch_whatever_the_number_of_makers(fees):
    start = threading.Barrier(WORKERS)

    @in_thread
    def make(n: int):
        start.wait()
        frequency = "daily" if n % 2 else "weekly"
        end = DAY if n % 2 else DAY + dt.timedelta(days=6)
        try:
            return settlements.make_batch("LSG", DAY, end, frequency, actor=None).reference
        except PaymentError:
            return "refused"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(make, range(WORKERS)))
    # The daily or the weekly batch won; the other frequency was refused as
    # overlapping it, and every maker of the winner got the same batch.
    [batch] = Settlement.objects.all()
    assert batch.owed == 30000
    assert outcomes.count(batch.reference) == WORKERS // 2
    assert outcomes.count("refused") == WORKERS // 2


def test_one_posting_whatever_the_number_of_posters(fees):
    batch = settlements.make_batch("LSG", DAY, DAY, "daily", actor=None)
    start = threading.Barrier(WORKERS)

    @in_thread
    def post(n: int) -> str:
        start.wait()
        try:
            settlements.post(batch, f"UTR{n % 2}", actor=None)
        except PaymentError as exc:
            return f"refused {exc.status}"
        return "posted"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(post, range(WORKERS)))
    batch.refresh_from_db()
    assert batch.status == "posted"
    winner = int(batch.bank_reference[-1])
    # the same bank reference is an idempotent repeat; the other one is a conflict
    assert outcomes.count("posted") == WORKERS // 2
    assert outcomes.count("refused 409") == WORKERS // 2
    assert all(outcome == "posted" for n, outcome in enumerate(outcomes) if n % 2 == winner)
    assert JournalEntry.objects.filter(kind="settlement.department").count() == 1
    assert verify() == []
