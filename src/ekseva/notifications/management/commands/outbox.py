"""``ekseva outbox sweep``: dispatch messages left behind (lost tasks, due retries,
senders that died mid-send). Celery beat runs the same sweep every minute."""

from django.core.management.base import BaseCommand

from ekseva.notifications import services


class Command(BaseCommand):
    help = "Message outbox: 'sweep' dispatches due and stuck messages."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="dispatch due queued/failed and stale sending rows")
        sweep.add_argument("--limit", type=int, default=500, help="at most this many rows")

    def handle(self, *args, action, **options):
        count = services.sweep(limit=options["limit"])
        self.stdout.write(f"dispatched {count} message(s)")
