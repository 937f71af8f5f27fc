"""``ekseva ledger check`` recomputes every invariant and exits non-zero naming
what is wrong; ``ekseva ledger snapshot`` writes balance snapshots now."""

from django.core.management.base import BaseCommand, CommandError

from ekseva.ledger import services
from ekseva.ledger.verify import verify

_SHOWN_IN_ERROR = 5


class Command(BaseCommand):
    help = "Ledger: 'check' every invariant against the postings; 'snapshot' balances."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="exit 1 naming every entry, balance or rollup that is wrong")
        sub.add_parser("snapshot", help="snapshot the balance of every account with new postings")

    def handle(self, *args, action, **options):
        if action == "snapshot":
            count = services.snapshot_balances()
            self.stdout.write(f"wrote {count} snapshot(s)")
            return
        problems = verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            shown = "; ".join(problems[:_SHOWN_IN_ERROR])
            more = len(problems) - _SHOWN_IN_ERROR
            raise CommandError(
                f"ledger check failed, {len(problems)} problem(s): {shown}"
                + (f"; and {more} more" if more > 0 else "")
            )
        self.stdout.write(self.style.SUCCESS("ledger check passed"))
