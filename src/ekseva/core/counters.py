"""Rate-limit counters and single-use claims in the cache, in one round trip each.

Django's ``RedisCache`` spends two round trips on ``add`` + ``incr`` (its ``incr``
asks ``EXISTS`` first), and builds a new ``redis.Redis`` client object for every
call (a copy of ~170 response callbacks: about as much CPU as the round trip).
With Redis as the cache (production), these keep one client per process and send:

- ``hit(key, timeout)``: ``SET … NX EX`` + ``INCR`` in one pipeline: the count
  including this one, the key expiring ``timeout`` seconds after its first count;
- ``claim(key, timeout)``: ``SET … NX EX``: True for the first claim only;
- ``peek(key)``: ``GET``: the count so far.

Keys are the cache's own (``KEY_PREFIX``, version), so ``cache.get`` reads them.
With any other cache (tests: local memory) they fall back to the cache API.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

_lock = threading.Lock()
_clients: dict[int, tuple[Any, Any]] = {}


def _redis() -> tuple[Any, Any] | None:
    """(backend, its redis client), one per process and cache backend; None when
    the cache is not Redis."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    found = _clients.get(id(backend))
    if found is None or found[0] is not backend:
        found = (backend, backend._cache.get_client(write=True))
        with _lock:
            _clients[id(backend)] = found
    return found


def hit(key: str, timeout: int) -> int:
    """Count one more under ``key``; the count including this one."""
    redis = _redis()
    if redis is None:
        cache.add(key, 0, timeout=timeout)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
    backend, client = redis
    name = backend.make_and_validate_key(key)
    pipe = client.pipeline(transaction=False)
    pipe.set(name, 0, ex=timeout, nx=True)  # the first count starts the key's clock
    pipe.incr(name)
    _, count = pipe.execute()
    return int(count)


def claim(key: str, timeout: int) -> bool:
    """True for the first claim of ``key`` within ``timeout`` seconds, False after."""
    redis = _redis()
    if redis is None:
        return bool(cache.add(key, 1, timeout=timeout))
    backend, client = redis
    return bool(client.set(backend.make_and_validate_key(key), 1, ex=timeout, nx=True))


def peek(key: str) -> int:
    """The count under ``key`` (0 when none), without counting."""
    redis = _redis()
    if redis is None:
        return int(cache.get(key, 0) or 0)
    backend, client = redis
    value = client.get(backend.make_and_validate_key(key))
    return int(value) if value is not None else 0
