"""Query budgets of the kiosk network's pages in a deadline surge: the console's
home, an application at the console, paying it from the wallet, the wallet's
statement and the public kiosk locator.

Each test runs with ``n`` = 1 and 30 (applications the kiosk made today, wallet
lines, kiosks near the citizen): the budget is the same for both."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import User
from ekseva.kiosks import services
from tests.kiosks import conftest as kiosks_fixtures
from tests.kiosks import test_locator
from tests.kiosks.conftest import assisted_submitted, consent_code, fund
from tests.kiosks.test_locator import near

# The kiosks' fixtures (tests/kiosks/conftest.py), used as they are.
_fake_gateway = kiosks_fixtures._fake_gateway
fake_gateway = kiosks_fixtures.fake_gateway
english = kiosks_fixtures.english
citizen = kiosks_fixtures.citizen
service = kiosks_fixtures.service
places = kiosks_fixtures.places
make_kiosk = kiosks_fixtures.make_kiosk
kiosk = kiosks_fixtures.kiosk
operator = kiosks_fixtures.operator
franchisee = kiosks_fixtures.franchisee
offices = test_locator.offices

pytestmark = pytest.mark.django_db
MANY = [1, 30]


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


def verified(user: User) -> Client:
    """A client signed in as the staff sign-in leaves it: password and TOTP passed."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def walk_in(i: int) -> User:
    return User.objects.create_citizen(f"91234{i:05d}", full_name=f"Walk In {i}")


@pytest.fixture(params=MANY, ids=lambda n: f"n{n}")
def n(request):
    return request.param


@pytest.fixture
def busy_day(n, kiosk, operator, service):
    """The kiosk has served ``n`` walk-ins today, each paid from its wallet."""
    fund(kiosk, 100_000 * (n + 2))
    for i in range(n):
        person = walk_in(i)
        # each from its own address: the OTP limit per network is not what is measured
        services.request_consent(operator, person.mobile, ip=f"10.1.{i}.1")
        services.grant_consent(operator, person.mobile, consent_code(person.mobile))
        app = assisted_submitted(operator, person, service)
        assert services.pay_assisted(operator, app, idempotency_key=f"perf-{i}").is_paid
    return n


def test_console_home(busy_day, operator, within):
    desk = verified(operator)
    html = within(15, lambda: ok(desk.get("/en/kiosks/console/"))).content.decode()
    assert html.count("/console/app/") >= min(busy_day, 10)


def test_console_application_and_pay(busy_day, operator, citizen, service, within):
    desk = verified(operator)
    app = assisted_submitted(operator, citizen, service)
    page = f"/en/kiosks/console/app/{app.number}/"
    html = within(17, lambda: ok(desk.get(page))).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    within(73, lambda: ok(desk.post(f"{page}pay/", {"token": token}), 302))
    app.refresh_from_db()
    assert app.paid_payment


def test_wallet_statement(n, kiosk, franchisee, within):
    for i in range(n):
        fund(kiosk, 100 + i)
    owner = verified(franchisee)
    html = within(13, lambda: ok(owner.get("/en/kiosks/wallet/statement/"))).content.decode()
    assert html.count("data-entry=") == n


def test_locator(n, make_kiosk, offices, client, within):
    for i in range(n):
        make_kiosk(business_name=f"Kendra {i}", **near(0.5 + i / 10))
    html = within(12, lambda: ok(client.get("/en/kiosks/", {"pin": "462003"}))).content.decode()
    assert html.count("Kendra") >= min(n, 10)
    within(6, lambda: ok(client.get("/en/kiosks/", {"district": "district:k-bhopal"})))
    within(10, lambda: ok(client.get("/en/kiosks/", {"lat": "23.2333", "lon": "77.4"})))
