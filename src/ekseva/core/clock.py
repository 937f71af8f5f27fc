"""The one clock. Every piece of ekseva asks this module for the time, so tests
(and the demo) can move it: deadlines, SLA breaches, OTP expiry, windows.

    from ekseva.core import clock
    clock.now()            # aware datetime (UTC)
    clock.today()          # date in the portal's time zone (Asia/Kolkata)
    with clock.frozen(dt): # time stands still at dt
    clock.advance(days=3)  # inside frozen(): move it on
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

from django.utils import timezone

_state = threading.local()
_global: dict[str, dt.datetime | None] = {"frozen": None}


def _frozen() -> dt.datetime | None:
    return getattr(_state, "frozen", None) or _global["frozen"]


def now() -> dt.datetime:
    """The current time, timezone-aware."""
    frozen = _frozen()
    return frozen if frozen is not None else timezone.now()


def today() -> dt.date:
    """Today's date in the portal's local time zone."""
    return timezone.localtime(now()).date()


def local_now() -> dt.datetime:
    """The current time in the portal's time zone (for display and office hours)."""
    return timezone.localtime(now())


def _aware(moment: dt.datetime | dt.date) -> dt.datetime:
    """A date means 10:00 local time; a naive datetime is local time. Stored in
    UTC, so a frozen ``now()`` looks exactly like a running one."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(10, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC)


@contextlib.contextmanager
def frozen(moment: dt.datetime | dt.date, *, all_threads: bool = False) -> Iterator[None]:
    """Stop the clock at ``moment``. ``all_threads`` also freezes it for other
    threads (for tests that run work in threads)."""
    moment = _aware(moment)
    if all_threads:
        previous = _global["frozen"]
        _global["frozen"] = moment
        try:
            yield
        finally:
            _global["frozen"] = previous
        return
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield
    finally:
        _state.frozen = previous


def advance(**delta: float) -> dt.datetime:
    """Move a frozen clock on by ``datetime.timedelta(**delta)``."""
    step = dt.timedelta(**delta)
    if getattr(_state, "frozen", None) is not None:
        _state.frozen = _state.frozen + step
        return _state.frozen
    if _global["frozen"] is not None:
        _global["frozen"] = _global["frozen"] + step
        return _global["frozen"]
    raise RuntimeError("clock.advance() needs a frozen clock (use clock.frozen())")
