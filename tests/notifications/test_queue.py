import pytest

from ekseva.core.models import AuditEvent
from ekseva.notifications import selectors, services
from ekseva.notifications.models import Message
from ekseva.notifications.services import DedupeConflictError, InvalidRecipientError
from ekseva.notifications.templates import MissingParamsError, UnknownTemplateError

from .conftest import ping

pytestmark = pytest.mark.django_db


def test_queue_renders_english_and_hindi(no_dispatch, frozen_clock):
    en = ping(params={"nonce": "A1"})
    hi = ping(params={"nonce": "A1"}, language="hi")
    assert en.body == "ekseva test message A1: your messages reach you."
    assert hi.body == "ई-सेवा परीक्षण संदेश A1: आपके संदेश आप तक पहुँच रहे हैं।"
    row = Message.objects.get(pk=hi.pk)
    assert (row.status, row.attempts, row.language, row.params) == (
        "queued",
        0,
        "hi",
        {"nonce": "A1"},
    )
    assert row.next_attempt_at == row.created_at == frozen_clock.now()


def test_email_is_rendered_with_subject(no_dispatch):
    message = services.queue(
        channel="email",
        template="test.ping",
        recipient="Asha@Example.COM",
        params={"nonce": "E1"},
        language="hi",
    )
    assert message.recipient == "Asha@example.com"
    assert message.subject == "ई-सेवा परीक्षण संदेश E1"
    assert "E1" in message.body


def test_delivery_is_scheduled_after_commit(django_capture_on_commit_callbacks, backend):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = ping()
        assert backend.sent == []
    message.refresh_from_db()
    assert message.status == "queued"  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.status == "sent"
    assert backend.sent == [(message.pk, f"ekseva-{message.pk}")]
    assert message.provider_reference == f"prov-ekseva-{message.pk}"


@pytest.mark.parametrize(
    "spelling", ["9876543210", "+91 98765 43210", "+91-9876543210", "919876543210", "09876543210"]
)
def test_mobile_spellings_are_normalised(no_dispatch, spelling):
    assert ping(recipient=spelling).recipient == "9876543210"


@pytest.mark.parametrize(
    "bad", ["", "12345", "5876543210", "98765432101", "98765abcde", "+1 9876543210", None]
)
def test_bad_mobile_is_refused_and_nothing_written(no_dispatch, bad):
    with pytest.raises(InvalidRecipientError) as caught:
        ping(recipient=bad)
    assert caught.value.code == "invalid_mobile"
    assert not Message.objects.exists()
    assert no_dispatch == []


@pytest.mark.parametrize("bad", ["", "asha", "asha@", "@example.com", "a b@example.com"])
def test_bad_email_is_refused(no_dispatch, bad):
    with pytest.raises(InvalidRecipientError):
        services.queue(channel="email", template="test.ping", recipient=bad, params={"nonce": "x"})
    assert not Message.objects.exists()


def test_unknown_template_and_missing_param_refused_at_queue_time(no_dispatch):
    with pytest.raises(UnknownTemplateError, match=r"accounts\.nope"):
        ping(template="accounts.nope")
    with pytest.raises(MissingParamsError, match="nonce"):
        ping(params={})
    with pytest.raises(ValueError, match="channel"):
        ping(channel="fax")
    assert not Message.objects.exists()


def test_dedupe_key_gives_one_row(django_capture_on_commit_callbacks, no_dispatch):
    with django_capture_on_commit_callbacks(execute=True):
        first = ping(dedupe_key="otp:9876543210:abc")
        second = ping(recipient="+919876543210", dedupe_key="otp:9876543210:abc")
    assert first.pk == second.pk
    assert Message.objects.count() == 1
    assert no_dispatch == [first.pk]  # delivered once, not twice
    third = ping()  # no key: a new message
    assert third.pk != first.pk


def test_dedupe_key_reused_for_another_message_is_refused(no_dispatch):
    ping(dedupe_key="k1")
    with pytest.raises(DedupeConflictError, match="k1"):
        ping(recipient="9123456789", dedupe_key="k1")
    assert Message.objects.count() == 1


def test_queue_writes_an_audit_event_without_the_text(no_dispatch):
    message = ping(params={"nonce": "SECRET42"})
    event = AuditEvent.objects.get(action="notifications.message.queued")
    assert event.object_id == str(message.pk)
    assert event.after["recipient"] == "******3210"
    assert "SECRET42" not in str(event.after)


def test_queue_many_is_all_or_none(no_dispatch):
    good = {
        "channel": "sms",
        "template": "test.ping",
        "recipient": "9876543210",
        "params": {"nonce": "1"},
    }
    bad = {**good, "recipient": "123"}
    with pytest.raises(InvalidRecipientError):
        services.queue_many([good, bad])
    assert not Message.objects.exists()
    rows = services.queue_many([good, {**good, "recipient": "9123456789", "language": "hi"}])
    assert [m.recipient for m in rows] == ["9876543210", "9123456789"]
    assert Message.objects.count() == 2


def test_inapp_is_sent_at_once_and_read_from_the_table(
    django_capture_on_commit_callbacks, backend, no_dispatch
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.queue(
            channel="inapp",
            template="test.ping",
            recipient=None,
            user_id=42,
            params={"nonce": "I1"},
            language="hi",
        )
    assert no_dispatch == []  # nothing to deliver
    assert backend.sent == []
    assert (message.status, message.recipient, message.user_id) == ("sent", "42", 42)
    assert message.sent_at is not None
    assert list(selectors.inbox(42, unread_only=True)) == [message]
    assert list(selectors.inbox(43)) == []
    services.mark_read(message.pk, user_id=42)
    assert list(selectors.inbox(42, unread_only=True)) == []
    with pytest.raises(Message.DoesNotExist):
        services.mark_read(message.pk, user_id=43)  # someone else's message


@pytest.mark.parametrize("user_id, recipient", [(None, "42"), (0, ""), ("42", ""), (42, "43")])
def test_inapp_needs_its_user(no_dispatch, user_id, recipient):
    with pytest.raises(InvalidRecipientError):
        services.queue(
            channel="inapp",
            template="test.ping",
            recipient=recipient,
            user_id=user_id,
            params={"nonce": "x"},
        )
    assert not Message.objects.exists()


def test_template_without_the_channel_is_refused(no_dispatch, registry):
    registry.register("demo.smsonly", sms={"en": "hi {x}", "hi": "नमस्ते {x}"})
    with pytest.raises(ValueError, match="no 'email' text"):
        services.queue(
            channel="email", template="demo.smsonly", recipient="a@example.com", params={"x": 1}
        )


def _specs(key: str) -> list[dict]:
    base = {"template": "test.ping", "params": {"nonce": "7"}, "user_id": 41}
    return [
        {**base, "channel": "inapp", "recipient": 41, "dedupe_key": f"{key}:inapp"},
        {**base, "channel": "sms", "recipient": "9876543210", "dedupe_key": f"{key}:sms"},
        {**base, "channel": "sms", "recipient": "9123456789", "dedupe_key": f"{key}:sms2"},
    ]


def test_queue_many_writes_each_message_and_its_audit_event_in_one_insert_each(
    django_capture_on_commit_callbacks, django_assert_max_num_queries, no_dispatch
):
    # Telling a person on every channel is one INSERT of the messages (in a savepoint,
    # so that a taken dedupe key can fall back) and one of their audit events: with
    # the savepoint of queue_many's own atomic block, 6 statements (one at a time: 17).
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(6):
        rows = services.queue_many(_specs("k"))
    assert all(m.pk for m in rows)
    assert [m.channel for m in Message.objects.order_by("pk")] == ["inapp", "sms", "sms"]
    events = list(AuditEvent.objects.filter(action="notifications.message.queued").order_by("pk"))
    assert [e.object_id for e in events] == [str(m.pk) for m in rows]
    assert [e.after["recipient"] for e in events] == ["41", "******3210", "******6789"]
    assert all(e.digest for e in events)
    assert sorted(no_dispatch) == sorted(m.pk for m in rows if m.channel == "sms")


def test_queue_many_again_with_the_same_keys_returns_the_first_rows(
    django_capture_on_commit_callbacks, no_dispatch
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.queue_many(_specs("again"))
        # One of the three queued already (a retry after a crash, say): the others are
        # written, the taken one is the first row, and nothing is written twice.
        second = services.queue_many(_specs("again"))
    assert [m.pk for m in second] == [m.pk for m in first]
    assert Message.objects.count() == 3
    assert AuditEvent.objects.filter(action="notifications.message.queued").count() == 3
    assert len(no_dispatch) == 2


def test_queue_many_with_one_key_taken_writes_the_rest(no_dispatch):
    taken = services.queue(**_specs("part")[1])
    rows = services.queue_many(_specs("part"))
    assert rows[1].pk == taken.pk
    assert Message.objects.count() == 3
    assert AuditEvent.objects.filter(action="notifications.message.queued").count() == 3


def test_queue_many_refuses_a_key_taken_by_another_message(no_dispatch):
    services.queue(**{**_specs("clash")[1], "recipient": "9000000001"})
    with pytest.raises(DedupeConflictError):
        services.queue_many(_specs("clash"))
    assert Message.objects.count() == 1
