"""The real backends, against local stand-ins (never an external address)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.test import override_settings

from ekseva.notifications import backends, services
from ekseva.notifications.backends import DeliveryError

from .conftest import ping

pytestmark = pytest.mark.django_db


class Gateway(ThreadingHTTPServer):
    """A fake DLT SMS gateway on 127.0.0.1 that answers as told."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.status = 200
        self.reply = b'{"status": "accepted", "id": "GW-0001"}'
        self.hold: threading.Event | None = None  # answer only once it is set
        self.requests: list[dict] = []

    def handle_error(self, request, client_address):
        pass  # the client gave up (timeout test): nothing to report

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/sms"


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.requests.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "json": json.loads(self.rfile.read(length)),
            }
        )
        if self.server.hold is not None:
            self.server.hold.wait()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.server.reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(registry, settings):
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    registry.register(
        "demo.otp",
        sms={"en": "{code} is your OTP", "hi": "{code} आपका OTP है"},
        dlt_template_id="1107170000000000042",
    )
    settings.NOTIFY_SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_API_KEY = "test-key"
    settings.SMS_SENDER_ID = "EKSEVA"
    settings.SMS_DLT_ENTITY_ID = "1101000000000000001"
    yield server
    if server.hold is not None:
        server.hold.set()
    server.shutdown()
    server.server_close()


def _otp(language="en"):
    return services.queue(
        channel="sms",
        template="demo.otp",
        recipient="98765 43210",
        params={"code": "482913"},
        language=language,
    )


def test_http_gateway_success(no_dispatch, gateway):
    message = services.deliver(_otp("hi").pk)
    assert message.status == "sent"
    assert message.provider_reference == "GW-0001"
    [request] = gateway.requests
    assert request["path"] == "/v1/sms"
    assert request["content_type"].startswith("application/json")
    assert request["json"] == {
        "api_key": "test-key",
        "sender": "EKSEVA",
        "dlt_entity_id": "1101000000000000001",
        "dlt_template_id": "1107170000000000042",
        "mobile": "919876543210",
        "text": "482913 आपका OTP है",
        "reference": f"ekseva-{message.pk}",
    }


def test_http_gateway_without_an_id_keeps_our_reference(no_dispatch, gateway):
    gateway.reply = b"OK"
    message = services.deliver(_otp().pk)
    assert (message.status, message.provider_reference) == ("sent", f"ekseva-{message.pk}")


def test_http_gateway_500_is_a_failure_to_retry(no_dispatch, gateway, frozen_clock):
    gateway.status, gateway.reply = 500, b'{"error": "upstream down"}'
    message = services.deliver(_otp().pk)
    assert message.status == "failed"
    assert message.last_error.startswith("SMS gateway answered HTTP 500")
    assert "upstream down" in message.last_error
    assert message.next_attempt_at == frozen_clock.now() + services.backoff(1)
    gateway.status, gateway.reply = 200, b'{"id": "GW-2"}'
    frozen_clock.advance(minutes=1)
    services.sweep()
    message.refresh_from_db()
    assert (message.status, message.provider_reference) == ("sent", "GW-2")
    # the retry carried the same reference, so the gateway can dedupe
    assert [r["json"]["reference"] for r in gateway.requests] == [f"ekseva-{message.pk}"] * 2


def test_http_gateway_timeout_is_a_failure(no_dispatch, gateway, settings):
    settings.SMS_HTTP_TIMEOUT_SECONDS = 0.2
    gateway.hold = threading.Event()
    message = services.deliver(_otp().pk)
    gateway.hold.set()
    assert message.status == "failed"
    assert message.last_error == "SMS gateway: no answer within 0.2 s"


def test_http_gateway_unreachable_is_a_failure(no_dispatch, gateway, settings):
    with socket.socket() as probe:  # a local port with nobody listening
        probe.bind(("127.0.0.1", 0))
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    message = services.deliver(_otp().pk)
    assert message.status == "failed"
    assert message.last_error.startswith("SMS gateway unreachable")


def test_http_gateway_refuses_template_without_dlt_id(no_dispatch, gateway):
    message = services.deliver(ping().pk)  # test.ping has no DLT template id
    assert (message.status, message.attempts) == ("dead", 1)
    assert "no DLT template id" in message.last_error
    assert gateway.requests == []


def test_http_gateway_needs_its_url(no_dispatch, gateway, settings):
    settings.SMS_HTTP_URL = ""
    message = services.deliver(_otp().pk)
    assert message.status == "dead"
    assert "SMS_HTTP_URL" in message.last_error


@override_settings(NOTIFY_EMAIL_BACKEND="smtp")
def test_smtp_backend_sends_through_django_mail(no_dispatch):
    message = services.queue(
        channel="email",
        template="test.ping",
        recipient="asha@example.com",
        params={"nonce": "M1"},
        language="hi",
    )
    message = services.deliver(message.pk)
    assert message.status == "sent"
    [email] = mail.outbox
    assert email.to == ["asha@example.com"]
    assert email.subject == "ई-सेवा परीक्षण संदेश M1"
    assert email.extra_headers["Message-ID"] == f"<ekseva-{message.pk}@ekseva.local>"
    assert message.provider_reference == f"<ekseva-{message.pk}@ekseva.local>"


def test_smtp_server_down_is_a_failure(no_dispatch, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.NOTIFY_EMAIL_BACKEND = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    message = services.queue(
        channel="email", template="test.ping", recipient="asha@example.com", params={"nonce": "M2"}
    )
    message = services.deliver(message.pk)
    assert message.status == "failed"
    assert message.last_error.startswith("SMTP: ConnectionRefusedError")


def test_outbox_backend_is_the_default_and_unknown_names_are_refused(settings):
    assert isinstance(backends.get_backend("sms"), backends.OutboxBackend)
    assert isinstance(backends.get_backend("email"), backends.OutboxBackend)
    settings.NOTIFY_SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(DeliveryError, match="NOTIFY_SMS_BACKEND") as caught:
        backends.get_backend("sms")
    assert caught.value.permanent
