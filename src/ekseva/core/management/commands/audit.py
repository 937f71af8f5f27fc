"""``ekseva audit verify`` walks the hash chain; ``ekseva audit seal`` links pending events."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from ekseva.core import audit


class Command(BaseCommand):
    help = "Audit log: 'verify' the hash chain, or 'seal' events not yet chained."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the chain; exit 1 at the first broken row")
        verify.add_argument("--horizon-minutes", type=int, default=10,
                            help="events younger than this may still be unsealed")
        sub.add_parser("seal", help="link committed events into the chain")

    def handle(self, *args, action, **options):
        if action == "seal":
            count = audit.seal_pending()
            self.stdout.write(f"sealed {count} event(s)")
            return
        checked, problem = audit.verify(dt.timedelta(minutes=options["horizon_minutes"]))
        if problem is not None:
            raise CommandError(f"audit chain broken after {checked} good link(s): {problem}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} link(s) verified"))
