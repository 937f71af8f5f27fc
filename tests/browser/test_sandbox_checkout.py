"""A citizen pays through the sandbox gateway on a phone: the status page, Pay, the
sandbox's own checkout page, back on the status page as paid; and a declined payment
paid again. In English and in Hindi."""

from __future__ import annotations

import itertools
import re

import pytest
from django.conf import settings
from django.test import Client

from ekseva.accounts.models import User
from ekseva.payments import services
from ekseva.payments.models import Payment, Status

LINES = [
    {
        "code": "government",
        "label_en": "Government fee",
        "label_hi": "सरकारी शुल्क",
        "amount_paise": 10000,
        "rule": "general",
    },
    {
        "code": "convenience",
        "label_en": "Convenience fee",
        "label_hi": "सुविधा शुल्क",
        "amount_paise": 2000,
        "rule": "portal",
    },
    {
        "code": "gst",
        "label_en": "GST on the convenience fee",
        "label_hi": "सुविधा शुल्क पर जीएसटी",
        "amount_paise": 360,
        "rule": "gst",
    },
]

# What the pages say, per language.
WORDS = {
    "en": {
        "unpaid": "Not paid yet",
        "pay": "Pay ₹123.60",
        "upi": "UPI",
        "upi_id": "UPI ID",
        "card": "Card",
        "card_number": "Card number",
        "expiry": "Expiry (MM/YY)",
        "cvv": "CVV",
        "header": "test mode, no real money",
        "paid": "Paid",
        "failed": "Payment failed",
        "again": "Pay again ₹123.60",
        "bad_card": "This card number is not valid; check the digits.",
    },
    "hi": {
        "unpaid": "अभी भुगतान नहीं हुआ",
        "pay": "₹123.60 का भुगतान करें",
        "upi": "यूपीआई",
        "upi_id": "यूपीआई आईडी",
        "card": "कार्ड",
        "card_number": "कार्ड नंबर",
        "expiry": "समाप्ति (MM/YY)",
        "cvv": "सीवीवी",
        "header": "परीक्षण मोड, असली पैसा नहीं",
        "paid": "भुगतान हुआ",
        "failed": "भुगतान असफल",
        "again": "₹123.60 का दोबारा भुगतान करें",
        "bad_card": "यह कार्ड नंबर मान्य नहीं है; अंक जाँचें।",
    },
}
LANGUAGES = {"en-IN": "en", "hi-IN": "hi"}
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def sandbox_enabled(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]


def citizen_with_payment() -> tuple[User, Payment]:
    citizen = User.objects.create_citizen(f"97000{next(_seq):05d}", full_name="Asha Patel")
    payment = services.create_payment(
        purpose="gateway_test",
        target=f"browser-{citizen.pk}",
        lines=LINES,
        description_en="Test of the payment journey",
        description_hi="भुगतान यात्रा का परीक्षण",
        idempotency_key=f"browser-{citizen.pk}",
        gateway="sandbox",
        payer=citizen,
    )
    return citizen, payment


def sign_in(page, live_server, user: User) -> None:
    """Sign the browser in as ``user``: a session made by the test client, its cookie
    handed to the browser (the OTP sign-in itself is tested in test_citizen_signin)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def choose(page, words: dict, method: str) -> None:
    """Open the method's section of the checkout page (the card's is open at first)."""
    summary = page.locator("summary", has_text=re.compile(rf"^\s*{words[method]}\s*$"))
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()


@pytest.mark.parametrize("browser_locale", ["en-IN", "hi-IN"])
def test_citizen_pays_by_upi_and_sees_it_paid(live_server, page, snap, browser_locale):
    lang = LANGUAGES[browser_locale]
    words = WORDS[lang]
    citizen, payment = citizen_with_payment()
    sign_in(page, live_server, citizen)

    page.goto(f"{live_server.url}/{lang}/payments/{payment.reference}/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_text(words["unpaid"]).is_visible()
    assert page.get_by_text("₹123.60").first.is_visible()
    assert fits_the_phone(page)
    snap(page, "status-not-paid")

    page.get_by_role("button", name=words["pay"]).click()
    page.wait_for_url(re.compile(rf"/{lang}/payments/sandbox/checkout/sbx_order_\w+/\?return="))
    assert page.get_by_text(words["header"]).is_visible()
    assert page.locator("[data-amount]").inner_text() == "₹123.60"
    assert fits_the_phone(page)
    snap(page, "sandbox-checkout")

    choose(page, words, "upi")
    page.get_by_label(words["upi_id"]).fill("success@sandbox")
    snap(page, "upi-filled")
    page.get_by_role("button", name=words["pay"]).click()

    page.wait_for_url(f"{live_server.url}/{lang}/payments/{payment.reference}/")
    status = page.locator("#payment-status")
    assert status.get_attribute("data-status") == "succeeded"
    assert status.locator(".badge").inner_text() == words["paid"]
    assert fits_the_phone(page)
    snap(page, "paid")
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.method == "upi"


@pytest.mark.parametrize("browser_locale", ["en-IN", "hi-IN"])
def test_a_declined_payment_is_paid_again_by_card(live_server, page, snap, browser_locale):
    lang = LANGUAGES[browser_locale]
    words = WORDS[lang]
    citizen, payment = citizen_with_payment()
    sign_in(page, live_server, citizen)

    page.goto(f"{live_server.url}/{lang}/payments/{payment.reference}/")
    page.get_by_role("button", name=words["pay"]).click()
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    choose(page, words, "upi")
    page.get_by_label(words["upi_id"]).fill("failure@sandbox")
    page.get_by_role("button", name=words["pay"]).click()

    page.wait_for_url(f"{live_server.url}/{lang}/payments/{payment.reference}/")
    status = page.locator("#payment-status")
    assert status.get_attribute("data-status") == "failed"
    assert status.locator(".badge").inner_text() == words["failed"]
    assert fits_the_phone(page)
    snap(page, "failed")

    page.get_by_role("button", name=words["again"]).click()
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    choose(page, words, "card")
    page.get_by_label(words["card_number"]).fill("4111 1111 1111 1112")  # a digit wrong
    page.get_by_label(words["expiry"]).fill("12/40")
    page.get_by_label(words["cvv"]).fill("123")
    page.get_by_role("button", name=words["pay"]).click()
    number = page.get_by_label(words["card_number"])
    assert number.get_attribute("aria-invalid") == "true"
    assert page.locator(".errorlist").inner_text() == words["bad_card"]
    snap(page, "card-number-wrong")
    number.fill("4111 1111 1111 1111")
    page.get_by_label(words["cvv"]).fill("123")
    snap(page, "card-filled")
    page.get_by_role("button", name=words["pay"]).click()

    again = Payment.objects.get(idempotency_key=f"again:{payment.reference}")
    page.wait_for_url(f"{live_server.url}/{lang}/payments/{again.reference}/")
    assert page.locator("#payment-status").get_attribute("data-status") == "succeeded"
    snap(page, "paid-again")
    again.refresh_from_db()
    payment.refresh_from_db()
    assert (payment.status, again.status, again.method) == (
        Status.FAILED,
        Status.SUCCEEDED,
        "card",
    )


def test_no_answer_from_the_bank_shows_the_confirming_page(live_server, page, snap):
    citizen, payment = citizen_with_payment()
    sign_in(page, live_server, citizen)
    page.goto(f"{live_server.url}/en/payments/{payment.reference}/")
    page.get_by_role("button", name=WORDS["en"]["pay"]).click()
    page.wait_for_url(re.compile(r"/payments/sandbox/checkout/"))
    choose(page, WORDS["en"], "upi")
    page.get_by_label("UPI ID").fill("timeout@sandbox")
    page.get_by_role("button", name=WORDS["en"]["pay"]).click()

    page.wait_for_url(f"{live_server.url}/en/payments/{payment.reference}/")
    status = page.locator("#payment-status")
    assert status.get_attribute("data-status") == "pending"
    assert page.get_by_text("We are confirming your payment with the bank.").is_visible()
    assert page.locator("progress").is_visible()
    # htmx asks again every few seconds and swaps the section in place
    with page.expect_response(lambda r: r.url.endswith(f"/payments/{payment.reference}/")):
        pass
    assert page.locator("#payment-status").get_attribute("data-status") == "pending"
    assert fits_the_phone(page)
    snap(page, "confirming")
