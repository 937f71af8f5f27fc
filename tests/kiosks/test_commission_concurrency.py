"""Real concurrency on PostgreSQL: a month's statements made at once by many
makers are made once (one TDS entry each), a statement joins one payout batch
however many batches are made at once, and a batch is paid once."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from ekseva.core import clock
from ekseva.kiosks import commission
from ekseva.kiosks.models import CommissionStatement, KioskError, PayoutBatch
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify

from .test_commission import MAY, book_charge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 8


def in_thread(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connection.close()

    return run


@pytest.fixture
def may(make_kiosk, places):
    """Three kiosks with commission booked in May; the clock on 15 June (all threads)."""
    kiosks = [make_kiosk(), make_kiosk(places.indore), make_kiosk()]
    with clock.frozen(dt.datetime(2026, 5, 12, 11, 0)):
        for n, kiosk in enumerate(kiosks, start=1):
            book_charge(kiosk, 10_000 * n + 25)
    return kiosks


def test_statements_made_at_once_are_made_once(may):
    start = threading.Barrier(WORKERS)

    @in_thread
    def make(_n: int) -> list[int]:
        start.wait()
        return [statement.pk for statement in commission.make_statements(MAY)]

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(make, range(WORKERS)))
    assert CommissionStatement.objects.count() == 3
    assert all(sorted(outcome) == sorted(outcomes[0]) for outcome in outcomes)
    assert JournalEntry.objects.filter(kind=commission.TDS_KIND).count() == 3
    assert verify() == []


def test_batches_made_at_once_never_share_a_statement(may):
    commission.make_statements(MAY)
    start = threading.Barrier(WORKERS)

    @in_thread
    def create(_n: int) -> str:
        start.wait()
        try:
            return commission.create_batch(MAY).reference
        except KioskError:
            return "nothing"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(create, range(WORKERS)))
    [batch] = PayoutBatch.objects.all()
    assert outcomes.count(batch.reference) == 1 and outcomes.count("nothing") == WORKERS - 1
    assert set(CommissionStatement.objects.values_list("payout", flat=True)) == {batch.pk}
    assert batch.total == sum(CommissionStatement.objects.values_list("net", flat=True))


def test_a_batch_marked_paid_at_once_is_paid_once(may):
    commission.make_statements(MAY)
    batch = commission.create_batch(MAY)
    start = threading.Barrier(WORKERS)

    @in_thread
    def pay(n: int) -> str:
        start.wait()
        try:
            commission.mark_paid(batch, f"UTR{n % 2}")
        except KioskError:
            return "refused"
        return "paid"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(pay, range(WORKERS)))
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert outcomes.count("paid") == WORKERS // 2 and outcomes.count("refused") == WORKERS // 2
    assert JournalEntry.objects.filter(kind=commission.PAYOUT_KIND).count() == 3
    for kiosk in may:
        assert commission.items(kiosk, MAY)  # the month's charge is still listed
    assert verify() == []
