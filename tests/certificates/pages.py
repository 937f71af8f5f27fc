"""Helpers of the certificate page tests: the back office's fixtures, a certificate
issued the real way (scrutiny forwards, the designated officer approves, the
approval hook issues it) and a client signed in as staff for real."""

from __future__ import annotations

import html
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import User
from ekseva.certificates.models import Certificate
from ekseva.workflow import services as workflow
from ekseva.workflow.models import Case
from tests.workflow import conftest as back_office
from tests.workflow.conftest import PASSWORD, officer  # noqa: F401  (for the test modules)

# The back office's fixtures (tests/workflow/conftest.py), used here as they are.
_gateway = back_office._gateway
appellate_officer = back_office.appellate_officer
citizen = back_office.citizen
designated_officer = back_office.designated_officer
english = back_office.english
fake_gateway = back_office.fake_gateway
indore_officer = back_office.indore_officer
places = back_office.places
received = back_office.received
scrutiny_officer = back_office.scrutiny_officer
service = back_office.service


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The lookup counter of the public check lives in the cache."""
    cache.clear()
    yield
    cache.clear()


def issue_certificate(received, scrutiny_officer, designated_officer, person=None) -> Certificate:
    app = received(person)
    case = Case.objects.get(application=app)
    workflow.act(case, "forward", actor=scrutiny_officer)
    workflow.act(case, "approve", actor=designated_officer)
    return Certificate.objects.select_related("application", "key").get(application=app)


@pytest.fixture
def issued(received, scrutiny_officer, designated_officer):
    """``issued(person=citizen)`` → a certificate issued on approval."""

    def make(person: User | None = None) -> Certificate:
        return issue_certificate(received, scrutiny_officer, designated_officer, person)

    return make


def signed_in(client, user: User, password: str = PASSWORD):
    """The real staff sign-in: password and TOTP."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": password, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"certificates:{name}", args=args)


def text_of(response) -> str:
    """The page's HTML, entities decoded and white space collapsed."""
    return " ".join(html.unescape(response.content.decode()).split())
