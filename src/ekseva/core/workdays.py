"""Working days: what a time limit of "30 working days" means.

A working day is a day that is not a Sunday and not a public holiday of the
state (the ``holidays`` package: national holidays plus the state's own, for
``EKSEVA_STATE_CODE``). Saturdays count as working days; a state that closes
its offices on some Saturdays sets that in ``WORKDAYS_SATURDAYS_OFF`` (e.g.
``2,4`` for the second and fourth Saturday). Used for due dates now and for
the Lok Sewa Guarantee time limits of the back office.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    try:
        table = holidays.country_holidays("IN", subdiv=settings.EKSEVA_STATE_CODE, years=year)
    except NotImplementedError:
        table = holidays.country_holidays("IN", years=year)
    return frozenset(table.keys())


# Higher apps add holidays the package does not know (a local holiday staff
# declare): (year) -> set of dates. ``forget()`` after they change.
_sources: list[Callable[[int], frozenset[dt.date]]] = []


def register_holiday_source(source: Callable[[int], frozenset[dt.date]]) -> None:
    if source not in _sources:
        _sources.append(source)
        forget()


@lru_cache(maxsize=64)
def _all_holidays(year: int) -> frozenset[dt.date]:
    days = set(_holidays(year))
    for source in _sources:
        days |= set(source(year))
    return frozenset(days)


@lru_cache(maxsize=16)
def _named(year: int, language: str) -> tuple[tuple[dt.date, str], ...]:
    code = "hi" if language == "hi" else "en_IN"
    try:
        table = holidays.country_holidays(
            "IN", subdiv=settings.EKSEVA_STATE_CODE, years=year, language=code
        )
    except NotImplementedError:
        table = holidays.country_holidays("IN", years=year, language=code)
    return tuple(sorted(table.items()))


def named_holidays(year: int, language: str = "en") -> dict[dt.date, str]:
    """The package's public holidays of ``year`` with their names in ``language``
    ("en" or "hi"); the registered sources' days are not in it (they name their own)."""
    return dict(_named(year, language))


def forget() -> None:
    """Drop the cached holidays (after staff add or remove one)."""
    _all_holidays.cache_clear()


def holidays_in(year: int) -> frozenset[dt.date]:
    """Every public holiday of ``year``: the package's and the registered sources'."""
    return _all_holidays(year)


def is_working_day(day: dt.date) -> bool:
    if day.weekday() == 6:
        return False
    if day.weekday() == 5 and (day.day - 1) // 7 + 1 in settings.WORKDAYS_SATURDAYS_OFF:
        return False
    return day not in _all_holidays(day.year)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def due_date(start: dt.date, days: int, kind: str) -> dt.date:
    """The due date of a time limit of ``days`` of ``kind`` ("working" or "calendar")."""
    if kind == "working":
        return add_working_days(start, days)
    return start + dt.timedelta(days=days)
