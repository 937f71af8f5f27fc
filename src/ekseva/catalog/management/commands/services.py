"""``ekseva services check PATH...`` and ``ekseva services load PATH...``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekseva.catalog import loader


class Command(BaseCommand):
    help = "Check or load service definitions (YAML files or folders of them)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="report every problem; exit 1 if there is any")
        check.add_argument("paths", nargs="+")
        load = sub.add_parser("load", help="check, then store what changed")
        load.add_argument("paths", nargs="+")

    def handle(self, *args, action: str, paths: list[str], **options) -> None:
        if action == "check":
            files = loader.check_paths(paths)
            problems = [str(p) for f in files for p in f.problems]
            for line in problems:
                self.stderr.write(line)
            if problems:
                raise CommandError(
                    f"{len(problems)} problem(s) in "
                    f"{sum(1 for f in files if f.problems)} of {len(files)} file(s)"
                )
            self.stdout.write(f"{len(files)} file(s) checked, no problems")
            return
        changes, problems = loader.load_paths(paths)
        for line in changes:
            self.stdout.write(line)
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s); those files were not loaded")
