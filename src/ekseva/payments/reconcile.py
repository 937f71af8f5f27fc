"""Reconciliation: read a gateway's settlement file, match every row against our
payments and refunds, resolve late successes, post the settlement to the ledger
and report what needs a person (guide: docs/payments.md#reconciliation).

    run = reconcile.import_file("sandbox", "settlement.csv", text, actor=user)
    run.summary            # {"matched": 12, "not_in_file": 1, ...}
    reconcile.needs_attention(run)

Rules kept here:

- **One run per file.** A run is unique by (gateway, SHA-256 of the file): the
  same file imported again returns the first run (``run.replayed`` is True) and
  writes nothing.
- **One settlement entry per gateway payment.** The ledger key is
  ``settlement:<gateway>:<payment id>`` (refunds: ``…:refund:<refund id>``), so
  a row that appears in two files is posted once.
- **All or nothing.** A file that cannot be read raises ``PaymentError`` naming
  the line, before anything is written; an import is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ekseva.core import audit, clock
from ekseva.core.money import format_inr
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import services as ledger
from ekseva.ledger.models import JournalEntry

from . import gateways, services
from .gateways import Gateway, GatewayResult, SettlementRow
from .models import (
    ItemCategory,
    Payment,
    PaymentError,
    ReconciliationItem,
    ReconciliationRun,
    Refund,
)

# What staff must look at: the command exits 1 when any of these is in a run.
ATTENTION = frozenset(
    {
        ItemCategory.NOT_IN_LEDGER,
        ItemCategory.NOT_IN_FILE,
        ItemCategory.AMOUNT_DIFFERS,
        ItemCategory.FEE_DIFFERS,
        ItemCategory.REFUND_UNKNOWN,
    }
)
# Payment rows whose money was settled (posted to the ledger) by a run.
SETTLED = frozenset({ItemCategory.MATCHED, ItemCategory.FEE_DIFFERS, ItemCategory.LATE_SUCCESS})
# Payment rows that show a payment was in a file (not "missing from the file").
SEEN_IN_FILE = SETTLED | {ItemCategory.AMOUNT_DIFFERS}
# The order categories are shown in (reports, pages, the CSV).
CATEGORY_ORDER = [
    ItemCategory.MATCHED,
    ItemCategory.LATE_SUCCESS,
    ItemCategory.FEE_DIFFERS,
    ItemCategory.AMOUNT_DIFFERS,
    ItemCategory.NOT_IN_LEDGER,
    ItemCategory.NOT_IN_FILE,
    ItemCategory.REFUND_MATCHED,
    ItemCategory.REFUND_UNKNOWN,
]

SETTLEMENT_KIND = "gateway.settlement"
_KEY_LIMIT = JournalEntry._meta.get_field("idempotency_key").max_length
_NOTE_LIMIT = ReconciliationItem._meta.get_field("note").max_length
_CHUNK = 500  # ids per query, well within SQLite's and PostgreSQL's parameter limits


# --------------------------------------------------------------------------- reading


def file_digest(text: str) -> str:
    """The SHA-256 of the file's text (as UTF-8): what makes two imports 'the same file'."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_run(gateway_name: str, text: str) -> ReconciliationRun | None:
    """The run that already imported this very file, if any."""
    return ReconciliationRun.objects.filter(
        gateway=gateway_name, file_sha256=file_digest(text)
    ).first()


def can_read_settlements(gateway: Gateway) -> bool:
    """Does this gateway plugin read settlement files?"""
    return type(gateway).parse_settlement is not Gateway.parse_settlement


def settlement_gateways() -> list[Gateway]:
    """The registered gateways that read settlement files (for the upload form)."""
    return [g for g in gateways.registered() if not g.immediate and can_read_settlements(g)]


def _bad_line(line: int | None, en: str, hi: str) -> PaymentError:
    if line is None:
        return PaymentError(en, hi)
    return PaymentError(f"Line {line}: {en}", f"पंक्ति {line}: {hi}")


def _parse_day(row: SettlementRow) -> dt.date | None:
    if not row.settled_on:
        return None
    text = row.settled_on.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise _bad_line(
            row.line,
            f"the settlement date {row.settled_on!r} is not a date (YYYY-MM-DD).",
            f"निपटान तिथि {row.settled_on!r} सही तिथि (YYYY-MM-DD) नहीं है।",
        ) from None


def _is_paise(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked(rows: list[SettlementRow]) -> list[SettlementRow]:
    """What every gateway's rows must be, whatever the plugin let through."""
    for row in rows:
        if row.kind not in ("payment", "refund"):
            raise _bad_line(
                row.line,
                f"unknown row type {row.kind!r} (payment or refund).",
                f"अज्ञात पंक्ति प्रकार {row.kind!r} (payment या refund)।",
            )
        for name in ("amount", "fee", "tax"):
            if not _is_paise(getattr(row, name)):
                raise _bad_line(
                    row.line,
                    f"{name} must be whole paise.",
                    f"{name} पूर्ण पैसे में होना चाहिए।",
                )
        if row.kind == "payment" and row.amount <= 0:
            raise _bad_line(
                row.line,
                "a payment's amount must be above zero.",
                "भुगतान की राशि शून्य से अधिक होनी चाहिए।",
            )
        if row.kind == "refund" and row.amount == 0:
            raise _bad_line(
                row.line, "a refund's amount cannot be zero.", "धनवापसी की राशि शून्य नहीं हो सकती।"
            )
        if row.fee < 0 or row.tax < 0 or row.tax > row.fee:
            raise _bad_line(
                row.line,
                "the fee and its tax must be zero or more, and the tax part of the fee.",
                "शुल्क और उसका कर शून्य या अधिक हों, और कर शुल्क का भाग हो।",
            )
        if not (row.payment_id or row.order_id or (row.kind == "refund" and row.refund_id)):
            raise _bad_line(
                row.line,
                "the row names no payment, order or refund.",
                "पंक्ति में कोई भुगतान, ऑर्डर या धनवापसी पहचान नहीं है।",
            )
        _parse_day(row)
    return rows


def read_file(gateway: Gateway, text: str) -> list[SettlementRow]:
    """The rows of a settlement file, checked; ``PaymentError`` names the bad line."""
    if not can_read_settlements(gateway):
        raise PaymentError(
            f"{gateway.label_en} has no settlement files to reconcile.",
            f"{gateway.label_hi} की कोई निपटान फ़ाइल नहीं होती।",
        )
    if "\x00" in text:
        raise PaymentError("This is not a text (CSV) file.", "यह टेक्स्ट (CSV) फ़ाइल नहीं है।")
    return _checked(list(gateway.parse_settlement(text)))


# --------------------------------------------------------------------------- importing


def _key(*parts: str) -> str:
    """A ledger idempotency key; a long one is shortened to a digest of itself."""
    key = ":".join(parts)
    if len(key) <= _KEY_LIMIT:
        return key
    return f"{parts[0]}:{parts[1]}:{hashlib.sha256(key.encode()).hexdigest()}"


def payment_key(gateway_name: str, payment_id: str) -> str:
    return _key("settlement", gateway_name, payment_id)


def refund_key(gateway_name: str, refund_id: str) -> str:
    return _key("settlement", gateway_name, "refund", refund_id)


@dataclass
class _Import:
    """What one import has learnt so far."""

    gateway: Gateway
    run: ReconciliationRun
    actor: Any
    items: list[ReconciliationItem] = field(default_factory=list)
    seen_payments: set[int] = field(default_factory=set)
    posted: dict[str, int] = field(default_factory=dict)  # ledger key → line that posted it

    def add(self, row: SettlementRow | None, category: str, **values: Any) -> None:
        note = values.pop("note", "")
        if row is not None:
            values.setdefault("gateway_payment_id", row.payment_id)
            values.setdefault("order_id", row.order_id)
            values.setdefault("file_fee", row.fee)
        self.items.append(
            ReconciliationItem(
                run=self.run,
                line=row.line if row is not None else None,
                category=category,
                note=note[:_NOTE_LIMIT],
                **values,
            )
        )


def _lock_payments(gateway_name: str, rows: list[SettlementRow]) -> None:
    """Lock every payment the file names, in id order, before any row is worked:
    two imports naming the same payments in another order then queue, never deadlock.
    (In chunks, so a long file stays within the database's parameter limit.)"""
    payment_ids = sorted({row.payment_id for row in rows if row.payment_id})
    order_ids = sorted({row.order_id for row in rows if row.order_id})
    mine = Payment.objects.filter(gateway=gateway_name)
    pks: set[int] = set()
    for ids, field_name in ((payment_ids, "gateway_payment_id"), (order_ids, "gateway_order_id")):
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            pks.update(mine.filter(**{f"{field_name}__in": chunk}).values_list("pk", flat=True))
    ordered = sorted(pks)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        list(
            Payment.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _find_payment(gateway_name: str, row: SettlementRow) -> Payment | None:
    """By the gateway's payment id, else by its order id (locked for this import)."""
    found = None
    if row.payment_id:
        found = (
            Payment.objects.filter(gateway=gateway_name, gateway_payment_id=row.payment_id)
            .order_by("pk")
            .first()
        )
    if found is None and row.order_id:
        found = Payment.objects.filter(gateway=gateway_name, gateway_order_id=row.order_id).first()
    if found is None:
        return None
    return Payment.objects.select_for_update().get(pk=found.pk)


def _earlier_settlement(state: _Import, key: str) -> str:
    """Where a ledger key was posted before: this file's line, or an earlier entry."""
    if key in state.posted:
        return f"already settled by line {state.posted[key]} of this file"
    entry = JournalEntry.objects.filter(idempotency_key=key).only("pk", "created_at").first()
    if entry is None:
        return ""
    return f"already settled on {timezone.localtime(entry.created_at):%Y-%m-%d} (entry #{entry.pk})"


def _post(state: _Import, row: SettlementRow, key: str, lines: list, payment: Payment) -> str:
    """Post one settlement entry unless its key was posted before; the note says which."""
    earlier = _earlier_settlement(state, key)
    if earlier:
        return earlier
    ledger.post(
        SETTLEMENT_KIND,
        [(account, paise) for account, paise in lines if paise],
        idempotency_key=key,
        memo=f"{state.gateway.name} settlement {row.settlement_id or ''} of {payment.reference}"[
            :200
        ],
        reference=f"payment:{payment.reference}",
        dimensions=payment.dimensions(),
        actor=state.actor,
    )
    state.posted[key] = row.line
    return ""


def _settle_payment(state: _Import, row: SettlementRow, payment: Payment) -> str:
    """bank (net) + gateway fees (fee) ← gateway clearing (gross)."""
    name = state.gateway.name
    key = payment_key(name, row.payment_id or payment.gateway_payment_id or payment.reference)
    return _post(
        state,
        row,
        key,
        [
            (ledger_accounts.get_or_open("bank"), row.amount - row.fee),
            (ledger_accounts.get_or_open("gateway_fees", name), row.fee),
            (ledger_accounts.get_or_open("gateway_clearing", name), -row.amount),
        ],
        payment,
    )


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _payment_row(state: _Import, row: SettlementRow) -> None:
    gateway = state.gateway
    payment = _find_payment(gateway.name, row)
    if payment is None:
        state.add(
            row,
            ItemCategory.NOT_IN_LEDGER,
            file_amount=row.amount,
            note="no payment here has this payment or order id",
        )
        return
    state.seen_payments.add(payment.pk)
    common = {"payment": payment, "file_amount": row.amount, "ledger_amount": payment.amount}
    if (
        payment.is_paid
        and row.payment_id
        and payment.gateway_payment_id
        and row.payment_id != payment.gateway_payment_id
    ):
        state.add(
            row,
            ItemCategory.NOT_IN_LEDGER,
            **common,
            note=f"a second capture on order {payment.gateway_order_id} of {payment.reference} "
            f"(paid here as {payment.gateway_payment_id}): the money was taken twice",
        )
        return
    if row.amount != payment.amount:
        state.add(
            row,
            ItemCategory.AMOUNT_DIFFERS,
            **common,
            note=f"the file says {format_inr(row.amount)}, {payment.reference} is "
            f"{format_inr(payment.amount)} ({payment.status}); nothing applied or posted",
        )
        return
    late = not payment.is_paid
    if late:
        before = payment.status
        payment = services.apply_result(
            payment,
            GatewayResult(
                status="succeeded",
                order_id=payment.gateway_order_id or row.order_id,
                payment_id=row.payment_id,
                amount=row.amount,
                raw={"settlement_id": row.settlement_id, "line": row.line},
            ),
            source="reconciliation",
            actor=state.actor,
        )
        common["payment"] = payment
    expected = gateway.expected_fee(row.amount, payment.method)
    fee_differs = expected is not None and expected != row.fee
    settled = _settle_payment(state, row, payment)
    if late:
        outcome = payment.get_outcome_display() or payment.status
        late_note = f"{before} here, settled by the gateway: success applied ({outcome})"
    else:
        late_note = ""
    if fee_differs:
        category = ItemCategory.FEE_DIFFERS
        fee_note = f"fee {format_inr(row.fee)}, expected {format_inr(expected)}"
    else:
        category = ItemCategory.LATE_SUCCESS if late else ItemCategory.MATCHED
        fee_note = ""
    state.add(
        row,
        category,
        **common,
        expected_fee=expected,
        note=_join(late_note, fee_note, settled),
    )


def _find_refund(gateway_name: str, row: SettlementRow, amount: int) -> Refund | None:
    if row.refund_id:
        refund = (
            Refund.objects.filter(payment__gateway=gateway_name, gateway_refund_id=row.refund_id)
            .select_related("payment")
            .first()
        )
        if refund is not None:
            return refund
    payment = None
    if row.payment_id:
        payment = Payment.objects.filter(
            gateway=gateway_name, gateway_payment_id=row.payment_id
        ).first()
    if payment is None and row.order_id:
        payment = Payment.objects.filter(
            gateway=gateway_name, gateway_order_id=row.order_id
        ).first()
    if payment is None:
        return None
    # A refund of that payment for that amount whose gateway id is not yet known
    # (or is this one).
    return (
        payment.refunds.filter(amount=amount, gateway_refund_id__in=["", row.refund_id])
        .select_related("payment")
        .order_by("pk")
        .first()
    )


def _refund_row(state: _Import, row: SettlementRow) -> None:
    name = state.gateway.name
    amount = abs(row.amount)
    refund = _find_refund(name, row, amount)
    if refund is None:
        state.add(
            row,
            ItemCategory.REFUND_UNKNOWN,
            file_amount=amount,
            note=f"refund {row.refund_id or '(no id)'}: no refund here matches it",
        )
        return
    payment = refund.payment
    common = {
        "payment": payment,
        "file_amount": amount,
        "ledger_amount": refund.amount,
        "gateway_payment_id": row.payment_id or payment.gateway_payment_id,
        "order_id": row.order_id or payment.gateway_order_id or "",
    }
    label = f"refund {refund.reference}" + (f" ({row.refund_id})" if row.refund_id else "")
    if refund.amount != amount:
        state.add(
            row,
            ItemCategory.AMOUNT_DIFFERS,
            **common,
            note=f"{label}: the file says {format_inr(amount)}, the refund is "
            f"{format_inr(refund.amount)}; nothing posted",
        )
        return
    # clearing (amount) + gateway fees (fee) ← bank (amount + fee)
    settled = _post(
        state,
        row,
        refund_key(name, row.refund_id or refund.gateway_refund_id or refund.reference),
        [
            (ledger_accounts.get_or_open("gateway_clearing", name), amount),
            (ledger_accounts.get_or_open("gateway_fees", name), row.fee),
            (ledger_accounts.get_or_open("bank"), -(amount + row.fee)),
        ],
        payment,
    )
    pending = ""
    if refund.status != "processed":
        # The gateway has paid it back: mark it so, or the sweep would ask again.
        pending = f"the refund was {refund.status} here and is now marked processed"
        services.record_refund_paid(
            refund, gateway_refund_id=row.refund_id, source="reconciliation"
        )
    state.add(row, ItemCategory.REFUND_MATCHED, **common, note=_join(label, pending, settled))


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end + 1 day 00:00) in the portal's time zone."""
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz),
    )


def _not_in_file(state: _Import) -> None:
    """Payments of this gateway that succeeded in the period and no file has shown."""
    run = state.run
    if run.period_start is None or run.period_end is None:
        return
    since, until = _day_bounds(run.period_start, run.period_end)
    candidates = Payment.objects.filter(
        gateway=state.gateway.name, succeeded_at__gte=since, succeeded_at__lt=until
    ).exclude(pk__in=state.seen_payments)
    seen_before = set(
        ReconciliationItem.objects.filter(
            run__gateway=state.gateway.name,
            category__in=SEEN_IN_FILE,
            payment__in=candidates,
        ).values_list("payment_id", flat=True)
    )
    for payment in candidates.order_by("succeeded_at", "pk"):
        if payment.pk in seen_before:
            continue
        day = timezone.localtime(payment.succeeded_at)
        state.add(
            None,
            ItemCategory.NOT_IN_FILE,
            payment=payment,
            gateway_payment_id=payment.gateway_payment_id,
            order_id=payment.gateway_order_id or "",
            ledger_amount=payment.amount,
            note=f"{payment.reference} succeeded here on {day:%Y-%m-%d %H:%M} ({payment.status}); "
            "no settlement file has it",
        )


def _period(
    rows: Iterable[SettlementRow], start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    days = [day for day in (_parse_day(row) for row in rows) if day is not None]
    start = start or (min(days) if days else None)
    end = end or (max(days) if days else None)
    if start and end and start > end:
        raise PaymentError(
            f"The period starts ({start}) after it ends ({end}).",
            f"अवधि का आरंभ ({start}) उसके अंत ({end}) के बाद है।",
        )
    return start, end


def import_file(
    gateway_name: str,
    file_name: str,
    text: str,
    *,
    actor: Any = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> ReconciliationRun:
    """Import one settlement file of ``gateway_name`` and return its run.

    The same file again returns the first run with ``replayed = True`` and writes
    nothing. A file that cannot be read raises ``PaymentError`` naming the line,
    before anything is written. ``period_start``/``period_end`` (dates) say which
    days the file covers; by default the first and last settlement dates in it."""
    gateway = gateways.get(gateway_name)
    existing = find_run(gateway.name, text)
    if existing is not None:
        existing.replayed = True
        return existing
    rows = read_file(gateway, text)
    start, end = _period(rows, period_start, period_end)
    try:
        with transaction.atomic():
            run = _import(gateway, file_name, text, rows, start, end, actor)
    except IntegrityError:
        # Someone imported the same file at the same moment; theirs is the run.
        existing = find_run(gateway.name, text)
        if existing is None:
            raise
        existing.replayed = True
        return existing
    run.replayed = False
    return run


def _import(
    gateway: Gateway,
    file_name: str,
    text: str,
    rows: list[SettlementRow],
    start: dt.date | None,
    end: dt.date | None,
    actor: Any,
) -> ReconciliationRun:
    run = ReconciliationRun.objects.create(
        gateway=gateway.name,
        file_name=(file_name or "settlement.csv")[-200:],
        file_sha256=file_digest(text),
        imported_at=clock.now(),
        imported_by=actor if getattr(actor, "pk", None) else None,
        period_start=start,
        period_end=end,
        rows=len(rows),
    )
    state = _Import(gateway=gateway, run=run, actor=actor)
    _lock_payments(gateway.name, rows)
    for row in rows:
        if row.kind == "payment":
            _payment_row(state, row)
        else:
            _refund_row(state, row)
    _not_in_file(state)
    ReconciliationItem.objects.bulk_create(state.items)
    counts = Counter(item.category for item in state.items)
    payments = [row for row in rows if row.kind == "payment"]
    refunds = [row for row in rows if row.kind == "refund"]
    run.summary = {str(category): counts.get(category, 0) for category in CATEGORY_ORDER}
    run.gross = sum(row.amount for row in payments) - sum(abs(row.amount) for row in refunds)
    run.fees = sum(row.fee for row in rows)
    run.net = run.gross - run.fees
    run.save(update_fields=["summary", "gross", "fees", "net"])
    audit.record(
        "payments.reconciliation.imported",
        actor=actor,
        obj=run,
        after={
            "gateway": gateway.name,
            "file": run.file_name,
            "sha256": run.file_sha256,
            "rows": run.rows,
            "period": [str(start or ""), str(end or "")],
            "summary": run.summary,
            "gross": run.gross,
            "fees": run.fees,
            "net": run.net,
        },
    )
    return run


# --------------------------------------------------------------------------- reading runs


def attention_count(run: ReconciliationRun) -> int:
    """How many items of the run need a person."""
    return sum(run.summary.get(str(category), 0) for category in ATTENTION)


def needs_attention(run: ReconciliationRun) -> bool:
    return attention_count(run) > 0


def runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.select_related("imported_by").order_by("-imported_at", "-pk")


def items(run: ReconciliationRun, category: str = "") -> QuerySet[ReconciliationItem]:
    """The run's items in file order (payments missing from the file last), of one
    category if given."""
    found = run.items.select_related("payment")
    if category:
        found = found.filter(category=category)
    return found.order_by("pk")


def unresolved(run: ReconciliationRun) -> QuerySet[ReconciliationItem]:
    """Items other than plain matches: what a report lists one by one."""
    return items(run).exclude(category__in=[ItemCategory.MATCHED, ItemCategory.REFUND_MATCHED])
