"""(being written: see docs/certificates.md)"""


def register() -> None:
    """Hook the issue of certificates onto approval."""
