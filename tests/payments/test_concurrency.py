"""Real concurrency on PostgreSQL: many requests with one Idempotency-Key make one
payment (the others get it back, or 409 for another body), and many wallet payments
at once spend exactly what the wallet holds.

Run with your own database: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>
python -m pytest tests/payments/test_concurrency.py -p no:xdist``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from ekseva.accounts.models import Role
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger.verify import verify
from ekseva.payments import purposes, services
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Payment, Status

from .test_manage_views import make_staff, verified_login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Threads running at once. Each holds a database connection, and the server's limit
# is shared with other test runs, so 100 (or 200) requests go through this many.
WORKERS = 40


def race(count: int, work) -> list:
    """``work(n)`` for n in range(count) on WORKERS threads, the first WORKERS
    released together; each thread closes its own connection at the end."""
    start = threading.Barrier(min(count, WORKERS))

    def run(n: int):
        try:
            if n < WORKERS:
                start.wait()
            return work(n)
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def session_cookie(client):
    """The session cookie of a verified operator staff session, for clients in threads."""
    verified_login(client, make_staff(Role.OPERATOR_STAFF))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def post_test_payment(cookie: str, body: dict, key: str) -> tuple[int, dict]:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.post(
        "/api/v1/payments/test/",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    return response.status_code, response.json()


def test_100_requests_with_one_key_and_body_make_one_payment(session_cookie):
    body = {"gateway": "sandbox", "amount_paise": 500}
    answers = race(100, lambda n: post_test_payment(session_cookie, body, "same-key"))
    codes = Counter(code for code, _ in answers)
    assert codes == {201: 1, 200: 99}, codes
    assert len({answer["reference"] for _, answer in answers}) == 1
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount) == ("gateway_test", 500)
    assert answers[0][1]["reference"] == payment.reference


def test_100_requests_with_one_key_and_different_bodies_make_one_payment(session_cookie):
    answers = race(
        100,
        lambda n: post_test_payment(
            session_cookie, {"gateway": "sandbox", "amount_paise": 100 + n}, "one-key"
        ),
    )
    codes = Counter(code for code, _ in answers)
    assert codes == {201: 1, 409: 99}, codes
    assert {answer["code"] for code, answer in answers if code == 409} == {"idempotency_conflict"}
    payment = Payment.objects.get()
    winner = next(answer for code, answer in answers if code == 201)
    assert winner["reference"] == payment.reference
    assert winner["amount_paise"] == payment.amount


@pytest.fixture
def kiosk_fee():
    """A purpose paid from the kiosk wallet."""
    purposes.register(
        purposes.Purpose(
            kind="kiosk_fee",
            label_en="Kiosk fee",
            label_hi="कियोस्क शुल्क",
            once_per_target=True,
            gateways=frozenset({"wallet"}),
        )
    )
    yield "kiosk_fee"
    purposes.unregister("kiosk_fee")


def _lines(paise: int, code: str = "government") -> list[dict]:
    return [
        {"code": code, "label_en": "Fee", "label_hi": "शुल्क", "amount_paise": paise, "rule": "r"}
    ]


def test_200_wallet_payments_at_once_spend_exactly_what_the_wallet_holds(kiosk_fee):
    price = 100
    topup = services.create_payment(
        purpose="wallet_topup",
        target="K0001",
        lines=_lines(50 * price, "topup"),
        description_en="Top-up",
        description_hi="रिचार्ज",
        idempotency_key="topup",
        gateway="sandbox",
        kiosk_code="K0001",
    )
    services.apply_result(
        topup,
        GatewayResult(status="succeeded", order_id="", payment_id="p1", amount=50 * price),
        source="reconciliation",
    )
    wallet = ledger_accounts.get_or_open("kiosk_wallet", "K0001")
    assert ledger_selectors.wallet_balance(wallet) == 50 * price
    payments = [
        services.create_payment(
            purpose=kiosk_fee,
            target=f"APP{n}",
            lines=_lines(price),
            description_en="Fee",
            description_hi="शुल्क",
            idempotency_key=f"fee-{n}",
            gateway="wallet",
            department_code="LSG",
            kiosk_code="K0001",
            channel="kiosk",
        )
        for n in range(200)
    ]
    outcomes = race(200, lambda n: services.pay_from_wallet(payments[n]).status)
    assert Counter(outcomes) == {Status.SUCCEEDED: 50, Status.FAILED: 150}
    failed = Payment.objects.filter(purpose=kiosk_fee, status=Status.FAILED)
    assert failed.count() == 150
    assert all("Not enough" in reason for reason in failed.values_list("failure_reason", flat=True))
    assert ledger_selectors.wallet_balance(wallet) == 0
    assert ledger_selectors.balance(wallet) == 0
    assert services.balance_of("department_payable", "LSG") == 50 * price
    assert verify() == []
