"""Kiosks fixtures: two districts, an approved kiosk in each (with their owners'
and operators' logins), a funded wallet, a walk-in citizen and their consent.

The applications' test service (``service``: tst-exam, open on the frozen day,
offered at kiosks with a ₹20 kiosk charge) and its fixtures come along."""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from ekseva.accounts.models import User
from ekseva.core import clock
from ekseva.geo.models import AdminUnit
from ekseva.kiosks import services
from ekseva.kiosks.models import Kiosk, KioskApplication, KioskOperator
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import services as ledger
from ekseva.notifications.models import Message
from tests.applications.conftest import (  # noqa: F401  (fixtures used by the kiosks tests)
    ANSWERS,
    _fake_gateway,
    citizen,
    jpeg,
    other_citizen,
    pdf,
    service,
)
from tests.payments.conftest import fake_gateway  # noqa: F401

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


class Places:
    """Madhya Pradesh → Bhopal (LGD 425, → Huzur), Indore (LGD 438, → Mhow)."""

    def __init__(self) -> None:
        unit = AdminUnit.objects.create
        self.state = unit(code="state:k23", kind="state", name_en="Madhya Pradesh")
        self.bhopal = unit(
            code="district:k-bhopal",
            kind="district",
            lgd_code="425",
            name_en="Bhopal",
            name_hi="भोपाल",
            parent=self.state,
        )
        self.huzur = unit(
            code="tehsil:k-huzur", kind="tehsil", name_en="Huzur", name_hi="हुज़ूर", parent=self.bhopal
        )
        self.indore = unit(
            code="district:k-indore",
            kind="district",
            lgd_code="438",
            name_en="Indore",
            name_hi="इंदौर",
            parent=self.state,
        )
        self.mhow = unit(code="tehsil:k-mhow", kind="tehsil", name_en="Mhow", parent=self.indore)


@pytest.fixture
def places(db) -> Places:
    return Places()


def application_data(district: AdminUnit, **overrides) -> dict:
    """Valid fields of a kiosk application (PAN and IFSC well-formed)."""
    n = next(_seq)
    data = {
        "kind": "csc",
        "business_name": f"Jan Seva Kendra {n}",
        "owner_name": "Ramesh Patel",
        "owner_mobile": f"97000{n:05d}",
        "owner_email": "ramesh@example.in",
        "pan": "ABCPE1234F",
        "aadhaar_token": "",
        "aadhaar_last4": "1234",
        "bank_account_name": "Ramesh Patel",
        "bank_account_number": f"1234567890{n:02d}",
        "bank_ifsc": "SBIN0001234",
        "shop_registration": f"SR/{n}",
        "district": district,
        "address": "Shop 4, New Market",
        "pin_code": "462003",
        "latitude": "23.233300",
        "longitude": "77.400000",
        "opening_hours_en": "Mon–Sat 09:00–19:00",
        "opening_hours_hi": "सोम–शनि 09:00–19:00",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_kiosk(places, frozen_clock):
    """``make_kiosk(district=None, **fields)`` → an approved, active kiosk (its owner's
    login made, not yet activated) without going through the onboarding pages."""

    def make(district: AdminUnit | None = None, **overrides) -> Kiosk:
        data = application_data(district or places.bhopal, **overrides)
        applicant = User.objects.create_citizen(data["owner_mobile"])
        now = clock.now()
        application = KioskApplication.objects.create(
            reference=f"KA-TEST-{next(_seq)}",
            applicant=applicant,
            status=KioskApplication.Status.APPROVED,
            created_at=now,
            updated_at=now,
            **data,
        )
        kiosk = services.open_kiosk(application, actor=None)
        application.kiosk = kiosk
        application.save(update_fields=["kiosk"])
        return kiosk

    return make


@pytest.fixture
def kiosk(make_kiosk) -> Kiosk:
    return make_kiosk()


@pytest.fixture
def other_kiosk(make_kiosk, places) -> Kiosk:
    return make_kiosk(places.indore, pin_code="452001")


def login(kiosk: Kiosk, role: str = KioskOperator.Role.OPERATOR, name: str = "Sunil") -> User:
    """A login at ``kiosk`` with the given role (activated: it may sign in)."""
    if role == KioskOperator.Role.FRANCHISEE:
        operator = KioskOperator.objects.get(kiosk=kiosk, role=role)
    else:
        operator = services.create_login(
            kiosk, role=role, name=name, mobile=f"96000{next(_seq):05d}", actor=None
        )
    operator.activated_at = clock.now()
    operator.save(update_fields=["activated_at"])
    operator.user.set_password("kiosk-pass-2026")
    operator.user.save(update_fields=["password"])
    return operator.user


@pytest.fixture
def operator(kiosk) -> User:
    return login(kiosk)


@pytest.fixture
def franchisee(kiosk) -> User:
    return login(kiosk, KioskOperator.Role.FRANCHISEE)


@pytest.fixture
def other_operator(other_kiosk) -> User:
    return login(other_kiosk, name="Vikram")


def fund(kiosk: Kiosk, paise: int, key: str | None = None) -> None:
    """Put ``paise`` on the kiosk's wallet straight from the bank (as a verified deposit)."""
    ledger.post(
        "test.fund",
        [
            (ledger_accounts.get_or_open("bank"), paise),
            (services.wallet_account(kiosk), -paise),
        ],
        idempotency_key=key or f"test-fund:{kiosk.code}:{next(_seq)}",
    )


def consent_code(mobile: str) -> str:
    """The code of the newest consent SMS sent to ``mobile`` (as the citizen reads it out)."""
    message = Message.objects.filter(recipient=mobile, template="kiosks.consent_otp").latest("pk")
    return str(message.params["code"])


def give_consent(operator: User, person: User):
    services.request_consent(operator, person.mobile, ip="10.0.0.1")
    return services.grant_consent(operator, person.mobile, consent_code(person.mobile))


def assisted_submitted(operator: User, person: User, offered):
    """A kiosk application for ``person`` made by ``operator`` (consent given),
    filled, with its photo, and submitted: it waits for its fee."""
    from ekseva.applications import services as applications

    if services.active_consent(services.require_kiosk(operator), person) is None:
        give_consent(operator, person)
    app = services.start_assisted(operator, person, offered)
    result = applications.save_step(app, "about", ANSWERS, actor=operator)
    assert result.ok, result.errors
    app.refresh_from_db()
    applications.attach_upload(app, "photo", jpeg(), actor=operator)
    return applications.submit(app, declaration=True, actor=operator)
