import datetime as dt

import pytest
from django.core.management import call_command
from django.test import override_settings

from ekseva.core.models import AuditEvent
from ekseva.notifications import services
from ekseva.notifications.models import Message, MessageAttempt

from .conftest import ping

pytestmark = pytest.mark.django_db


def _outcomes(message):
    return [(a.number, a.outcome) for a in message.history.order_by("pk")]


def test_deliver_sends_and_records_the_attempt(no_dispatch, backend, frozen_clock):
    message = ping()
    delivered = services.deliver(message.pk)
    assert delivered.status == "sent"
    assert delivered.sent_at == frozen_clock.now()
    assert delivered.attempts == 1
    assert _outcomes(delivered) == [(1, "sent")]
    assert (
        AuditEvent.objects.filter(
            action="notifications.message.sent", object_id=str(message.pk)
        ).count()
        == 1
    )


def test_a_sent_message_is_never_sent_again(no_dispatch, backend):
    message = ping()
    services.deliver(message.pk)
    assert services.deliver(message.pk) is None
    assert services.sweep() == 0
    assert backend.sent == [(message.pk, f"ekseva-{message.pk}")]
    assert Message.objects.get(pk=message.pk).attempts == 1


@override_settings(
    NOTIFY_MAX_ATTEMPTS=6, NOTIFY_RETRY_BASE_SECONDS=60, NOTIFY_RETRY_CAP_SECONDS=600
)
def test_failures_back_off_then_give_up(no_dispatch, backend, frozen_clock):
    backend.failing = "gateway said no"
    message = ping()
    waits = []
    services.deliver(message.pk)
    for _ in range(5):
        message.refresh_from_db()
        assert message.status == "failed"
        wait = message.next_attempt_at - frozen_clock.now()
        waits.append(wait)
        # not due a moment before its time: neither deliver() nor the sweep tries it
        frozen_clock.advance(seconds=wait.total_seconds() - 1)
        assert services.deliver(message.pk) is None
        assert services.sweep() == 0
        frozen_clock.advance(seconds=1)
        assert services.sweep() == 1
    assert waits == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 10)]  # capped at 10
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("dead", 6, "gateway said no")
    assert _outcomes(message) == [(n, "failed") for n in range(1, 6)] + [(6, "dead")]
    frozen_clock.advance(days=1)
    assert services.sweep() == 0  # dead is final
    assert backend.sent == []


def test_a_failure_that_recovers_is_sent_once(no_dispatch, backend, frozen_clock):
    backend.failing = "timeout"
    message = ping()
    services.deliver(message.pk)
    backend.failing = None
    frozen_clock.advance(minutes=1)
    assert services.sweep() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert _outcomes(message) == [(1, "failed"), (2, "sent")]
    assert len(backend.sent) == 1


def test_permanent_failure_is_not_retried(no_dispatch, backend):
    backend.failing, backend.permanent = "no DLT template id", True
    message = services.deliver(ping().pk)
    assert (message.status, message.attempts) == ("dead", 1)


def test_a_crashing_backend_does_not_leave_the_row_claimed(no_dispatch, monkeypatch):
    class Broken:
        def send(self, message, reference):
            raise RuntimeError("bug in backend")

    monkeypatch.setattr(services, "get_backend", lambda channel: Broken())
    message = services.deliver(ping().pk)
    assert message.status == "failed"
    assert "RuntimeError: bug in backend" in message.last_error


def test_sweep_picks_up_queued_rows_whose_task_never_ran(no_dispatch, backend):
    first, second = ping(), ping(recipient="9123456789")
    # no_dispatch swallowed the after-commit tasks, as a crash after commit would
    assert Message.objects.filter(status="queued").count() == 2
    assert services.sweep() == 2
    assert sorted(pk for pk, _ref in backend.sent) == sorted([first.pk, second.pk])
    assert services.sweep() == 0


@override_settings(NOTIFY_SENDING_TIMEOUT_SECONDS=600)
def test_stale_sending_row_is_retried_with_the_same_reference(no_dispatch, backend, frozen_clock):
    message = ping()
    claimed = services._claim(message.pk)  # the worker takes it ...
    backend.send(claimed, claimed.reference)  # ... hands it over, then dies unrecorded
    frozen_clock.advance(minutes=9)
    assert services.sweep() == 0  # it may still be sending
    frozen_clock.advance(minutes=1)
    assert services.sweep() == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert backend.sent == [(message.pk, f"ekseva-{message.pk}")] * 2  # provider dedupes
    assert _outcomes(message) == [(1, "lost"), (2, "sent")]


@override_settings(NOTIFY_MAX_ATTEMPTS=1, NOTIFY_SENDING_TIMEOUT_SECONDS=600)
def test_stale_sending_row_on_the_last_attempt_gives_up(no_dispatch, backend, frozen_clock):
    message = ping()
    services._claim(message.pk)
    frozen_clock.advance(minutes=11)
    assert services.sweep() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 1)
    assert backend.sent == []


@override_settings(NOTIFY_SENDING_TIMEOUT_SECONDS=600)
def test_a_late_failure_does_not_undo_a_newer_try(no_dispatch, backend, frozen_clock):
    message = ping()
    slow = services._claim(message.pk)
    frozen_clock.advance(minutes=11)
    services.sweep()  # re-claimed and sent as attempt 2
    services._record_failure(slow, 1, "the slow first try finally failed", permanent=False)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert _outcomes(message) == [(1, "lost"), (2, "sent"), (1, "failed")]


def test_attempt_history_is_append_only(no_dispatch, backend):
    message = services.deliver(ping().pk)
    attempt = MessageAttempt.objects.get(message=message)
    attempt.error = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        attempt.save()
    with pytest.raises(ValueError, match="append-only"):
        attempt.delete()


def test_sweep_command(no_dispatch, backend, capsys):
    ping()
    call_command("outbox", "sweep")
    assert "dispatched 1 message(s)" in capsys.readouterr().out
    assert Message.objects.get().status == "sent"


def test_sweep_task_is_wired_to_the_beat_schedule(no_dispatch, backend):
    from django.conf import settings

    from ekseva.notifications import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert entry["task"] == tasks.sweep_outbox.name
    ping()
    assert tasks.sweep_outbox.apply().get() == 1
    assert Message.objects.get().status == "sent"
