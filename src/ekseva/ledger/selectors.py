"""Reading the ledger: balances, statements, daily totals.

Balances are on the account's normal side (a wallet holding ₹100 → 10000) and
are derived: the latest ``BalanceSnapshot`` plus the postings after it, so a
balance never scans an account's whole history once it has been snapshotted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
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


# Group keys of ``rollup_totals`` that are not dimensions but the account itself.
ACCOUNT_KEYS = ("account", "owner")


def parse_dimensions(text: str) -> dict[str, str]:
    """The canonical "key=value;…" string of an entry or rollup row → a dict."""
    if not text:
        return {}
    return dict(part.split("=", 1) for part in text.split(";"))


def dimension_pattern(key: str, value: str | None = None) -> str:
    """A regular expression (Python, SQLite and PostgreSQL alike) matching a
    dimensions string that holds ``key`` (= ``value``, if given)."""
    wanted = re.escape(value) if value is not None else "[^;]*"
    return f"(^|;){re.escape(key)}={wanted}(;|$)"


def rollup_totals(
    start: dt.date,
    end: dt.date,
    *,
    account_kind: str | None = None,
    account: Account | str | None = None,
    group_by: Sequence[str] = ("department", "service", "channel", "district"),
    filters: Mapping[str, str | Iterable[str] | None] | None = None,
    by_day: bool = False,
) -> list[dict]:
    """Debits, credits and postings count from the daily rollups on days
    ``start``..``end`` (inclusive), summed over shards and grouped by the
    dimension keys in ``group_by`` (and by day if ``by_day``).

    - ``account_kind`` / ``account`` (an ``Account`` or its code) narrow the
      accounts; with neither, every account counts (then debits equal credits).
    - ``group_by`` may also name ``"account"`` (the account code) or ``"owner"``
      (its owner key). A row without a dimension gets "" for it.
    - ``filters``: key → value (equal), a collection of values (one of them), or
      ``None`` (the key must be absent). ``""`` also means absent.

    Each result is a dict of the group keys (plus ``"day"``) and ``debits``,
    ``credits``, ``count``, sorted by day then the keys. Reads only rollup rows:
    the database sums them per day × account × dimensions string, then the
    strings are parsed and regrouped here, so any dimension can be chosen
    without a schema change."""
    rows = DailyRollup.objects.filter(day__gte=start, day__lte=end)
    if account is not None:
        rows = (
            rows.filter(account__code=account)
            if isinstance(account, str)
            else rows.filter(account=account)
        )
    if account_kind is not None:
        rows = rows.filter(account__kind=account_kind)
    wanted: dict[str, frozenset[str]] = {}
    for key, value in (filters or {}).items():
        if value is None or value == "":
            wanted[key] = frozenset({""})
            rows = rows.exclude(dimensions__regex=dimension_pattern(key))
        elif isinstance(value, str):
            wanted[key] = frozenset({value})
            rows = rows.filter(dimensions__regex=dimension_pattern(key, value))
        else:
            wanted[key] = frozenset(value)
            if "" not in wanted[key]:
                rows = rows.filter(dimensions__regex=dimension_pattern(key))
    columns = ["dimensions"]
    if by_day:
        columns.append("day")
    if "account" in group_by:
        columns.append("account__code")
    if "owner" in group_by:
        columns.append("account__owner")
    grouped = rows.values(*columns).annotate(
        debits=Sum("debits"), credits=Sum("credits"), count=Sum("count")
    )
    totals: dict[tuple, dict] = {}
    for row in grouped.order_by():
        dims = parse_dimensions(row["dimensions"])
        if any(dims.get(key, "") not in values for key, values in wanted.items()):
            continue
        group = {}
        if by_day:
            group["day"] = row["day"]
        for key in group_by:
            if key == "account":
                group[key] = row["account__code"]
            elif key == "owner":
                group[key] = row["account__owner"]
            else:
                group[key] = dims.get(key, "")
        slot = totals.setdefault(
            tuple(group.values()), {**group, "debits": 0, "credits": 0, "count": 0}
        )
        slot["debits"] += row["debits"]
        slot["credits"] += row["credits"]
        slot["count"] += row["count"]
    return [totals[key] for key in sorted(totals)]
