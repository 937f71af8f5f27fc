"""Real concurrency on PostgreSQL for the sandbox: workers delivering the same due
webhook at once send it once; a payer pressing Pay in two tabs makes one attempt."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from ekseva.payments import sandbox, services
from ekseva.payments.models import GatewayEvent, SandboxOrder, SandboxWebhook, Status

from .conftest import make_payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WORKERS = 8


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.SANDBOX_GATEWAY_SECRET = "sandbox-secret-for-tests-0123456789"


def in_thread(work):
    def run(*args):
        try:
            return work(*args)
        finally:
            connection.close()

    return run


def _order(payment) -> str:
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    return payment.gateway_order_id


def test_workers_delivering_at_once_send_a_due_webhook_once(frozen_clock, effects):
    payment = make_payment(gateway="sandbox")
    sandbox.pay(_order(payment), sandbox.Instrument("upi", sandbox.LATE, "late@sandbox"))
    frozen_clock.advance(minutes=6)
    start = threading.Barrier(WORKERS)

    @in_thread
    def deliver(_: int) -> int:
        start.wait()
        return sandbox.deliver_due()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        sent = list(pool.map(deliver, range(WORKERS)))
    assert sum(sent) == 1
    hook = SandboxWebhook.objects.get(kind="payment.captured")
    assert hook.attempts == 1 and hook.delivered_at is not None
    assert GatewayEvent.objects.filter(kind="payment.captured").count() == 1
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert effects.done == {"APP1": 1}


def test_pay_pressed_in_two_tabs_makes_one_attempt(effects):
    payment = make_payment(gateway="sandbox")
    order_id = _order(payment)
    start = threading.Barrier(WORKERS)

    @in_thread
    def press(_: int) -> str:
        start.wait()
        try:
            sandbox.pay(order_id, sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox"))
        except sandbox.SandboxRefusal:
            return "refused"
        return "paid"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(press, range(WORKERS)))
    assert outcomes.count("paid") == 1
    order = SandboxOrder.objects.get(order_id=order_id)
    assert len(order.attempts) == 1
    assert SandboxWebhook.objects.filter(order=order).count() == 1
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED  # the webhook went out after the commit
    assert effects.done == {"APP1": 1}
