"""The append-only, hash-chained audit log (operators' guide: docs/audit.md).

Writing: every service that changes state calls ``record(...)`` inside its own
transaction. The event row carries a digest of its content and is visible only
if the business change commits.

Sealing: ``seal_pending()`` links committed events into the chain in the order it
finds them, under one lock (a PostgreSQL advisory lock; SQLite serialises writers
anyway). It runs right after each commit in the embedded mode and every few
seconds from Celery beat in production, so a burst of services never queues on a
single chain-head row (cf. Certificate Transparency's merge delay).

Verifying: ``verify()`` walks the seals in position order, recomputes each event's
digest from its content and each link's hash, and checks that no event older
than the sealing horizon is missing from the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from . import clock
from .models import AuditEvent, AuditSeal

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 7_305_550_001  # arbitrary, fixed
_local = threading.local()


def set_request_context(*, ip: str | None, request_id: str = "", user: Any = None) -> None:
    """Called by the request middleware so services need not pass ``request``."""
    _local.ip, _local.request_id, _local.user = ip, request_id, user


def clear_request_context() -> None:
    _local.ip = _local.request_id = _local.user = None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _canonical(value: Any) -> Any:
    """JSON-normalise so that the digest is the same before and after a DB round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True, allow_nan=False))


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean_ip(ip: str | None) -> str | None:
    """A well-formed address or None: a garbled proxy header must not fail the
    business transaction (PostgreSQL's ``inet`` would refuse it)."""
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def _digest_ip(ip: str | None) -> str | None:
    # One spelling per address, whatever form the database hands back (IPv6
    # compression, IPv4-mapped addresses differ between Django and PostgreSQL).
    if ip is None:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    return str(address) if address.version == 4 else address.exploded


def event_digest(event: AuditEvent) -> str:
    """SHA-256 of an event's content, as stored."""
    content = {
        "at": _iso(event.at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "ip": _digest_ip(event.ip),
        "request_id": event.request_id,
        "before": _canonical(event.before),
        "after": _canonical(event.after),
    }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def link_hash(
    prev_hash: str, position: int, event_id: int, digest: str, sealed_at: dt.datetime
) -> str:
    """The chain hash of one link: it binds the previous link, the place, the event
    and when it was sealed."""
    text = f"{prev_hash}:{position}:{event_id}:{digest}:{_iso(sealed_at)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _fits(field: str, value: str) -> str:
    limit = AuditEvent._meta.get_field(field).max_length
    if len(value) > limit:
        # Refused on every database alike (SQLite would store it, PostgreSQL not).
        raise ValueError(f"audit {field} longer than {limit}: {value[:40]!r}…")
    return value


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction.

    ``actor`` is a user (default: the request's user, else the system); ``obj`` a
    model instance (its label and pk are recorded); ``ip`` defaults to the
    request's client address. ``before``/``after`` must be JSON-able dicts
    (dates and other values are written as text).
    """
    event = _event(
        action,
        actor=actor,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        ip=ip,
    )
    event.save(force_insert=True)
    _seal_after_commit()
    return event


def record_many(events: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events (each a dict of ``record()``'s keyword arguments and
    ``action``) in the caller's transaction with one INSERT: what ``record()`` would
    write for each, in the same order."""
    built = [_event(**spec) for spec in events]
    if not built:
        return built
    if len(built) == 1 or not connection.features.can_return_rows_from_bulk_insert:
        for event in built:
            event.save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(built)
    _seal_after_commit()
    return built


def _event(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    actor = actor if actor is not None else getattr(_local, "user", None)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor_id = None
    label = "system" if actor_id is None else str(getattr(actor, "get_username", lambda: "")())
    event = AuditEvent(
        at=clock.now(),
        actor_id=actor_id,
        actor_label=label[:150],
        action=_fits("action", action),
        object_type=_fits("object_type", object_type),
        object_id=_fits("object_id", str(object_id)),
        ip=clean_ip(ip if ip is not None else getattr(_local, "ip", None)),
        request_id=_fits("request_id", getattr(_local, "request_id", "") or ""),
        before=_canonical(before),
        after=_canonical(after),
    )
    event.digest = event_digest(event)
    return event


def _seal_after_commit() -> None:
    # In the embedded mode (tasks in-process) the events are sealed right after the
    # commit, once per commit however many events it holds (a rolled-back savepoint
    # drops its callbacks, so the next event registers again). With a Celery worker,
    # beat seals every few seconds; a task per commit would cost every request a
    # broker round trip (measured: 4 ms of a 19 ms ledger post, bench/bench_payments.py).
    if settings.CELERY_TASK_ALWAYS_EAGER and not any(
        entry[1] is _schedule_seal for entry in connection.run_on_commit
    ):
        transaction.on_commit(_schedule_seal)


def _schedule_seal() -> None:
    from .tasks import seal_audit_log  # a Celery import only when first needed

    seal_audit_log.delay()


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])


# How far below the newest sealed event a routine seal looks for events still
# unsealed. An event's id is drawn when it is inserted, so one committed late (a
# long transaction) can have a lower id than events already sealed; it is found
# while fewer than this many events were written during its transaction, and in
# any case by the full sweep (``seal_pending(full=True)``, hourly from beat).
SEAL_LOOKBACK_IDS = 20_000


def _candidates(head: Any, *, full: bool) -> Any:
    """Unsealed events a seal run looks at (see SEAL_LOOKBACK_IDS)."""
    candidates = AuditEvent.objects.filter(seal__isnull=True)
    if head is not None and not full:
        candidates = candidates.filter(pk__gt=head.event_id - SEAL_LOOKBACK_IDS)
    return candidates


def seal_pending(batch: int = 1000, *, full: bool = False) -> int:
    """Link committed, unsealed events into the chain, oldest id first. Returns how many.

    A routine run looks only at events above ``newest sealed id - SEAL_LOOKBACK_IDS``
    (an index range, so sealing costs the same at ten events or ten million); a
    ``full`` run looks at every event."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock()
            head = AuditSeal.objects.order_by("-position").first()
            prev_hash = head.chain_hash if head else GENESIS
            position = head.position if head else 0
            pending = list(_candidates(head, full=full).order_by("pk")[:batch])
            if not pending:
                return sealed
            now = clock.now()
            links = []
            for event in pending:
                position += 1
                chain_hash = link_hash(prev_hash, position, event.pk, event_digest(event), now)
                links.append(
                    AuditSeal(
                        position=position,
                        event=event,
                        prev_hash=prev_hash,
                        chain_hash=chain_hash,
                        sealed_at=now,
                    )
                )
                prev_hash = chain_hash
            AuditSeal.objects.bulk_create(links)
            sealed += len(links)
            if len(pending) < batch:
                return sealed


def head() -> tuple[int, str]:
    """(position, chain hash) of the last link: write it down somewhere else, and
    a later ``verify(anchor=...)`` proves nothing before it was cut off or rewritten."""
    last = AuditSeal.objects.order_by("-position").first()
    return (last.position, last.chain_hash) if last else (0, GENESIS)


@dataclass
class Problem:
    """The first place where the chain does not hold."""

    position: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"position {self.position}" if self.position is not None else "unsealed"
        return f"{where}, event {self.event_id}: {self.reason}"


def _iter_links(chunk: int = 2000) -> Iterator[tuple[AuditSeal, AuditEvent | None]]:
    last = 0
    while True:
        seals = list(AuditSeal.objects.filter(position__gt=last).order_by("position")[:chunk])
        if not seals:
            return
        events = AuditEvent.objects.in_bulk([seal.event_id for seal in seals])
        for seal in seals:
            yield seal, events.get(seal.event_id)
        last = seals[-1].position


def _check_link(seal: AuditSeal, event: AuditEvent | None, prev_hash: str) -> Problem | None:
    if seal.prev_hash != prev_hash:
        return Problem(seal.position, seal.event_id, "link does not follow the previous one")
    if event is None:
        return Problem(seal.position, seal.event_id, "event was deleted")
    digest = event_digest(event)
    if digest != event.digest:
        return Problem(seal.position, event.pk, "event content was edited after it was written")
    if link_hash(prev_hash, seal.position, event.pk, digest, seal.sealed_at) != seal.chain_hash:
        return Problem(
            seal.position, event.pk, "link hash does not match (link edited or rows re-ordered)"
        )
    return None


def verify(
    horizon: dt.timedelta = dt.timedelta(minutes=10),
    *,
    anchors: Iterable[tuple[int, str]] = (),
) -> tuple[int, Problem | None]:
    """Walk the chain. Returns (links checked, first problem or None).

    ``anchors`` are ``head()`` values written down earlier: the link at each
    position must still carry that hash.
    """
    expected = dict(anchors)
    prev_hash = GENESIS
    expected_position = 1
    checked = 0
    for seal, event in _iter_links():
        if seal.position != expected_position:
            return checked, Problem(
                expected_position, None, f"link missing (next link found is {seal.position})"
            )
        problem = _check_link(seal, event, prev_hash)
        if problem is not None:
            return checked, problem
        if expected.get(seal.position, seal.chain_hash) != seal.chain_hash:
            return checked, Problem(
                seal.position, seal.event_id, "chain differs from the anchor written down earlier"
            )
        prev_hash = seal.chain_hash
        expected_position += 1
        checked += 1
    if expected and checked < max(expected):
        return checked, Problem(
            checked + 1, None, f"chain ends before the anchor at {max(expected)} (tail removed)"
        )
    cutoff = clock.now() - horizon
    stray = AuditEvent.objects.filter(seal__isnull=True, at__lt=cutoff).order_by("pk").first()
    if stray is not None:
        return checked, Problem(
            None, stray.pk, "event is not in the chain (inserted outside the log?)"
        )
    return checked, None
