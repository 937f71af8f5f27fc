"""Kiosk commission: monthly statements with TDS, and payout batches (guide:
docs/kiosks.md, "Commission").

Each kiosk application paid from a wallet credits its "kiosk" fee line (the kiosk
charge) to the ledger account ``kiosk_commission_payable:<code>``; a refund takes
its share back from that account (payments.split). Once a month has ended:

- ``make_statements(month)`` makes one ``CommissionStatement`` per kiosk whose
  commission account moved in the month (kiosk charges earned or refunded), with

  - ``gross`` = credits − debits to the account from the journal entries of the
    month's days (by ``JournalEntry.day``, the portal's local date), leaving out
    this module's own TDS and payout entries, so each charge and each refund
    counts in exactly one month: the month it was booked in;
  - ``tds`` = gross × ``KIOSK_TDS_RATE_BP`` / 10000 to the paisa, halves rounded
    up (``core.money.percent_of``: 200 bp of 25 paise = 0.5 → 1 paisa); no TDS
    when gross ≤ 0;
  - ``net`` = gross − tds: what the franchisee is paid (may be negative, see below).

  The TDS moves from the commission account to ``tds_payable`` in one journal
  entry (key ``commission:<code>:<YYYY-MM>:tds``). A kiosk whose account did not
  move in the month gets no statement (a zero statement is noise). Making the
  statements again returns the same rows and posts nothing: the statement is
  unique per kiosk and month and made under the kiosk's row lock.

- ``create_batch(month)`` gathers the statements of months up to ``month`` that
  are in no batch, per kiosk: an active kiosk whose statements add up to more
  than zero is paid their sum in the batch. A statement with a negative net (the
  kiosk's refunds exceeded its charges that month) is therefore set against its
  kiosk's next positive statements: it joins the batch that pays them. Suspended
  kiosks' statements are *held* (they stay out of any batch until the kiosk is
  reinstated; the next batch pays them), closed kiosks' are *excluded* (their
  final settlement is made by hand). ``batch_preview`` says which and why.

- ``mark_paid(batch, bank_reference)`` posts, per statement, its net from the
  commission account to the bank (key ``payout:<statement id>``), stamps the
  statements and the batch paid and sends each franchisee an SMS. Again with the
  same bank reference it changes nothing.

So for a kiosk paid up, the commission account stands at zero: gross − tds − net.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _

from ekseva.accounts.permissions import can
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr, percent_of
from ekseva.core.pdf import Document
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import services as ledger
from ekseva.ledger.models import JournalEntry, Posting
from ekseva.notifications import templates
from ekseva.notifications.services import queue as queue_message
from ekseva.payments.models import Payment

from .hooks import FINANCE
from .models import CommissionStatement, Kiosk, KioskError, PayoutBatch

TDS_KIND = "kiosk.commission.tds"
PAYOUT_KIND = "kiosk.commission.payout"
OWN_KINDS = (TDS_KIND, PAYOUT_KIND)
PAYMENT_KIND = "payment.success"
# The dimension that marks this module's entries (left out of the collections
# report, which skips every entry with a ``flow``).
FLOW_KEY, FLOW_COMMISSION = "flow", "commission"
PAID_TEMPLATE = "kiosks.commission_paid"
COMMISSION_KIND = "kiosk_commission_payable"


# --------------------------------------------------------------------------- months


def first_of(month: dt.date) -> dt.date:
    return month.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def last_month(day: dt.date | None = None) -> dt.date:
    """The first day of the month before ``day``'s (default today)."""
    day = day or clock.today()
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def parse_month(text: str) -> dt.date:
    """ "2026-05" → 2026-05-01; refuses anything else."""
    try:
        return dt.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise KioskError(
            "Give the month as YYYY-MM, e.g. 2026-05.",
            "माह YYYY-MM के रूप में लिखें, जैसे 2026-05।",
            field="month",
        ) from None


def check_month(month: dt.date) -> dt.date:
    """The month's first day, if the month has ended; refuses the current or a later one."""
    if not isinstance(month, dt.date):
        raise KioskError("Choose a month.", "माह चुनें।", field="month")
    month = first_of(month)
    if month_end(month) >= clock.today():
        raise KioskError(
            f"{month:%m-%Y} has not ended yet; its commission is made from the 1st of the "
            "next month.",
            f"{month:%m-%Y} अभी समाप्त नहीं हुआ है; इसका कमीशन अगले माह की 1 तारीख से बनता है।",
            field="month",
        )
    return month


# --------------------------------------------------------------------------- figures


def commission_account(kiosk: Kiosk | str):
    code = kiosk.code if isinstance(kiosk, Kiosk) else kiosk
    return ledger_accounts.get_or_open(COMMISSION_KIND, code)


def tds_of(gross: int, rate_bp: int) -> int:
    """TDS on ``gross`` paise at ``rate_bp`` basis points: to the paisa, halves up;
    none if gross ≤ 0."""
    return percent_of(gross, rate_bp) if gross > 0 else 0


@dataclass(frozen=True)
class Figures:
    gross: int = 0
    transactions: int = 0
    refunds: int = 0


def _postings(month: dt.date):
    """The month's postings to kiosk commission accounts, this module's entries
    (and any reversal of one) left out."""
    return Posting.objects.filter(
        account__kind=COMMISSION_KIND,
        entry__day__gte=month,
        entry__day__lte=month_end(month),
    ).exclude(Q(entry__kind__in=OWN_KINDS) | Q(entry__reverses__kind__in=OWN_KINDS))


def month_figures(month: dt.date, kiosk_code: str | None = None) -> dict[str, Figures]:
    """Kiosk code → its commission figures of ``month`` (one grouped query).
    Transactions are the payment successes that credited the account; refunds
    are the entries that took some back (refunds, reversals)."""
    postings = _postings(first_of(month))
    if kiosk_code is not None:
        postings = postings.filter(account__owner=kiosk_code)
    rows = (
        postings.values("account__owner")
        .annotate(
            credit_sum=Sum("amount"),
            earned=Count(
                Case(
                    When(Q(amount__lt=0, entry__kind=PAYMENT_KIND), then=1),
                    output_field=IntegerField(),
                )
            ),
            refunds=Count(Case(When(amount__gt=0, then=1), output_field=IntegerField())),
        )
        .order_by()
    )
    return {
        row["account__owner"]: Figures(
            gross=-(row["credit_sum"] or 0),
            transactions=row["earned"],
            refunds=row["refunds"],
        )
        for row in rows
    }


# --------------------------------------------------------------------------- statements


def _dimensions(kiosk: Kiosk) -> dict[str, str]:
    district = (kiosk.district.code or "").removeprefix("district:") if kiosk.district_id else ""
    dims = {"kiosk": kiosk.code, FLOW_KEY: FLOW_COMMISSION}
    if district:
        dims["district"] = district
    return dims


def make_statements(month: dt.date, *, actor: Any = None) -> list[CommissionStatement]:
    """The commission statements of ``month`` (its first day; a month that has
    ended), made now for kiosks that have none yet. Returns every statement of
    the month, in kiosk code order. Running it again changes nothing."""
    month = check_month(month)
    found = month_figures(month)
    kiosks = Kiosk.objects.filter(code__in=list(found)).select_related("district")
    for kiosk in kiosks.order_by("code"):
        _make_one(kiosk, month, found[kiosk.code], actor)
    return list(statements_of_month(month))


def statements_of_month(month: dt.date):
    return (
        CommissionStatement.objects.filter(month=first_of(month))
        .select_related("kiosk", "payout")
        .order_by("kiosk__code")
    )


def _make_one(kiosk: Kiosk, month: dt.date, figures: Figures, actor: Any) -> CommissionStatement:
    with transaction.atomic():
        Kiosk.objects.select_for_update().filter(pk=kiosk.pk).first()  # one maker per kiosk
        existing = CommissionStatement.objects.filter(kiosk=kiosk, month=month).first()
        if existing is not None:
            return existing
        # Read again under the lock: what another maker saw is what this one sees.
        figures = month_figures(month, kiosk.code).get(kiosk.code, figures)
        rate = int(settings.KIOSK_TDS_RATE_BP)
        tds = tds_of(figures.gross, rate)
        entry = None
        if tds:
            entry = ledger.post(
                TDS_KIND,
                [
                    (commission_account(kiosk), tds),
                    (ledger_accounts.get_or_open("tds_payable"), -tds),
                ],
                idempotency_key=f"commission:{kiosk.code}:{month_label(month)}:tds",
                memo=f"TDS {rate / 100:g}% on commission of {month_label(month)} "
                f"({format_inr(figures.gross)}) of kiosk {kiosk.code}",
                reference=f"kiosk:{kiosk.code}",
                dimensions=_dimensions(kiosk),
                actor=actor,
            )
        statement = CommissionStatement.objects.create(
            kiosk=kiosk,
            month=month,
            transactions=figures.transactions,
            gross=figures.gross,
            tds_rate_bp=rate,
            tds=tds,
            net=figures.gross - tds,
            tds_entry_id=entry.pk if entry else None,
            created_at=clock.now(),
        )
        audit.record(
            "kiosks.commission.statement",
            actor=actor,
            obj=statement,
            after={
                "kiosk": kiosk.code,
                "month": month_label(month),
                "transactions": statement.transactions,
                "gross": statement.gross,
                "tds": statement.tds,
                "net": statement.net,
            },
        )
    return statement


# --------------------------------------------------------------------------- reading


REFUND_KIND = "refund.owed"


@dataclass(frozen=True)
class Item:
    """One entry on a kiosk's commission account in a month: a kiosk charge
    earned (``amount`` > 0) or taken back by a refund or reversal (< 0)."""

    at: dt.datetime  # local time
    entry_id: int
    kind: str
    payment: str  # the payment's reference (from the entry's "payment:<ref>")
    application: str  # what the payment paid for (an application number)
    service_code: str
    amount: int

    @property
    def earned(self) -> bool:
        return self.amount > 0


def items(
    statement_or_kiosk: CommissionStatement | Kiosk, month: dt.date | None = None
) -> list[Item]:
    """The kiosk's charges and refunds of the month, in posting order (this
    module's TDS and payout entries left out): the lines a statement adds up."""
    if isinstance(statement_or_kiosk, CommissionStatement):
        kiosk, month = statement_or_kiosk.kiosk, statement_or_kiosk.month
    else:
        kiosk = statement_or_kiosk
    month = first_of(month)
    account = commission_account(kiosk)
    lines = [
        line
        for line in ledger_selectors.statement(account, month, month_end(month)).lines
        if line.kind not in OWN_KINDS
    ]
    reversed_own = set(
        JournalEntry.objects.filter(
            pk__in=[line.entry_id for line in lines], reverses__kind__in=OWN_KINDS
        ).values_list("pk", flat=True)
    )
    lines = [line for line in lines if line.entry_id not in reversed_own]
    references = {line.reference.split(":", 1)[-1] for line in lines}
    payments = {
        row["reference"]: row
        for row in Payment.objects.filter(reference__in=references).values(
            "reference", "target", "service_code"
        )
    }
    found = []
    for line in lines:
        reference = line.reference.split(":", 1)[-1]
        payment = payments.get(reference, {})
        found.append(
            Item(
                at=timezone.localtime(line.created_at),
                entry_id=line.entry_id,
                kind=line.kind,
                payment=reference,
                application=payment.get("target", ""),
                service_code=payment.get("service_code", ""),
                amount=line.credit - line.debit,
            )
        )
    return found


def statements_of_kiosk(kiosk: Kiosk):
    return CommissionStatement.objects.filter(kiosk=kiosk).select_related("payout")


@dataclass(frozen=True)
class Totals:
    count: int = 0
    transactions: int = 0
    gross: int = 0
    tds: int = 0
    net: int = 0


def totals(statements) -> Totals:
    """Count, transactions, gross, TDS and net of a queryset of statements."""
    found = statements.aggregate(
        count=Count("pk"),
        transactions=Sum("transactions"),
        gross=Sum("gross"),
        tds=Sum("tds"),
        net=Sum("net"),
    )
    return Totals(**{key: value or 0 for key, value in found.items()})


def months_with_statements() -> list[dt.date]:
    return list(
        CommissionStatement.objects.order_by("-month").values_list("month", flat=True).distinct()
    )


class PayoutState:
    """Where a statement's money is: each a code the pages and PDF name in words."""

    PAID = "paid"  # in a batch marked paid
    IN_BATCH = "in_batch"  # in a batch the bank has not confirmed yet
    HELD = "held"  # the kiosk is suspended: held until it is reinstated
    EXCLUDED = "excluded"  # the kiosk is closed: settled by hand
    CARRIED = "carried"  # nothing to pay (net ≤ 0, or the kiosk's open total ≤ 0)
    DUE = "due"  # waiting for the next payout batch


def payout_state(statement: CommissionStatement) -> str:
    if statement.payout_id is not None:
        return PayoutState.PAID if statement.paid_at else PayoutState.IN_BATCH
    if statement.kiosk.status == Kiosk.Status.CLOSED:
        return PayoutState.EXCLUDED
    if statement.kiosk.status == Kiosk.Status.SUSPENDED:
        return PayoutState.HELD
    if statement.net <= 0:
        return PayoutState.CARRIED
    return PayoutState.DUE


# --------------------------------------------------------------------------- payout batches


@dataclass
class Line:
    """One transfer of a batch: a kiosk and the statements it pays."""

    kiosk: Kiosk
    statements: list[CommissionStatement]

    @property
    def amount(self) -> int:
        return sum(statement.net for statement in self.statements)

    @property
    def months(self) -> list[dt.date]:
        return sorted(statement.month for statement in self.statements)


@dataclass
class Held:
    """Statements left out of a batch, and why (a ``PayoutState``)."""

    kiosk: Kiosk
    statements: list[CommissionStatement]
    reason: str

    @property
    def amount(self) -> int:
        return sum(statement.net for statement in self.statements)


@dataclass
class Preview:
    month: dt.date
    lines: list[Line] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def _open_statements(month: dt.date):
    """Statements of months up to ``month`` that are in no batch yet."""
    return (
        CommissionStatement.objects.filter(payout__isnull=True, month__lte=first_of(month))
        .select_related("kiosk")
        .order_by("kiosk__code", "month")
    )


def _sort(statements) -> Preview:
    by_kiosk: dict[int, list[CommissionStatement]] = defaultdict(list)
    kiosks: dict[int, Kiosk] = {}
    for statement in statements:
        by_kiosk[statement.kiosk_id].append(statement)
        kiosks[statement.kiosk_id] = statement.kiosk
    preview = Preview(month=dt.date.min)
    for kiosk_id, mine in by_kiosk.items():
        kiosk = kiosks[kiosk_id]
        if kiosk.status == Kiosk.Status.CLOSED:
            preview.held.append(Held(kiosk, mine, PayoutState.EXCLUDED))
        elif kiosk.status == Kiosk.Status.SUSPENDED:
            preview.held.append(Held(kiosk, mine, PayoutState.HELD))
        elif sum(statement.net for statement in mine) <= 0:
            preview.held.append(Held(kiosk, mine, PayoutState.CARRIED))
        else:
            preview.lines.append(Line(kiosk, mine))
    return preview


def batch_preview(month: dt.date) -> Preview:
    """What a batch for ``month`` would pay now, and what it would leave out and why."""
    month = check_month(month)
    preview = _sort(_open_statements(month))
    preview.month = month
    return preview


def _may_finance(actor: Any) -> None:
    """``actor`` None is the system (the command, a task); a person needs kiosks.finance."""
    if actor is not None and not can(actor, FINANCE):
        raise KioskError(
            "Only operator staff in finance may make or pay commission payouts.",
            "कमीशन भुगतान केवल संचालक के वित्त कर्मचारी बना या चुका सकते हैं।",
        )


def _lock(name: str) -> None:
    """Serialise batch making (PostgreSQL; SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"kiosks.payout:{name}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def create_batch(month: dt.date, *, actor: Any = None) -> PayoutBatch:
    """A payout batch for ``month``: every active kiosk's statements of months up
    to ``month`` that are in no batch, when they add up to more than zero (see
    the module docstring for what is held). Refuses when there is nothing to pay.

    A statement joins one batch only: the batch takes its statements with an
    UPDATE … WHERE payout IS NULL and refuses (rolling back) if any was taken
    in the meantime; on PostgreSQL batch making also queues on an advisory lock."""
    _may_finance(actor)
    month = check_month(month)
    with transaction.atomic():
        _lock("create")
        candidates = list(_open_statements(month).select_for_update(of=("self",)))
        preview = _sort(candidates)
        if not preview.lines:
            raise KioskError(
                f"Nothing to pay for {month_label(month)}: no kiosk has commission waiting "
                "that is not held.",
                f"{month_label(month)} के लिए भुगतान योग्य कुछ नहीं है: किसी कियोस्क का ऐसा कमीशन "
                "बाकी नहीं जो रोका न गया हो।",
                field="month",
            )
        now = clock.now()
        batch = PayoutBatch.objects.create(
            reference=ids.issue(f"KPO{clock.local_now():%y}", width=5),
            month=month,
            status=PayoutBatch.Status.CREATED,
            total=preview.total,
            count=len(preview.lines),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        chosen = [statement.pk for line in preview.lines for statement in line.statements]
        taken = CommissionStatement.objects.filter(pk__in=chosen, payout__isnull=True).update(
            payout=batch
        )
        if taken != len(chosen):  # rolls the batch back
            raise KioskError(
                "Another payout batch took some of these statements just now; look again.",
                "अभी-अभी किसी दूसरे भुगतान बैच ने इनमें से कुछ विवरण ले लिए; फिर से देखें।",
                field="month",
            )
        audit.record(
            "kiosks.payout.created",
            actor=actor,
            obj=batch,
            after={
                "reference": batch.reference,
                "month": month_label(month),
                "total": batch.total,
                "kiosks": batch.count,
                "statements": len(chosen),
                "held": {held.kiosk.code: held.reason for held in preview.held},
            },
        )
    return batch


def batch_lines(batch: PayoutBatch) -> list[Line]:
    """The batch's transfers, one per kiosk, in kiosk code order."""
    statements = batch.statements.select_related("kiosk").order_by("kiosk__code", "month")
    lines: dict[int, Line] = {}
    for statement in statements:
        lines.setdefault(statement.kiosk_id, Line(statement.kiosk, [])).statements.append(statement)
    return list(lines.values())


def narration(batch: PayoutBatch, kiosk: Kiosk) -> str:
    return f"ekseva commission {month_label(batch.month)} {kiosk.code}"


def rupees_text(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    whole, rest = divmod(abs(paise), 100)
    return f"{sign}{whole}.{rest:02d}"


BANK_FILE_COLUMNS = ["beneficiary_name", "account_number", "ifsc", "amount", "narration"]


def bank_file_csv(batch: PayoutBatch) -> str:
    """The bank's bulk-transfer file: one row per kiosk, amount in rupees (2 decimals)."""
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    write(BANK_FILE_COLUMNS)
    for line in batch_lines(batch):
        kiosk = line.kiosk
        write(
            [
                kiosk.bank_account_name,
                kiosk.bank_account_number,
                kiosk.bank_ifsc,
                rupees_text(line.amount),
                narration(batch, kiosk),
            ]
        )
    return out.getvalue()


def mark_paid(batch: PayoutBatch, bank_reference: str, *, actor: Any = None) -> PayoutBatch:
    """The bank has made the batch's transfers: for each statement one entry from
    the kiosk's commission account to the bank (key ``payout:<statement id>``),
    the statements and the batch stamped paid, each franchisee told by SMS.
    Again with the same reference: nothing changes; with another: refused."""
    _may_finance(actor)
    bank_reference = " ".join((bank_reference or "").split())
    if not bank_reference or len(bank_reference) > 40:
        raise KioskError(
            "Give the bank's reference for the batch (up to 40 characters).",
            "बैच का बैंक संदर्भ क्रमांक लिखें (अधिकतम 40 अक्षर)।",
            field="bank_reference",
        )
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == PayoutBatch.Status.PAID:
            if batch.bank_reference == bank_reference:
                return batch
            raise KioskError(
                f"Payout {batch.reference} was already marked paid with bank reference "
                f"{batch.bank_reference}.",
                f"भुगतान बैच {batch.reference} पहले ही बैंक संदर्भ {batch.bank_reference} के साथ "
                "भुगतान दर्ज हो चुका है।",
                field="bank_reference",
            )
        now = clock.now()
        bank = ledger_accounts.get_or_open("bank")
        lines = batch_lines(batch)
        for line in lines:
            account = commission_account(line.kiosk)
            for statement in line.statements:
                if statement.net:
                    ledger.post(
                        PAYOUT_KIND,
                        [(account, statement.net), (bank, -statement.net)],
                        idempotency_key=f"payout:{statement.pk}",
                        memo=f"commission {month_label(statement.month)} of kiosk "
                        f"{line.kiosk.code}, payout {batch.reference}, bank ref {bank_reference}"[
                            :200
                        ],
                        reference=f"payout:{batch.reference}",
                        dimensions=_dimensions(line.kiosk),
                        actor=actor,
                    )
            CommissionStatement.objects.filter(pk__in=[s.pk for s in line.statements]).update(
                paid_at=now
            )
            queue_message(
                channel="sms",
                template=PAID_TEMPLATE,
                recipient=line.kiosk.owner_mobile,
                params={
                    "kiosk": line.kiosk.code,
                    "month": f"{batch.month:%m/%Y}",
                    "amount": format_inr(line.amount),
                    "reference": bank_reference,
                },
                language="hi",
                dedupe_key=f"kiosks.commission_paid:{batch.reference}:{line.kiosk.code}",
            )
        batch.status = PayoutBatch.Status.PAID
        batch.bank_reference = bank_reference
        batch.paid_at = now
        batch.save(update_fields=["status", "bank_reference", "paid_at"])
        audit.record(
            "kiosks.payout.paid",
            actor=actor,
            obj=batch,
            after={
                "reference": batch.reference,
                "bank_reference": bank_reference,
                "total": batch.total,
                "kiosks": len(lines),
            },
        )
    return batch


# --------------------------------------------------------------------------- the statement PDF

# A PDF lists at most this many entries (a busy kiosk has a few hundred a month).
PDF_ITEM_LIMIT = 3000


def month_text(month: dt.date) -> str:
    """ "May 2026" / "मई 2026" in the active language."""
    return dateformat.format(month, "F Y")


def rate_text(rate_bp: int) -> str:
    """200 → "2%", 375 → "3.75%"."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


def payout_text(statement: CommissionStatement) -> str:
    """Where the statement's money is, in the active language."""
    state = payout_state(statement)
    if state == PayoutState.PAID:
        return _("Paid on %(date)s in payout %(batch)s, bank reference %(reference)s") % {
            "date": timezone.localtime(statement.paid_at).strftime("%d-%m-%Y"),
            "batch": statement.payout.reference,
            "reference": statement.payout.bank_reference,
        }
    if state == PayoutState.IN_BATCH:
        return _("In payout %(batch)s, waiting for the bank") % {
            "batch": statement.payout.reference
        }
    if state == PayoutState.HELD:
        return _("Held while the kiosk is suspended")
    if state == PayoutState.EXCLUDED:
        return _("Not paid out: the kiosk is closed (settled separately)")
    if state == PayoutState.CARRIED:
        return _("Nothing to pay: set against the kiosk's next commission")
    return _("Waiting for the next payout")


def statement_pdf(statement: CommissionStatement, language: str) -> bytes:
    """The kiosk's commission statement of one month as a PDF in ``language``."""
    language = "hi" if language == "hi" else "en"
    with translation.override(language):
        return _pdf(statement, language)


def _pdf(statement: CommissionStatement, language: str) -> bytes:
    from ekseva.payments.statements import service_names

    kiosk = statement.kiosk
    title = _("Commission statement")
    doc = Document(f"{title} {kiosk.code} {month_label(statement.month)}", language=language)
    doc.heading(title)
    district = ""
    if kiosk.district_id:
        unit = kiosk.district
        district = (unit.name_hi if language == "hi" else "") or unit.name_en
    doc.key_value(
        [
            (_("Kiosk"), f"{kiosk.code} · {kiosk.business_name}"),
            (_("Owner"), kiosk.owner_name),
            (_("District"), district),
            (_("Month"), month_text(statement.month)),
            (
                _("Bank account"),
                f"{kiosk.bank_account_masked} · {kiosk.bank_ifsc} · {kiosk.bank_account_name}",
            ),
            (_("Payout"), payout_text(statement)),
        ]
    )
    doc.heading(_("Totals"), level=2)
    doc.key_value(
        [
            (_("Transactions"), statement.transactions),
            (_("Gross commission"), format_inr(statement.gross)),
            (
                _("TDS at %(rate)s (section 194H)") % {"rate": rate_text(statement.tds_rate_bp)},
                format_inr(statement.tds),
            ),
            (_("Net commission"), format_inr(statement.net)),
        ]
    )
    if statement.net <= 0:
        doc.paragraph(
            _(
                "Refunds this month took back more kiosk charges than were earned (or as much). "
                "Nothing is paid for this month; the amount is set against the kiosk's next "
                "commission."
            )
        )
    listed = items(statement)
    names = service_names(sorted({item.service_code for item in listed}), language)
    earned = [item for item in listed if item.earned]
    refunds = [item for item in listed if not item.earned]

    doc.heading(_("Kiosk charges earned"), level=2)
    shown = earned[:PDF_ITEM_LIMIT]
    doc.table(
        [_("Date"), _("Application number"), _("Service"), _("Kiosk charge")],
        [
            [
                item.at.strftime("%d-%m-%Y"),
                item.application or item.payment,
                names.get(item.service_code, "—"),
                format_inr(item.amount),
            ]
            for item in shown
        ]
        or [[_("None this month."), "", "", ""]],
        widths=(2.2, 3.6, 5, 2.4),
        align=("LEFT", "LEFT", "LEFT", "RIGHT"),
    )
    if len(earned) > len(shown):
        doc.paragraph(
            _("%(shown)s of %(total)s entries are listed here.")
            % {"shown": len(shown), "total": len(earned)}
        )
    doc.heading(_("Refunds"), level=2)
    doc.table(
        [_("Date"), _("Application number"), _("Service"), _("Taken back")],
        [
            [
                item.at.strftime("%d-%m-%Y"),
                item.application or item.payment,
                names.get(item.service_code, "—"),
                format_inr(-item.amount),
            ]
            for item in refunds[:PDF_ITEM_LIMIT]
        ]
        or [[_("None this month."), "", "", ""]],
        widths=(2.2, 3.6, 5, 2.4),
        align=("LEFT", "LEFT", "LEFT", "RIGHT"),
    )
    doc.paragraph(
        _(
            "Gross commission is the kiosk charges of applications paid from the kiosk's wallet "
            "this month less the charges refunded this month. TDS is deducted at %(rate)s of the "
            "gross, rounded to the nearest paisa (half a paisa up), and deposited with the "
            "Income Tax Department against the owner's PAN."
        )
        % {"rate": rate_text(statement.tds_rate_bp)},
        size=8,
    )
    return doc.output()


# --------------------------------------------------------------------------- register


def register() -> None:
    """Purposes, rules and templates of this area."""
    templates.register(
        PAID_TEMPLATE,
        sms={
            "en": "ekseva: commission for {month} paid to kiosk {kiosk}: {amount} "
            "(bank ref {reference}).",
            "hi": "ई-सेवा: कियोस्क {kiosk} को {month} का कमीशन {amount} भुगतान किया गया "
            "(बैंक संदर्भ {reference})।",
        },
    )
