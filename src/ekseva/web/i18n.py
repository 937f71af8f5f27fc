"""Translation catalogues: find them, compile them with polib, tell when a .mo is stale.

polib does what GNU ``msgfmt`` does for our needs, so a fresh machine needs no
gettext tools to build the ``.mo`` files (we still commit them, so a deployment
needs nothing at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings


@dataclass(frozen=True)
class Catalogue:
    po: Path

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")

    def compiled(self) -> bytes:
        """The .mo bytes polib builds from the .po (fuzzy and empty entries left out)."""
        return polib.pofile(str(self.po)).to_binary()

    def is_current(self) -> bool:
        return self.mo.exists() and self.mo.read_bytes() == self.compiled()


def catalogues() -> list[Catalogue]:
    """Every .po file under ``settings.LOCALE_PATHS``, in a stable order."""
    found: list[Catalogue] = []
    for root in settings.LOCALE_PATHS:
        found.extend(Catalogue(po) for po in sorted(Path(root).glob("*/LC_MESSAGES/*.po")))
    return found


def compile_catalogue(catalogue: Catalogue) -> bool:
    """Write the .mo; return True if its content changed."""
    data = catalogue.compiled()
    if catalogue.mo.exists() and catalogue.mo.read_bytes() == data:
        return False
    catalogue.mo.write_bytes(data)
    return True


def problems(catalogue: Catalogue) -> list[str]:
    """Entries a reader would see untranslated: empty or fuzzy msgstr (obsolete ones ignored)."""
    found = []
    for entry in polib.pofile(str(catalogue.po)):
        if entry.obsolete:
            continue
        if entry.fuzzy:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            found.append(f"untranslated: {entry.msgid!r}")
    return found
