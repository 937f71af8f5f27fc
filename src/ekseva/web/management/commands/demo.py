"""``ekseva demo``: load demonstration data, layer by layer, and print how to sign in.

Each app that has demo data owns a module ``ekseva.<app>.demo`` with a function
``load() -> list[str]`` that is idempotent (a second run creates nothing) and
returns lines for the banner (demo logins, sample numbers). This command only
calls them in layer order.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from django.core.management.base import BaseCommand

# Lowest layer first: a module may rely on the data of the ones before it.
DEMO_MODULES: list[str] = [
    "ekseva.geo.demo",
    "ekseva.accounts.demo",
    "ekseva.catalog.demo",
    "ekseva.payments.demo",
    "ekseva.applications.demo",
    "ekseva.kiosks.demo",
    "ekseva.workflow.demo",
    "ekseva.certificates.demo",
]

HOME_URL = "http://127.0.0.1:8000/en/"


def import_demo_module(name: str) -> ModuleType | None:
    """Import ``name``; None if that module (or its package) does not exist.

    Any other import failure, including a missing module the demo module itself
    imports, is a bug and propagates.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        parts = name.split(".")
        missing = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        if exc.name in missing:
            return None
        raise


def run_demo_modules(names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Call ``load()`` of each existing module in order; return (module, lines) pairs."""
    results = []
    for name in names:
        module = import_demo_module(name)
        if module is None:
            continue
        lines = module.load() or []
        results.append((name, [str(line) for line in lines]))
    return results


class Command(BaseCommand):
    help = "Load demonstration data (idempotent) and print the demo logins."

    def handle(self, *args, **options) -> None:
        results = run_demo_modules(DEMO_MODULES)
        rule = "=" * 64
        self.stdout.write(rule)
        self.stdout.write(self.style.SUCCESS("ekseva demo data is ready"))
        self.stdout.write("Demo logins")
        for name, lines in results:
            self.stdout.write(f"  [{name.split('.')[1]}]")
            for line in lines:
                self.stdout.write(f"    {line}")
        if not results:
            self.stdout.write("    (no app has demo data yet)")
        self.stdout.write(f"Open {HOME_URL}")
        self.stdout.write(rule)
