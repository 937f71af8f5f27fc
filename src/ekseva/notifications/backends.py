"""Delivery backends: where a message goes when it leaves the outbox.

Chosen per channel by settings (read at send time, so tests can override them):

- ``NOTIFY_SMS_BACKEND``: ``"outbox"`` (the row is the delivery; read it at
  ``/<lang>/dev/outbox/``) or ``"http"`` (a DLT-registered Indian SMS gateway).
- ``NOTIFY_EMAIL_BACKEND``: ``"outbox"`` or ``"smtp"`` (``django.core.mail`` with
  the ``EMAIL_*`` settings).
- In-app messages are never sent anywhere: they are read from the table.

A backend's ``send()`` returns the provider's reference for the message, or
raises ``DeliveryError`` with a reason a person can act on.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core import mail

from . import attachments, templates

if TYPE_CHECKING:
    from .models import Message


class DeliveryError(Exception):
    """The provider did not take the message. ``permanent`` failures (bad
    configuration) are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Backend(Protocol):
    def send(self, message: Message, reference: str) -> str: ...


class OutboxBackend:
    """The developer outbox: the message row itself is the delivery."""

    def send(self, message: Message, reference: str) -> str:
        return reference


class SmtpBackend:
    """Email through ``django.core.mail``. The Message-ID is derived from the
    reference, so a retry after a lost reply carries the same Message-ID and
    mail systems that dedupe on it show the message once."""

    def send(self, message: Message, reference: str) -> str:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "ekseva.local"
        message_id = f"<{reference}@{domain}>"
        email = mail.EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": message_id, "X-Ekseva-Reference": reference},
        )
        if message.attachment:
            try:
                document = attachments.render(message.attachment, message.language)
            except Exception as exc:  # any failure to make it: retried like a failed send
                raise DeliveryError(f"attachment {message.attachment}: {exc}") from exc
            email.attach(document.filename, document.data, document.content_type)
        try:
            sent = email.send(fail_silently=False)
        except (OSError, mail.BadHeaderError) as exc:  # smtplib errors are OSErrors
            raise DeliveryError(f"SMTP: {exc.__class__.__name__}: {exc}") from exc
        if not sent:
            raise DeliveryError("SMTP: the mail server accepted no recipient")
        return message_id


class HttpSmsBackend:
    """An Indian SMS gateway over HTTPS, with DLT registration (TRAI TCCCPR 2018):
    every commercial SMS carries the sender's DLT entity id and the id of the
    template registered on DLT, or operators drop it.

    POSTs JSON to ``SMS_HTTP_URL``::

        {"api_key", "sender", "dlt_entity_id", "dlt_template_id",
         "mobile": "91XXXXXXXXXX", "text", "reference"}

    ``reference`` is the same on every retry of one message; the gateway must
    accept a repeated reference without sending again. A 2xx answer is success;
    if its JSON has ``id`` (or ``message_id``) that becomes the provider reference.
    """

    def send(self, message: Message, reference: str) -> str:
        url = getattr(settings, "SMS_HTTP_URL", "")
        if not url:
            raise DeliveryError("SMS gateway: SMS_HTTP_URL is not set", permanent=True)
        dlt_template_id = templates.get(message.template).dlt_template_id
        if not dlt_template_id:
            raise DeliveryError(
                f"SMS gateway: template {message.template!r} has no DLT template id",
                permanent=True,
            )
        payload = {
            "api_key": getattr(settings, "SMS_HTTP_API_KEY", ""),
            "sender": getattr(settings, "SMS_SENDER_ID", ""),
            "dlt_entity_id": getattr(settings, "SMS_DLT_ENTITY_ID", ""),
            "dlt_template_id": dlt_template_id,
            "mobile": f"91{message.recipient}",
            "text": message.body,
            "reference": reference,
        }
        request = urllib.request.Request(  # noqa: S310 - the operator configures the URL
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
            },
            method="POST",
        )
        timeout = float(getattr(settings, "SMS_HTTP_TIMEOUT_SECONDS", 10))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            raise DeliveryError(f"SMS gateway answered HTTP {exc.code}: {detail}") from exc
        except TimeoutError as exc:
            raise DeliveryError(f"SMS gateway: no answer within {timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise DeliveryError(f"SMS gateway: no answer within {timeout:g} s") from exc
            raise DeliveryError(f"SMS gateway unreachable: {exc.reason}") from exc
        except OSError as exc:
            raise DeliveryError(f"SMS gateway: {exc.__class__.__name__}: {exc}") from exc
        return _gateway_id(body) or reference


def _gateway_id(body: bytes) -> str:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(data, dict):
        return ""
    value = data.get("id") or data.get("message_id") or ""
    return str(value)[:120]


_SMS = {"outbox": OutboxBackend, "http": HttpSmsBackend}
_EMAIL = {"outbox": OutboxBackend, "smtp": SmtpBackend}


def get_backend(channel: str) -> Backend:
    """The backend for ``channel`` under the current settings."""
    if channel == "sms":
        name, choices, setting = settings.NOTIFY_SMS_BACKEND, _SMS, "NOTIFY_SMS_BACKEND"
    elif channel == "email":
        name, choices, setting = settings.NOTIFY_EMAIL_BACKEND, _EMAIL, "NOTIFY_EMAIL_BACKEND"
    elif channel == "inapp":
        return OutboxBackend()
    else:
        raise ValueError(f"unknown channel {channel!r}")
    try:
        return choices[name]()
    except KeyError:
        raise DeliveryError(
            f"{setting}={name!r} is not one of {sorted(choices)}", permanent=True
        ) from None
