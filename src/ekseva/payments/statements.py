"""A settlement as the department reads it: CSV (for its accounts office) and
PDF (English or Hindi), with the totals, the per-service table and one line per
payment and refund entry of the period.

The item list is the department payable's statement for the period
(``ledger.selectors.statement``: a bounded read of one account's postings,
fine for a statement); settlement entries are left out, so the items add up to
what is owed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ekseva.catalog.models import Department, Service
from ekseva.core.money import format_inr
from ekseva.core.pdf import Document
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger.models import Account

from . import settlements
from .models import Settlement, SettlementStatus

# A PDF lists at most this many items; the CSV always has all of them.
PDF_ITEM_LIMIT = 2000


@dataclass(frozen=True)
class Item:
    """One payment or refund entry on the department's payable account."""

    at: dt.datetime  # local time
    entry_id: int
    kind: str
    reference: str  # the payment's reference (PY…), from the entry's "payment:PY…"
    memo: str
    credit: int  # paise the department got
    debit: int  # paise given back


def items(settlement: Settlement) -> list[Item]:
    """The payable account's postings in the period, settlement entries left out."""
    account = Account.objects.filter(code=settlements.payable_code(settlement.department_code))
    account = account.first()
    if account is None:
        return []
    statement = ledger_selectors.statement(account, settlement.period_start, settlement.period_end)
    return [
        Item(
            at=timezone.localtime(line.created_at),
            entry_id=line.entry_id,
            kind=line.kind,
            reference=line.reference.split(":", 1)[-1],
            memo=line.memo,
            credit=line.credit,
            debit=line.debit,
        )
        for line in statement.lines
        if not line.reference.startswith("settlement:") and line.kind != settlements.SETTLEMENT_KIND
    ]


def department_name(code: str, language: str) -> str:
    department = Department.objects.filter(code=code).first()
    return department.name(language) if department else code


def service_names(codes: list[str], language: str) -> dict[str, str]:
    names = {s.code: s.name(language) for s in Service.objects.filter(code__in=codes)}
    return {code: names.get(code, code) or "—" for code in codes}


def kind_label(kind: str) -> str:
    """The entry kind in the active language."""
    labels = {
        settlements.PAYMENT_KIND: pgettext("ledger entry", "Payment"),
        settlements.REFUND_KIND: pgettext("ledger entry", "Refund"),
        "reversal": pgettext("ledger entry", "Reversal"),
    }
    return labels.get(kind, kind)


def frequency_label(frequency: str) -> str:
    return {
        settlements.DAILY: pgettext("settlement", "Daily"),
        settlements.WEEKLY: pgettext("settlement", "Weekly"),
    }.get(frequency, frequency)


def status_label(status: str) -> str:
    return {
        SettlementStatus.DRAFT: pgettext("settlement", "Draft"),
        SettlementStatus.POSTED: pgettext("settlement", "Posted"),
    }.get(status, status)


def period_text(settlement: Settlement) -> str:
    start, end = settlement.period_start, settlement.period_end
    return f"{start:%d-%m-%Y}" if start == end else f"{start:%d-%m-%Y} – {end:%d-%m-%Y}"


def rupees_text(paise: int) -> str:
    """12345 → "123.45" (a plain number for spreadsheets; people read format_inr)."""
    sign = "-" if paise < 0 else ""
    whole, rest = divmod(abs(paise), 100)
    return f"{sign}{whole}.{rest:02d}"


# --------------------------------------------------------------------------- CSV


def settlement_csv(settlement: Settlement) -> str:
    """Header (department, period, totals), one row per service, one row per
    payment or refund entry. Amounts in rupees with two decimals."""
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    carried = settlements.carried_into(settlement)
    write(["Settlement", settlement.reference])
    write(
        [
            "Department",
            settlement.department_code,
            department_name(settlement.department_code, "en"),
            department_name(settlement.department_code, "hi"),
        ]
    )
    write(["Period", settlement.period_start.isoformat(), settlement.period_end.isoformat()])
    write(["Frequency", settlement.frequency])
    write(["Status", settlement.status])
    if settlement.bank_reference:
        write(["Bank reference", settlement.bank_reference])
    if settlement.posted_at:
        write(["Posted at", timezone.localtime(settlement.posted_at).strftime("%Y-%m-%d %H:%M")])
    write(["Collected (INR)", rupees_text(settlement.collected)])
    write(["Refunded (INR)", rupees_text(settlement.refunded)])
    write(["Owed (INR)", rupees_text(settlement.owed)])
    write(["Payments", settlement.payments_count])
    write(["Refunds", settlement.refunds_count])
    label = (
        "Set against this settlement"
        if settlement.status == SettlementStatus.POSTED
        else "Owed back from an earlier settlement"
    )
    for earlier in carried:
        write([label, earlier.reference, rupees_text(earlier.owed)])
    if carried or settlement.status == SettlementStatus.POSTED:
        write(["Transfer to bank (INR)", rupees_text(max(settlements.transfer_of(settlement), 0))])
    write([])
    codes = [row["service"] for row in settlement.by_service]
    names = service_names(codes, "en")
    write(["service", "service name", "payments", "refunds", "collected", "refunded", "owed"])
    for row in settlement.by_service:
        write(
            [
                row["service"],
                names[row["service"]],
                row["payments"],
                row["refunds"],
                rupees_text(row["collected"]),
                rupees_text(row["refunded"]),
                rupees_text(row["owed"]),
            ]
        )
    write([])
    write(["date", "time", "entry", "kind", "payment", "memo", "credit", "debit"])
    for item in items(settlement):
        write(
            [
                item.at.date().isoformat(),
                item.at.strftime("%H:%M:%S"),
                item.entry_id,
                item.kind,
                item.reference,
                item.memo,
                rupees_text(item.credit),
                rupees_text(item.debit),
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------- PDF


def settlement_pdf(settlement: Settlement, language: str) -> bytes:
    """The statement as a PDF in ``language`` (en or hi): amounts as ₹1,23,456.00."""
    language = "hi" if language == "hi" else "en"
    with translation.override(language):
        return _pdf(settlement, language)


def _pdf(settlement: Settlement, language: str) -> bytes:
    title = _("Settlement statement")
    doc = Document(f"{title} {settlement.reference}", language=language)
    doc.heading(title)
    doc.key_value(_header_pairs(settlement, language))

    doc.heading(_("Totals"), level=2)
    doc.key_value(_total_pairs(settlement))
    if settlement.owed < 0 and settlement.status == SettlementStatus.DRAFT:
        doc.paragraph(
            _(
                "The department owes %(amount)s back for this period: refunds were more than "
                "collections. Nothing is paid; the amount is taken off its next settlement."
            )
            % {"amount": format_inr(-settlement.owed)}
        )

    doc.heading(_("By service"), level=2)
    names = service_names([row["service"] for row in settlement.by_service], language)
    doc.table(
        [_("Service"), _("Payments"), _("Refunds"), _("Collected"), _("Refunded"), _("Owed")],
        [
            [
                names[row["service"]],
                row["payments"],
                row["refunds"],
                format_inr(row["collected"]),
                format_inr(row["refunded"]),
                format_inr(row["owed"]),
            ]
            for row in settlement.by_service
        ]
        or [[_("Nothing in this period."), "", "", "", "", ""]],
        widths=(4.4, 2.1, 2.1, 2.4, 2.4, 2.4),
        align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
    )

    doc.heading(_("Payments and refunds"), level=2)
    listed = items(settlement)
    shown = listed[:PDF_ITEM_LIMIT]
    doc.table(
        [_("Date and time"), _("Entry"), _("Payment"), _("Credit"), _("Debit")],
        [
            [
                item.at.strftime("%d-%m-%Y %H:%M"),
                kind_label(item.kind),
                item.reference,
                format_inr(item.credit) if item.credit else "",
                format_inr(item.debit) if item.debit else "",
            ]
            for item in shown
        ]
        or [[_("Nothing in this period."), "", "", "", ""]],
        widths=(3, 2, 3.4, 2.4, 2.4),
        align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
    )
    if len(listed) > len(shown):
        doc.paragraph(
            _("%(shown)s of %(total)s entries are listed here; the CSV file has all of them.")
            % {"shown": len(shown), "total": len(listed)}
        )
    return doc.output()


def _header_pairs(settlement: Settlement, language: str) -> list[tuple[str, str]]:
    pairs = [
        (_("Reference"), settlement.reference),
        (
            _("Department"),
            f"{department_name(settlement.department_code, language)} "
            f"({settlement.department_code})",
        ),
        (_("Period"), period_text(settlement)),
        (_("Frequency"), frequency_label(settlement.frequency)),
        (_("Status"), status_label(settlement.status)),
    ]
    against = settlements.set_against_reference(settlement)
    if against:
        pairs.append((_("Set against settlement"), against))
    elif settlement.bank_reference:
        pairs.append((_("Bank reference"), settlement.bank_reference))
    if settlement.posted_at:
        pairs.append(
            (_("Posted at"), timezone.localtime(settlement.posted_at).strftime("%d-%m-%Y %H:%M"))
        )
    return pairs


def _total_pairs(settlement: Settlement) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        (_("Collected"), format_inr(settlement.collected)),
        (_("Refunded"), format_inr(settlement.refunded)),
        (_("Owed to the department"), format_inr(settlement.owed)),
        (_("Payments"), settlement.payments_count),
        (_("Refunds"), settlement.refunds_count),
    ]
    carried = settlements.carried_into(settlement)
    for earlier in carried:
        pairs.append(
            (
                _("Owed back from %(reference)s") % {"reference": earlier.reference},
                format_inr(earlier.owed),
            )
        )
    if carried or settlement.status == SettlementStatus.POSTED:
        transfer = max(settlements.transfer_of(settlement), 0)
        pairs.append((_("Transfer to the bank"), format_inr(transfer)))
    return pairs
