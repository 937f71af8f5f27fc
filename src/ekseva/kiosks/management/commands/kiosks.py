"""``ekseva kiosks statements [--month YYYY-MM]`` makes the month's commission
statements (default: last month); ``ekseva kiosks payouts --month YYYY-MM`` makes
the payout batch of that month and prints its reference and totals."""

from django.core.management.base import BaseCommand, CommandError

from ekseva.core.money import format_inr
from ekseva.kiosks import commission
from ekseva.kiosks.models import KioskError


class Command(BaseCommand):
    help = "Kiosks: 'statements' makes a month's commission statements; 'payouts' a payout batch."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        statements = sub.add_parser(
            "statements", help="make the commission statements of a month that has ended"
        )
        statements.add_argument("--month", help="YYYY-MM (default: last month)")
        payouts = sub.add_parser(
            "payouts", help="make the payout batch of a month (statements up to it not yet paid)"
        )
        payouts.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, action, month=None, **options):
        try:
            chosen = commission.parse_month(month) if month else commission.last_month()
            if action == "statements":
                self._statements(chosen)
            else:
                self._payouts(chosen)
        except KioskError as exc:
            raise CommandError(exc.message("en")) from exc

    def _statements(self, month):
        made = commission.make_statements(month)
        totals = commission.totals(commission.statements_of_month(month))
        self.stdout.write(
            f"{commission.month_label(month)}: {totals.count} statement(s), "
            f"{totals.transactions} transaction(s), gross {format_inr(totals.gross)}, "
            f"TDS {format_inr(totals.tds)}, net {format_inr(totals.net)}"
        )
        for statement in made:
            self.stdout.write(
                f"  {statement.kiosk.code}  gross {format_inr(statement.gross)}  "
                f"TDS {format_inr(statement.tds)}  net {format_inr(statement.net)}"
            )

    def _payouts(self, month):
        preview = commission.batch_preview(month)
        batch = commission.create_batch(month)
        self.stdout.write(
            f"{batch.reference}: {commission.month_label(batch.month)}, {batch.count} transfer(s), "
            f"total {format_inr(batch.total)}"
        )
        for held in preview.held:
            self.stdout.write(
                f"  not paid: {held.kiosk.code} {format_inr(held.amount)} ({held.reason})"
            )
