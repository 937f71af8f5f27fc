"""When a version takes applications, to the second by the server clock.

A version's ``availability`` gives dates (the portal's time zone): the form is
open from the start of ``opens`` to the end of ``closes`` (23:59:59.999999),
then in the **late window** (with the late fee) to the end of ``late_until``,
then closed. ``correction`` opens and closes the same way. A version with no
dates is always open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils import timezone

from ekseva.core import clock

END_OF_DAY = dt.time(23, 59, 59, 999999)


class Phase(StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    LATE = "late"
    CLOSED = "closed"


def _start(day: str | None) -> dt.datetime | None:
    if not day:
        return None
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min))


def _end(day: str | None) -> dt.datetime | None:
    if not day:
        return None
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), END_OF_DAY))


@dataclass(frozen=True)
class Window:
    opens: dt.datetime | None
    closes: dt.datetime | None
    late_until: dt.datetime | None
    correction_opens: dt.datetime | None
    correction_closes: dt.datetime | None

    @property
    def last_moment(self) -> dt.datetime | None:
        """The last moment an application can be submitted (late window included)."""
        return self.late_until or self.closes

    def phase(self, at: dt.datetime | None = None) -> Phase:
        at = at or clock.now()
        if self.opens and at < self.opens:
            return Phase.NOT_YET_OPEN
        if self.closes is None or at <= self.closes:
            return Phase.OPEN
        if self.late_until and at <= self.late_until:
            return Phase.LATE
        return Phase.CLOSED

    def correction_open(self, at: dt.datetime | None = None) -> bool:
        at = at or clock.now()
        return bool(
            self.correction_opens
            and self.correction_closes
            and self.correction_opens <= at <= self.correction_closes
        )


def window_of(version: Any) -> Window:
    definition = version if isinstance(version, dict) else version.definition
    availability = definition.get("availability") or {}
    correction = availability.get("correction") or {}
    return Window(
        opens=_start(availability.get("opens")),
        closes=_end(availability.get("closes")),
        late_until=_end(availability.get("late_until")),
        correction_opens=_start(correction.get("opens")),
        correction_closes=_end(correction.get("closes")),
    )
