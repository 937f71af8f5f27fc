"""On a phone, in English and in Hindi: a citizen corrects an answer in the
correction window, pays the correction fee at the sandbox gateway and sees the
change made in the history; then withdraws the application and is told the fee
comes back."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from ekseva.applications import services
from ekseva.applications.models import Correction, Status
from ekseva.payments import sandbox
from ekseva.payments import services as payments
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus
from tests.applications.conftest import ANSWERS, citizen, jpeg, service  # noqa: F401

WORDS = {
    "en": {
        "correct": "Correct your application",
        "female": "Female",
        "continue": "Continue to the fee",
        "waiting": "Correction waiting for its fee",
        "pay": "Pay ₹50.00",
        "upi": "UPI",
        "upi_id": "UPI ID",
        "paid": "Paid",
        "made": "Correction made",
        "history": "Gender Male Female",
        "withdraw": "Withdraw the application",
        "reason": "Why do you withdraw?",
        "refund": "The whole fee you paid, ₹547.20, is refunded",
        "withdrawn": "has been withdrawn. ₹547.20 is being refunded",
    },
    "hi": {
        "correct": "अपने आवेदन में सुधार करें",
        "female": "महिला",
        "continue": "शुल्क की ओर आगे बढ़ें",
        "waiting": "सुधार, शुल्क की प्रतीक्षा में",
        "pay": "₹50.00 का भुगतान करें",
        "upi": "यूपीआई",
        "upi_id": "यूपीआई आईडी",
        "paid": "भुगतान हुआ",
        "made": "सुधार हो गया",
        "history": "लिंग पुरुष महिला",
        "withdraw": "आवेदन वापस लें",
        "reason": "आप आवेदन वापस क्यों ले रहे हैं?",
        "refund": "आपका जमा किया गया पूरा शुल्क, ₹547.20,",
        "withdrawn": "वापस ले लिया गया है। ₹547.20 उसी खाते में लौटाया जा रहा है",
    },
}


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]


def paid_application(service, citizen):  # noqa: F811
    app = services.start(citizen, service)
    assert services.save_step(app, "about", ANSWERS, actor=citizen).ok
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=citizen)
    app = services.submit(app, declaration=True, actor=citizen)
    payment = services.start_payment(app, idempotency_key="browser-fee", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    order = sandbox.get_order(payment.gateway_order_id)
    sandbox.pay(order.order_id, sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox"))
    sandbox.deliver_due(order=order.pk)  # the sandbox's webhook: the fee is paid
    app.refresh_from_db()
    assert app.status == Status.RECEIVED
    return app


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize(("browser_locale", "lang"), [("en-IN", "en"), ("hi-IN", "hi")])
def test_correct_pay_the_fee_then_withdraw(
    live_server,
    page,
    snap,
    lang,
    service,  # noqa: F811
    citizen,  # noqa: F811
    frozen_clock,
):
    words = WORDS[lang]
    app = paid_application(service, citizen)
    frozen_clock.advance(days=22)  # 7 July: the correction window is open
    sign_in(page, live_server, citizen)
    base = f"{live_server.url}/{lang}/applications/{app.number}"

    page.goto(f"{base}/correct/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("heading", name=words["correct"]).is_visible()
    assert fits_the_phone(page)
    snap(page, "correct-open")
    page.get_by_label(words["female"]).check()
    page.get_by_role("button", name=words["continue"]).click()

    page.wait_for_url(f"{base}/correct/")
    assert page.get_by_role("heading", name=words["waiting"]).is_visible()
    assert fits_the_phone(page)
    snap(page, "correction-fee-due")
    page.get_by_role("button", name=words["pay"]).click()

    page.wait_for_url(re.compile(rf"/{lang}/payments/sandbox/checkout/sbx_order_\w+/\?return="))
    summary = page.locator("summary", has_text=re.compile(rf"^\s*{words['upi']}\s*$"))
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    page.get_by_label(words["upi_id"]).fill("success@sandbox")
    page.get_by_role("button", name=words["pay"]).click()

    fee = Payment.objects.get(purpose="correction_fee")
    page.wait_for_url(f"{live_server.url}/{lang}/payments/{fee.reference}/")
    assert page.locator("#payment-status .badge").inner_text() == words["paid"]
    snap(page, "correction-fee-paid")
    assert Correction.objects.get().applied

    page.goto(f"{base}/correct/")
    history = page.locator("[data-history]")
    assert words["history"] in " ".join(history.inner_text().split())
    assert history.locator(".badge").inner_text() == words["made"]
    assert fits_the_phone(page)
    snap(page, "correction-made")

    page.goto(f"{base}/withdraw/")
    assert words["refund"] in " ".join(page.locator("[data-refund]").inner_text().split())
    page.get_by_label(words["reason"]).fill("I have a job now")
    assert fits_the_phone(page)
    snap(page, "withdraw")
    page.get_by_role("button", name=words["withdraw"]).click()

    page.wait_for_url(f"{base}/")
    assert words["withdrawn"] in page.locator(".messages").inner_text()
    snap(page, "withdrawn")
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    paid = Payment.objects.get(reference=app.paid_payment)
    assert paid.refunds.get().amount == 54720
    assert paid.status == PaymentStatus.REFUNDED
