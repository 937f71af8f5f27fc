"""``ekseva audit verify`` walks the hash chain; ``seal`` links pending events;
``head`` prints the last link for operators to write down elsewhere."""

import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError

from ekseva.core import audit

_ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _anchor(text: str) -> tuple[int, str]:
    match = _ANCHOR_RE.match(text.strip().lower())
    if not match:
        raise CommandError(
            f"--anchor must be POSITION:HASH as printed by 'audit head', not {text!r}"
        )
    return int(match[1]), match[2]


class Command(BaseCommand):
    help = "Audit log: 'verify' the hash chain, 'seal' events not yet chained, print the 'head'."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the chain; exit 1 at the first broken row")
        verify.add_argument(
            "--horizon-minutes",
            type=int,
            default=10,
            help="events younger than this may still be unsealed",
        )
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            help="POSITION:HASH from an earlier 'audit head'; may be repeated",
        )
        seal = sub.add_parser("seal", help="link committed events into the chain")
        seal.add_argument(
            "--full", action="store_true", help="look at every event, not only the recent ones"
        )
        sub.add_parser("head", help="print POSITION:HASH of the last link, to keep elsewhere")

    def handle(self, *args, action, **options):
        if action == "seal":
            count = audit.seal_pending(full=options.get("full", False))
            self.stdout.write(f"sealed {count} event(s)")
            return
        if action == "head":
            position, chain_hash = audit.head()
            self.stdout.write(f"{position}:{chain_hash}")
            return
        horizon = dt.timedelta(minutes=options["horizon_minutes"])
        anchors = [_anchor(text) for text in options["anchor"]]
        checked, problem = audit.verify(horizon, anchors=anchors)
        if problem is not None:
            raise CommandError(f"audit chain broken after {checked} good link(s): {problem}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} link(s) verified"))
