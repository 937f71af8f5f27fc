"""The Razorpay gateway against recorded payloads (tests/payments/fixtures/razorpay/).

The payloads have the shapes Razorpay documents for its Orders, Payments and
Refunds APIs, its webhooks and its settlement recon report. Signatures are computed
here, independently of the plugin, from the documented formulas:

- checkout return: hex HMAC-SHA256 of ``order_id + "|" + razorpay_payment_id``,
  keyed with the API key secret;
- webhook: hex HMAC-SHA256 of the raw request body, keyed with the webhook secret.

A fake transport answers the API calls and records what was sent; the real
urllib transport is exercised against a local HTTP server.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ekseva.accounts.models import User
from ekseva.core import clock
from ekseva.payments import gateways, reconcile, services
from ekseva.payments.gateways.razorpay import (
    RazorpayError,
    RazorpayGateway,
    SettlementFileError,
    UrllibTransport,
    rupees_to_paise,
    unavailable,
)
from ekseva.payments.models import (
    GatewayEvent,
    GatewayUnavailable,
    ItemCategory,
    Outcome,
    Payment,
    PaymentError,
    Refund,
    RefundStatus,
    SignatureError,
    Status,
)

from .conftest import make_payment

FIXTURES = Path(__file__).parent / "fixtures" / "razorpay"
KEY_ID = "rzp_test_EkSeva0Test01"
KEY_SECRET = "Tq8sWv3xYz6bNc1dFg4hJk7m"  # a test key secret, made up
WEBHOOK_SECRET = "ekseva-webhook-7f3a9c"
ORDER = "order_Qm4fT9vLk2aB7c"
PAY = "pay_Qm4gH2sYp8wZ3d"
EVENT_ID = "Qm4gJx8s2WbK1a"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def documented_signature(order_id: str, payment_id: str, secret: str = KEY_SECRET) -> str:
    """Razorpay's checkout signature, written out from its documentation."""
    message = (order_id + "|" + payment_id).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(body: bytes, event_id: str = EVENT_ID, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": webhook_signature(body),
        "X-Razorpay-Event-Id": event_id,
        **extra,
    }


# --------------------------------------------------------------------------- fake transport


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]


@dataclass
class FakeTransport:
    """Answers (method, path) from recorded payloads, or raises what the real
    transport would raise; records every request."""

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def answer(self, method: str, path: str, value: Any) -> None:
        self.routes[(method, path)] = value

    def request(self, method, path, body=None, headers=None):
        self.calls.append(
            Call(method, path, json.loads(json.dumps(body)) if body else None, dict(headers or {}))
        )
        if (method, path) not in self.routes:
            raise AssertionError(f"unexpected call {method} {path}")
        value = self.routes[(method, path)]
        if isinstance(value, Exception):
            raise value
        return copy.deepcopy(value)


def bad_request(name: str = "error_bad_request.json", status: int = 400) -> RazorpayError:
    """What the transport raises for a 4xx answer with this recorded body."""
    return RazorpayError.from_answer(status, raw(name))


@pytest.fixture
def rzp(settings, monkeypatch):
    """The registered Razorpay gateway, configured, talking to a fake transport."""
    settings.RAZORPAY_KEY_ID = KEY_ID
    settings.RAZORPAY_KEY_SECRET = KEY_SECRET
    settings.RAZORPAY_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.RAZORPAY_API_BASE = "https://api.razorpay.com/v1"
    settings.RAZORPAY_TIMEOUT_SECONDS = 10
    settings.PAYMENT_GATEWAYS = ["razorpay"]
    gateway = gateways.get("razorpay")
    transport = FakeTransport()
    monkeypatch.setattr(gateway, "transport", transport)
    return gateway, transport


def unsaved_payment(**extra: Any) -> Payment:
    fields = {
        "reference": "PY2600000001K",
        "purpose": "test_fee",
        "target": "APP1",
        "description_en": "Income certificate fee",
        "description_hi": "आय प्रमाण पत्र शुल्क",
        "amount": 12360,
        "lines": [],
        "gateway": "razorpay",
        "gateway_order_id": ORDER,
        "payer_name": "Asha Verma",
        "payer_mobile": "+919826012345",
        "payer_email": "asha@example.in",
    }
    return Payment(**{**fields, **extra})


# --------------------------------------------------------------------------- configuration


def test_check_config_is_clean_when_everything_is_set(rzp):
    gateway, _ = rzp
    assert gateway.check_config() == []
    assert gateway.mode == "test"


def test_check_config_names_each_missing_setting(rzp, settings):
    gateway, _ = rzp
    settings.RAZORPAY_KEY_ID = ""
    settings.RAZORPAY_KEY_SECRET = ""
    settings.RAZORPAY_WEBHOOK_SECRET = ""
    problems = gateway.check_config()
    assert len(problems) == 3
    for name in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"):
        assert sum(name + " is not set" in problem for problem in problems) == 1


@pytest.mark.parametrize("key_id", ["key_Qm4fT9vL", "rzp_prod_Qm4fT9vL", "rzp_test_", "Qm4fT9vL"])
def test_check_config_refuses_a_key_id_that_is_not_test_or_live(rzp, settings, key_id):
    gateway, _ = rzp
    settings.RAZORPAY_KEY_ID = key_id
    assert gateway.check_config() == [
        "RAZORPAY_KEY_ID does not look like a Razorpay key id "
        "(it starts with rzp_test_ or rzp_live_)"
    ]
    assert gateway.mode == ""


def test_check_config_accepts_a_live_key(rzp, settings):
    gateway, _ = rzp
    settings.RAZORPAY_KEY_ID = "rzp_live_Pz81KdNq0wYb2L"
    assert gateway.check_config() == []
    assert gateway.mode == "live"


def test_check_config_refuses_plain_http_and_a_bad_timeout(rzp, settings):
    gateway, _ = rzp
    settings.RAZORPAY_API_BASE = "http://api.razorpay.com/v1"
    settings.RAZORPAY_TIMEOUT_SECONDS = 0
    assert gateway.check_config() == [
        "RAZORPAY_API_BASE must be an https:// address",
        "RAZORPAY_TIMEOUT_SECONDS must be a number of seconds above zero",
    ]


def test_options_snapshot_never_holds_a_secret(rzp):
    gateway, _ = rzp
    snapshot = gateway.options_snapshot()
    assert snapshot == {
        "RAZORPAY_KEY_ID": KEY_ID,
        "RAZORPAY_API_BASE": "https://api.razorpay.com/v1",
        "RAZORPAY_TIMEOUT_SECONDS": 10,
    }
    text = json.dumps(snapshot)
    assert KEY_SECRET not in text and WEBHOOK_SECRET not in text


# --------------------------------------------------------------------------- orders


def test_create_order_sends_amount_receipt_and_notes(rzp):
    gateway, transport = rzp
    transport.answer("POST", "/orders", load("orders_create.json"))
    assert gateway.create_order(unsaved_payment(gateway_order_id=None)) == ORDER
    assert transport.calls == [
        Call(
            "POST",
            "/orders",
            {
                "amount": 12360,
                "currency": "INR",
                "receipt": "PY2600000001K",
                "notes": {"purpose": "test_fee", "target": "APP1"},
            },
            {},
        )
    ]


def test_create_order_refuses_an_order_for_another_amount(rzp):
    gateway, transport = rzp
    transport.answer("POST", "/orders", {**load("orders_create.json"), "amount": 1236})
    with pytest.raises(PaymentError) as caught:
        gateway.create_order(unsaved_payment(gateway_order_id=None))
    assert "1236" in caught.value.en and caught.value.hi != caught.value.en


def test_create_order_surfaces_razorpays_400_message(rzp):
    gateway, transport = rzp
    transport.answer("POST", "/orders", bad_request())
    with pytest.raises(PaymentError) as caught:
        gateway.create_order(unsaved_payment(gateway_order_id=None, amount=50))
    error = caught.value
    assert isinstance(error, RazorpayError) and not isinstance(error, GatewayUnavailable)
    assert error.en == "Razorpay refused the request: The amount must be atleast INR 1.00"
    assert error.hi == "रेज़रपे ने अनुरोध अस्वीकार कर दिया: The amount must be atleast INR 1.00"
    assert (error.http_status, error.code, error.field) == (400, "BAD_REQUEST_ERROR", "amount")


def test_create_order_unavailable_propagates(rzp):
    gateway, transport = rzp
    transport.answer("POST", "/orders", unavailable("timed out"))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.create_order(unsaved_payment(gateway_order_id=None))
    assert caught.value.status == 503


# --------------------------------------------------------------------------- checkout page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "hi"])
def test_checkout_page_hands_over_to_razorpay_with_the_right_values(rzp, language):
    gateway, transport = rzp
    payment = unsaved_payment()
    checkout = gateway.checkout(
        payment, return_url="/en/payments/PY2600000001K/return/", language=language
    )
    assert checkout.template == "payments/razorpay/checkout.html" and not checkout.redirect_url
    options = checkout.context["razorpay_options"]
    assert options == {
        "key": KEY_ID,
        "order_id": ORDER,
        "amount": 12360,
        "currency": "INR",
        "name": "ई-सेवा" if language == "hi" else "ekseva",
        "description": payment.description(language),
        "prefill": {"name": "Asha Verma", "contact": "+919826012345", "email": "asha@example.in"},
        "notes": {"reference": "PY2600000001K"},
        "theme": {"color": "#0b3d91"},
    }
    assert KEY_SECRET not in json.dumps(options)

    request = RequestFactory().get(f"/{language}/payments/PY2600000001K/pay/")
    with translation.override(language):
        html = render_to_string(checkout.template, checkout.context, request=request)
    assert transport.calls == []
    assert '<script src="https://checkout.razorpay.com/v1/checkout.js"></script>' in html
    # The options reach the page as JSON (escaped for a script element).
    start = html.index('<script id="rzp-options" type="application/json">') + len(
        '<script id="rzp-options" type="application/json">'
    )
    assert json.loads(html[start : html.index("</script>", start)]) == options
    assert 'action="/en/payments/PY2600000001K/return/"' in html
    for name in ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature"):
        assert f'<input type="hidden" name="{name}" value="">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<noscript>" in html
    assert "₹123.60" in html
    assert "PY2600000001K" in html
    if language == "hi":
        assert "रेज़रपे से भुगतान करें" in html
        assert "आय प्रमाण पत्र शुल्क" in html
        assert "JavaScript आवश्यक है" in html
        assert "परीक्षण मोड" in html
    else:
        assert "Pay with Razorpay" in html
        assert "Income certificate fee" in html
        assert "needs JavaScript" in html
        assert "Test mode: no real money is taken." in html


@pytest.mark.django_db
def test_checkout_page_of_a_live_key_says_nothing_of_test_mode(rzp, settings):
    gateway, _ = rzp
    settings.RAZORPAY_KEY_ID = "rzp_live_Pz81KdNq0wYb2L"
    checkout = gateway.checkout(unsaved_payment(payer_email=""), return_url="/r/", language="en")
    assert checkout.context["razorpay_options"]["prefill"] == {
        "name": "Asha Verma",
        "contact": "+919826012345",
    }
    html = render_to_string(checkout.template, checkout.context, request=RequestFactory().get("/"))
    assert "Test mode" not in html


# --------------------------------------------------------------------------- the return


def return_params(signature: str | None = None, payment_id: str = PAY) -> dict[str, str]:
    return {
        "razorpay_payment_id": payment_id,
        "razorpay_order_id": ORDER,
        "razorpay_signature": signature or documented_signature(ORDER, payment_id),
    }


def test_return_with_the_documented_signature_is_fetched_and_believed(rzp):
    gateway, transport = rzp
    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    result = gateway.verify_return(unsaved_payment(), return_params())
    assert (result.status, result.order_id, result.payment_id) == ("succeeded", ORDER, PAY)
    assert (result.amount, result.method, result.reason) == (12360, "upi", "")
    assert transport.calls == [Call("GET", f"/payments/{PAY}", None, {})]


def test_return_of_an_authorised_payment_is_pending(rzp):
    gateway, transport = rzp
    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_authorized.json"))
    result = gateway.verify_return(unsaved_payment(), return_params())
    assert (result.status, result.payment_id) == ("pending", PAY)


def test_return_of_a_failed_payment_is_failed_with_razorpays_reason(rzp):
    gateway, transport = rzp
    failed = load("payments_fetch_failed.json")
    transport.answer("GET", f"/payments/{failed['id']}", failed)
    result = gateway.verify_return(unsaved_payment(), return_params(payment_id=failed["id"]))
    assert result.status == "failed"
    assert result.reason == "Payment was unsuccessful as you could not complete it in time."


def tampered(signature: str) -> str:
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(return_params(tampered(documented_signature(ORDER, PAY))), id="tampered"),
        pytest.param(
            return_params(documented_signature(ORDER, PAY, secret="another-secret")),
            id="wrong-secret",
        ),
        pytest.param(
            return_params(documented_signature("order_Qm0therOrder01", PAY)), id="other-order"
        ),
        pytest.param(
            {**return_params(), "razorpay_payment_id": "pay_Qm0therPaymnt"}, id="other-payment"
        ),
        pytest.param({**return_params(), "razorpay_signature": ""}, id="no-signature"),
        pytest.param({**return_params(), "razorpay_payment_id": ""}, id="no-payment-id"),
        pytest.param(
            {**return_params(), "razorpay_order_id": "order_Qm0therOrder01"}, id="sent-order"
        ),
        pytest.param({**return_params(), "razorpay_signature": "é" * 64}, id="non-ascii"),
    ],
)
def test_return_that_does_not_verify_is_refused_before_any_call(rzp, params):
    gateway, transport = rzp
    with pytest.raises(SignatureError) as caught:
        gateway.verify_return(unsaved_payment(), params)
    assert caught.value.hi and caught.value.hi != caught.value.en
    assert transport.calls == []


def test_return_is_signed_with_the_stored_order_not_the_sent_one(rzp):
    """A signature made for an order the browser names, not ours, is refused."""
    gateway, transport = rzp
    other = "order_Qm0therOrder01"
    params = {
        "razorpay_payment_id": PAY,
        "razorpay_order_id": other,
        "razorpay_signature": documented_signature(other, PAY),
    }
    with pytest.raises(SignatureError):
        gateway.verify_return(unsaved_payment(), params)
    assert transport.calls == []


def test_return_whose_payment_belongs_to_another_order_is_refused(rzp):
    gateway, transport = rzp
    entity = {**load("payments_fetch_captured.json"), "order_id": "order_Qm0therOrder01"}
    transport.answer("GET", f"/payments/{PAY}", entity)
    with pytest.raises(SignatureError):
        gateway.verify_return(unsaved_payment(), return_params())


def test_return_when_razorpay_cannot_be_asked_stays_pending(rzp):
    gateway, transport = rzp
    transport.answer("GET", f"/payments/{PAY}", unavailable("timed out"))
    result = gateway.verify_return(unsaved_payment(), return_params())
    assert (result.status, result.order_id, result.payment_id) == ("pending", ORDER, PAY)


def test_return_without_a_key_secret_is_not_checked_with_an_empty_key(rzp, settings):
    gateway, transport = rzp
    settings.RAZORPAY_KEY_SECRET = ""
    params = return_params(documented_signature(ORDER, PAY, secret=""))
    with pytest.raises(GatewayUnavailable):
        gateway.verify_return(unsaved_payment(), params)
    assert transport.calls == []


# --------------------------------------------------------------------------- webhooks


@pytest.mark.parametrize(
    ("fixture", "status", "reason"),
    [
        ("webhook_payment_captured.json", "succeeded", ""),
        ("webhook_order_paid.json", "succeeded", ""),
        (
            "webhook_payment_failed.json",
            "failed",
            "Payment was unsuccessful as you could not complete it in time.",
        ),
    ],
)
def test_webhook_events_that_decide_a_payment(rzp, fixture, status, reason):
    gateway, _ = rzp
    body = raw(fixture)
    event = gateway.parse_webhook(body, webhook_headers(body))
    payment = json.loads(body)["payload"]["payment"]["entity"]
    assert event.event_id == EVENT_ID
    assert event.kind == json.loads(body)["event"]
    assert event.result is not None
    assert (event.result.status, event.result.reason) == (status, reason)
    assert (event.result.order_id, event.result.payment_id) == (ORDER, payment["id"])
    assert (event.result.amount, event.result.method) == (12360, "upi")


@pytest.mark.parametrize(
    "fixture", ["webhook_refund_processed.json", "webhook_payment_authorized.json"]
)
def test_webhook_events_that_are_recorded_not_acted_on(rzp, fixture):
    gateway, _ = rzp
    body = raw(fixture)
    event = gateway.parse_webhook(body, webhook_headers(body))
    assert event.kind == json.loads(body)["event"]
    assert event.result is None


def test_webhook_headers_are_found_in_any_case_and_in_meta_form(rzp):
    gateway, _ = rzp
    body = raw("webhook_payment_captured.json")
    lower = {"x-razorpay-signature": webhook_signature(body), "x-razorpay-event-id": EVENT_ID}
    meta = {
        "HTTP_X_RAZORPAY_SIGNATURE": webhook_signature(body),
        "HTTP_X_RAZORPAY_EVENT_ID": EVENT_ID,
    }
    for headers in (lower, meta):
        assert gateway.parse_webhook(body, headers).event_id == EVENT_ID


def test_webhook_without_an_event_id_is_keyed_by_its_body(rzp):
    gateway, _ = rzp
    body = raw("webhook_payment_captured.json")
    headers = {"X-Razorpay-Signature": webhook_signature(body)}
    event = gateway.parse_webhook(body, headers)
    assert event.event_id == "sha256:" + hashlib.sha256(body).hexdigest()
    assert gateway.parse_webhook(body, headers).event_id == event.event_id


def test_webhook_with_a_changed_body_is_refused(rzp):
    gateway, _ = rzp
    body = raw("webhook_payment_failed.json")
    headers = webhook_headers(body)
    changed = body.replace(b'"status": "failed"', b'"status": "captured"', 1)
    changed = changed.replace(b'"event": "payment.failed"', b'"event": "payment.captured"', 1)
    assert changed != body
    with pytest.raises(SignatureError):
        gateway.parse_webhook(changed, headers)
    # Re-serialised JSON is not the raw body either.
    reserialised = json.dumps(json.loads(body)).encode()
    with pytest.raises(SignatureError):
        gateway.parse_webhook(reserialised, headers)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: {"X-Razorpay-Event-Id": EVENT_ID}, id="no-signature"),
        pytest.param(
            lambda body: {"X-Razorpay-Signature": webhook_signature(body, "other-secret")},
            id="wrong-secret",
        ),
        pytest.param(
            lambda body: {"X-Razorpay-Signature": tampered(webhook_signature(body))},
            id="tampered",
        ),
        pytest.param(
            lambda body: {"X-Razorpay-Signature": documented_signature(ORDER, PAY)},
            id="checkout-signature",
        ),
    ],
)
def test_webhook_with_a_bad_signature_is_refused(rzp, headers):
    gateway, _ = rzp
    body = raw("webhook_payment_captured.json")
    with pytest.raises(SignatureError):
        gateway.parse_webhook(body, headers(body))


def test_webhook_without_a_secret_is_not_checked_with_an_empty_key(rzp, settings):
    gateway, _ = rzp
    settings.RAZORPAY_WEBHOOK_SECRET = ""
    body = raw("webhook_payment_captured.json")
    with pytest.raises(GatewayUnavailable):
        gateway.parse_webhook(body, {"X-Razorpay-Signature": webhook_signature(body, "")})


def test_signed_webhook_that_is_not_an_event_is_refused(rzp):
    gateway, _ = rzp
    for body in (b"not json", b"[1, 2]", b'{"entity": "event"}'):
        with pytest.raises(PaymentError):
            gateway.parse_webhook(body, webhook_headers(body))
    body = json.dumps({"entity": "event", "event": "payment.captured", "payload": {}}).encode()
    with pytest.raises(PaymentError) as caught:
        gateway.parse_webhook(body, webhook_headers(body))
    assert not isinstance(caught.value, SignatureError)


# --------------------------------------------------------------------------- polling


@pytest.mark.parametrize(
    ("fixture", "status", "payment_id", "reason"),
    [
        ("orders_payments_captured.json", "succeeded", PAY, ""),
        (
            "orders_payments_failed.json",
            "failed",
            "pay_Qm4gAbT5nM0cX9",
            "Payment failed because the UPI PIN entered was incorrect.",
        ),
        ("orders_payments_authorized.json", "pending", PAY, ""),
        ("orders_payments_empty.json", "pending", "", ""),
    ],
)
def test_fetch_status_reads_every_attempt_on_the_order(rzp, fixture, status, payment_id, reason):
    gateway, transport = rzp
    transport.answer("GET", f"/orders/{ORDER}/payments", load(fixture))
    result = gateway.fetch_status(unsaved_payment())
    assert (result.status, result.order_id, result.payment_id, result.reason) == (
        status,
        ORDER,
        payment_id,
        reason,
    )
    assert transport.calls == [Call("GET", f"/orders/{ORDER}/payments", None, {})]


def test_fetch_status_finds_a_capture_listed_after_a_later_failure(rzp):
    """Captured anywhere among the attempts wins over the latest failure."""
    gateway, transport = rzp
    answer = load("orders_payments_captured.json")
    answer["items"].reverse()
    failed_later = {**answer["items"][0], "created_at": 1767600999}
    answer["items"][0] = failed_later
    transport.answer("GET", f"/orders/{ORDER}/payments", answer)
    assert gateway.fetch_status(unsaved_payment()).status == "succeeded"


def test_a_payment_refunded_before_capture_is_not_a_success(rzp):
    gateway, transport = rzp
    never_captured = {
        **load("payments_fetch_authorized.json"),
        "status": "refunded",
        "captured": False,
    }
    captured_then_refunded = {
        **load("payments_fetch_captured.json"),
        "status": "refunded",
        "amount_refunded": 12360,
    }
    transport.answer("GET", f"/orders/{ORDER}/payments", {"items": [never_captured]})
    assert gateway.fetch_status(unsaved_payment()).status == "failed"
    transport.answer("GET", f"/orders/{ORDER}/payments", {"items": [captured_then_refunded]})
    assert gateway.fetch_status(unsaved_payment()).status == "succeeded"


def test_fetch_status_passes_unavailability_on(rzp):
    gateway, transport = rzp
    transport.answer("GET", f"/orders/{ORDER}/payments", unavailable("HTTP 502"))
    with pytest.raises(GatewayUnavailable):
        gateway.fetch_status(unsaved_payment())


# --------------------------------------------------------------------------- refunds


def unsaved_refund(**extra: Any) -> Refund:
    return Refund(**{"reference": "RF2600000001M", "amount": 12360, **extra})


def test_refund_asks_once_with_an_idempotency_key(rzp):
    gateway, transport = rzp
    transport.answer("POST", f"/payments/{PAY}/refund", load("refunds_create.json"))
    result = gateway.refund(unsaved_payment(gateway_payment_id=PAY), unsaved_refund())
    assert result == gateways.RefundResult(ok=True, refund_id="rfnd_Qm9cRt4uV1eZ8a")
    assert transport.calls == [
        Call(
            "POST",
            f"/payments/{PAY}/refund",
            {
                "amount": 12360,
                "speed": "normal",
                "receipt": "RF2600000001M",
                "notes": {"reference": "RF2600000001M", "payment": "PY2600000001K"},
            },
            {"X-Refund-Idempotency": "ekseva-RF2600000001M"},
        )
    ]


def test_refund_refused_by_razorpay_is_not_ok_with_its_words(rzp):
    gateway, transport = rzp
    transport.answer("POST", f"/payments/{PAY}/refund", bad_request("error_refund_too_much.json"))
    result = gateway.refund(unsaved_payment(gateway_payment_id=PAY), unsaved_refund())
    assert result == gateways.RefundResult(
        ok=False, error="Razorpay: The refund amount provided is greater than amount captured"
    )


def test_refund_when_razorpay_cannot_be_reached_is_not_ok(rzp):
    gateway, transport = rzp
    transport.answer("POST", f"/payments/{PAY}/refund", unavailable("timed out"))
    result = gateway.refund(unsaved_payment(gateway_payment_id=PAY), unsaved_refund())
    assert not result.ok and "timed out" in result.error


def test_refund_that_razorpay_marks_failed_is_not_ok(rzp):
    gateway, transport = rzp
    transport.answer(
        "POST", f"/payments/{PAY}/refund", {**load("refunds_create.json"), "status": "failed"}
    )
    result = gateway.refund(unsaved_payment(gateway_payment_id=PAY), unsaved_refund())
    assert (result.ok, result.refund_id) == (False, "rfnd_Qm9cRt4uV1eZ8a")


def test_refund_without_a_razorpay_payment_id_asks_nothing(rzp):
    gateway, transport = rzp
    result = gateway.refund(unsaved_payment(gateway_payment_id=""), unsaved_refund())
    assert not result.ok
    assert transport.calls == []


# --------------------------------------------------------------------------- fees


@pytest.mark.parametrize(
    ("amount", "fee"),
    [(12360, 247 + 44), (50000, 1000 + 180), (9999, 200 + 36), (100, 2 + 0), (1, 0)],
)
def test_expected_fee_is_two_percent_plus_gst_on_the_fee(amount, fee):
    assert RazorpayGateway().expected_fee(amount, "upi") == fee


def test_expected_fee_follows_the_class_rates():
    class Negotiated(RazorpayGateway):
        FEE_RATE = RazorpayGateway.FEE_RATE / 2
        FEE_RATE_BY_METHOD = {"emi": RazorpayGateway.FEE_RATE * 2}

    assert Negotiated().expected_fee(50000, "card") == 500 + 90
    assert Negotiated().expected_fee(50000, "emi") == 2000 + 360


def test_expected_fee_matches_the_recorded_settlement_report():
    gateway = RazorpayGateway()
    rows = gateway.parse_settlement(raw("settlement_recon.csv").decode())
    for row in rows:
        if row.kind == "payment":
            assert gateway.expected_fee(row.amount, "") == row.fee


# --------------------------------------------------------------------------- settlement report


def test_settlement_report_is_read_into_exact_paise():
    rows = RazorpayGateway().parse_settlement(raw("settlement_recon.csv").decode())
    assert [
        (row.line, row.kind, row.payment_id, row.refund_id, row.amount, row.fee, row.tax)
        for row in rows
    ] == [
        (2, "payment", PAY, "", 12360, 291, 44),
        (3, "payment", "pay_Qm6kP3rTs9vW1x", "", 50000, 1180, 180),
        (5, "payment", "pay_Qm7nB2cD4eF5g6", "", 9999, 236, 36),
        (6, "refund", PAY, "rfnd_Qm9cRt4uV1eZ8a", 12360, 0, 0),
    ]
    assert {row.settlement_id for row in rows} == {"setl_QnA1bC5dEf6gH7"}
    assert rows[0].order_id == ORDER and rows[3].order_id == ORDER
    # 15:00 on 7 January in words; 01:30 IST on 7 January (20:00 UTC the 6th) as Unix time.
    assert {row.settled_on for row in rows} == {"2026-01-07"}


def test_settlement_report_tolerates_a_bom_crlf_and_upper_case_headers():
    text = raw("settlement_recon.csv").decode()
    header, rest = text.split("\n", 1)
    variant = "\ufeff" + (header.upper() + "\n" + rest).replace("\n", "\r\n")
    rows = RazorpayGateway().parse_settlement(variant)
    assert [(row.line, row.amount) for row in rows] == [
        (2, 12360),
        (3, 50000),
        (5, 9999),
        (6, 12360),
    ]


def report_with(line: int, old: str, new: str) -> str:
    lines = raw("settlement_recon.csv").decode().split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param(report_with(2, ",123.60,", ",123.605,"), 2, "amount", id="three-decimals"),
        pytest.param(report_with(5, ",99.99,", ",99.9.9,"), 5, "amount", id="not-a-number"),
        pytest.param(report_with(5, ",99.99,", ",-99.99,"), 5, "amount", id="negative"),
        pytest.param(report_with(5, ",99.99,", ",₹99.99,"), 5, "amount", id="rupee-sign"),
        pytest.param(report_with(2, ",2.91,", ",2.915,"), 2, "fee", id="fee-three-decimals"),
        pytest.param(
            report_with(6, ",123.60,0.00,", ",12360,0.00,"), 6, "debit", id="refund-debit"
        ),
        pytest.param(report_with(2, ",120.69,", ",123.60,"), 2, "credit", id="payment-credit"),
        pytest.param(report_with(2, ",2.91,0.44,", ",2.91,2.92,"), 2, "tax", id="tax-over-fee"),
        pytest.param(report_with(5, ",INR,", ",USD,"), 5, "currency", id="currency"),
        pytest.param(report_with(5, ",payment,", ",chargeback,"), 5, "type", id="type"),
        pytest.param(report_with(6, "rfnd_Qm9", "pay_Qm9"), 6, "entity_id", id="refund-id"),
        pytest.param(
            report_with(6, ",pay_Qm4gH2sYp8wZ3d,", ",,"), 6, "payment_id", id="refund-payment"
        ),
        pytest.param(
            report_with(3, "2026-01-07 15:00:12", "yesterday"), 3, "settled_at", id="date"
        ),
        pytest.param(
            report_with(1, ",settled_at,", ",settlement_date,"), 1, "settled_at", id="header"
        ),
    ],
)
def test_a_bad_settlement_row_is_refused_naming_line_and_column(text, line, column):
    with pytest.raises(SettlementFileError) as caught:
        RazorpayGateway().parse_settlement(text)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.en.startswith(f"Line {line}, column {column}: ")
    assert error.hi.startswith(f"पंक्ति {line}, कॉलम {column}: ")
    assert isinstance(error, PaymentError)


def test_an_empty_settlement_file_is_refused():
    with pytest.raises(PaymentError) as caught:
        RazorpayGateway().parse_settlement("")
    assert caught.value.hi == "निपटान फ़ाइल खाली है।"


@given(st.integers(min_value=0, max_value=10**14))
def test_rupees_to_paise_is_exact(paise):
    assert rupees_to_paise(f"{paise // 100}.{paise % 100:02d}", line=2, column="amount") == paise
    if paise % 10 == 0:
        text = f"{paise // 100}.{paise % 100 // 10}"
        assert rupees_to_paise(text, line=2, column="amount") == paise
    if paise % 100 == 0:
        assert rupees_to_paise(str(paise // 100), line=2, column="amount") == paise


# --------------------------------------------------------------------------- the real transport


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        server.calls.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        status, payload = server.script[(self.command, self.path)]
        if payload is None:  # hang until the test is over: the client times out
            server.release.wait()
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.calls, server.script, server.release = [], {}, threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def transport_for(server, timeout: float = 5) -> UrllibTransport:
    return UrllibTransport(server.base, KEY_ID, KEY_SECRET, timeout)


def test_transport_sends_basic_auth_and_json(api_server):
    api_server.script[("POST", "/v1/orders")] = (200, raw("orders_create.json"))
    answer = transport_for(api_server).request("POST", "/orders", {"amount": 12360})
    assert answer == load("orders_create.json")
    (call,) = api_server.calls
    token = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    assert call["headers"]["Authorization"] == f"Basic {token}"
    assert call["headers"]["Content-Type"] == "application/json"
    assert json.loads(call["body"]) == {"amount": 12360}


def test_transport_surfaces_a_400_description(api_server):
    api_server.script[("POST", "/v1/orders")] = (400, raw("error_bad_request.json"))
    with pytest.raises(RazorpayError) as caught:
        transport_for(api_server).request("POST", "/orders", {"amount": 50})
    assert caught.value.description == "The amount must be atleast INR 1.00"
    assert caught.value.http_status == 400


def test_transport_reads_a_4xx_without_a_json_body(api_server):
    api_server.script[("GET", "/v1/payments/pay_X")] = (401, b"Unauthorized")
    with pytest.raises(RazorpayError) as caught:
        transport_for(api_server).request("GET", "/payments/pay_X")
    assert caught.value.description == "HTTP 401"


@pytest.mark.parametrize("status", [500, 502, 503, 409, 429])
def test_transport_treats_5xx_409_and_429_as_try_again(api_server, status):
    api_server.script[("GET", "/v1/orders/x/payments")] = (status, raw("error_server.json"))
    with pytest.raises(GatewayUnavailable) as caught:
        transport_for(api_server).request("GET", "/orders/x/payments")
    assert f"HTTP {status}" in caught.value.en
    assert caught.value.hi


def test_transport_timeout_is_gateway_unavailable(api_server):
    api_server.script[("GET", "/v1/payments/pay_slow")] = (200, None)
    with pytest.raises(GatewayUnavailable) as caught:
        transport_for(api_server, timeout=0.2).request("GET", "/payments/pay_slow")
    assert "timed out" in caught.value.en


def test_transport_refused_connection_is_gateway_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = UrllibTransport(f"http://127.0.0.1:{port}/v1", KEY_ID, KEY_SECRET, 5)
    with pytest.raises(GatewayUnavailable):
        transport.request("GET", "/orders/x/payments")


def test_transport_answer_that_is_not_json_is_gateway_unavailable(api_server):
    api_server.script[("GET", "/v1/orders/x/payments")] = (200, b"<html>maintenance</html>")
    with pytest.raises(GatewayUnavailable):
        transport_for(api_server).request("GET", "/orders/x/payments")


def test_transport_refuses_a_base_that_is_not_http():
    with pytest.raises(GatewayUnavailable):
        UrllibTransport("file:///etc", KEY_ID, KEY_SECRET, 5)


def test_gateway_without_an_injected_transport_uses_the_settings(api_server, settings):
    settings.RAZORPAY_KEY_ID = KEY_ID
    settings.RAZORPAY_KEY_SECRET = KEY_SECRET
    settings.RAZORPAY_API_BASE = api_server.base
    api_server.script[("POST", "/v1/orders")] = (200, raw("orders_create.json"))
    order_id = RazorpayGateway().create_order(unsaved_payment(gateway_order_id=None))
    assert order_id == ORDER
    (call,) = api_server.calls
    assert json.loads(call["body"])["receipt"] == "PY2600000001K"
    token = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    assert call["headers"]["Authorization"] == f"Basic {token}"


# --------------------------------------------------------------------------- through the services


def razorpay_payment(transport: FakeTransport) -> Payment:
    transport.answer("POST", "/orders", load("orders_create.json"))
    return make_payment(
        gateway="razorpay",
        payer_name="Asha Verma",
        payer_mobile="+919826012345",
        payer_email="asha@example.in",
    )


@pytest.mark.django_db
def test_pay_through_razorpay_end_to_end(rzp, effects):
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    assert payment.gateway == "razorpay"
    assert KEY_SECRET not in json.dumps(payment.gateway_options)

    started = services.start_checkout(payment, return_url="/en/payments/back/", language="en")
    assert started.payment.gateway_order_id == ORDER
    assert started.payment.status == Status.PENDING
    assert started.checkout.context["razorpay_options"]["order_id"] == ORDER
    assert transport.calls[0].body["receipt"] == payment.reference
    # Opening the checkout again reuses the order.
    services.start_checkout(payment, return_url="/en/payments/back/", language="en")
    assert [call.path for call in transport.calls] == ["/orders"]

    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    paid = services.handle_return(started.payment, return_params())
    assert paid.status == Status.SUCCEEDED
    assert (paid.gateway_payment_id, paid.method, paid.outcome) == (PAY, "upi", Outcome.FULFILLED)
    assert services.succeeded_effects(paid) == 1
    assert services.balance_of("gateway_clearing", "razorpay") == 12360
    assert effects.done == {"APP1": 1}

    # Razorpay's webhook for the same capture, delivered twice.
    body = raw("webhook_payment_captured.json")
    first = services.handle_webhook("razorpay", body, webhook_headers(body))
    second = services.handle_webhook("razorpay", body, webhook_headers(body))
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.event.pk == first.event.pk
    assert first.event.payment_id == paid.pk and first.event.kind == "payment.captured"
    assert GatewayEvent.objects.filter(gateway="razorpay").count() == 1
    assert services.succeeded_effects(paid) == 1
    assert services.balance_of("gateway_clearing", "razorpay") == 12360
    assert effects.done == {"APP1": 1}


@pytest.mark.django_db
def test_webhook_before_the_return_and_twice_takes_effect_once(rzp, effects):
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    services.start_checkout(payment, return_url="/back/")
    body = raw("webhook_order_paid.json")
    for _ in range(2):
        services.handle_webhook("razorpay", body, webhook_headers(body, "Qm4gOrderPaid01"))
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and payment.gateway_payment_id == PAY
    # The payer's browser arrives afterwards: signed, fetched, already applied.
    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    services.handle_return(payment, return_params())
    assert services.succeeded_effects(payment) == 1
    assert effects.done == {"APP1": 1}
    assert services.balance_of("gateway_clearing", "razorpay") == 12360


@pytest.mark.django_db
def test_forged_return_changes_nothing(rzp, effects):
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    services.start_checkout(payment, return_url="/back/")
    forged = return_params(documented_signature(ORDER, PAY, secret="guessed"))
    with pytest.raises(SignatureError):
        services.handle_return(payment, forged)
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert services.succeeded_effects(payment) == 0


@pytest.mark.django_db
def test_failed_webhook_then_poll_finds_the_capture(rzp, effects):
    """Razorpay documents payment.failed followed by payment.captured (a UPI retry)."""
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    services.start_checkout(payment, return_url="/back/")
    body = raw("webhook_payment_failed.json")
    services.handle_webhook("razorpay", body, webhook_headers(body, "Qm4gFailed0001"))
    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    assert payment.failure_reason.startswith("Payment was unsuccessful")
    transport.answer("GET", f"/orders/{ORDER}/payments", load("orders_payments_captured.json"))
    payment = services.poll(payment)
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}


@pytest.mark.django_db
def test_refund_through_razorpay(rzp, effects):
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    started = services.start_checkout(payment, return_url="/back/")
    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    paid = services.handle_return(started.payment, return_params())

    refund = services.refund(paid, 12360, reason="applied twice", idempotency_key="rf-1")
    transport.answer("POST", f"/payments/{PAY}/refund", bad_request("error_refund_too_much.json"))
    refused = services.process_refund(refund.pk)
    assert refused.status == RefundStatus.FAILED
    assert "greater than amount captured" in refused.last_error

    transport.answer("POST", f"/payments/{PAY}/refund", load("refunds_create.json"))
    done = services.process_refund(refund.pk)
    assert (done.status, done.gateway_refund_id) == (RefundStatus.PROCESSED, "rfnd_Qm9cRt4uV1eZ8a")
    refund_calls = [call for call in transport.calls if call.path.endswith("/refund")]
    assert len(refund_calls) == 2
    assert all(
        call.headers == {"X-Refund-Idempotency": f"ekseva-{refund.reference}"}
        and call.body["receipt"] == refund.reference
        and call.body["amount"] == 12360
        for call in refund_calls
    )
    assert services.balance_of("gateway_clearing", "razorpay") == 0


@pytest.mark.django_db
def test_recorded_settlement_report_reconciles_a_razorpay_payment_and_its_refund(rzp, effects):
    """Paid through Razorpay on 5 January, refunded on the 6th, settled on the 7th:
    the recorded report matches both, with Razorpay's fee as expected; the two other
    payments in the report are not ours."""
    _gateway, transport = rzp
    with clock.frozen(dt.datetime(2026, 1, 5, 13, 32, tzinfo=ZoneInfo("Asia/Kolkata"))):
        payment = razorpay_payment(transport)
        started = services.start_checkout(payment, return_url="/back/")
        transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
        paid = services.handle_return(started.payment, return_params())
        clock.advance(days=1)
        refund = services.refund(paid, 12360, reason="withdrawn", idempotency_key="rf-recon")
        transport.answer("POST", f"/payments/{PAY}/refund", load("refunds_create.json"))
        services.process_refund(refund.pk)
        clock.advance(days=1)
        text = raw("settlement_recon.csv").decode()
        run = reconcile.import_file("razorpay", "settlement_recon.csv", text)

    assert sorted((item.line, item.category) for item in run.items.all()) == [
        (2, ItemCategory.MATCHED),
        (3, ItemCategory.NOT_IN_LEDGER),
        (5, ItemCategory.NOT_IN_LEDGER),
        (6, ItemCategory.REFUND_MATCHED),
    ]
    matched = run.items.get(line=2)
    assert (matched.payment_id, matched.file_fee, matched.expected_fee) == (paid.pk, 291, 291)
    assert (run.gross, run.fees) == (12360 + 50000 + 9999 - 12360, 291 + 1180 + 236)


@pytest.mark.django_db
def test_razorpay_reaches_our_webhook_and_return_addresses(rzp, effects, client):
    """Through the real URLs: the webhook endpoint reads Razorpay's headers, the
    return page takes the hidden form's POST."""
    _gateway, transport = rzp
    payment = razorpay_payment(transport)
    services.start_checkout(payment, return_url="/back/")
    url = "/payments/webhooks/razorpay/"
    body = raw("webhook_payment_captured.json")
    signed = {
        "HTTP_X_RAZORPAY_SIGNATURE": webhook_signature(body),
        "HTTP_X_RAZORPAY_EVENT_ID": EVENT_ID,
    }
    forged = {**signed, "HTTP_X_RAZORPAY_SIGNATURE": webhook_signature(body, "guessed")}
    refused = client.post(url, body, content_type="application/json", **forged)
    assert refused.status_code == 400
    assert GatewayEvent.objects.count() == 0
    first = client.post(url, body, content_type="application/json", **signed)
    again = client.post(url, body, content_type="application/json", **signed)
    assert (first.status_code, first.json()) == (200, {"status": "ok"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and effects.done == {"APP1": 1}

    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    back = client.post(f"/en/payments/{payment.reference}/return/", return_params())
    assert back.status_code == 302
    assert back["Location"].endswith(f"/payments/{payment.reference}/")
    bad = client.post(
        f"/en/payments/{payment.reference}/return/",
        return_params(tampered(return_params()["razorpay_signature"])),
    )
    assert bad.status_code == 400
    assert services.succeeded_effects(payment) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_payer_pays_through_our_pages(rzp, effects, client, language):
    """The payer's pay button renders the hand-over page; the hidden form's POST
    (what checkout.js's handler sends) comes back to the return address."""

    _gateway, transport = rzp
    citizen = User.objects.create_citizen("9826012345")
    transport.answer("POST", "/orders", load("orders_create.json"))
    payment = make_payment(gateway="razorpay", payer=citizen, payer_name="Asha Verma")
    client.force_login(citizen)
    page = client.post(f"/{language}/payments/{payment.reference}/pay/")
    assert page.status_code == 200
    assert page.templates[0].name == "payments/razorpay/checkout.html"
    html = page.content.decode()
    return_url = f"http://testserver/{language}/payments/{payment.reference}/return/"
    assert f'action="{return_url}"' in html
    assert page.context["razorpay_options"]["order_id"] == ORDER
    assert ("रेज़रपे से भुगतान करें" if language == "hi" else "Pay with Razorpay") in html

    transport.answer("GET", f"/payments/{PAY}", load("payments_fetch_captured.json"))
    back = client.post(return_url, return_params())
    assert back.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and effects.done == {"APP1": 1}
