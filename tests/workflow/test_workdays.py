"""Working-day arithmetic (core.workdays) as the time limits use it: properties over
a wide range of days, limits and Saturday rules, and worked examples across Diwali,
Independence Day, Christmas and the turn of the year, with the state's public
holidays (the ``holidays`` package, Madhya Pradesh) and holidays staff add."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ekseva.core import clock, workdays
from ekseva.workflow.models import Holiday

pytestmark = pytest.mark.django_db

D = dt.date
ONE = dt.timedelta(days=1)
SATURDAY_RULES = ([], [2, 4], [1, 2, 3, 4, 5])

days = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 10, 31))
limits = st.integers(min_value=0, max_value=60)
rules = st.sampled_from(SATURDAY_RULES)
examples = hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def oracle(day: dt.date, saturdays: list[int]) -> bool:
    """A working day, said independently of the kernel: not a Sunday, not a closed
    Saturday (the n-th Saturday of its month), not a holiday of its year."""
    if day.weekday() == 6:
        return False
    if day.weekday() == 5 and (day.day + 6) // 7 in saturdays:
        return False
    return day not in workdays.holidays_in(day.year)


def working_days_in(start: dt.date, end: dt.date, saturdays: list[int]) -> int:
    """Working days in (start, end], counted one by one."""
    return sum(
        1
        for k in range(1, (end - start).days + 1)
        if oracle(start + dt.timedelta(days=k), saturdays)
    )


# --------------------------------------------------------------------------- properties


@examples
@given(start=days, n=limits, saturdays=rules)
@example(start=D(2026, 12, 24), n=6, saturdays=[2, 4])  # across the new year
@example(start=D(2026, 8, 14), n=1, saturdays=[])  # Independence Day on a Saturday
def test_the_nth_working_day_is_a_working_day_with_exactly_n_before_it(start, n, saturdays):
    with override_settings(WORKDAYS_SATURDAYS_OFF=saturdays):
        due = workdays.add_working_days(start, n)
        assert due >= start
        if n == 0:
            assert due == start
            return
        assert workdays.is_working_day(due) and oracle(due, saturdays)
        # exactly n working days in (start, due], and the n-th is the last of them
        assert working_days_in(start, due, saturdays) == n
        assert working_days_in(start, due - ONE, saturdays) == n - 1
        assert workdays.working_days_between(start, due) == n


@examples
@given(start=days, n=limits, m=limits, saturdays=rules)
def test_more_working_days_end_later(start, n, m, saturdays):
    with override_settings(WORKDAYS_SATURDAYS_OFF=saturdays):
        a, b = sorted((n, m))
        first, second = workdays.add_working_days(start, a), workdays.add_working_days(start, b)
        assert first <= second
        assert (first == second) == (a == b)
        # counting on from the a-th working day reaches the b-th
        assert workdays.add_working_days(first, b - a) == second


@examples
@given(start=days, n=limits)
def test_a_calendar_time_limit_is_plain_day_arithmetic(start, n):
    assert workdays.due_date(start, n, "calendar") == start + dt.timedelta(days=n)
    assert workdays.due_date(start, n, "working") == workdays.add_working_days(start, n)


@examples
@given(start=days, end=days, saturdays=rules)
def test_working_days_between_counts_the_working_days_after_start_up_to_end(start, end, saturdays):
    with override_settings(WORKDAYS_SATURDAYS_OFF=saturdays):
        if end <= start:
            assert workdays.working_days_between(start, end) == 0
        elif (end - start).days <= 120:
            assert workdays.working_days_between(start, end) == working_days_in(
                start, end, saturdays
            )


@examples
@given(start=days, n=st.integers(min_value=1, max_value=40), offset=st.integers(0, 60))
def test_a_holiday_staff_add_within_the_limit_moves_the_due_date_one_working_day(start, n, offset):
    before = workdays.add_working_days(start, n)
    day = start + dt.timedelta(days=offset)
    inside = start < day <= before and workdays.is_working_day(day)
    holiday = Holiday.objects.create(date=day, name_en="Local", created_at=clock.now())
    workdays.forget()
    try:
        after = workdays.add_working_days(start, n)
        if inside:
            assert after == workdays.add_working_days(before, 1) and after > before
        else:
            assert after == before
        assert not workdays.is_working_day(day)
    finally:
        holiday.delete()
        workdays.forget()
    assert workdays.add_working_days(start, n) == before


def test_negative_limits_are_refused():
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 6, 15), -1)


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("start", "n", "saturdays", "due"),
    [
        # Diwali 2025 is Monday 20 October, Govardhan Puja Wednesday 22 October
        (D(2025, 10, 17), 1, [], D(2025, 10, 18)),
        (D(2025, 10, 17), 2, [], D(2025, 10, 21)),
        (D(2025, 10, 17), 1, [1, 2, 3, 4, 5], D(2025, 10, 21)),
        (D(2025, 10, 17), 3, [], D(2025, 10, 23)),
        # Diwali 2026 falls on Sunday 8 November; Govardhan Puja is Tuesday 10 November
        (D(2026, 11, 6), 2, [], D(2026, 11, 9)),
        (D(2026, 11, 6), 3, [], D(2026, 11, 11)),
        # Saturday 7 November 2026 is the first Saturday: open unless every Saturday is off
        (D(2026, 11, 6), 1, [2, 4], D(2026, 11, 7)),
        (D(2026, 11, 6), 1, [1, 2, 3, 4, 5], D(2026, 11, 9)),
        # Independence Day 2025 (Friday) and Janmashtami the next day (Saturday 16 August)
        (D(2025, 8, 14), 1, [], D(2025, 8, 18)),
        # Independence Day 2026 is a Saturday
        (D(2026, 8, 14), 1, [], D(2026, 8, 17)),
        # Christmas 2026 (Friday); Saturday 26 December is the fourth Saturday
        (D(2026, 12, 24), 1, [], D(2026, 12, 26)),
        (D(2026, 12, 24), 1, [2, 4], D(2026, 12, 28)),
        # 31 December into January
        (D(2026, 12, 24), 5, [], D(2026, 12, 31)),
        (D(2026, 12, 24), 6, [], D(2027, 1, 1)),
        (D(2026, 12, 31), 2, [], D(2027, 1, 2)),
        (D(2026, 12, 31), 2, [1, 2, 3, 4, 5], D(2027, 1, 4)),
        # the back office's service: 10 working days from Monday 15 June 2026, across
        # Sunday 21 and Muharram (Friday 26 June)
        (D(2026, 6, 15), 10, [], D(2026, 6, 27)),
        (D(2026, 6, 15), 10, [2, 4], D(2026, 6, 29)),
        # February's end, in a leap year and not
        (D(2027, 2, 26), 1, [], D(2027, 2, 27)),
        (D(2028, 2, 26), 2, [], D(2028, 2, 29)),
    ],
)
def test_worked_examples(start, n, saturdays, due, settings):
    settings.WORKDAYS_SATURDAYS_OFF = saturdays
    assert workdays.add_working_days(start, n) == due
    assert workdays.working_days_between(start, due) == n


@pytest.mark.parametrize(("saturdays", "count"), [([], 25), ([2, 4], 23), ([1, 2, 3, 4, 5], 20)])
def test_january_2027_has_these_working_days(saturdays, count, settings):
    # five Sundays, five Saturdays, Republic Day on Tuesday 26 January
    settings.WORKDAYS_SATURDAYS_OFF = saturdays
    assert workdays.working_days_between(D(2026, 12, 31), D(2027, 1, 31)) == count


def test_the_package_knows_the_states_holidays_by_name_in_both_languages():
    names = workdays.named_holidays(2026, "en")
    assert names[D(2026, 8, 15)] == "Independence Day"
    assert names[D(2026, 11, 8)].startswith("Diwali")
    assert workdays.named_holidays(2026, "hi")[D(2026, 8, 15)] == "स्वतंत्रता दिवस"
    assert set(names) <= workdays.holidays_in(2026)


def test_the_saturday_rule_is_read_live_but_staff_holidays_are_cached_until_forget(settings):
    second_saturday = D(2026, 6, 13)
    settings.WORKDAYS_SATURDAYS_OFF = []
    assert workdays.is_working_day(second_saturday)
    settings.WORKDAYS_SATURDAYS_OFF = [2, 4]  # no forget() needed: read on every call
    assert not workdays.is_working_day(second_saturday)
    assert workdays.is_working_day(D(2026, 6, 20))  # the third
    settings.WORKDAYS_SATURDAYS_OFF = []

    monday = D(2026, 6, 22)
    assert workdays.is_working_day(monday)
    Holiday.objects.create(date=monday, name_en="Local", created_at=clock.now())
    assert workdays.is_working_day(monday)  # the year's holidays are cached...
    workdays.forget()
    assert not workdays.is_working_day(monday)  # ...until forgotten
