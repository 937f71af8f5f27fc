"""``ekseva workflow <action>``: the back office's clocks, by hand (the embedded
mode has no Celery beat; production runs the same through beat, see settings.py).

- ``remind``: remind officers of open cases due within ``WORKFLOW_REMIND_DAYS``
  working days (once per case, however often it runs).
- ``escalate``: put open cases past their due date into the delay register and
  reassign them to the next officer (once per case); settle the days late of
  breached cases disposed since.
- ``recompute-due``: recompute the due dates of undecided cases (after holidays
  changed outside the holidays page).

``--date YYYY-MM-DD`` runs ``remind`` or ``escalate`` as of that day (default: today).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekseva.workflow import sla


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Back office: 'remind' reminds officers of cases due soon; 'escalate' breaches "
        "cases past their due date (delay register, next officer); 'recompute-due' "
        "recomputes due dates after holidays changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("remind", "remind officers of open cases due within WORKFLOW_REMIND_DAYS"),
            ("escalate", "breach open cases past their due date and escalate them"),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--date", default="", help="as of this day (YYYY-MM-DD)")
        sub.add_parser("recompute-due", help="recompute the due dates of undecided cases")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        day = _day(options["date"]) if options.get("date") else None
        if action == "remind":
            self.stdout.write(f"reminded {sla.remind_due(day)} case(s)")
        elif action == "escalate":
            self.stdout.write(f"escalated {sla.escalate_breaches(day)} case(s)")
        else:
            self.stdout.write(f"moved the due date of {sla.recompute_due_dates()} case(s)")
