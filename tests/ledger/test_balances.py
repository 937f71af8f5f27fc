"""Balances from snapshots, statements with a running balance, daily rollups."""

import datetime as dt

from ekseva.ledger import selectors, services
from ekseva.ledger.models import ROLLUP_SHARDS, BalanceSnapshot, DailyRollup, Posting

from .conftest import top_up


def debit(chart, key: str, paise: int, dimensions=None):
    return services.post(
        "wallet.debit",
        [(chart["wallet"], paise), (chart["revenue"], -paise)],
        idempotency_key=key,
        memo=f"debit {key}",
        dimensions=dimensions,
    )


def test_snapshots_only_for_accounts_with_new_postings(chart):
    top_up(chart, 10000)
    assert services.snapshot_balances() == 2
    assert services.snapshot_balances() == 0  # nothing new
    debit(chart, "d1", 300)
    assert services.snapshot_balances() == 2  # wallet and revenue, not the gateway
    wallet_snaps = BalanceSnapshot.objects.filter(account=chart["wallet"]).order_by("as_of")
    assert [s.balance for s in wallet_snaps] == [10000, 9700]
    assert wallet_snaps.last().as_of == Posting.objects.latest("pk").pk
    gateway = BalanceSnapshot.objects.get(account=chart["gateway"])
    assert gateway.balance == 10000


def test_balance_is_snapshot_plus_later_postings(chart, django_assert_num_queries):
    top_up(chart, 10000)
    debit(chart, "d1", 300)
    services.snapshot_balances()
    debit(chart, "d2", 200)
    assert selectors.balance(chart["wallet"]) == 9500
    assert selectors.balance(chart["revenue"]) == 500
    # Proof the snapshot is used rather than a full scan: it is the only source of
    # the history before it, so a (deliberately) wrong snapshot shows through.
    snapshot = BalanceSnapshot.objects.get(account=chart["revenue"])
    BalanceSnapshot.objects.filter(pk=snapshot.pk).update(balance=snapshot.balance + 7)
    with django_assert_num_queries(2):
        assert selectors.balance(chart["revenue"]) == 507


def test_balance_through_a_posting(chart):
    top_up(chart, 10000)
    first = debit(chart, "d1", 300)
    services.snapshot_balances()
    debit(chart, "d2", 200)
    wallet_posting = first.postings.get(account=chart["wallet"])
    assert selectors.balance_through(chart["wallet"], wallet_posting.pk) == 9700
    assert selectors.balance_through(chart["wallet"], wallet_posting.pk - 1) == 10000
    assert selectors.balance_through(chart["wallet"], 0) == 0
    assert selectors.wallet_balance(chart["wallet"]) == 9500


def test_statement_running_balance(chart, frozen_clock):
    day1 = frozen_clock.today()
    top_up(chart, 10000)  # day 1
    debit(chart, "d1", 1000)
    frozen_clock.advance(days=1)
    debit(chart, "d2", 2500)  # day 2
    services.snapshot_balances()
    debit(chart, "d3", 500)
    frozen_clock.advance(days=1)
    top_up(chart, 4000, key="topup-2")  # day 3
    day2 = day1 + dt.timedelta(days=1)
    day3 = day2 + dt.timedelta(days=1)

    whole = selectors.statement(chart["wallet"], day1, day3)
    assert whole.opening == 0
    assert [(line.debit, line.credit, line.balance) for line in whole.lines] == [
        (0, 10000, 10000),
        (1000, 0, 9000),
        (2500, 0, 6500),
        (500, 0, 6000),
        (0, 4000, 10000),
    ]
    assert whole.closing == 10000 == selectors.balance(chart["wallet"])

    middle = selectors.statement(chart["wallet"], day2, day2)
    assert (middle.opening, middle.closing) == (9000, 6000)
    assert [line.memo for line in middle.lines] == ["debit d2", "debit d3"]
    assert all(line.day == day2 for line in middle.lines)

    later = selectors.statement(
        chart["wallet"], day3 + dt.timedelta(days=5), day3 + dt.timedelta(days=9)
    )
    assert (later.opening, later.closing, later.lines) == (10000, 10000, [])
    before = selectors.statement(
        chart["wallet"], day1 - dt.timedelta(days=9), day1 - dt.timedelta(days=1)
    )
    assert (before.opening, before.closing, before.lines) == (0, 0, [])


def test_rollups_summed_over_shards_and_dimensions(chart, frozen_clock):
    day = frozen_clock.today()
    top_up(chart, 100000)
    for n in range(20):
        debit(chart, f"d{n}", 100 + n, dimensions={"service": "S1" if n % 2 else "S2"})
    shards = set(
        DailyRollup.objects.filter(account=chart["revenue"]).values_list("shard", flat=True)
    )
    assert len(shards) > 1  # spread, not one hot row
    assert shards <= set(range(ROLLUP_SHARDS))
    total = sum(100 + n for n in range(20))
    (revenue,) = selectors.daily_totals(chart["revenue"], day, day)
    assert (revenue.day, revenue.debits, revenue.credits, revenue.count) == (day, 0, total, 20)
    (wallet,) = selectors.daily_totals(chart["wallet"], day, day)
    assert (wallet.debits, wallet.credits, wallet.count) == (total, 100000, 21)
    (s1,) = selectors.daily_totals(chart["revenue"], day, day, dimensions={"service": "S1"})
    assert s1.credits == sum(100 + n for n in range(1, 20, 2))
    assert selectors.daily_totals(chart["revenue"], day, day, dimensions={"service": "S9"}) == []


def test_rollups_per_day_and_reversals(chart, frozen_clock):
    day1 = frozen_clock.today()
    entry = top_up(chart, 5000)
    frozen_clock.advance(days=1)
    services.reverse(entry, "bounced")
    totals = selectors.daily_totals(chart["wallet"], day1, day1 + dt.timedelta(days=1))
    assert [(t.day, t.debits, t.credits, t.count) for t in totals] == [
        (day1, 0, 5000, 1),
        (day1 + dt.timedelta(days=1), 5000, 0, 1),
    ]
