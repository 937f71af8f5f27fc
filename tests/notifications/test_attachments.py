"""Email attachments: named when queued, rendered when sent."""

import pytest
from django.core import mail

from ekseva.notifications import attachments, services
from ekseva.notifications.backends import DeliveryError, SmtpBackend
from ekseva.notifications.templates import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def kind():
    register(
        "tests.attached",
        email_subject={"en": "Doc {n}", "hi": "दस्तावेज़ {n}"},
        email_body={"en": "See {n}", "hi": "देखें {n}"},
        sms={"en": "See {n}", "hi": "देखें {n}"},
    )
    made = []

    def render(reference, language):
        made.append((reference, language))
        if reference == "broken":
            raise RuntimeError("cannot render")
        return attachments.Attachment(f"doc-{reference}.pdf", "application/pdf", b"%PDF-1.4 x")

    attachments.register("tests.doc", render)
    yield made
    attachments._registry.pop("tests.doc", None)


def queue(**extra):
    return services.queue(
        channel="email",
        template="tests.attached",
        recipient="asha@example.in",
        params={"n": "1"},
        language="hi",
        **extra,
    )


def test_the_attachment_is_rendered_when_the_email_is_sent(kind):
    message = queue(attachment="tests.doc:A1")
    assert message.attachment == "tests.doc:A1" and kind == []  # nothing made at queue time
    SmtpBackend().send(message, "ref-1")
    (sent,) = mail.outbox
    assert sent.attachments == [("doc-A1.pdf", b"%PDF-1.4 x", "application/pdf")]
    assert kind == [("A1", "hi")]  # in the message's language


def test_refusals_at_queue_time(kind):
    with pytest.raises(attachments.AttachmentError):
        queue(attachment="nobody.knows:1")
    with pytest.raises(attachments.AttachmentError):
        queue(attachment="tests.doc")
    with pytest.raises(attachments.AttachmentError):
        services.queue(
            channel="sms",
            template="tests.attached",
            recipient="9876543210",
            params={"n": "1"},
            attachment="tests.doc:A1",
        )


def test_a_document_that_cannot_be_made_is_a_failed_delivery_to_retry(kind):
    message = queue(attachment="tests.doc:broken")
    with pytest.raises(DeliveryError):
        SmtpBackend().send(message, "ref-2")
    assert mail.outbox == []
