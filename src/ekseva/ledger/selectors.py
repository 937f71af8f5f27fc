"""Reading the ledger: balances, statements, daily totals.

Balances are on the account's normal side (a wallet holding ₹100 → 10000) and
are derived: the latest ``BalanceSnapshot`` plus the postings after it, so a
balance never scans an account's whole history once it has been snapshotted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Max, Min, Sum

from .models import Account, BalanceSnapshot, DailyRollup, JournalEntry, Posting, WalletBalance
from .services import dimensions_key


def _sum(queryset) -> int:
    return queryset.aggregate(total=Sum("amount"))["total"] or 0


def balance_through(account: Account, posting_id: int | None = None) -> int:
    """Balance over the account's postings with id <= ``posting_id`` (None: all)."""
    snapshots = BalanceSnapshot.objects.filter(account=account)
    postings = Posting.objects.filter(account=account)
    if posting_id is not None:
        snapshots = snapshots.filter(as_of__lte=posting_id)
        postings = postings.filter(pk__lte=posting_id)
    snapshot = snapshots.order_by("-as_of").only("as_of", "balance").first()
    if snapshot is not None:
        return snapshot.balance + account.sign * _sum(postings.filter(pk__gt=snapshot.as_of))
    return account.sign * _sum(postings)


def balance(account: Account) -> int:
    """The account's current balance, on its normal side."""
    return balance_through(account)


def wallet_balance(account: Account) -> int:
    """The locked running balance of a may-not-go-negative account (one row read)."""
    return WalletBalance.objects.values_list("balance", flat=True).get(account=account)


def entry_for_key(idempotency_key: str) -> JournalEntry | None:
    """The entry posted under ``idempotency_key``, if any."""
    return JournalEntry.objects.filter(idempotency_key=idempotency_key).first()


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    entry_id: int
    created_at: dt.datetime
    day: dt.date
    kind: str
    memo: str
    reference: str
    debit: int
    credit: int
    balance: int  # after this posting, on the account's normal side


@dataclass(frozen=True)
class Statement:
    account: Account
    start: dt.date
    end: dt.date
    opening: int
    closing: int
    lines: list[StatementLine]


def statement(account: Account, start: dt.date, end: dt.date) -> Statement:
    """The account's postings on days ``start``..``end`` (inclusive) in posting
    order, each with the balance after it.

    "Balance after" means over every posting with a lower or equal id, so the
    running balance always agrees with ``balance_through``; should an entry
    written just before midnight commit after one written just after it, it is
    counted where it falls in posting order."""
    in_days = Posting.objects.filter(account=account, entry__day__gte=start, entry__day__lte=end)
    bounds = in_days.aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None:
        before_end = Posting.objects.filter(account=account, entry__day__lte=end).aggregate(
            last=Max("pk")
        )["last"]
        amount = balance_through(account, before_end) if before_end else 0
        return Statement(account, start, end, amount, amount, [])
    opening = balance_through(account, bounds["first"] - 1)
    running = opening
    lines = []
    postings = (
        Posting.objects.filter(account=account, pk__gte=bounds["first"], pk__lte=bounds["last"])
        .select_related("entry")
        .order_by("pk")
    )
    for posting in postings:
        running += account.sign * posting.amount
        entry = posting.entry
        if start <= entry.day <= end:
            lines.append(
                StatementLine(
                    posting_id=posting.pk,
                    entry_id=entry.pk,
                    created_at=entry.created_at,
                    day=entry.day,
                    kind=entry.kind,
                    memo=entry.memo,
                    reference=entry.reference,
                    debit=max(posting.amount, 0),
                    credit=max(-posting.amount, 0),
                    balance=running,
                )
            )
    return Statement(account, start, end, opening, running, lines)


@dataclass(frozen=True)
class DayTotal:
    day: dt.date
    debits: int
    credits: int
    count: int


def daily_totals(
    account: Account,
    start: dt.date,
    end: dt.date,
    dimensions: Mapping[str, str] | None = None,
) -> list[DayTotal]:
    """Per day: debits, credits and postings of ``account`` from the rollup table
    (shards summed; all dimensions unless ``dimensions`` names one key exactly)."""
    rows = DailyRollup.objects.filter(account=account, day__gte=start, day__lte=end)
    if dimensions is not None:
        rows = rows.filter(dimensions=dimensions_key(dimensions))
    grouped = (
        rows.values("day")
        .annotate(debits=Sum("debits"), credits=Sum("credits"), count=Sum("count"))
        .order_by("day")
    )
    return [DayTotal(row["day"], row["debits"], row["credits"], row["count"]) for row in grouped]
