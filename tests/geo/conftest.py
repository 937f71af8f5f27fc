"""Geo fixtures. Most tests seed only a few districts' post offices: the full
10k-office seed runs in the one test that is about it."""

from collections.abc import Callable
from pathlib import Path

import pytest

from ekseva.geo import services

SMALL = ("Bhopal", "Sehore", "Indore")


@pytest.fixture
def seeded(db):
    """State + all 55 districts, post offices of Bhopal, Sehore and Indore."""
    return services.seed_state(limit_districts=SMALL)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a CSV file (text as given, UTF-8) and return its path."""

    def write(text: str, name: str = "lgd.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return write
