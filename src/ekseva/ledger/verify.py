"""``ekseva ledger check``: recompute every invariant from the postings.

The service and (on PostgreSQL) the database refuse bad writes; this finds what
slipped past them anyway — a raw SQL insert on SQLite, a restored backup, a bug.
It reads everything, so it is an operator's job, not a request's.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case, Count, F, IntegerField, Q, Sum, When

from .models import (
    ROLLUP_SHARDS,
    Account,
    BalanceSnapshot,
    DailyRollup,
    JournalEntry,
    Posting,
    WalletBalance,
)


def _entries() -> list[str]:
    problems = []
    grouped = (
        Posting.objects.values("entry_id")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .filter(~Q(total=0) | Q(n__lt=2))
        .order_by("entry_id")
    )
    for row in grouped:
        if row["total"] != 0:
            problems.append(
                f"entry #{row['entry_id']} does not balance: its postings sum to {row['total']}"
            )
        else:
            problems.append(f"entry #{row['entry_id']} has only {row['n']} posting")
    for entry_id in JournalEntry.objects.filter(postings__isnull=True).values_list("pk", flat=True):
        problems.append(f"entry #{entry_id} has no postings")
    return problems


def _balances() -> list[str]:
    problems = []
    totals = dict(
        Posting.objects.values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    rows = dict(WalletBalance.objects.values_list("account_id", "balance"))
    for account in Account.objects.filter(may_go_negative=False).order_by("code"):
        derived = account.sign * totals.get(account.pk, 0)
        if derived < 0:
            problems.append(f"{account.code} is below zero: its postings give {derived}")
        if account.pk not in rows:
            problems.append(f"{account.code} has no wallet balance row")
        elif rows[account.pk] != derived:
            problems.append(
                f"{account.code}: wallet balance row says {rows[account.pk]}, "
                f"postings say {derived}"
            )
    stray = WalletBalance.objects.filter(account__may_go_negative=True)
    for code in stray.values_list("account__code", flat=True):
        problems.append(f"{code} may go negative but has a wallet balance row")
    return problems


def _snapshots() -> list[str]:
    """Walk each snapshotted account's postings once, in id order, comparing the
    running sum with every snapshot on the way."""
    problems = []
    by_account: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for account_id, as_of, amount in BalanceSnapshot.objects.order_by(
        "account_id", "as_of"
    ).values_list("account_id", "as_of", "balance"):
        by_account[account_id].append((as_of, amount))
    accounts = Account.objects.in_bulk(list(by_account))
    for account_id, snapshots in by_account.items():
        account = accounts[account_id]
        postings = (
            Posting.objects.filter(account_id=account_id, pk__lte=snapshots[-1][0])
            .order_by("pk")
            .values_list("pk", "amount")
            .iterator(chunk_size=5000)
        )
        running, pending = 0, next(postings, None)
        for as_of, recorded in snapshots:
            while pending is not None and pending[0] <= as_of:
                running += pending[1]
                pending = next(postings, None)
            if recorded != account.sign * running:
                problems.append(
                    f"snapshot of {account.code} as of posting {as_of} says {recorded}, "
                    f"postings say {account.sign * running}"
                )
    return problems


def _rollups() -> list[str]:
    problems = []
    positive = Case(When(amount__gt=0, then=F("amount")), default=0, output_field=IntegerField())
    negative = Case(When(amount__lt=0, then=-F("amount")), default=0, output_field=IntegerField())
    expected = {
        (row["day"], row["account_id"], row["dims"], row["shard"]): (
            row["debits"],
            row["credits"],
            row["count"],
        )
        for row in Posting.objects.annotate(
            day=F("entry__day"), dims=F("entry__dimensions"), shard=F("entry_id") % ROLLUP_SHARDS
        )
        .values("day", "account_id", "dims", "shard")
        .annotate(debits=Sum(positive), credits=Sum(negative), count=Count("pk"))
        .order_by()
    }
    recorded = {
        (row[0], row[1], row[2], row[3]): (row[4], row[5], row[6])
        for row in DailyRollup.objects.values_list(
            "day", "account_id", "dimensions", "shard", "debits", "credits", "count"
        )
    }
    codes = dict(Account.objects.values_list("pk", "code"))
    for key in sorted(expected.keys() | recorded.keys(), key=str):
        want, have = expected.get(key, (0, 0, 0)), recorded.get(key, (0, 0, 0))
        if want != have:
            day, account_id, dims, shard = key
            problems.append(
                f"rollup {day} {codes.get(account_id, account_id)} [{dims}] shard {shard}: "
                f"(debits, credits, count) recorded {have}, postings give {want}"
            )
    return problems


def verify() -> list[str]:
    """Every problem found, one sentence each; an empty list means the ledger is sound."""
    return _entries() + _balances() + _snapshots() + _rollups()
