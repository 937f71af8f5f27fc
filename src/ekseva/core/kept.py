"""Values kept per process: rendered fragments that are the same for everyone who
asks with the same key (a form's empty fields, a verdict, the page shell's menu).

The key must hold everything the value shows (language, URLconf, the record's
state), so a change is a new key and shows at once. At most ``limit`` values are
kept; when full, all are forgotten (the keys are few in practice: this only bounds
what odd requests can grow the memory to). Safe across a worker's threads: two
threads may make the same value once each, and either is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[Hashable, T] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept under ``key``, made (and kept) the first time."""
        found = self._values.get(key)
        if found is None:
            found = make()
            with self._lock:
                if len(self._values) >= self.limit:
                    self._values.clear()
                self._values[key] = found
        return found

    def clear(self, **_signal_kwargs) -> None:
        """Forget every value (also usable as a ``setting_changed`` receiver)."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
