"""Real concurrency on PostgreSQL: the wallet lock admits exactly what the money
covers; one idempotency key gives one entry; snapshots never miss a posting."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from ekseva.ledger import accounts, selectors, services
from ekseva.ledger.models import JournalEntry, WalletBalance
from ekseva.ledger.services import InsufficientFunds
from ekseva.ledger.verify import verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 30  # the server's connection limit is shared with other test runs


def in_thread(work):
    """Run ``work`` in a pool thread and close that thread's connection afterwards."""

    def run(*args):
        try:
            return work(*args)
        finally:
            connection.close()

    return run


@pytest.fixture
def funded():
    wallet = accounts.get_or_open("kiosk_wallet", "K0001")
    revenue = accounts.get_or_open("operator_revenue")
    gateway = accounts.get_or_open("gateway_clearing", "sandbox")
    services.post("wallet.topup", [(gateway, 5000), (wallet, -5000)], idempotency_key="topup")
    return wallet, revenue


def test_200_concurrent_debits_against_a_wallet_covering_50(funded):
    wallet, revenue = funded
    start = threading.Barrier(WORKERS)

    @in_thread
    def debit(n: int) -> str:
        if n < WORKERS:
            start.wait()
        try:
            services.post(
                "wallet.debit", [(wallet, 100), (revenue, -100)], idempotency_key=f"debit-{n}"
            )
        except InsufficientFunds:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(debit, range(200)))
    assert outcomes.count("ok") == 50
    assert outcomes.count("refused") == 150
    row = WalletBalance.objects.get(account=wallet)
    assert (row.balance, row.version) == (0, 51)
    assert selectors.balance(wallet) == 0
    assert selectors.balance(revenue) == 5000
    assert verify() == []


def test_concurrent_requests_with_one_key_give_one_entry(funded):
    """The debit takes the whole wallet: the requests that waited on the lock must
    get the first entry back, not a refusal for want of money."""
    wallet, revenue = funded
    start = threading.Barrier(WORKERS)

    @in_thread
    def debit(_: int) -> int:
        start.wait()
        return services.post(
            "wallet.debit", [(wallet, 5000), (revenue, -5000)], idempotency_key="same-key"
        ).pk

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        ids = set(pool.map(debit, range(WORKERS)))
    assert len(ids) == 1
    assert JournalEntry.objects.filter(idempotency_key="same-key").count() == 1
    assert selectors.wallet_balance(wallet) == 0
    assert verify() == []


def test_snapshots_taken_while_money_moves_miss_nothing(funded):
    """Writers and the snapshotter race; every snapshot still equals its postings."""
    _, revenue = funded
    dept = accounts.get_or_open("department_payable", "LSG")
    gateway = accounts.get_or_open("gateway_clearing", "sandbox")

    @in_thread
    def work(n: int) -> None:
        if n % 10 == 0:
            services.snapshot_balances()
        else:
            services.post(
                "fee", [(gateway, 118), (dept, -100), (revenue, -18)], idempotency_key=f"f{n}"
            )

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(work, range(120)))
    services.snapshot_balances()
    assert verify() == []
    assert selectors.balance(dept) == 108 * 100
    assert selectors.balance(gateway) == 5000 + 108 * 118
