"""The audit log: what record() writes, how sealing chains, and that verify()
and ``ekseva audit verify`` catch every kind of tampering by raw SQL."""

import datetime as dt
import io
import itertools
import threading
from contextlib import redirect_stderr
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, transaction

from ekseva.core import audit, clock
from ekseva.core.models import AuditEvent, AuditSeal, IdentifierSequence

EVENTS = AuditEvent._meta.db_table
SEALS = AuditSeal._meta.db_table


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("auditor-1", password="not-a-real-pass-1")


@pytest.fixture
def context():
    yield audit.set_request_context
    audit.clear_request_context()


@pytest.fixture
def chain(db, frozen_clock):
    """Five sealed events; returns their ids in position order."""
    ids = []
    for n in range(1, 6):
        event = audit.record(
            "test.changed",
            object_type="test.thing",
            object_id=n,
            before={"n": n},
            after={"n": n + 1},
        )
        ids.append(event.pk)
        clock.advance(seconds=1)
    assert audit.seal_pending() == 5
    assert audit.verify() == (5, None)
    return ids


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify_fails(*expected: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    message = str(caught.value)
    for part in expected:
        assert part in message
    return message


# --- writing -----------------------------------------------------------------------


def test_record_writes_actor_object_ip_request_id_before_after(user, context, frozen_clock):
    context(ip="10.1.2.3", request_id="req-42", user=None)
    thing = IdentifierSequence.objects.create(key="AUDITED")
    event = audit.record(
        "core.thing.renamed",
        actor=user,
        obj=thing,
        before={"key": "OLD"},
        after={"key": "AUDITED", "when": dt.date(2026, 6, 15), "fee": Decimal("10.50")},
    )
    event.refresh_from_db()
    assert event.actor_id == user.pk and event.actor_label == "auditor-1"
    assert (event.object_type, event.object_id) == ("core.identifiersequence", str(thing.pk))
    assert (event.ip, event.request_id) == ("10.1.2.3", "req-42")
    assert event.before == {"key": "OLD"}
    assert event.after == {"key": "AUDITED", "when": "2026-06-15", "fee": "10.50"}
    assert event.at == clock.now()
    assert event.digest == audit.event_digest(event)


def test_record_many_writes_what_record_writes_in_one_insert(
    user, context, frozen_clock, django_assert_max_num_queries
):
    context(ip="10.1.2.3", request_id="req-44", user=user)
    specs = [
        {"action": "test.one", "object_type": "t", "object_id": 1, "after": {"n": 1}},
        {"action": "test.two", "object_type": "t", "object_id": 2, "before": {"n": 1}},
    ]
    with django_assert_max_num_queries(
        1 if connection.features.can_return_rows_from_bulk_insert else 2
    ):
        events = audit.record_many(specs)
    assert all(e.pk for e in events)
    stored = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in stored] == ["test.one", "test.two"]
    for event in stored:
        assert (event.actor_id, event.ip, event.request_id) == (user.pk, "10.1.2.3", "req-44")
        assert event.digest == audit.event_digest(event)
    assert audit.record_many([]) == []
    assert audit.seal_pending() == 2
    assert audit.verify() == (2, None)


def test_record_takes_the_actor_from_the_request_and_explicit_ip_wins(user, context):
    context(ip="10.1.2.3", request_id="req-43", user=user)
    event = audit.record("test.x", object_type="t", object_id=1, ip="192.0.2.9")
    assert (event.actor_id, event.ip, event.request_id) == (user.pk, "192.0.2.9", "req-43")


def test_anonymous_and_absent_actors_are_the_system(db, context):
    context(ip=None, request_id="", user=AnonymousUser())
    assert audit.record("test.x").actor_id is None
    audit.clear_request_context()
    event = audit.record("test.y")
    assert (event.actor_id, event.actor_label, event.ip, event.request_id) == (
        None,
        "system",
        None,
        "",
    )


@pytest.mark.parametrize("junk", ["unknown", "", "10.0.0.300"])
def test_a_garbled_address_is_recorded_as_none(db, junk):
    assert audit.record("test.ip", ip=junk).ip is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [("192.0.2.1", "192.0.2.1"), ("2001:0DB8:0:0::0001", "2001:db8::1"), ("::ffff:1.2.3.4", None)],
)
def test_addresses_are_normalised_and_the_digest_survives_the_round_trip(db, given, stored):
    event = audit.record("test.ip", ip=given)
    event.refresh_from_db()
    assert event.ip == (stored or event.ip)  # IPv4-mapped spelling is the database's choice
    assert audit.event_digest(event) == event.digest


def test_digest_is_stable_across_the_database_round_trip(db):
    tricky = {"नाम": "राम", "nested": {"z": [1, 2.5, None], "a": True}, "big": 2**62}
    event = audit.record("test.tricky", object_id="x" * 64, before=tricky, after={"b": 1, "a": 2})
    reloaded = AuditEvent.objects.get(pk=event.pk)
    assert audit.event_digest(reloaded) == event.digest


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "x" * 81},
        {"action": "t", "object_id": "9" * 65},
        {"action": "t", "after": {"v": float("nan")}},
    ],
)
def test_record_refuses_what_a_database_would_refuse(db, kwargs):
    with pytest.raises(ValueError):
        audit.record(**kwargs)
    assert not AuditEvent.objects.exists()


# --- sealing -------------------------------------------------------------------------


def test_seal_pending_chains_events_in_order(db, frozen_clock):
    first = [audit.record("test.a", object_id=n).pk for n in range(3)]
    assert audit.seal_pending() == 3
    assert audit.seal_pending() == 0
    later = [audit.record("test.b", object_id=n).pk for n in range(4)]
    assert audit.seal_pending(batch=3) == 4  # more than one batch
    seals = list(AuditSeal.objects.order_by("position"))
    assert [seal.position for seal in seals] == [1, 2, 3, 4, 5, 6, 7]
    assert [seal.event_id for seal in seals] == first + later
    assert seals[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.chain_hash for a, b in itertools.pairwise(seals))
    assert audit.head() == (7, seals[-1].chain_hash)
    assert audit.verify() == (7, None)


def test_a_committed_event_is_sealed_right_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = audit.record("test.committed")
    assert AuditSeal.objects.get(event=event).position == 1


def test_a_rolled_back_event_leaves_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled_back")
        raise RuntimeError
    assert audit.seal_pending() == 0
    assert audit.verify() == (0, None)


def test_empty_log_verifies(db):
    assert audit.verify() == (0, None)
    assert audit.head() == (0, audit.GENESIS)


# --- verify: the command and each kind of tampering ----------------------------------


def test_command_reports_an_intact_chain(chain):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 5 link(s)" in out.getvalue()
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    assert out.getvalue().strip() == "5:" + AuditSeal.objects.get(position=5).chain_hash


def test_command_line_exits_non_zero_on_a_broken_chain(chain):
    _sql(f"UPDATE {EVENTS} SET action = 'test.forged' WHERE id = %s", [chain[1]])
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as exited:
        execute_from_command_line(["ekseva", "audit", "verify"])
    assert exited.value.code == 1
    assert f"position 2, event {chain[1]}" in err.getvalue()


def test_event_edited_by_raw_update(chain):
    _sql(f"UPDATE {EVENTS} SET action = 'test.forged' WHERE id = %s", [chain[2]])
    _verify_fails("after 2 good link(s)", f"position 3, event {chain[2]}", "edited")


def test_event_edited_with_its_digest_recomputed(chain):
    forged = AuditEvent.objects.get(pk=chain[2])
    forged.object_id = "999"
    _sql(
        f"UPDATE {EVENTS} SET object_id = '999', digest = %s WHERE id = %s",
        [audit.event_digest(forged), chain[2]],
    )
    _verify_fails(f"position 3, event {chain[2]}", "link hash does not match")


def test_event_deleted_with_its_seal(chain):
    _sql(f"DELETE FROM {SEALS} WHERE event_id = %s", [chain[1]])
    _sql(f"DELETE FROM {EVENTS} WHERE id = %s", [chain[1]])
    _verify_fails("after 1 good link(s)", "position 2", "link missing")


def test_event_deleted_leaving_its_seal(chain):
    _sql(f"DELETE FROM {EVENTS} WHERE id = %s", [chain[3]])
    _verify_fails(f"position 4, event {chain[3]}", "deleted")


def test_events_reordered_by_swapping_their_seals(chain):
    a, b = chain[1], chain[2]
    _sql(f"UPDATE {SEALS} SET event_id = -1 WHERE event_id = %s", [a])
    _sql(f"UPDATE {SEALS} SET event_id = %s WHERE event_id = %s", [a, b])
    _sql(f"UPDATE {SEALS} SET event_id = %s WHERE event_id = -1", [b])
    _verify_fails(f"position 2, event {b}", "re-ordered")


def test_events_reordered_by_swapping_seal_positions(chain):
    _sql(f"UPDATE {SEALS} SET position = -2 WHERE position = 2")
    _sql(f"UPDATE {SEALS} SET position = 2 WHERE position = 3")
    _sql(f"UPDATE {SEALS} SET position = 3 WHERE position = -2")
    _verify_fails(f"position 2, event {chain[2]}", "does not follow")


def test_events_reordered_by_swapping_their_content(chain):
    a, b = chain[1], chain[2]  # exchanging ids exchanges every other column
    _sql(f"UPDATE {EVENTS} SET id = -1 WHERE id = %s", [a])
    _sql(f"UPDATE {EVENTS} SET id = %s WHERE id = %s", [a, b])
    _sql(f"UPDATE {EVENTS} SET id = %s WHERE id = -1", [b])
    assert AuditEvent.objects.get(pk=a).object_id == "3"  # content of the 3rd, id of the 2nd
    _verify_fails(f"position 2, event {a}", "link hash does not match")


def test_event_inserted_without_a_seal(chain):
    forged = AuditEvent(
        at=clock.now() - dt.timedelta(hours=1),
        actor_label="system",
        action="test.backdated",
        object_type="test.thing",
        object_id="77",
        request_id="",
    )
    forged.digest = audit.event_digest(forged)
    _sql(
        f"INSERT INTO {EVENTS} "
        "(at, actor_label, action, object_type, object_id, request_id, digest) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [
            connection.ops.adapt_datetimefield_value(forged.at),
            *("system", "test.backdated", "test.thing", "77", "", forged.digest),
        ],
    )
    inserted = AuditEvent.objects.get(action="test.backdated").pk
    _verify_fails("after 5 good link(s)", f"unsealed, event {inserted}", "not in the chain")


def test_an_event_younger_than_the_horizon_may_wait_for_its_seal(chain):
    audit.record("test.just_now")
    assert audit.verify() == (5, None)
    clock.advance(minutes=11)
    _, problem = audit.verify()
    assert problem is not None and problem.position is None
    audit.seal_pending()
    assert audit.verify() == (6, None)


@pytest.mark.parametrize("column", ["chain_hash", "prev_hash"])
def test_seal_hash_edited(chain, column):
    _sql(f"UPDATE {SEALS} SET {column} = %s WHERE position = 3", ["f" * 64])
    _verify_fails(f"position 3, event {chain[2]}")


def test_seal_time_edited(chain):
    moved = connection.ops.adapt_datetimefield_value(clock.now() - dt.timedelta(days=1))
    _sql(f"UPDATE {SEALS} SET sealed_at = %s WHERE position = 4", [moved])
    _verify_fails(f"position 4, event {chain[3]}", "link hash does not match")


def test_a_cut_off_tail_is_caught_only_against_an_anchor(chain):
    """Unkeyed, the chain cannot know its own length: a head written down elsewhere can."""
    position, chain_hash = audit.head()
    for event_id in chain[3:]:
        _sql(f"DELETE FROM {SEALS} WHERE event_id = %s", [event_id])
        _sql(f"DELETE FROM {EVENTS} WHERE id = %s", [event_id])
    assert audit.verify() == (3, None)
    with pytest.raises(CommandError, match=r"position 4.*tail removed"):
        call_command("audit", "verify", "--anchor", f"{position}:{chain_hash}")


def test_an_anchor_that_no_longer_matches(chain):
    with pytest.raises(CommandError, match=r"position 2.*anchor"):
        call_command("audit", "verify", "--anchor", "2:" + "a" * 64)
    call_command("audit", "verify", "--anchor", "2:" + AuditSeal.objects.get(position=2).chain_hash)


def test_a_malformed_anchor_is_refused(chain):
    with pytest.raises(CommandError, match="POSITION:HASH"):
        call_command("audit", "verify", "--anchor", "two:abc")


def test_seal_command(db):
    audit.record("test.pending")
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert "sealed 1 event(s)" in out.getvalue()


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_writers_and_concurrent_sealing_keep_one_chain():
    writers, each = 8, 25
    errors: list[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(writers + 1)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction.atomic():  # each commit also seals (eager task)
                    audit.record("test.concurrent", object_type="w", object_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def seal() -> None:
        try:
            start.wait()
            while not done.is_set():
                audit.seal_pending(batch=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    sealer = threading.Thread(target=seal)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in [sealer, *threads]:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    sealer.join()
    assert errors == []
    audit.seal_pending()
    total = writers * each
    assert AuditEvent.objects.count() == total
    positions = list(AuditSeal.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, total + 1))
    assert AuditSeal.objects.values("event_id").distinct().count() == total
    assert audit.verify(dt.timedelta(0)) == (total, None)


def test_a_routine_seal_looks_back_a_bounded_range_and_a_full_one_everywhere(db):
    """A routine seal looks only at ids near the head (its cost does not grow with
    the log); an event committed very late below that range waits for the full sweep."""
    from types import SimpleNamespace

    from ekseva.core import audit as audit_module

    straggler = audit_module.record("test.late-commit")
    head = SimpleNamespace(event_id=straggler.pk + audit_module.SEAL_LOOKBACK_IDS + 1)
    assert straggler not in audit_module._candidates(head, full=False)
    assert straggler in audit_module._candidates(head, full=True)
    assert straggler in audit_module._candidates(None, full=False)
    assert audit_module.seal_pending(full=True) >= 1
    assert not audit_module._candidates(None, full=True).filter(pk=straggler.pk).exists()


def test_with_a_celery_worker_no_task_is_sent_per_commit(
    db, settings, django_capture_on_commit_callbacks
):
    """Beat seals every few seconds in production; the request path sends nothing."""
    from ekseva.core import audit as audit_module

    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks() as callbacks:
        audit_module.record("test.no-task")
    assert audit_module._schedule_seal not in callbacks
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks() as callbacks:
        audit_module.record("test.task")
    assert audit_module._schedule_seal in callbacks
