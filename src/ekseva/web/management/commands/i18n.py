"""``ekseva i18n compile`` and ``ekseva i18n check``: translations without GNU gettext."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekseva.web import i18n


class Command(BaseCommand):
    help = "Compile .po catalogues under LOCALE_PATHS to .mo with polib, or check they are current."
    # Translations must build even while some app's code is broken.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("compile", help="write every .mo from its .po")
        sub.add_parser("check", help="fail if a .mo is stale or a .po has empty or fuzzy entries")

    def handle(self, *args, action: str, **options) -> None:
        catalogues = i18n.catalogues()
        if not catalogues:
            raise CommandError("no .po files found under LOCALE_PATHS")
        if action == "compile":
            for catalogue in catalogues:
                changed = i18n.compile_catalogue(catalogue)
                state = "compiled" if changed else "unchanged"
                self.stdout.write(f"{state}: {catalogue.mo}")
            return
        failures = []
        for catalogue in catalogues:
            if not catalogue.is_current():
                failures.append(f"{catalogue.mo}: stale, run `ekseva i18n compile`")
            failures.extend(f"{catalogue.po}: {p}" for p in i18n.problems(catalogue))
        if failures:
            raise CommandError("\n".join(failures))
        done = f"{len(catalogues)} catalogue(s) complete and compiled"
        self.stdout.write(self.style.SUCCESS(done))
