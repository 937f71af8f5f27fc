"""`ekseva payments poll|sweep|sandbox-deliver`: the background cycles by hand."""

import io

import pytest
from django.core.management import call_command

from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Status

from .conftest import make_payment

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("payments", *args, stdout=out)
    return out.getvalue()


def test_poll_and_sweep_by_hand(fake_gateway, effects, frozen_clock):
    from ekseva.payments import services

    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    fake_gateway.status[payment.gateway_order_id] = GatewayResult(
        status="succeeded", order_id=payment.gateway_order_id, payment_id="p", amount=payment.amount
    )
    assert run("poll") == "polled 0 payment(s)\n"  # not due yet
    frozen_clock.advance(seconds=61)
    assert run("poll") == "polled 1 payment(s)\n"
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert run("sweep").startswith("expired 0, asked again about 0 given-up payment(s)")


def test_sandbox_deliver_sends_nothing_when_nothing_is_due(db):
    assert run("sandbox-deliver") == "delivered 0 webhook(s)\n"
