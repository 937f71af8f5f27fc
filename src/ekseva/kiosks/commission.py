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

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, When

from ekseva.core import audit, clock
from ekseva.core.money import format_inr, percent_of
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import services as ledger
from ekseva.ledger.models import Posting
from ekseva.notifications import templates

from .models import CommissionStatement, Kiosk, KioskError

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
    """The month's postings to kiosk commission accounts, this module's entries left out."""
    return Posting.objects.filter(
        account__kind=COMMISSION_KIND,
        entry__day__gte=month,
        entry__day__lte=month_end(month),
    ).exclude(entry__kind__in=OWN_KINDS)


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
