"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

import pytest
from django.db import connection

from ekseva.core import clock


@pytest.fixture
def frozen_clock():
    """A clock stopped at 2026-06-15 10:00 IST; move it with clock.advance()."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    moment = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    with clock.frozen(moment, all_threads=True):
        yield clock


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; skip them on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
