"""Department settlements: what the portal owes each department for a period,
and the one ledger entry that pays it (guide: docs/payments.md, "Settlements").

A batch (``Settlement``) is made per department and period (a day, or a Monday
to Sunday week) and holds:

- ``collected``: credits to the department's payable account in the period,
  ``refunded``: debits to it, ``owed`` = collected − refunded;
- ``by_service``: the same per service, with counts;
- ``payments_count`` / ``refunds_count``: payment successes and refunds of the
  department's payments recorded in the period.

The money is read from the ledger's daily rollups (``ledger.selectors.rollup_totals``),
never by adding up postings: a batch costs a few rollup rows however busy the
department was. Settlement entries themselves carry the dimension
``flow=settlement`` and are left out, so paying one period never changes the next.
Counts come from the period's journal entries (by day index): a rollup row counts
postings on both sides together and cannot tell a payment from a refund.

Making a batch again returns it; a draft is recomputed first. Posting writes ONE
journal entry ``settlement.department`` (department payable → bank, key
``settlement:<reference>``) and marks the batch posted; posting again with the
same bank reference returns it, with another is refused.

A department whose refunds exceed its collections in a period owes money back:
its batch cannot be posted. It stays a draft and is **set against** the next
batch of the department that is posted: that batch's transfer is its own owed
less what the earlier ones owe back, and the earlier ones are marked posted
("set against ST…"). So the posted batches' owed always add up to the payable's
credits less its debits over their periods (tests/payments/test_settlements.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from ekseva.catalog.models import Department
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import services as ledger
from ekseva.ledger.models import Account, JournalEntry

from .models import PaymentError, Settlement, SettlementStatus

log = logging.getLogger(__name__)

DAILY, WEEKLY = "daily", "weekly"
FREQUENCIES = (DAILY, WEEKLY)
SETTLEMENT_KIND = "settlement.department"
PAYMENT_KIND = "payment.success"
REFUND_KIND = "refund.owed"
# The dimension that marks a settlement entry (and its reversal) on the payable.
FLOW_KEY, FLOW_SETTLEMENT = "flow", "settlement"
SET_AGAINST = "set against "


class SettlementError(PaymentError):
    status = 400


class SettlementConflict(PaymentError):
    """Posted already with another bank reference, or the figures changed under it."""

    status = 409


@dataclass(frozen=True)
class Figures:
    collected: int = 0
    refunded: int = 0
    payments_count: int = 0
    refunds_count: int = 0
    by_service: list[dict[str, Any]] = field(default_factory=list)

    @property
    def owed(self) -> int:
        return self.collected - self.refunded

    def as_fields(self) -> dict[str, Any]:
        return {
            "collected": self.collected,
            "refunded": self.refunded,
            "owed": self.owed,
            "payments_count": self.payments_count,
            "refunds_count": self.refunds_count,
            "by_service": self.by_service,
        }


# --------------------------------------------------------------------------- periods


def period_for(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of ``frequency`` that ended before ``day``: daily → the day
    before; weekly → the Monday–Sunday week before the week of ``day``."""
    if frequency == DAILY:
        yesterday = day - dt.timedelta(days=1)
        return yesterday, yesterday
    if frequency == WEEKLY:
        start = day - dt.timedelta(days=day.weekday() + 7)
        return start, start + dt.timedelta(days=6)
    raise _bad_frequency(frequency)


def _bad_frequency(frequency: str) -> SettlementError:
    return SettlementError(
        f"Settlements are daily or weekly, not {frequency!r}.",
        f"निपटान दैनिक या साप्ताहिक होता है, {frequency!r} नहीं।",
    )


def check_period(frequency: str, start: dt.date, end: dt.date) -> None:
    """A daily batch is one day; a weekly one is a Monday–Sunday week; either has ended."""
    if frequency not in FREQUENCIES:
        raise _bad_frequency(frequency)
    if frequency == DAILY and start != end:
        raise SettlementError(
            "A daily settlement covers one day: the first and last day must be the same.",
            "दैनिक निपटान एक दिन का होता है: पहला और अंतिम दिन एक ही होना चाहिए।",
        )
    if frequency == WEEKLY and (start.weekday() != 0 or end != start + dt.timedelta(days=6)):
        raise SettlementError(
            "A weekly settlement runs from a Monday to the Sunday after it.",
            "साप्ताहिक निपटान सोमवार से अगले रविवार तक का होता है।",
        )
    if end >= clock.today():
        raise SettlementError(
            f"The period up to {end:%d-%m-%Y} has not ended yet; settle it from the next day on.",
            f"{end:%d-%m-%Y} तक की अवधि अभी समाप्त नहीं हुई है; इसका निपटान अगले दिन से करें।",
        )


# --------------------------------------------------------------------------- figures


def payable_code(department_code: str) -> str:
    return ledger_accounts.code_for("department_payable", department_code)


def figures(department_code: str, start: dt.date, end: dt.date) -> Figures:
    """What the department's payable account took in and gave back on days
    ``start``..``end``, from the rollups (settlement entries left out)."""
    rows = ledger_selectors.rollup_totals(
        start,
        end,
        account=payable_code(department_code),
        group_by=("service",),
        filters={FLOW_KEY: None},
    )
    counts = _entry_counts(department_code, start, end)
    per_service: dict[str, dict[str, Any]] = {}

    def slot(service: str) -> dict[str, Any]:
        return per_service.setdefault(
            service,
            {
                "service": service,
                "collected": 0,
                "refunded": 0,
                "owed": 0,
                "payments": 0,
                "refunds": 0,
            },
        )

    for row in rows:
        item = slot(row["service"])
        item["collected"] += row["credits"]
        item["refunded"] += row["debits"]
        item["owed"] = item["collected"] - item["refunded"]
    for (service, kind), count in counts.items():
        slot(service)["payments" if kind == PAYMENT_KIND else "refunds"] += count
    by_service = [per_service[key] for key in sorted(per_service)]
    return Figures(
        collected=sum(item["collected"] for item in by_service),
        refunded=sum(item["refunded"] for item in by_service),
        payments_count=sum(item["payments"] for item in by_service),
        refunds_count=sum(item["refunds"] for item in by_service),
        by_service=by_service,
    )


def _entry_counts(department_code: str, start: dt.date, end: dt.date) -> dict[tuple[str, str], int]:
    """(service, kind) → number of payment-success and refund entries of the
    department's payments on those days (one indexed range of journal entries)."""
    grouped = (
        JournalEntry.objects.filter(
            day__gte=start,
            day__lte=end,
            kind__in=(PAYMENT_KIND, REFUND_KIND),
            dimensions__regex=ledger_selectors.dimension_pattern("department", department_code),
        )
        .values("kind", "dimensions")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in grouped:
        service = ledger_selectors.parse_dimensions(row["dimensions"]).get("service", "")
        counts[(service, row["kind"])] += row["n"]
    return counts


def active_departments(start: dt.date, end: dt.date) -> list[str]:
    """Departments whose payable account moved on those days (settlements aside)."""
    rows = ledger_selectors.rollup_totals(
        start,
        end,
        account_kind="department_payable",
        group_by=("owner",),
        filters={FLOW_KEY: None},
    )
    return [row["owner"] for row in rows if row["count"]]


# --------------------------------------------------------------------------- make


def _lock_department(department_code: str) -> None:
    """Serialise batch making and posting per department (PostgreSQL; SQLite
    serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"settlement:{department_code}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_department(department_code: str) -> None:
    try:
        code = payable_code(department_code)
    except ledger_accounts.AccountError:
        code = None
    known = code is not None and (
        Department.objects.filter(code=department_code).exists()
        or Account.objects.filter(code=code).exists()
    )
    if not known:
        raise SettlementError(
            f"There is no department {department_code!r}.",
            f"{department_code!r} नाम का कोई विभाग नहीं है।",
        )


def make_batch(
    department_code: str,
    period_start: dt.date,
    period_end: dt.date,
    frequency: str,
    *,
    actor: Any,
) -> Settlement:
    """The department's batch for the period, made now or found; a draft is
    recomputed from the ledger, a posted one is returned as it is."""
    check_period(frequency, period_start, period_end)
    _check_department(department_code)
    with transaction.atomic():
        _lock_department(department_code)
        batches = Settlement.objects.select_for_update().filter(department_code=department_code)
        existing = batches.filter(period_start=period_start, period_end=period_end).first()
        if existing is not None and existing.status == SettlementStatus.POSTED:
            return existing
        overlap = (
            batches.filter(period_start__lte=period_end, period_end__gte=period_start)
            .exclude(pk=getattr(existing, "pk", None))
            .first()
        )
        if overlap is not None:
            mine = _period(period_start, period_end)
            theirs = _period(overlap.period_start, overlap.period_end)
            raise SettlementError(
                f"{department_code}: the period {mine} overlaps settlement {overlap.reference} "
                f"({theirs}); a day is settled once.",
                f"{department_code}: अवधि {mine} निपटान {overlap.reference} ({theirs}) से "
                "टकराती है; हर दिन का निपटान एक ही बार होता है।",
            )
        found = figures(department_code, period_start, period_end)
        if existing is not None:
            return _recompute(existing, found, frequency, actor)
        batch = Settlement(
            department_code=department_code,
            frequency=frequency,
            period_start=period_start,
            period_end=period_end,
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
            **found.as_fields(),
        )
        try:
            with transaction.atomic():
                batch.reference = ids.issue(f"ST{clock.local_now():%y}", width=8)
                batch.save(force_insert=True)
        except IntegrityError:  # made by a concurrent request in the same moment
            existing = Settlement.objects.select_for_update().get(
                department_code=department_code, period_start=period_start, period_end=period_end
            )
            return existing
        audit.record(
            "payments.settlement.made",
            actor=actor,
            obj=batch,
            after={"reference": batch.reference, **_summary(batch)},
        )
    return batch


def _recompute(batch: Settlement, found: Figures, frequency: str, actor: Any) -> Settlement:
    before = _summary(batch)
    for name, value in found.as_fields().items():
        setattr(batch, name, value)
    batch.frequency = frequency
    if _summary(batch) != before or batch.by_service != found.by_service:
        batch.save()
        audit.record(
            "payments.settlement.recomputed",
            actor=actor,
            obj=batch,
            before=before,
            after=_summary(batch),
        )
    return batch


def _summary(batch: Settlement) -> dict[str, Any]:
    return {
        "collected": batch.collected,
        "refunded": batch.refunded,
        "owed": batch.owed,
        "payments": batch.payments_count,
        "refunds": batch.refunds_count,
        "frequency": batch.frequency,
    }


def _period(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{start:%d-%m-%Y}"
    return f"{start:%d-%m-%Y} – {end:%d-%m-%Y}"


# --------------------------------------------------------------------------- post


def carried_into(batch: Settlement) -> list[Settlement]:
    """Earlier drafts of the department that owe money back: set against ``batch``
    when it is posted (or already set against it, once posted)."""
    earlier = Settlement.objects.filter(
        department_code=batch.department_code, period_end__lt=batch.period_start
    )
    if batch.status == SettlementStatus.POSTED:
        return list(earlier.filter(bank_reference=f"{SET_AGAINST}{batch.reference}"))
    return list(earlier.filter(status=SettlementStatus.DRAFT, owed__lt=0))


def transfer_of(batch: Settlement) -> int:
    """What goes (or went) to the department's bank for this batch: its owed
    less what earlier batches owe back."""
    return batch.owed + sum(earlier.owed for earlier in carried_into(batch))


def set_against_reference(batch: Settlement) -> str:
    """The batch this one was set against, if it owed money back ("" if not)."""
    if batch.bank_reference.startswith(SET_AGAINST):
        return batch.bank_reference.removeprefix(SET_AGAINST)
    return ""


def post(settlement: Settlement, bank_reference: str, *, actor: Any) -> Settlement:
    """Post the batch: one ledger entry moving what is owed from the department's
    payable to the bank (none if it is 0), and the batch marked posted.

    Posting again with the same bank reference returns the batch; another
    reference is refused (``SettlementConflict``), and so is a batch whose
    figures changed since it was made (it is recomputed: look again, then post)."""
    bank_reference = " ".join((bank_reference or "").split())
    if not bank_reference or len(bank_reference) > 60 or bank_reference.startswith(SET_AGAINST):
        raise SettlementError(
            "Give the bank's reference for the transfer (up to 60 characters).",
            "बैंक अंतरण का संदर्भ क्रमांक लिखें (अधिकतम 60 अक्षर)।",
        )
    changed: list[Settlement] = []
    with transaction.atomic():
        _lock_department(settlement.department_code)
        batch = Settlement.objects.select_for_update().get(pk=settlement.pk)
        if batch.status == SettlementStatus.POSTED:
            if batch.bank_reference == bank_reference:
                return batch
            raise SettlementConflict(
                f"Settlement {batch.reference} was already posted"
                + (
                    f" with bank reference {batch.bank_reference}."
                    if not set_against_reference(batch)
                    else f": it was set against {set_against_reference(batch)}."
                ),
                f"निपटान {batch.reference} पहले ही दर्ज हो चुका है (संदर्भ {batch.bank_reference})।",
            )
        check_period(batch.frequency, batch.period_start, batch.period_end)
        carried = list(
            Settlement.objects.select_for_update()
            .filter(
                department_code=batch.department_code,
                status=SettlementStatus.DRAFT,
                owed__lt=0,
                period_end__lt=batch.period_start,
            )
            .order_by("period_start")
        )
        # What was looked at must be what is posted: a late entry in one of the
        # periods updates the figures and refuses this time.
        for each in [batch, *carried]:
            found = figures(each.department_code, each.period_start, each.period_end)
            if _totals(each) != _totals(found):
                changed.append(_recompute(each, found, each.frequency, actor))
        if not changed:
            _post_locked(batch, carried, bank_reference, actor)
    if changed:
        refs = ", ".join(f"{each.reference} (now {format_inr(each.owed)})" for each in changed)
        raise SettlementConflict(
            f"The figures of {refs} changed since they were made and have been updated. "
            "Check them, then post.",
            f"{refs} के आँकड़े बनने के बाद बदल गए थे और अद्यतन कर दिए गए हैं। जाँचें, फिर दर्ज करें।",
        )
    return batch


def _totals(figures_or_batch: Any) -> tuple[int, int, int, int]:
    item = figures_or_batch
    return (item.collected, item.refunded, item.payments_count, item.refunds_count)


def _post_locked(
    batch: Settlement, carried: list[Settlement], bank_reference: str, actor: Any
) -> None:
    if batch.owed < 0:
        raise SettlementError(
            f"{batch.department_code} owes {format_inr(-batch.owed)} back for "
            f"{_period(batch.period_start, batch.period_end)}: refunds "
            f"({format_inr(batch.refunded)}) were more than collections "
            f"({format_inr(batch.collected)}). Nothing is paid to the department; this batch "
            "stays a draft and the amount is carried forward: it is taken off the next "
            "settlement of the department that is posted.",
            f"{batch.department_code} को {_period(batch.period_start, batch.period_end)} के "
            f"{format_inr(-batch.owed)} लौटाने हैं: धनवापसी ({format_inr(batch.refunded)}) संग्रह "
            f"({format_inr(batch.collected)}) से अधिक रही। विभाग को कुछ नहीं भेजा जाएगा; यह "
            "निपटान प्रारूप में रहेगा और यह राशि विभाग के अगले दर्ज होने वाले निपटान से घटा दी "
            "जाएगी।",
        )
    owed_back = -sum(earlier.owed for earlier in carried)
    transfer = batch.owed - owed_back
    if transfer < 0:
        refs = ", ".join(earlier.reference for earlier in carried)
        raise SettlementError(
            f"{batch.department_code} still owes {format_inr(owed_back)} back from earlier "
            f"settlements ({refs}), more than the {format_inr(batch.owed)} this one pays. "
            "Nothing is paid now: post a later settlement of the department first (what is "
            "owed back is taken off it), then this one.",
            f"{batch.department_code} को पिछले निपटानों ({refs}) के {format_inr(owed_back)} "
            f"लौटाने हैं, जो इस निपटान के {format_inr(batch.owed)} से अधिक है। अभी कुछ नहीं "
            "भेजा जाएगा: पहले विभाग का कोई बाद का निपटान दर्ज करें (लौटाई जाने वाली राशि उसी से "
            "घटेगी), फिर यह।",
        )
    now = clock.now()
    who = actor if getattr(actor, "pk", None) else None
    if transfer:
        ledger.post(
            SETTLEMENT_KIND,
            [
                (
                    ledger_accounts.get_or_open("department_payable", batch.department_code),
                    transfer,
                ),
                (ledger_accounts.get_or_open("bank"), -transfer),
            ],
            idempotency_key=f"settlement:{batch.reference}",
            memo=(
                f"settlement {batch.reference} of {batch.department_code} for "
                f"{_period(batch.period_start, batch.period_end)}, bank ref {bank_reference}"
            )[:200],
            reference=f"settlement:{batch.reference}",
            dimensions={"department": batch.department_code, FLOW_KEY: FLOW_SETTLEMENT},
            actor=actor,
        )
    for earlier in carried:
        earlier.status = SettlementStatus.POSTED
        earlier.bank_reference = f"{SET_AGAINST}{batch.reference}"
        earlier.posted_at, earlier.posted_by = now, who
        earlier.save()
        audit.record(
            "payments.settlement.set_against",
            actor=actor,
            obj=earlier,
            after={"into": batch.reference, "owed": earlier.owed},
        )
    batch.status = SettlementStatus.POSTED
    batch.bank_reference = bank_reference
    batch.posted_at, batch.posted_by = now, who
    batch.save()
    audit.record(
        "payments.settlement.posted",
        actor=actor,
        obj=batch,
        after={
            "reference": batch.reference,
            "owed": batch.owed,
            "transfer": transfer,
            "bank_reference": bank_reference,
            "set_against": [earlier.reference for earlier in carried],
        },
    )


# --------------------------------------------------------------------------- due


@dataclass
class DueReport:
    frequency: str
    period_start: dt.date
    period_end: dt.date
    batches: list[Settlement] = field(default_factory=list)
    refused: list[tuple[str, PaymentError]] = field(default_factory=list)


def make_due(
    frequency: str,
    day: dt.date | None = None,
    *,
    department_code: str | None = None,
    actor: Any = None,
) -> DueReport:
    """Make the batches of the period that ended before ``day`` (default today):
    yesterday for daily, last Monday–Sunday for weekly; for every department
    whose payable moved in it (or only ``department_code``). A department that
    is refused (e.g. its days are already in a batch of the other frequency) is
    reported and the others go on."""
    start, end = period_for(frequency, day or clock.today())
    report = DueReport(frequency, start, end)
    codes = [department_code] if department_code else active_departments(start, end)
    for code in codes:
        try:
            report.batches.append(make_batch(code, start, end, frequency, actor=actor))
        except PaymentError as exc:
            log.warning("settlement of %s for %s..%s refused: %s", code, start, end, exc.en)
            report.refused.append((code, exc))
    return report


# How many days back the nightly run makes missing daily batches (a night the
# scheduler was down is caught up the next night).
CATCH_UP_DAYS = 7


def make_scheduled(day: dt.date | None = None) -> list[DueReport]:
    """What the nightly task does, by ``settings.SETTLEMENT_FREQUENCY``: daily →
    the batches of yesterday and of the ``CATCH_UP_DAYS`` − 1 days before it
    (made if missing, recomputed while drafts); weekly → last week's batch (every
    night, so a missed Monday is caught up on Tuesday)."""
    day = day or clock.today()
    frequency = settings.SETTLEMENT_FREQUENCY
    if frequency == WEEKLY:
        return [make_due(WEEKLY, day)]
    if frequency != DAILY:
        raise _bad_frequency(frequency)
    return [make_due(DAILY, day - dt.timedelta(days=back)) for back in range(CATCH_UP_DAYS)[::-1]]


# --------------------------------------------------------------------------- collections

# The report's money columns: what each account of a fee took in, less refunds.
COLLECTION_COLUMNS = (
    ("department", "department_payable"),
    ("convenience", "operator_revenue"),
    ("gst", "gst_payable"),
    ("kiosk", "kiosk_commission_payable"),
)
COLLECTION_KEYS = ("department", "service", "channel", "district")
COLLECTIONS_MAX_DAYS = 366


@dataclass
class CollectionRow:
    day: dt.date | None
    department: str = ""
    service: str = ""
    channel: str = ""
    district: str = ""
    amounts: dict[str, int] = field(default_factory=dict)  # column → net paise
    refunded: int = 0  # paise given back, all columns

    @property
    def total(self) -> int:
        return sum(self.amounts.values())


@dataclass
class Collections:
    start: dt.date
    end: dt.date
    rows: list[CollectionRow]
    totals: CollectionRow


def collections(
    start: dt.date,
    end: dt.date,
    *,
    departments: str | set[str] | None = None,
    service: str = "",
    channel: str = "",
    district: str = "",
) -> Collections:
    """Collections per day × department × service × channel × district: for
    each, what went to the department, the operator (convenience fee), GST and
    kiosks, net of refunds, and what was refunded. From the rollups only (one
    query per column), settlement entries left out."""
    if end < start or (end - start).days >= COLLECTIONS_MAX_DAYS:
        raise SettlementError(
            f"Choose at most {COLLECTIONS_MAX_DAYS} days, the first day not after the last.",
            f"अधिकतम {COLLECTIONS_MAX_DAYS} दिन चुनें, पहला दिन अंतिम दिन के बाद न हो।",
        )
    filters: dict[str, Any] = {FLOW_KEY: None}
    if departments is not None:
        filters["department"] = departments
    for key, value in (("service", service), ("channel", channel), ("district", district)):
        if value:
            filters[key] = value
    rows: dict[tuple, CollectionRow] = {}
    totals = CollectionRow(day=None, amounts={column: 0 for column, _ in COLLECTION_COLUMNS})
    for column, kind in COLLECTION_COLUMNS:
        for found in ledger_selectors.rollup_totals(
            start, end, account_kind=kind, group_by=COLLECTION_KEYS, filters=filters, by_day=True
        ):
            key = (found["day"], *(found[k] for k in COLLECTION_KEYS))
            row = rows.get(key)
            if row is None:
                row = rows[key] = CollectionRow(
                    found["day"],
                    *(found[k] for k in COLLECTION_KEYS),
                    amounts={name: 0 for name, _ in COLLECTION_COLUMNS},
                )
            net = found["credits"] - found["debits"]
            row.amounts[column] += net
            row.refunded += found["debits"]
            totals.amounts[column] += net
            totals.refunded += found["debits"]
    return Collections(start, end, [rows[key] for key in sorted(rows)], totals)
