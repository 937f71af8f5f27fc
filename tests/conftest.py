"""Shared fixtures. App-specific fixtures live in tests/<app>/conftest.py."""

import pytest
from django.db import connection

from ekseva.core import clock


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request to /hi/ through the test
    client leaves Hindi active in the thread, and reverse() would then build /hi/ URLs
    for whichever test runs next on that worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_holidays():
    """Holidays staff add live in the database; a rolled-back test must not leave
    them in the working-day cache for the next one."""
    from ekseva.core import workdays

    workdays.forget()
    yield
    workdays.forget()


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
