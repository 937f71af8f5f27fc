"""Queueing and delivering messages.

``queue()`` writes the message row in the caller's transaction and schedules
delivery for after commit; ``deliver()`` claims the row, hands it to the
backend and records the outcome; ``sweep()`` finds rows left behind (a lost
task, a due retry, a sender that died mid-send) and dispatches them again.

A message is sent at most once by us: the claim (queued/failed → sending) is
taken under a row lock and committed before the backend is called, so a second
``deliver()`` finds nothing to do. The one case we cannot decide alone is a
sender that died after handing the message over but before recording it; the
sweep then retries with the SAME reference and the provider dedupes on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekseva.core import audit, clock
from ekseva.core.phone import indian_mobile

from . import attachments, templates
from .backends import DeliveryError, get_backend
from .models import AttemptOutcome, Channel, Message, MessageAttempt, Status

log = logging.getLogger(__name__)


class InvalidRecipientError(ValidationError):
    """The address cannot receive this channel (shown to people: translated)."""


class DedupeConflictError(ValueError):
    """The dedupe key is already used by a different message."""


# --- settings with defaults (documented in docs/notifications.md) -------------------


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 6))


def retry_base() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "NOTIFY_RETRY_BASE_SECONDS", 60)))


def retry_cap() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "NOTIFY_RETRY_CAP_SECONDS", 3600)))


def sending_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "NOTIFY_SENDING_TIMEOUT_SECONDS", 600)))


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 1m, 2m, 4m, … capped."""
    return min(retry_base() * (2 ** max(attempts - 1, 0)), retry_cap())


# --- recipients -----------------------------------------------------------------------


def normalise_mobile(value: str) -> str:
    """An Indian mobile number as 10 digits, from '98765 43210', '+91-9876543210',
    '09876543210'; raises InvalidRecipientError otherwise."""
    digits = indian_mobile(value)
    if digits is None:
        raise InvalidRecipientError(
            _("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9."),
            code="invalid_mobile",
        )
    return digits


def normalise_email(value: str) -> str:
    address = str(value or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidRecipientError(
            _("Enter a valid email address."), code="invalid_email"
        ) from None
    local, _at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def _recipient(channel: str, recipient: Any, user_id: int | None) -> str:
    if channel == Channel.SMS:
        return normalise_mobile(recipient)
    if channel == Channel.EMAIL:
        return normalise_email(recipient)
    if channel == Channel.INAPP:
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
            raise InvalidRecipientError(
                _("An in-app message needs the user it is for."), code="invalid_user"
            )
        if recipient not in (None, "", user_id, str(user_id)):
            raise InvalidRecipientError(
                _("An in-app message needs the user it is for."), code="invalid_user"
            )
        return str(user_id)
    raise ValueError(f"channel must be one of {[c.value for c in Channel]}, not {channel!r}")


def _mask(channel: str, recipient: str) -> str:
    if channel == Channel.SMS:
        return "******" + recipient[-4:]
    if channel == Channel.EMAIL:
        local, _at, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    return recipient


# --- queueing -------------------------------------------------------------------------


def _build(
    *,
    channel: str,
    template: str,
    recipient: Any,
    params: Mapping[str, Any] | None,
    language: str,
    user_id: int | None,
    dedupe_key: str | None,
    attachment: str = "",
) -> Message:
    """Validate and render, without touching the database."""
    if attachment:
        if channel != Channel.EMAIL:
            raise attachments.AttachmentError("only an email carries an attachment")
        attachments.split(attachment)  # an unknown kind is refused now, not at sending
    address = _recipient(channel, recipient, user_id)
    params = dict(params or {})
    rendered = templates.get(template).render(channel, language, params)
    now = clock.now()
    return Message(
        channel=channel,
        template=template,
        language=language,
        recipient=address,
        user_id=user_id,
        params=params,
        subject=rendered.subject[:255],
        body=rendered.body,
        status=Status.SENT if channel == Channel.INAPP else Status.QUEUED,
        sent_at=now if channel == Channel.INAPP else None,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=dedupe_key or None,
        attachment=attachment,
    )


def _insert(message: Message) -> Message:
    """Insert, or return the row already queued under the same dedupe key."""
    if message.dedupe_key:
        existing = Message.objects.filter(dedupe_key=message.dedupe_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    message.save(force_insert=True)
            except IntegrityError:
                existing = Message.objects.get(dedupe_key=message.dedupe_key)
        if existing is not None:
            same = (existing.channel, existing.template, existing.recipient) == (
                message.channel,
                message.template,
                message.recipient,
            )
            if not same:
                raise DedupeConflictError(
                    f"dedupe key {message.dedupe_key!r} is already used by message "
                    f"#{existing.pk} ({existing.channel} {existing.template})"
                )
            return existing
    else:
        message.save(force_insert=True)
    audit.record(
        "notifications.message.queued",
        obj=message,
        after={
            "channel": message.channel,
            "template": message.template,
            "recipient": _mask(message.channel, message.recipient),
            "status": message.status,
        },
    )
    if message.status == Status.QUEUED:
        pk = message.pk
        transaction.on_commit(lambda: _deliver_soon(pk))
    return message


def _deliver_soon(message_id: int) -> None:
    """After the queueing transaction commits: hand the new row to a worker
    (in-process when Celery is eager). If this never runs, the sweep finds the row."""
    _dispatch(message_id)


def _dispatch(message_id: int) -> None:
    from .tasks import deliver_message  # late: tasks imports this module

    deliver_message.delay(message_id)


def queue(
    *,
    channel: str,
    template: str,
    recipient: Any,
    params: Mapping[str, Any] | None = None,
    language: str = "en",
    user_id: int | None = None,
    dedupe_key: str | None = None,
    attachment: str = "",
) -> Message:
    """Queue one message; it is delivered after the caller's transaction commits.

    Refuses at once (nothing written) an unknown template, a missing param
    (``templates.TemplateError``) or a bad address (``InvalidRecipientError``).
    With ``dedupe_key``, queueing the same logical message again returns the
    first row instead of a second one.
    """
    message = _build(
        channel=channel,
        template=template,
        recipient=recipient,
        params=params,
        language=language,
        user_id=user_id,
        dedupe_key=dedupe_key,
        attachment=attachment,
    )
    with transaction.atomic():
        return _insert(message)


def person_specs(
    person: Any,
    template: str,
    params: Mapping[str, Any],
    key: str,
    *,
    language: str | None = None,
    email: bool = True,
    attachment: str = "",
) -> list[dict[str, Any]]:
    """The ``queue_many`` specs that tell one person on every channel they have: in-app
    always, SMS if they have a mobile, email (with ``attachment``) if they have an
    address and ``email``. ``person`` is any object with ``pk``, ``mobile``, ``email``
    and ``preferred_language`` (a user: this app knows people only by address).
    ``key`` + the channel is each message's dedupe key."""
    language = language or ("hi" if getattr(person, "preferred_language", "") == "hi" else "en")
    base = {"template": template, "user_id": person.pk, "params": params, "language": language}
    specs: list[dict[str, Any]] = [
        {**base, "channel": "inapp", "recipient": person.pk, "dedupe_key": f"{key}:inapp"}
    ]
    if getattr(person, "mobile", ""):
        specs.append(
            {**base, "channel": "sms", "recipient": person.mobile, "dedupe_key": f"{key}:sms"}
        )
    if email and getattr(person, "email", ""):
        specs.append(
            {
                **base,
                "channel": "email",
                "recipient": person.email,
                "dedupe_key": f"{key}:email",
                "attachment": attachment,
            }
        )
    return specs


def tell_person(person: Any, template: str, params: Mapping[str, Any], key: str, **options: Any):
    """Queue ``person_specs(...)``; a bad address (a mistyped staff mobile or email)
    does not stop the caller's work: the in-app message still goes, and it is logged."""
    specs = person_specs(person, template, params, key, **options)
    try:
        return queue_many(specs)
    except InvalidRecipientError:
        log.warning("notifications: bad address for user %s; sending in-app only", person.pk)
        return queue_many(specs[:1])


def queue_many(messages: Iterable[Mapping[str, Any]]) -> list[Message]:
    """Queue several messages (each a dict of ``queue()`` keyword arguments),
    all or none: every one is validated and rendered before any is written."""
    built = [
        _build(**{"params": None, "language": "en", "user_id": None, "dedupe_key": None, **spec})
        for spec in messages
    ]
    with transaction.atomic():
        return _insert_many(built)


def _insert_many(built: list[Message]) -> list[Message]:
    """``_insert`` for each, in one INSERT (and one for their audit events) when none
    of them is queued already: the usual case, a person told once on every channel.
    A dedupe key already taken (a retry) makes the INSERT fail inside its savepoint;
    each message then goes through ``_insert`` and its lookup, as alone."""
    keys = [m.dedupe_key for m in built if m.dedupe_key]
    if (
        len(built) < 2
        or len(set(keys)) != len(keys)
        or not connection.features.can_return_rows_from_bulk_insert
    ):
        return [_insert(message) for message in built]
    try:
        with transaction.atomic():
            Message.objects.bulk_create(built)
    except IntegrityError:
        for message in built:  # nothing of the failed INSERT is kept
            message.pk = None
            message._state.adding = True
        return [_insert(message) for message in built]
    audit.record_many(
        {
            "action": "notifications.message.queued",
            "obj": message,
            "after": {
                "channel": message.channel,
                "template": message.template,
                "recipient": _mask(message.channel, message.recipient),
                "status": message.status,
            },
        }
        for message in built
    )
    for message in built:
        if message.status == Status.QUEUED:
            pk = message.pk
            transaction.on_commit(lambda pk=pk: _deliver_soon(pk))
    return built


def mark_read(message_id: int, *, user_id: int) -> Message:
    """Mark an in-app message read by the user it was for."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(
            pk=message_id, channel=Channel.INAPP, user_id=user_id
        )
        if message.read_at is None:
            message.read_at = clock.now()
            message.save(update_fields=["read_at"])
            audit.record(
                "notifications.message.read", obj=message, after={"read_at": message.read_at}
            )
    return message


# --- delivery ---------------------------------------------------------------------------


def _due(now: dt.datetime) -> Q:
    """Rows that may be (re)tried now: due queued/failed rows, and "sending" rows
    whose sender has been silent longer than the timeout."""
    return Q(status__in=[Status.QUEUED, Status.FAILED], next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lte=now - sending_timeout()
    )


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def _claim(message_id: int) -> Message | None:
    """queued/failed/stale-sending → sending, committed before anything is sent."""
    now = clock.now()
    with transaction.atomic():
        message = _locked(Message.objects.filter(pk=message_id).filter(_due(now))).first()
        if message is None:
            return None
        before = {"status": message.status, "attempts": message.attempts}
        if message.status == Status.SENDING:
            MessageAttempt.objects.create(
                message=message,
                number=message.attempts,
                at=now,
                outcome=AttemptOutcome.LOST,
                error=f"no result: the sender stopped mid-send (claimed at "
                f"{message.claimed_at.isoformat()}); retrying with the same reference",
            )
            if message.attempts >= max_attempts():
                message.status = Status.DEAD
                message.last_error = "gave up: the sender stopped mid-send on the last attempt"
                message.claimed_at = None
                message.save(update_fields=["status", "last_error", "claimed_at"])
                audit.record(
                    "notifications.message.dead",
                    obj=message,
                    before=before,
                    after={"status": message.status},
                )
                return None
        message.status = Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
        audit.record(
            "notifications.message.sending",
            obj=message,
            before=before,
            after={"status": message.status, "attempts": message.attempts},
        )
    return message


def deliver(message_id: int) -> Message | None:
    """Try to deliver one message. Returns the message after the try, or None
    when there was nothing to do (already sent, not due, or another worker has it)."""
    message = _claim(message_id)
    if message is None:
        return None
    attempt = message.attempts
    try:
        provider_reference = get_backend(message.channel).send(message, message.reference)
    except DeliveryError as exc:
        return _record_failure(message, attempt, exc.reason, permanent=exc.permanent)
    except Exception as exc:  # a backend bug must not leave the row claimed until the timeout
        log.exception("notification backend crashed on message %s", message.pk)
        return _record_failure(
            message, attempt, f"{exc.__class__.__name__}: {exc}", permanent=False
        )
    return _record_success(message, attempt, provider_reference)


def _record_success(message: Message, attempt: int, provider_reference: str) -> Message:
    now = clock.now()
    with transaction.atomic():
        current = Message.objects.select_for_update().get(pk=message.pk)
        MessageAttempt.objects.create(
            message=current, number=attempt, at=now, outcome=AttemptOutcome.SENT
        )
        if current.status != Status.SENT:
            before = {"status": current.status}
            current.status = Status.SENT
            current.sent_at = now
            current.claimed_at = None
            current.provider_reference = provider_reference[:120]
            current.last_error = ""
            current.save(
                update_fields=[
                    "status",
                    "sent_at",
                    "claimed_at",
                    "provider_reference",
                    "last_error",
                ]
            )
            audit.record(
                "notifications.message.sent",
                obj=current,
                before=before,
                after={"status": current.status, "attempts": current.attempts},
            )
    return current


def _record_failure(message: Message, attempt: int, reason: str, *, permanent: bool) -> Message:
    now = clock.now()
    reason = reason[:2000]
    with transaction.atomic():
        current = Message.objects.select_for_update().get(pk=message.pk)
        give_up = permanent or attempt >= max_attempts()
        MessageAttempt.objects.create(
            message=current,
            number=attempt,
            at=now,
            outcome=AttemptOutcome.DEAD if give_up else AttemptOutcome.FAILED,
            error=reason,
        )
        # Only the claim that is still current may move the row: if the sweep
        # re-claimed it meanwhile (this try overran the timeout), that try decides.
        if current.status == Status.SENDING and current.attempts == attempt:
            before = {"status": current.status}
            current.status = Status.DEAD if give_up else Status.FAILED
            current.last_error = reason
            current.claimed_at = None
            if not give_up:
                current.next_attempt_at = now + backoff(attempt)
            current.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
            audit.record(
                f"notifications.message.{current.status}",
                obj=current,
                before=before,
                after={"status": current.status, "attempts": attempt, "error": reason[:200]},
            )
    log.warning("message %s attempt %s failed: %s", message.pk, attempt, reason)
    return current


def sweep(now: dt.datetime | None = None, *, limit: int = 500) -> int:
    """Dispatch delivery for every due row left behind: queued rows whose
    after-commit task never ran, failed rows whose retry is due, and "sending"
    rows whose sender died. Returns how many were dispatched. ``now`` only
    selects the rows; each delivery decides again on ``clock.now()``."""
    now = now or clock.now()
    due = (
        Message.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for pk in ids:
        _dispatch(pk)
    return len(ids)
