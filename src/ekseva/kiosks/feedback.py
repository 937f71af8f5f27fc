"""(being written: see docs/kiosks.md)"""


def register() -> None:
    """Purposes, rules and templates of this area."""
