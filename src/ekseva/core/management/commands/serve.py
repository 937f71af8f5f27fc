"""``ekseva serve``: the production server (gunicorn with ekseva.gunicorn_conf).

    ekseva serve [--bind 0.0.0.0:8000] [--workers N] [--threads N]

Flags override the WEB_* settings of docs/deployment.md; the process becomes
gunicorn (signals, exit code and logs are gunicorn's)."""

from __future__ import annotations

import os
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the portal with gunicorn, sized to this machine (see docs/deployment.md)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", help="address:port (WEB_BIND, default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, help="processes (WEB_WORKERS)")
        parser.add_argument("--threads", type=int, help="threads per process (WEB_THREADS)")

    def handle(self, *args, **options):
        for flag, name in (
            ("bind", "WEB_BIND"),
            ("workers", "WEB_WORKERS"),
            ("threads", "WEB_THREADS"),
        ):
            if options.get(flag):
                os.environ[name] = str(options[flag])
        here = os.path.dirname(sys.executable)
        gunicorn = os.path.join(here, "gunicorn")
        if not os.path.exists(gunicorn):
            gunicorn = shutil.which("gunicorn") or ""
        if not gunicorn:
            raise CommandError("gunicorn is not installed (it is one of ekseva's dependencies).")
        sys.stdout.flush()
        os.execv(gunicorn, [gunicorn, "-c", "python:ekseva.gunicorn_conf"])  # noqa: S606
