"""``ekseva payments <action>``: operator jobs on payments.

- ``reconcile FILE --gateway NAME [--from DATE --to DATE]``: import a gateway's
  settlement file and print the report. Exit 0: everything matched; 1: something
  needs a person (in the file but not here, here but not in the file, amount or
  fee differs, an unknown refund); 2: the file could not be read (the line and
  the reason are printed) and nothing was written.

Each action is one ``add_<action>_arguments(sub)`` plus one ``<action>(command,
options)`` function, registered in ``ACTIONS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ekseva.core.money import format_inr
from ekseva.payments import reconcile as recon
from ekseva.payments.models import ItemCategory, PaymentError, ReconciliationRun

EXIT_ATTENTION = 1
EXIT_UNREADABLE = 2


# --------------------------------------------------------------------------- reconcile


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{text!r} is not a date (YYYY-MM-DD)", returncode=EXIT_UNREADABLE
        ) from None


def add_reconcile_arguments(sub: Any) -> None:
    parser = sub.add_parser(
        "reconcile",
        help="import a gateway settlement file, match it against the ledger, print the report",
    )
    parser.add_argument("file", help="the settlement file (CSV, UTF-8)")
    parser.add_argument("--gateway", required=True, help="the gateway that sent it, e.g. sandbox")
    parser.add_argument(
        "--from", dest="period_from", help="first day the file covers (default: its first date)"
    )
    parser.add_argument(
        "--to", dest="period_to", help="last day the file covers (default: its last date)"
    )


def _money(paise: int | None) -> str:
    return "—" if paise is None else format_inr(paise)


def report_lines(run: ReconciliationRun) -> list[str]:
    """The run as people read it: totals, counts per category, then one line per
    item that is not a plain match."""
    when = timezone.localtime(run.imported_at)
    by = run.imported_by.get_username() if run.imported_by else "system"
    period = (
        f"{run.period_start} to {run.period_end}"
        if run.period_start and run.period_end
        else "no dates in the file"
    )
    lines = [
        f"Reconciliation run #{run.pk}: {run.gateway}, {run.file_name}",
        f"imported {when:%Y-%m-%d %H:%M} by {by}; period {period}; {run.rows} row(s)",
        f"gross {format_inr(run.gross)}   fees {format_inr(run.fees)}   net {format_inr(run.net)}",
        "",
    ]
    width = max(len(category.label) for category in ItemCategory)
    for category in recon.CATEGORY_ORDER:
        count = run.summary.get(str(category), 0)
        flag = " !" if count and category in recon.ATTENTION else ""
        lines.append(f"  {category.label:<{width}}  {count:>6}{flag}")
    shown = list(recon.unresolved(run))
    if shown:
        lines += ["", "Items to look at:"]
    for item in shown:
        where = f"line {item.line}" if item.line else "not in file"
        ids = ", ".join(
            part
            for part in (
                item.payment.reference if item.payment else "",
                f"payment {item.gateway_payment_id}" if item.gateway_payment_id else "",
                f"order {item.order_id}" if item.order_id else "",
            )
            if part
        )
        amounts = f"file {_money(item.file_amount)}, ours {_money(item.ledger_amount)}"
        if item.category == ItemCategory.FEE_DIFFERS:
            amounts += f", fee {_money(item.file_fee)} (expected {_money(item.expected_fee)})"
        lines.append(
            f"  {where:<11} {ItemCategory(item.category).label}: {ids}; {amounts}; {item.note}"
        )
    attention = recon.attention_count(run)
    lines += [
        "",
        f"{attention} item(s) need attention." if attention else "Everything matched.",
    ]
    return lines


def reconcile(command: BaseCommand, options: dict[str, Any]) -> None:
    path = Path(options["file"])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(
            f"{path}: cannot read: {exc.strerror}", returncode=EXIT_UNREADABLE
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CommandError(
            f"{path}: line {line}: not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8",
            returncode=EXIT_UNREADABLE,
        ) from None
    start = _date(options["period_from"]) if options.get("period_from") else None
    end = _date(options["period_to"]) if options.get("period_to") else None
    try:
        run = recon.import_file(
            options["gateway"], path.name, text, period_start=start, period_end=end
        )
    except PaymentError as exc:
        raise CommandError(f"{path}: {exc.en}", returncode=EXIT_UNREADABLE) from None
    if run.replayed:
        command.stdout.write(
            f"This file was already imported as run #{run.pk} on "
            f"{timezone.localtime(run.imported_at):%Y-%m-%d %H:%M}; nothing was posted again."
        )
    command.stdout.write("\n".join(report_lines(run)))
    attention = recon.attention_count(run)
    if attention:
        raise CommandError(
            f"{attention} item(s) of run #{run.pk} need attention", returncode=EXIT_ATTENTION
        )


# --------------------------------------------------------------------------- the command

Action = Callable[[BaseCommand, dict[str, Any]], None]

ACTIONS: dict[str, tuple[Callable[[Any], None], Action]] = {
    "reconcile": (add_reconcile_arguments, reconcile),
}


class Command(BaseCommand):
    help = "Payments: 'reconcile' a gateway settlement file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for add, _ in ACTIONS.values():
            add(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        ACTIONS[action][1](self, options)
