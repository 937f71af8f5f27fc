"""The payer's pages: who may see a payment (404 for anyone else), the status page in
both languages and while pending, Pay, the return from the gateway, paying again."""

from __future__ import annotations

import itertools
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.payments import payer, sandbox, services
from ekseva.payments.models import Payment, Status

from .conftest import make_payment

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-42"
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def sandbox_only(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.SANDBOX_GATEWAY_SECRET = "sandbox-secret-for-tests-0123456789"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def citizen():
    return User.objects.create_citizen(f"98765{next(_seq):05d}")


@pytest.fixture
def payment(citizen, effects):
    return make_payment(gateway="sandbox", payer=citizen)


def staff(role: Role, department_code: str = "") -> User:
    user = User.objects.create_user(f"payer-staff{next(_seq)}", PASSWORD)
    Posting.objects.create(user=user, role=role, department_code=department_code)
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def staff_sign_in(client, user: User) -> None:
    """The real staff sign-in: password and the current TOTP code (a verified session)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]


def status_url(payment: Payment, language: str = "en") -> str:
    return f"/{language}/payments/{payment.reference}/"


# --------------------------------------------------------------------------- who may see it


def test_the_payer_sees_the_itemised_amount_and_what_to_do(client, citizen, payment):
    client.force_login(citizen)
    response = client.get(status_url(payment))
    assert response.status_code == 200
    html = response.content.decode()
    assert payment.reference in html
    assert "Not paid yet" in html
    for label, amount in (("Fee", "₹100.00"), ("Conv", "₹20.00"), ("GST", "₹3.60")):
        assert label in html and amount in html
    assert "₹123.60" in html
    assert f'action="/en/payments/{payment.reference}/pay/"' in html
    assert "hx-trigger" not in html  # nothing to wait for yet


def test_someone_elses_payment_is_not_found(client, payment):
    other = User.objects.create_citizen("9123400001")
    client.force_login(other)
    assert client.get(status_url(payment)).status_code == 404
    assert client.post(f"{status_url(payment)}pay/").status_code == 404
    assert client.get("/en/payments/PY2699999999X/").status_code == 404  # same answer


def test_anonymous_visitors_are_sent_to_sign_in(client, payment):
    response = client.get(status_url(payment))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/account/signin/?next=")
    response = client.post(f"{status_url(payment)}pay/")
    assert response.status_code == 302 and "/account/signin/" in response["Location"]
    response = client.get(status_url(payment), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/en/account/signin/"


def test_staff_who_may_view_payments_see_it_only_when_verified(client, payment):
    operator = staff(Role.OPERATOR_STAFF)
    client.force_login(operator)  # a password-only session is not enough
    assert client.get(status_url(payment)).status_code == 404
    client.logout()
    staff_sign_in(client, operator)
    html = client.get(status_url(payment)).content.decode()
    assert payment.reference in html
    assert 'action="/en/payments/' not in html  # staff do not pay a citizen's payment


def test_department_officers_see_only_their_departments_payments(client, payment):
    staff_sign_in(client, staff(Role.DEPARTMENT_OFFICER, department_code="OTHER"))
    assert client.get(status_url(payment)).status_code == 404
    client.logout()
    staff_sign_in(client, staff(Role.DEPARTMENT_OFFICER, department_code="LSG"))
    assert client.get(status_url(payment)).status_code == 200


def test_a_payment_without_payer_is_for_the_staff_who_may_view_it(client, effects):
    test_payment = make_payment(gateway="sandbox", target="T1")  # e.g. a staff test payment
    citizen = User.objects.create_citizen("9123400002")
    client.force_login(citizen)
    assert client.get(status_url(test_payment)).status_code == 404
    client.logout()
    staff_sign_in(client, staff(Role.OPERATOR_STAFF))
    html = client.get(status_url(test_payment)).content.decode()
    assert f'action="/en/payments/{test_payment.reference}/pay/"' in html


def test_the_status_page_in_hindi(client, citizen, payment):
    client.force_login(citizen)
    response = client.get(status_url(payment, "hi"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="hi">' in html
    assert "आपका भुगतान" in html  # Your payment
    assert "अभी भुगतान नहीं हुआ" in html  # Not paid yet
    assert "शुल्क" in html and "सुविधा" in html  # the lines in Hindi
    assert "परीक्षण शुल्क" in html  # the description in Hindi
    assert "₹123.60 का भुगतान करें" in html


# --------------------------------------------------------------------------- pending


def test_pending_page_refreshes_itself_and_asks_the_gateway_when_a_poll_is_due(
    frozen_clock, client, citizen, payment, settings
):
    client.force_login(citizen)
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    html = client.get(status_url(payment)).content.decode()
    assert "We are confirming your payment with the bank." in html
    assert "Do not pay again." in html
    assert f'hx-get="/en/payments/{payment.reference}/"' in html
    assert 'hx-trigger="every 4s"' in html

    # The payer paid, but neither the return nor the webhook has reached us.
    sandbox.pay(
        payment.gateway_order_id, sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox")
    )
    partial = client.get(status_url(payment), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "We are confirming" in partial  # no poll due yet
    frozen_clock.advance(seconds=settings.PAYMENT_POLL_FIRST_SECONDS + 1)
    partial = client.get(status_url(payment), HTTP_HX_REQUEST="true").content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert "Paid" in partial and "hx-trigger" not in partial  # it stops refreshing


# --------------------------------------------------------------------------- pay and return


def test_pay_sends_the_payer_to_the_gateway_and_back(client, committed, citizen, payment):
    client.force_login(citizen)
    response = client.post(f"{status_url(payment)}pay/")
    assert response.status_code == 302
    page = response["Location"]
    assert page.startswith("/en/payments/sandbox/checkout/sbx_order_")
    with committed():
        response = client.post(page, {"method": "upi", "upi-upi_handle": "success@sandbox"})
    back = response["Location"]
    assert back.startswith(f"http://testserver/en/payments/{payment.reference}/return/?")
    response = client.get(back)
    assert response["Location"] == status_url(payment)
    html = client.get(status_url(payment)).content.decode()
    assert "Paid" in html and "Thank you" in html
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


def test_pay_in_hindi_goes_to_the_hindi_checkout(client, citizen, payment):
    client.force_login(citizen)
    response = client.post(f"/hi/payments/{payment.reference}/pay/")
    assert response["Location"].startswith("/hi/payments/sandbox/checkout/")


def test_pay_after_the_window_shows_the_error_in_the_payers_language(
    frozen_clock, client, citizen, payment, settings
):
    client.force_login(citizen)
    frozen_clock.advance(minutes=settings.PAYMENT_CHECKOUT_MINUTES + 1)
    response = client.post(f"/hi/payments/{payment.reference}/pay/", follow=True)
    html = response.content.decode()
    assert "इस भुगतान का समय समाप्त हो गया है" in html
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED


def test_a_bad_return_shows_an_error_page_and_changes_nothing(client, citizen, payment):
    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    forged = {
        "amount": str(payment.amount),
        "method": "upi",
        "order_id": payment.gateway_order_id,
        "payment_id": "sbx_pay_forged",
        "status": "paid",
        "signature": "0" * 64,
    }
    response = client.get(f"{status_url(payment)}return/", forged)
    assert response.status_code == 400
    assert "could not be checked" in response.content.decode()
    response = client.get(f"/hi/payments/{payment.reference}/return/", forged)
    assert "जाँचा नहीं जा सका" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    # an unknown reference gets the very same answer
    unknown = client.get("/en/payments/PY2699999999X/return/", forged)
    assert unknown.status_code == 400


def test_a_gateway_may_post_the_return_without_a_csrf_token(client, committed, payment):
    from django.test import Client

    services.start_checkout(payment, return_url="http://testserver/back/")
    payment.refresh_from_db()
    order = sandbox.pay(
        payment.gateway_order_id, sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox")
    )
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"{status_url(payment)}return/", sandbox.return_params(order))
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


# --------------------------------------------------------------------------- paying again


def _fail(client, committed, payment) -> None:
    page = client.post(f"{status_url(payment)}pay/")["Location"]
    with committed():
        back = client.post(page, {"method": "upi", "upi-upi_handle": "failure@sandbox"})
    client.get(back["Location"])
    payment.refresh_from_db()
    assert payment.status == Status.FAILED


def test_paying_again_after_a_failure_makes_one_replacement(
    client, committed, citizen, payment, effects
):
    client.force_login(citizen)
    _fail(client, committed, payment)
    html = client.get(status_url(payment)).content.decode()
    assert "Payment failed" in html and "Pay again ₹123.60" in html

    response = client.post(f"{status_url(payment)}pay/")
    assert response["Location"].startswith("/en/payments/sandbox/checkout/")
    again = Payment.objects.get(idempotency_key=payer.again_key(payment))
    assert (again.target, again.amount, again.lines, again.payer) == (
        payment.target,
        payment.amount,
        payment.lines,
        citizen,
    )
    assert again.status == Status.PENDING
    client.post(f"{status_url(payment)}pay/")  # pressed twice: still one replacement
    assert Payment.objects.filter(target=payment.target).count() == 2

    with committed():
        back = client.post(
            response["Location"], {"method": "upi", "upi-upi_handle": "success@sandbox"}
        )
    assert back["Location"].startswith(f"http://testserver/en/payments/{again.reference}/return/")
    client.get(back["Location"])
    again.refresh_from_db()
    assert again.status == Status.SUCCEEDED
    assert effects.done == {payment.target: 1}
    html = client.get(status_url(payment)).content.decode()
    assert f"You paid again as {again.reference}" in html
    assert "Pay again" not in html


def test_paying_again_is_refused_once_the_window_has_closed(
    frozen_clock, client, committed, citizen, payment, settings
):
    client.force_login(citizen)
    _fail(client, committed, payment)
    frozen_clock.advance(minutes=settings.PAYMENT_CHECKOUT_MINUTES + 1)
    html = client.get(status_url(payment)).content.decode()
    assert "Pay again" not in html
    assert "start the payment again from where you began" in html
    response = client.post(f"{status_url(payment)}pay/", follow=True)
    assert "The time to pay this has run out" in response.content.decode()
    assert not Payment.objects.filter(idempotency_key=payer.again_key(payment)).exists()


def test_return_params_go_back_to_the_page_they_came_from(client, committed, citizen, payment):
    client.force_login(citizen)
    page = client.post(f"{status_url(payment)}pay/")["Location"]
    with committed():
        back = client.post(
            page,
            {
                "method": "card",
                "card-card_number": "4111111111111111",
                "card-card_expiry": "12/40",
                "card-card_cvv": "123",
            },
        )
    params = dict(parse_qsl(urlsplit(back["Location"]).query))
    assert set(params) == {"amount", "method", "order_id", "payment_id", "status", "signature"}
    assert params["method"] == "card"


def test_status_page_links_back_to_what_was_paid_for(client, effects, settings):
    """A purpose's ``link`` hook puts a way back on the payment's page."""
    from dataclasses import replace

    from ekseva.payments import purposes

    settings.PAYMENT_GATEWAYS = ["sandbox"]
    purpose = purposes.get("test_fee")
    purposes.register(replace(purpose, link=lambda payment: f"/en/things/{payment.target}/"))
    from ekseva.accounts.models import User

    from .conftest import make_payment

    citizen = User.objects.create_citizen("9876512345")
    payment = make_payment(gateway="sandbox", payer=citizen)
    client.force_login(citizen)
    page = client.get(f"/en/payments/{payment.reference}/").content.decode()
    assert 'href="/en/things/APP1/"' in page and "Back to what you paid for" in page
