"""``ekseva applications <action>``: the application clocks, by hand (the embedded
mode has no Celery beat; production runs the same through beat, see settings.py).

- ``close-lapsed``: close the drafts whose window has ended and the applications
  whose fee was not paid by the last date (``APPLICATION_FEE_GRACE_HOURS`` after it).
- ``remind``: message the applicants whose drafts are unfinished and whose window
  closes within ``APPLICATION_REMIND_HOURS`` (once per draft, however often it runs).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ekseva.applications import services


class Command(BaseCommand):
    help = (
        "Applications: 'close-lapsed' closes drafts and unpaid applications past their last "
        "date; 'remind' tells applicants with unfinished drafts that the window closes soon."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "close-lapsed",
            help="close drafts past the last date and applications whose fee was not paid",
        )
        sub.add_parser(
            "remind", help="remind applicants whose drafts are unfinished that the window closes"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "close-lapsed":
            self.stdout.write(f"closed {services.close_lapsed()} application(s)")
        else:
            self.stdout.write(f"reminded {services.remind_closing_drafts()} draft(s)")
