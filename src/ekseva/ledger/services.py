"""Writing to the ledger: post an entry, reverse one, snapshot balances.

    from ekseva.ledger import accounts, services
    wallet = accounts.get_or_open("kiosk_wallet", "K0001234")
    revenue = accounts.get_or_open("operator_revenue")
    services.post("wallet.debit", [(wallet, 5000), (revenue, -5000)],
                  idempotency_key="pay:123:debit", memo="convenience fee")

Amounts are signed integer paise, debit positive, credit negative, summing to
zero. The one row locked on this path is the balance row of an account that may
not go negative (a kiosk wallet); every other balance is derived from postings
and snapshots, and the daily rollup is spread over shards (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Max, OuterRef, Subquery, Sum
from django.utils import timezone

from ekseva.core import audit, clock
from ekseva.core.money import format_inr

from .models import (
    ROLLUP_SHARDS,
    Account,
    BalanceSnapshot,
    DailyRollup,
    JournalEntry,
    LedgerError,
    Posting,
    WalletBalance,
)

# ₹10 lakh crore: far beyond any single movement, far below BigInteger overflow.
MAX_AMOUNT = 10**15
_KIND_RE = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
_DIM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_DIM_VALUE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_SNAPSHOT_LOCK_ID = 7_305_550_002  # arbitrary, fixed (audit uses ...001)

Line = tuple[Account, int]


class InvalidEntry(LedgerError):
    """Malformed lines, kind, key or amounts: a programming error in the caller."""


class UnbalancedEntry(InvalidEntry):
    """The postings do not sum to zero."""


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for different postings (HTTP 409)."""


class InsufficientFunds(LedgerError):
    """A wallet would go below zero."""

    def __init__(self, account: Account, available: int, needed: int) -> None:
        super().__init__(
            f"Not enough money in the wallet {account.code}: balance {format_inr(available)}, "
            f"needed {format_inr(needed)}.",
            f"वॉलेट {account.code} में पर्याप्त राशि नहीं है: शेष {format_inr(available)}, "
            f"आवश्यक {format_inr(needed)}।",
        )
        self.account, self.available, self.needed = account, available, needed


def _invalid(en: str, hi: str) -> InvalidEntry:
    return InvalidEntry(en, hi)


def dimensions_key(dimensions: Mapping[str, str] | None) -> str:
    """{"service": "X", "department": "LSG"} → "department=LSG;service=X" (sorted):
    the rollup's dimension key, so reports can group by any dimension later."""
    if not dimensions:
        return ""
    parts = []
    for key in sorted(dimensions):
        value = dimensions[key]
        if not _DIM_KEY_RE.match(str(key)) or not _DIM_VALUE_RE.match(str(value)):
            raise _invalid(f"bad dimension {key!r}={value!r}", f"अमान्य आयाम {key!r}={value!r}")
        parts.append(f"{key}={value}")
    text = ";".join(parts)
    if len(text) > DailyRollup._meta.get_field("dimensions").max_length:
        raise _invalid("too many dimensions", "बहुत अधिक आयाम")
    return text


def _checked_lines(lines: Sequence[Line]) -> list[Line]:
    if not lines:
        raise _invalid("a journal entry needs postings", "खाता प्रविष्टि में पोस्टिंग चाहिए")
    checked = []
    for line in lines:
        try:
            account, amount = line
        except (TypeError, ValueError):
            raise _invalid(
                f"a line is (account, paise), not {line!r}", "पंक्ति (खाता, पैसे) होनी चाहिए"
            ) from None
        if not isinstance(account, Account) or account.pk is None:
            raise _invalid(f"not a stored account: {account!r}", "खाता सहेजा हुआ नहीं है")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise _invalid(
                f"amounts are integer paise, not {type(amount).__name__} ({amount!r})",
                "राशि पूर्णांक पैसे में होनी चाहिए",
            )
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise _invalid(
                f"amount {amount} must be non-zero and at most {MAX_AMOUNT} paise",
                "राशि शून्य नहीं और सीमा के भीतर होनी चाहिए",
            )
        checked.append((account, amount))
    if len(checked) < 2:
        raise _invalid("a journal entry needs at least two postings", "कम से कम दो पोस्टिंग चाहिए")
    total = sum(amount for _, amount in checked)
    if total != 0:
        raise UnbalancedEntry(
            f"postings must sum to zero (debits = credits); they sum to {total} paise",
            f"पोस्टिंग का योग शून्य होना चाहिए (नामे = जमा); योग {total} पैसे है",
        )
    return checked


def _checked_text(name: str, value: str, *, pattern: re.Pattern | None = None) -> str:
    limit = JournalEntry._meta.get_field(name).max_length
    if not isinstance(value, str) or len(value) > limit or (pattern and not pattern.match(value)):
        raise _invalid(f"bad {name}: {value!r}", f"अमान्य {name}: {value!r}")
    return value


def _digest(kind: str, lines: list[Line], dims: str) -> str:
    """What makes two requests 'the same' for idempotency: kind, dimensions and
    the postings as a multiset (their order does not matter)."""
    body = {
        "kind": kind,
        "dimensions": dims,
        "lines": sorted([account.code, amount] for account, amount in lines),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(existing: JournalEntry, digest: str) -> JournalEntry:
    if existing.lines_digest != digest:
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} was already used for "
            f"entry #{existing.pk} with different postings",
            f"यह अनुरोध कुंजी पहले ही अलग पोस्टिंग (प्रविष्टि #{existing.pk}) के लिए उपयोग हो चुकी है",
        )
    return existing


def _wallet_changes(lines: list[Line]) -> dict[int, tuple[Account, int]]:
    """The change of each account that may not go negative (a kiosk wallet), on its
    normal side: {account id: (account, change)}."""
    change: dict[int, int] = defaultdict(int)
    accounts = {}
    for account, amount in lines:
        if not account.may_go_negative:
            change[account.pk] += account.sign * amount
            accounts[account.pk] = account
    return {pk: (accounts[pk], change[pk]) for pk in change}


def _move_wallets(changes: dict[int, tuple[Account, int]]) -> None:
    """Apply each wallet's change with one conditional UPDATE (``balance + change
    >= 0``), in account id order so two entries never deadlock; refuse with
    ``InsufficientFunds`` if one would drop below zero.

    The UPDATE takes the balance row's lock, held until the transaction commits:
    callers do every other write of the transaction first, so that a busy wallet
    is locked for the last few statements only (docs/ledger.md)."""
    for pk in sorted(changes):
        account, change = changes[pk]
        moved = WalletBalance.objects.filter(account_id=pk, balance__gte=-change).update(
            balance=F("balance") + change, version=F("version") + 1
        )
        if moved:
            continue
        available = WalletBalance.objects.filter(account_id=pk).values_list("balance", flat=True)
        if not available:
            raise _invalid("a wallet has no balance row", "वॉलेट का शेष रिकॉर्ड नहीं मिला")
        raise InsufficientFunds(account, available[0], -change)


def _upsert_rollups(entry: JournalEntry, lines: list[Line]) -> None:
    """Add the entry to its (day, account, dimensions, shard) rollup rows: one
    INSERT .. ON CONFLICT DO UPDATE, the entry's last statement so the rows are
    held for the shortest time; rows in account order (no deadlocks)."""
    per_account: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for account, amount in lines:
        totals = per_account[account.pk]
        totals[0 if amount > 0 else 1] += abs(amount)
        totals[2] += 1
    day = connection.ops.adapt_datefield_value(entry.day)
    shard = entry.pk % ROLLUP_SHARDS
    params: list[Any] = []
    for account_id in sorted(per_account):
        params.extend([day, account_id, entry.dimensions, shard, *per_account[account_id]])
    table = DailyRollup._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(per_account))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, account_id, dimensions, shard, debits, credits, count) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (day, account_id, dimensions, shard) DO UPDATE SET "
            f"debits = {table}.debits + excluded.debits, "
            f"credits = {table}.credits + excluded.credits, "
            f"count = {table}.count + excluded.count",
            params,
        )


def _write(
    kind: str,
    lines: Sequence[Line],
    *,
    idempotency_key: str,
    memo: str,
    reference: str,
    dims: str,
    action: str,
    actor: Any,
    before: dict | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one entry (or find the one already written under the key) and return
    it. Caller holds the transaction.

    Order: the entry row and its audit event first; then the wallets' balance rows
    (their lock is the only one a busy kiosk's payments queue on) and, under that
    lock, the postings (so a wallet's postings are numbered in the order its
    balance moved: the running balance of a statement is the balance row's history)
    and the rollups (rows shared with other kiosks, held for the shortest time)."""
    _checked_text("kind", kind, pattern=_KIND_RE)
    if not idempotency_key:
        raise _invalid("an idempotency key is required", "अनुरोध कुंजी आवश्यक है")
    _checked_text("idempotency_key", idempotency_key)
    _checked_text("memo", memo)
    _checked_text("reference", reference)
    checked = _checked_lines(lines)
    digest = _digest(kind, checked, dims)

    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, digest)
    changes = _wallet_changes(checked)
    now = clock.now()
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                created_at=now,
                day=timezone.localtime(now).date(),
                kind=kind,
                memo=memo,
                reference=reference,
                idempotency_key=idempotency_key,
                lines_digest=digest,
                dimensions=dims,
                reverses=reverses,
            )
    except IntegrityError:
        # A concurrent request with the same key committed first (the unique key
        # made this one wait for it).
        existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    audit.record(
        action,
        actor=actor,
        obj=entry,
        before=before,
        after={
            "kind": entry.kind,
            "key": entry.idempotency_key,
            "debits": sum(amount for _, amount in checked if amount > 0),
            "postings": len(checked),
        },
    )
    _move_wallets(changes)  # InsufficientFunds: the caller's transaction rolls back
    Posting.objects.bulk_create(
        Posting(entry=entry, account=account, amount=amount) for account, amount in checked
    )
    _upsert_rollups(entry, checked)
    return entry


def post(
    entry_kind: str,
    lines: Sequence[Line],
    *,
    idempotency_key: str,
    memo: str = "",
    actor: Any = None,
    reference: str = "",
    dimensions: Mapping[str, str] | None = None,
) -> JournalEntry:
    """Post one balanced entry in one transaction and return it.

    The same ``idempotency_key`` with the same kind, dimensions and postings
    returns the first entry (nothing written twice); with different ones it
    raises ``IdempotencyConflict``. Raises ``InvalidEntry``/``UnbalancedEntry``
    for bad lines and ``InsufficientFunds`` if a wallet would go below zero."""
    dims = dimensions_key(dimensions)
    with transaction.atomic():
        return _write(
            entry_kind,
            lines,
            idempotency_key=idempotency_key,
            memo=memo,
            reference=reference,
            dims=dims,
            action="ledger.entry.posted",
            actor=actor,
        )


def reverse(entry: JournalEntry, reason: str, actor: Any = None) -> JournalEntry:
    """Undo ``entry`` by posting its opposite (kind "reversal", linked by
    ``reverses``). Idempotent: reversing twice returns the first reversal. A
    reversal itself is not reversed: post a new entry instead. Raises
    ``InsufficientFunds`` if the money has already left a wallet."""
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("a reversal needs a reason", "उलटी प्रविष्टि का कारण आवश्यक है")
    if entry.reverses_id is not None:
        raise _invalid(
            f"entry #{entry.pk} is itself a reversal; post a new entry instead",
            f"प्रविष्टि #{entry.pk} स्वयं एक उलटी प्रविष्टि है; नई प्रविष्टि दर्ज करें",
        )
    lines = [
        (posting.account, -posting.amount)
        for posting in entry.postings.select_related("account").order_by("pk")
    ]
    with transaction.atomic():
        return _write(
            "reversal",
            lines,
            idempotency_key=f"reversal:{entry.pk}",
            memo=f"reversal of #{entry.pk}: {reason}"[:200],
            reference=entry.reference,
            dims=entry.dimensions,
            action="ledger.entry.reversed",
            actor=actor,
            before={"entry": entry.pk, "reason": reason},
            reverses=entry,
        )


def _safe_horizon() -> int | None:
    """The highest posting id below which no posting can still appear.

    On PostgreSQL ids come from a sequence before commit, so a transaction in
    flight may hold an id lower than the highest committed one. A SHARE lock on
    the postings table waits for every writer in flight and holds off new ones
    for one index lookup; after it, every later posting gets a higher id. If
    writers do not let go within a few seconds, this round is skipped (None)."""
    table = Posting._meta.db_table
    if connection.vendor != "postgresql":
        return Posting.objects.aggregate(top=Max("pk"))["top"] or 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            return int(cursor.fetchone()[0])
    except OperationalError:
        return None


def snapshot_balances() -> int:
    """Write a ``BalanceSnapshot`` for every account with postings since the last
    run, so ``selectors.balance`` never sums more than the postings since.
    Returns how many snapshots were written. Run by Celery beat and by
    ``ekseva ledger snapshot``; concurrent runs queue on an advisory lock."""
    horizon = _safe_horizon()
    if horizon is None:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SNAPSHOT_LOCK_ID])
        since = BalanceSnapshot.objects.aggregate(top=Max("as_of"))["top"] or 0
        if horizon <= since:
            return 0
        active = Posting.objects.filter(pk__gt=since, pk__lte=horizon).values("account_id")
        latest = BalanceSnapshot.objects.filter(account=OuterRef("pk")).order_by("-as_of")
        accounts = Account.objects.filter(pk__in=active).annotate(
            base_as_of=Subquery(latest.values("as_of")[:1]),
            base_balance=Subquery(latest.values("balance")[:1]),
        )
        now = clock.now()
        snapshots = []
        for account in accounts:
            base_as_of = account.base_as_of or 0
            change = Posting.objects.filter(
                account=account, pk__gt=base_as_of, pk__lte=horizon
            ).aggregate(total=Sum("amount"))["total"]
            snapshots.append(
                BalanceSnapshot(
                    account=account,
                    as_of=horizon,
                    balance=(account.base_balance or 0) + account.sign * (change or 0),
                    taken_at=now,
                )
            )
        BalanceSnapshot.objects.bulk_create(snapshots)
    return len(snapshots)
