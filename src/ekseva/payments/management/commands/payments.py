"""``ekseva payments <action>``: operator jobs on payments.

- ``reconcile FILE --gateway NAME [--from DATE --to DATE]``: import a gateway's
  settlement file and print the report. Exit 0: everything matched; 1: something
  needs a person (in the file but not here, here but not in the file, amount or
  fee differs, an unknown refund); 2: the file could not be read (the line and
  the reason are printed) and nothing was written.
- ``settle --frequency daily|weekly [--date D] [--department X] [--post --bank-ref REF]``:
  make (or recompute, while drafts) the department settlement batches of the
  period holding D (default: the one that ended last) and, with ``--post``, post
  them. Exit 1 if a department was refused (it is named, the others go on).

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
from ekseva.payments import services
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


# --------------------------------------------------------------------------- settle


def add_settle_arguments(sub: Any) -> None:
    parser = sub.add_parser(
        "settle",
        help="make the department settlement batches of a day or week (and post them)",
    )
    parser.add_argument("--frequency", required=True, choices=["daily", "weekly"])
    parser.add_argument(
        "--date",
        help="a day of the period to settle (default: yesterday, or last Monday–Sunday week)",
    )
    parser.add_argument("--department", help="only this department (its code, e.g. LSG)")
    parser.add_argument(
        "--post", action="store_true", help="post the batches: payable → bank, one entry each"
    )
    parser.add_argument("--bank-ref", dest="bank_ref", help="the bank transfer's reference")


def settle(command: BaseCommand, options: dict[str, Any]) -> None:
    from ekseva.payments import settlements

    if options["post"] and not options.get("bank_ref"):
        raise CommandError("--post needs --bank-ref, the reference of the bank transfer")
    frequency = options["frequency"]
    day = None
    if options.get("date"):
        # the day after the period that holds --date: make_due settles the period before it
        given = _date(options["date"])
        day = (
            given + dt.timedelta(days=1)
            if frequency == settlements.DAILY
            else given + dt.timedelta(days=7 - given.weekday())
        )
    try:
        report = settlements.make_due(frequency, day, department_code=options.get("department"))
    except PaymentError as exc:
        raise CommandError(exc.en) from None
    refused = [(code, exc.en) for code, exc in report.refused]
    period = f"{report.period_start:%Y-%m-%d}..{report.period_end:%Y-%m-%d}"
    command.stdout.write(f"{frequency} settlements for {period}: {len(report.batches)} batch(es)")
    for batch in report.batches:
        if options["post"] and batch.status == settlements.SettlementStatus.DRAFT:
            try:
                batch = settlements.post(batch, options["bank_ref"], actor=None)
            except PaymentError as exc:
                refused.append((batch.department_code, f"{batch.reference}: {exc.en}"))
        command.stdout.write(
            f"  {batch.reference}  {batch.department_code:<10} {batch.status:<6}  "
            f"collected {format_inr(batch.collected)}  refunded {format_inr(batch.refunded)}  "
            f"owed {format_inr(batch.owed)}"
            + (f"  bank ref {batch.bank_reference}" if batch.bank_reference else "")
        )
    for code, message in refused:
        command.stderr.write(f"  {code}: {message}")
    if refused:
        raise CommandError(f"{len(refused)} department(s) refused", returncode=EXIT_ATTENTION)


def add_cycle_arguments(sub: Any) -> None:
    sub.add_parser(
        "poll", help="ask the gateways about open payments whose poll is due (the short cycle)"
    )
    sub.add_parser(
        "sweep",
        help="expire stale payments, look for late successes, retry refunds (the daily cycle)",
    )
    sub.add_parser(
        "sandbox-deliver", help="send the sandbox gateway's webhooks that are due (no Celery)"
    )


def poll(command: BaseCommand, options: dict[str, Any]) -> None:
    command.stdout.write(f"polled {services.poll_due()} payment(s)")


def sweep(command: BaseCommand, options: dict[str, Any]) -> None:
    report = services.sweep()
    command.stdout.write(
        f"expired {report.expired}, asked again about {report.late_checked} given-up "
        f"payment(s) ({report.late_succeeded} late success(es)), retried "
        f"{report.refunds_retried} refund(s)"
    )


def sandbox_deliver(command: BaseCommand, options: dict[str, Any]) -> None:
    from ekseva.payments import sandbox

    command.stdout.write(f"delivered {sandbox.deliver_due()} webhook(s)")


# --------------------------------------------------------------------------- the command

Action = Callable[[BaseCommand, dict[str, Any]], None]

ACTIONS: dict[str, tuple[Callable[[Any], None], Action]] = {
    "reconcile": (add_reconcile_arguments, reconcile),
    "settle": (add_settle_arguments, settle),
    "poll": (add_cycle_arguments, poll),
    "sweep": (lambda sub: None, sweep),
    "sandbox-deliver": (lambda sub: None, sandbox_deliver),
}


class Command(BaseCommand):
    help = (
        "Payments: 'reconcile' a gateway settlement file; 'settle' departments (make and "
        "post settlement batches); 'poll', 'sweep' and 'sandbox-deliver' run the background "
        "cycles by hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for add, _ in ACTIONS.values():
            add(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        ACTIONS[action][1](self, options)
