"""The sandbox gateway end to end: the payer on its checkout page, the signed return,
the webhooks it schedules, and each scenario's effect on our payment."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import translation

from ekseva.ledger.models import JournalEntry
from ekseva.payments import gateways, sandbox, services
from ekseva.payments.models import (
    GatewayEvent,
    Outcome,
    PaymentEvent,
    RefundKind,
    RefundStatus,
    SandboxOrder,
    SandboxWebhook,
    SignatureError,
    Status,
)

from .conftest import make_payment

pytestmark = pytest.mark.django_db

SECRET = "sandbox-secret-for-tests-0123456789"
CARD_OK = {"card_number": "4111 1111 1111 1111", "card_expiry": "12/40", "card_cvv": "123"}
CARD_DECLINED = {**CARD_OK, "card_number": "4000 0000 0000 0002"}


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.SANDBOX_GATEWAY_SECRET = SECRET


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def checkout(payment, language="en") -> str:
    """Send the payment to the sandbox; the checkout page's URL."""
    start = services.start_checkout(
        payment,
        return_url=f"http://testserver/{language}/payments/{payment.reference}/return/",
        language=language,
    )
    return start.checkout.redirect_url


def pay_on_page(client, committed, page: str, method: str, deliver=True, **fields) -> str:
    """Fill the checkout page and press Pay; where the sandbox sends the browser."""
    data = {"method": method, **{f"{method}-{name}": value for name, value in fields.items()}}
    if deliver:  # the immediate webhooks go out after the commit
        with committed():
            response = client.post(page, data)
    else:
        response = client.post(page, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def come_back(client, location: str):
    response = client.get(location)
    return response


def params_of(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query))


def order_of(payment) -> SandboxOrder:
    payment.refresh_from_db()
    return SandboxOrder.objects.get(order_id=payment.gateway_order_id)


def paid(client, committed, payment, handle="success@sandbox"):
    location = pay_on_page(client, committed, checkout(payment), "upi", upi_handle=handle)
    assert come_back(client, location).status_code == 302
    payment.refresh_from_db()
    return payment


# --------------------------------------------------------------------------- scenarios


def test_success_by_card(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    page = checkout(payment)
    assert page.startswith("/en/payments/sandbox/checkout/sbx_order_")
    location = pay_on_page(client, committed, page, "card", **CARD_OK)
    assert location.startswith(f"http://testserver/en/payments/{payment.reference}/return/?")
    assert params_of(location)["status"] == "paid"

    # the webhook went out right after the payer's action
    webhook = GatewayEvent.objects.get(gateway="sandbox")
    assert (webhook.kind, webhook.result, webhook.payment_id) == (
        "payment.captured",
        "applied",
        payment.pk,
    )
    response = come_back(client, location)
    assert response.status_code == 302
    assert response["Location"] == f"/en/payments/{payment.reference}/"

    payment.refresh_from_db()
    order = order_of(payment)
    assert payment.status == Status.SUCCEEDED
    assert payment.outcome == Outcome.FULFILLED
    assert payment.method == "card"
    assert payment.gateway_payment_id == order.payment_id != ""
    assert order.status == "paid" and order.scenario == sandbox.SUCCESS
    assert order.attempts[-1]["instrument"] == "card •••• 1111"
    assert effects.done == {"APP1": 1}
    assert services.succeeded_effects(payment) == 1


def test_failure_by_upi(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(
        client, committed, checkout(payment), "upi", upi_handle="failure@sandbox"
    )
    assert params_of(location)["status"] == "failed"
    assert come_back(client, location).status_code == 302

    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    assert payment.failure_reason
    assert effects.done == {}
    assert services.succeeded_effects(payment) == 0
    assert GatewayEvent.objects.get(gateway="sandbox").kind == "payment.failed"
    assert gateways.get("sandbox").fetch_status(payment).status == "failed"


def test_failure_by_net_banking(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(client, committed, checkout(payment), "netbanking", bank="SBXF")
    come_back(client, location)
    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    assert order_of(payment).method == "netbanking"


def test_timeout_stays_pending_then_expires(client, committed, effects, frozen_clock, settings):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(
        client, committed, checkout(payment), "upi", upi_handle="timeout@sandbox"
    )
    assert params_of(location)["status"] == "pending"
    come_back(client, location)
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert not SandboxWebhook.objects.exists()  # no webhook ever comes

    frozen_clock.advance(seconds=settings.PAYMENT_POLL_FIRST_SECONDS + 1)
    assert services.poll_due() == 1
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert payment.poll_count == 1
    assert gateways.get("sandbox").fetch_status(payment).status == "pending"

    frozen_clock.advance(
        minutes=settings.PAYMENT_CHECKOUT_MINUTES,
        seconds=settings.PAYMENT_EXPIRY_GRACE_SECONDS + 1,
    )
    payment = services.poll(payment)
    assert payment.status == Status.EXPIRED
    assert effects.done == {}


def test_timeout_is_expired_by_the_sweep(client, committed, effects, frozen_clock, settings):
    payment = make_payment(gateway="sandbox")
    come_back(
        client,
        pay_on_page(client, committed, checkout(payment), "upi", upi_handle="timeout@sandbox"),
    )
    frozen_clock.advance(minutes=settings.PAYMENT_CHECKOUT_MINUTES + 1)
    report = services.sweep()
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED
    assert report.expired == 1


def test_late_success_after_the_payer_gave_up_takes_effect(
    client, committed, effects, frozen_clock
):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(client, committed, checkout(payment), "upi", upi_handle="late@sandbox")
    assert params_of(location)["status"] == "failed"
    come_back(client, location)
    payment.refresh_from_db()
    assert payment.status == Status.FAILED

    assert sandbox.deliver_due() == 0  # the capture is minutes away
    assert gateways.get("sandbox").fetch_status(payment).status == "failed"

    frozen_clock.advance(minutes=6)
    with committed():
        assert sandbox.deliver_due() == 1
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.outcome == Outcome.FULFILLED
    assert payment.events.filter(note="late success").count() == 1
    assert effects.done == {"APP1": 1}
    order = order_of(payment)
    assert order.status == "paid" and order.payment_id == payment.gateway_payment_id


def test_late_success_is_refunded_when_the_purpose_refuses(
    client, committed, effects, frozen_clock
):
    payment = make_payment(gateway="sandbox")
    come_back(
        client, pay_on_page(client, committed, checkout(payment), "upi", upi_handle="late@sandbox")
    )
    effects.closed.add("APP1")  # e.g. the application window closed meanwhile
    frozen_clock.advance(minutes=6)
    with committed():
        sandbox.deliver_due()
    payment.refresh_from_db()
    assert payment.outcome == Outcome.UNUSABLE
    assert payment.status == Status.REFUNDED
    assert effects.done == {}
    refund = payment.refunds.get()
    assert refund.kind == RefundKind.UNUSABLE
    assert refund.status == RefundStatus.PROCESSED  # the sandbox accepted it
    assert order_of(payment).refunds.get().amount == payment.amount


def test_late_success_without_its_webhook_is_found_by_the_sweep(
    client, committed, effects, frozen_clock
):
    payment = make_payment(gateway="sandbox")
    come_back(
        client, pay_on_page(client, committed, checkout(payment), "upi", upi_handle="late@sandbox")
    )
    frozen_clock.advance(minutes=6)  # the webhook is due but lost: nobody delivers it
    report = services.sweep()
    payment.refresh_from_db()
    assert report.late_succeeded == 1
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}


def test_duplicate_webhooks_take_one_effect(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(
        client, committed, checkout(payment), "upi", upi_handle="duplicate@sandbox"
    )
    hooks = list(SandboxWebhook.objects.order_by("id"))
    assert [hook.kind for hook in hooks] == ["payment.captured"] * 3
    assert hooks[0].event_id == hooks[1].event_id != hooks[2].event_id
    assert [hook.last_status for hook in hooks] == ["ok", "duplicate", "ok"]
    assert all(hook.delivered_at for hook in hooks)
    come_back(client, location)

    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}
    assert JournalEntry.objects.filter(idempotency_key=services.success_key(payment)).count() == 1
    assert GatewayEvent.objects.filter(gateway="sandbox").count() == 2  # one per event id
    assert payment.events.filter(note="success reported again").count() == 2  # webhook + return


def test_out_of_order_webhooks_leave_it_succeeded(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    location = pay_on_page(
        client, committed, checkout(payment), "upi", upi_handle="outoforder@sandbox"
    )
    events = list(GatewayEvent.objects.filter(gateway="sandbox").order_by("id"))
    assert [event.kind for event in events] == ["payment.captured", "payment.failed"]
    order = order_of(payment)
    failed_attempt, captured_attempt = order.attempts
    assert events[1].payload["payload"]["payment_id"] == failed_attempt["payment_id"]
    assert events[0].payload["payload"]["payment_id"] == captured_attempt["payment_id"]
    come_back(client, location)

    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.gateway_payment_id == captured_attempt["payment_id"]
    assert effects.done == {"APP1": 1}
    assert services.succeeded_effects(payment) == 1
    assert payment.events.filter(note__startswith="gateway says failed; already").count() == 1


def test_cancel_goes_back_and_fails_the_payment(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    page = checkout(payment)
    response = client.post(page, {"action": "cancel"})
    assert response.status_code == 302
    assert params_of(response["Location"])["status"] == "failed"
    come_back(client, response["Location"])
    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    assert order_of(payment).scenario == sandbox.CANCELLED


# --------------------------------------------------------------------------- signatures


def test_return_signature_is_hmac_sha256_of_the_canonical_string(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    params = params_of(
        pay_on_page(client, committed, checkout(payment), "upi", upi_handle="success@sandbox")
    )
    canonical = "&".join(
        f"{name}={params[name]}"
        for name in ("amount", "method", "order_id", "payment_id", "status")
    )
    expected = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    assert params["signature"] == expected
    assert params["amount"] == str(payment.amount)


def test_tampered_return_is_refused_and_changes_nothing(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    # The payer was declined, and the webhook has not arrived yet.
    location = pay_on_page(
        client, committed, checkout(payment), "upi", deliver=False, upi_handle="failure@sandbox"
    )
    params = params_of(location)
    events_before = PaymentEvent.objects.filter(payment=payment).count()

    forged = {**params, "status": "paid"}
    response = client.get(f"/en/payments/{payment.reference}/return/", forged)
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()
    unsigned = {key: value for key, value in params.items() if key != "signature"}
    assert client.get(f"/en/payments/{payment.reference}/return/", unsigned).status_code == 400

    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert PaymentEvent.objects.filter(payment=payment).count() == events_before
    gateway = gateways.get("sandbox")
    with pytest.raises(SignatureError):
        gateway.verify_return(payment, {**params, "amount": "1"})
    with pytest.raises(SignatureError):
        gateway.verify_return(payment, unsigned)


def _signed_webhook(order_id: str, payment_id: str, amount: int) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": "evt_test_1",
            "event": "payment.captured",
            "payload": {
                "order_id": order_id,
                "payment_id": payment_id,
                "amount": amount,
                "method": "upi",
            },
        }
    ).encode()
    return body, hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_tampered_webhook_is_refused_with_400_and_nothing_recorded(client, effects):
    payment = make_payment(gateway="sandbox")
    checkout(payment)
    payment.refresh_from_db()
    body, signature = _signed_webhook(payment.gateway_order_id, "sbx_pay_x", payment.amount)
    url = "/payments/webhooks/sandbox/"

    tampered = body.replace(b'"amount": %d' % payment.amount, b'"amount": 1')
    assert tampered != body
    response = client.post(
        url, tampered, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    assert response.status_code == 400
    response = client.post(url, body, content_type="application/json")  # no signature
    assert response.status_code == 400
    assert not GatewayEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Status.PENDING

    response = client.post(
        url, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    response = client.post(
        url, body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    assert (response.status_code, response.json()) == (200, {"status": "duplicate"})
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}


def test_webhook_endpoint_refuses_unknown_gateways_and_gets(client):
    assert client.post("/payments/webhooks/nosuch/", b"{}", content_type="x").status_code == 404
    assert client.post("/payments/webhooks/wallet/", b"{}", content_type="x").status_code == 404
    assert client.get("/payments/webhooks/sandbox/").status_code == 405


def test_a_delivery_that_raises_is_kept_and_retried(
    client, committed, effects, frozen_clock, monkeypatch
):
    payment = make_payment(gateway="sandbox")
    real = services.handle_webhook
    calls = []

    def flaky(name, body, headers):
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("the merchant's server is down")
        return real(name, body, headers)

    monkeypatch.setattr(services, "handle_webhook", flaky)
    pay_on_page(client, committed, checkout(payment), "upi", upi_handle="success@sandbox")
    hook = SandboxWebhook.objects.get()
    assert (hook.attempts, hook.delivered_at) == (1, None)
    assert hook.last_status.startswith("error: RuntimeError")
    assert sandbox.deliver_due() == 0  # not before the retry is due

    frozen_clock.advance(seconds=31)
    with committed():
        assert sandbox.deliver_due() == 1
    hook.refresh_from_db()
    assert hook.attempts == 2 and hook.delivered_at is not None and hook.last_status == "ok"
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


def test_the_beat_task_delivers_due_webhooks(client, committed, effects, frozen_clock):
    from ekseva.payments import tasks

    payment = make_payment(gateway="sandbox")
    come_back(
        client, pay_on_page(client, committed, checkout(payment), "upi", upi_handle="late@sandbox")
    )
    assert tasks.deliver_sandbox_webhooks() == 0
    frozen_clock.advance(minutes=6)
    assert tasks.deliver_sandbox_webhooks() == 1
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


# --------------------------------------------------------------------------- refunds, config


def test_refunds_go_through_the_sandbox_once(client, committed, effects):
    payment = paid(client, committed, make_payment(gateway="sandbox"))
    with committed():
        refund = services.refund(payment, 5000, reason="part of the fee", idempotency_key="r1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSED
    order = order_of(payment)
    made = order.refunds.get()
    assert (made.amount, made.merchant_reference) == (5000, refund.reference)
    assert refund.gateway_refund_id == made.refund_id

    gateway = gateways.get("sandbox")
    again = gateway.refund(payment, refund)  # asked twice (a retry): the same refund
    assert (again.ok, again.refund_id) == (True, made.refund_id)
    assert order.refunds.count() == 1
    assert GatewayEvent.objects.filter(kind="refund.processed").count() == 1

    too_much = sandbox.create_refund
    with pytest.raises(sandbox.SandboxRefusal):
        too_much(order.order_id, payment.amount - 5000 + 1, "RF-other")
    with committed():
        services.refund(payment, payment.amount - 5000, reason="the rest", idempotency_key="r2")
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert sum(order.refunds.values_list("amount", flat=True)) == payment.amount


def test_refund_larger_than_what_is_left_is_refused_by_the_gateway(client, committed, effects):
    payment = paid(client, committed, make_payment(gateway="sandbox"))
    with committed():
        refund = services.refund(payment, payment.amount, reason="all", idempotency_key="r1")
    result = gateways.get("sandbox").refund(
        payment, type(refund)(reference="RF-extra", amount=1, payment=payment)
    )
    assert not result.ok
    assert "left to refund" in result.error


def test_check_config(settings):
    gateway = gateways.get("sandbox")
    assert gateway.check_config() == []
    settings.SANDBOX_GATEWAY_SECRET = ""
    assert "not set" in gateway.check_config()[0]
    settings.SANDBOX_GATEWAY_SECRET = "short"
    assert "too short" in gateway.check_config()[0]


# --------------------------------------------------------------------------- the checkout page


def test_checkout_page_looks_like_a_gateway_and_lists_test_values(client, effects):
    payment = make_payment(gateway="sandbox")
    html = client.get(checkout(payment)).content.decode()
    assert "Sandbox Pay" in html and "test mode, no real money" in html
    assert "₹123.60" in html
    for text in ("Card", "UPI", "Net banking", "Sandbox Bank (success)", "Sandbox Bank (failure)"):
        assert text in html
    for value in ("4111 1111 1111 1111", "4000 0000 0000 0002", "timeout@sandbox", "late@sandbox"):
        assert value in html
    assert "Cancel and go back to the portal" in html
    assert 'class="site-nav"' not in html  # not the portal's own page


def test_checkout_page_in_hindi(client, effects):
    payment = make_payment(gateway="sandbox")
    html = client.get(checkout(payment, language="hi")).content.decode()
    assert '<html lang="hi">' in html
    assert "परीक्षण मोड, असली पैसा नहीं" in html
    assert "नेट बैंकिंग" in html
    assert "सैंडबॉक्स बैंक (सफल)" in html


@pytest.mark.parametrize(
    "method, fields, message",
    [
        ("card", {**CARD_OK, "card_number": "4111 1111 1111 1112"}, "not valid"),
        ("card", {**CARD_OK, "card_number": "4242 4242 4242 4242"}, "use one of the test cards"),
        ("card", {**CARD_OK, "card_number": "41111"}, "12 to 19 digits"),
        ("card", {**CARD_OK, "card_expiry": "01/20"}, "expired"),
        ("card", {**CARD_OK, "card_expiry": "13/30"}, "MM/YY"),
        ("card", {**CARD_OK, "card_cvv": "12"}, "CVV"),
        ("upi", {"upi_handle": "not a handle"}, "like name@bank"),
        ("upi", {"upi_handle": "someone@okbank"}, "test UPI IDs"),
        ("netbanking", {"bank": ""}, "Choose your bank"),
        ("netbanking", {"bank": "HDFC"}, "valid choice"),
    ],
)
def test_checkout_page_explains_bad_input_on_the_field(client, effects, method, fields, message):
    payment = make_payment(gateway="sandbox")
    page = checkout(payment)
    data = {"method": method, **{f"{method}-{name}": value for name, value in fields.items()}}
    response = client.post(page, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    order = order_of(payment)
    assert order.status == "created" and order.attempts == []


def test_checkout_link_must_carry_its_own_signed_return(client, effects):
    first = make_payment(gateway="sandbox", target="A1")
    second = make_payment(gateway="sandbox", target="A2")
    page_one, page_two = checkout(first), checkout(second)
    path_one = page_one.split("?")[0]
    token_two = page_two.split("return=")[1]
    assert client.get(f"{path_one}?return={token_two}").status_code == 400  # another order's
    assert client.get(path_one).status_code == 400
    assert client.get(f"{path_one}?return=forged").status_code == 400
    assert client.get("/en/payments/sandbox/checkout/sbx_order_nosuch/").status_code == 404


def test_a_decided_order_is_not_paid_twice(client, committed, effects):
    payment = make_payment(gateway="sandbox")
    page = checkout(payment)
    pay_on_page(client, committed, page, "upi", upi_handle="success@sandbox")
    response = client.post(page, {"method": "upi", "upi-upi_handle": "success@sandbox"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This order is paid" in html and "Go back to the portal" in html
    assert len(order_of(payment).attempts) == 1


def test_the_checkout_page_does_not_exist_where_the_sandbox_is_not_enabled(
    client, effects, settings
):
    payment = make_payment(gateway="sandbox")
    page = checkout(payment)
    settings.PAYMENT_GATEWAYS = ["razorpay"]
    assert client.get(page).status_code == 404
    assert (
        client.post(page, {"method": "upi", "upi-upi_handle": "success@sandbox"}).status_code == 404
    )
    assert order_of(payment).status == "created"
