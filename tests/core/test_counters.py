"""core.counters: rate-limit counts and single-use claims, on the local-memory cache
(tests) and on Redis (production) when one answers at $REDIS_TEST_URL (default
redis://127.0.0.1:6379/15; keys under a fresh prefix, expiring within minutes,
nothing flushed)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import cache

from ekseva.core import counters

REDIS = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip(f"no Redis at {REDIS}")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
            }
        }
    else:
        cache.clear()  # never on Redis: a fresh key prefix keeps the test apart
    yield request.param


def test_hit_counts_from_one_and_peek_reads_without_counting(backend):
    assert counters.peek("k") == 0
    assert [counters.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert counters.peek("k") == 3
    assert cache.get("k") == 3  # the cache's own key: the cache API reads it


def test_hit_sets_the_expiry_at_the_first_count_only(backend):
    counters.hit("e", 60)
    if backend == "redis":
        from django.core.cache import caches

        client = caches["default"]._cache.get_client()
        name = caches["default"].make_and_validate_key("e")
        first = client.ttl(name)
        counters.hit("e", 600)
        assert 0 < client.ttl(name) <= first  # not pushed back by later counts


def test_a_claim_is_won_once(backend):
    assert counters.claim("c", 60) is True
    assert counters.claim("c", 60) is False
    assert counters.claim("other", 60) is True
