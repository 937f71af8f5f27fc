"""Demo data for the geo app: the real state, districts and post offices, plus a
few tehsils from a bundled sample LGD export (names real, codes illustrative)."""

from __future__ import annotations

import csv

from . import services
from .models import AdminUnit

SAMPLE_SUBDISTRICTS = services.DATA_DIR / "sample_lgd_subdistricts.csv"


def load() -> list[str]:
    """Seed the state (fast when already done) and the sample tehsils once."""
    lines = services.seed_state().lines()
    with SAMPLE_SUBDISTRICTS.open(encoding="utf-8", newline="") as fh:
        codes = [row["Sub-District Code"] for row in csv.DictReader(fh)]
    present = AdminUnit.objects.filter(kind=AdminUnit.Kind.TEHSIL, lgd_code__in=codes).count()
    if present < len(codes):
        lines += services.import_lgd(SAMPLE_SUBDISTRICTS).lines()
    return lines
