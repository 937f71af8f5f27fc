"""Query budgets of the hot endpoints (issue 8): each page of the deadline surge is
fetched with few rows and with many, and both must stay within ONE budget, so a
query per row (an N+1) fails here before it reaches a benchmark.

``within(budget, fetch)`` runs ``fetch()`` under ``django_assert_max_num_queries``
(savepoints count, on SQLite and PostgreSQL alike) with the cache emptied first, so
the count is the cold one, the most a request can cost. ``PERF_QUERIES=1`` prints
every count (``pytest tests/perf -s``) to set a budget after a page changes;
``PERF_QUERIES=sql`` prints the queries too."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def within(django_assert_max_num_queries, request):
    def check(budget: int, fetch, label: str = ""):
        cache.clear()
        show = os.environ.get("PERF_QUERIES", "")
        with django_assert_max_num_queries(budget) as captured:
            try:
                return fetch()
            finally:
                if show:
                    done = captured.captured_queries
                    name = f"{request.node.name} {label}".strip()
                    print(f"\nQUERIES {len(done):3d} / {budget:3d}  {name}")
                    if show == "sql":
                        for query in done:
                            print("   ", query["sql"][:300])

    return check
