"""The clock: frozen and advanced time, per thread or for all, dates in IST."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ekseva.core import clock

IST = ZoneInfo("Asia/Kolkata")
PAST = dt.datetime(2001, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _in_thread(func):
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", func()))
    worker.start()
    worker.join()
    return result["value"]


def test_frozen_stops_time_and_releases_it():
    with clock.frozen(PAST.astimezone(IST)):
        assert clock.now() == PAST
        assert clock.now().tzinfo is dt.UTC  # like a running clock
        assert clock.now() == PAST
    assert clock.now() > PAST + dt.timedelta(days=365)


def test_advance_moves_a_frozen_clock():
    with clock.frozen(PAST):
        moved = clock.advance(days=2, hours=3)
        assert moved == PAST + dt.timedelta(days=2, hours=3)
        assert clock.now() == moved
        clock.advance(minutes=-30)
        assert clock.now() == PAST + dt.timedelta(days=2, hours=2, minutes=30)


def test_advance_refuses_a_running_clock():
    with pytest.raises(RuntimeError, match="frozen"):
        clock.advance(days=1)


def test_a_date_freezes_at_ten_in_the_morning_local_time():
    with clock.frozen(dt.date(2026, 1, 26)):
        assert clock.local_now() == dt.datetime(2026, 1, 26, 10, 0, tzinfo=IST)
        assert clock.today() == dt.date(2026, 1, 26)


def test_a_naive_datetime_is_read_as_local_time():
    with clock.frozen(dt.datetime(2026, 8, 15, 9, 0)):
        assert clock.now() == dt.datetime(2026, 8, 15, 3, 30, tzinfo=dt.UTC)
        assert timezone.is_aware(clock.now())


def test_thread_local_freeze_is_invisible_to_other_threads():
    with clock.frozen(PAST):
        assert clock.now() == PAST
        assert _in_thread(clock.now) > PAST + dt.timedelta(days=365)


def test_all_threads_freeze_is_seen_and_advanced_everywhere():
    with clock.frozen(PAST, all_threads=True):
        assert _in_thread(clock.now) == PAST
        _in_thread(lambda: clock.advance(hours=1))
        assert clock.now() == PAST + dt.timedelta(hours=1)
    assert _in_thread(clock.now) > PAST + dt.timedelta(days=365)


def test_a_thread_local_freeze_inside_a_global_one_wins_here_only():
    later = PAST + dt.timedelta(days=10)
    with clock.frozen(PAST, all_threads=True):
        with clock.frozen(later):
            assert clock.now() == later
            assert _in_thread(clock.now) == PAST
        assert clock.now() == PAST


def test_frozen_clock_fixture_is_ist_morning(frozen_clock):
    assert clock.local_now() == dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST)
    assert _in_thread(clock.today) == dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("utc", "ist_date"),
    [
        (dt.datetime(2026, 6, 14, 18, 29, 59, 999999, tzinfo=dt.UTC), dt.date(2026, 6, 14)),
        (dt.datetime(2026, 6, 14, 18, 30, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
        # Past midnight in India, still the 14th in UTC.
        (dt.datetime(2026, 6, 14, 23, 0, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
        # Past midnight UTC (05:30 IST): both say the 15th.
        (dt.datetime(2026, 6, 15, 0, 0, tzinfo=dt.UTC), dt.date(2026, 6, 15)),
        # New Year's Eve in UTC is New Year's Day in India.
        (dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC), dt.date(2026, 1, 1)),
    ],
)
def test_today_is_the_date_in_india(utc, ist_date):
    with clock.frozen(utc):
        assert clock.today() == ist_date
        assert clock.local_now().utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_today_turns_over_at_ist_midnight_when_advanced():
    with clock.frozen(dt.datetime(2026, 3, 31, 23, 59, tzinfo=IST)):
        assert clock.today() == dt.date(2026, 3, 31)
        clock.advance(minutes=1)
        assert clock.today() == dt.date(2026, 4, 1)
        assert clock.now().date() == dt.date(2026, 3, 31)  # 18:30 UTC
