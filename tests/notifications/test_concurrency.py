"""Races that only a real database with row locks can show (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections, transaction

from ekseva.notifications import services
from ekseva.notifications.models import Message

from .conftest import ping

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(count, work):
    """Run ``work()`` in ``count`` threads released together; return results and errors."""
    start = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(work())
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_concurrent_deliveries_send_once(no_dispatch, backend):
    message = ping()
    results, errors = _in_threads(8, lambda: services.deliver(message.pk))
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert backend.sent == [(message.pk, f"ekseva-{message.pk}")]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.history.count()) == ("sent", 1, 1)


def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(no_dispatch, backend):
    message = ping()
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Message.objects.select_for_update().get(pk=message.pk)
                locked.set()
                release.wait()
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    locked.wait()
    try:
        assert connection.features.has_select_for_update_skip_locked
        assert services.deliver(message.pk) is None  # returns at once: skip_locked
        assert backend.sent == []
    finally:
        release.set()
        worker.join()
    assert services.deliver(message.pk).status == "sent"


def test_concurrent_queue_with_one_dedupe_key_makes_one_row(no_dispatch):
    results, errors = _in_threads(6, lambda: ping(dedupe_key="otp:9876543210:race").pk)
    assert errors == []
    assert len(set(results)) == 1
    assert Message.objects.filter(dedupe_key="otp:9876543210:race").count() == 1
