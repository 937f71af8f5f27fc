"""Back-office fixtures: a certificate service with two stages (scrutiny by a
department officer, approval by the designated officer) and a time limit of 10
working days; Bhopal and Indore; officers of the test department posted in each;
and ``received()``, an application submitted and paid, whose case is open.

The clock is frozen at 2026-06-15 10:00 IST (a Monday)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications import services as applications
from ekseva.catalog import loader
from ekseva.catalog.models import Service
from ekseva.geo.models import AdminUnit
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult
from tests.applications.conftest import OPEN_SERVICE, jpeg, pdf  # noqa: F401
from tests.catalog.conftest import write_definitions
from tests.payments.conftest import fake_gateway  # noqa: F401

_seq = itertools.count(1)

BACK_OFFICE_SERVICE = OPEN_SERVICE.replace(
    "time_limit: {days: 30, kind: working}", "time_limit: {days: 10, kind: working}"
).replace(
    "  - {stage: scrutiny, name: {en: Scrutiny, hi: जाँच}, role: department_officer}\n"
    "deliverable: admit_card",
    "  - {stage: scrutiny, name: {en: Scrutiny, hi: जाँच}, role: department_officer}\n"
    "  - {stage: approval, name: {en: Approval, hi: स्वीकृति}, role: designated_officer}\n"
    "deliverable: certificate",
)
assert "deliverable: certificate" in BACK_OFFICE_SERVICE

ANSWERS = {
    "date_of_birth": "2000-01-15",
    "gender": "M",
    "social_category": "GEN",
    "pwd": "no",
    "graduate": "yes",
}
PASSWORD = "officer-pass-2026"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _gateway(fake_gateway):  # noqa: F811
    return fake_gateway


class Places:
    def __init__(self) -> None:
        unit = AdminUnit.objects.create
        self.state = unit(code="state:w23", kind="state", name_en="Madhya Pradesh")
        self.bhopal = unit(
            code="district:w-bhopal",
            kind="district",
            lgd_code="425",
            name_en="Bhopal",
            name_hi="भोपाल",
            parent=self.state,
        )
        self.indore = unit(
            code="district:w-indore",
            kind="district",
            lgd_code="438",
            name_en="Indore",
            name_hi="इंदौर",
            parent=self.state,
        )


@pytest.fixture
def places(db) -> Places:
    return Places()


@pytest.fixture
def service(db, tmp_path, frozen_clock, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    write_definitions(tmp_path / "defs", service=BACK_OFFICE_SERVICE)
    _changes, problems = loader.load_paths([tmp_path / "defs"])
    assert problems == []
    return Service.objects.get(code="tst-exam")


def officer(
    role: Role, district: AdminUnit | None, department: str = "TST", name: str = ""
) -> User:
    """A staff user with one posting (department + district) and a TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    n = next(_seq)
    user = User.objects.create_user(f"off{n}", PASSWORD, full_name=name or f"Officer {n}")
    Posting.objects.create(user=user, role=role, department_code=department, admin_unit=district)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user


@pytest.fixture
def scrutiny_officer(places) -> User:
    return officer(Role.DEPARTMENT_OFFICER, places.bhopal, name="Meena Sharma")


@pytest.fixture
def designated_officer(places) -> User:
    return officer(Role.DESIGNATED_OFFICER, places.bhopal, name="R. K. Verma")


@pytest.fixture
def appellate_officer(places) -> User:
    return officer(Role.APPELLATE_OFFICER, places.bhopal, name="S. Khan")


@pytest.fixture
def second_appellate_officer(places) -> User:
    """Posted for the department state-wide: hears second appeals."""
    return officer(Role.APPELLATE_OFFICER, None, name="Commissioner")


@pytest.fixture
def indore_officer(places) -> User:
    return officer(Role.DEPARTMENT_OFFICER, places.indore, name="Indore Officer")


@pytest.fixture
def citizen(places) -> User:
    from ekseva.accounts.models import CitizenProfile

    user = User.objects.create_citizen(
        "9876500011", full_name="Asha Verma", email="asha@example.in"
    )
    CitizenProfile.objects.create(user=user, district=places.bhopal, name_en="Asha Verma")
    return user


@pytest.fixture
def received(service, citizen, scrutiny_officer, designated_officer, fake_gateway):  # noqa: F811
    """``received(person=citizen)`` → an application submitted and paid: its case is open."""

    def make(person: User | None = None):
        person = person or citizen
        app = applications.start(person, service)
        result = applications.save_step(app, "about", ANSWERS, actor=person)
        assert result.ok, result.errors
        app.refresh_from_db()
        applications.attach_upload(app, "photo", jpeg(), actor=person)
        app = applications.submit(app, declaration=True, actor=person)
        payment = applications.start_payment(app, idempotency_key=f"k{next(_seq)}", actor=person)
        payments.start_checkout(payment, return_url="/r/")
        payment.refresh_from_db()
        payments.apply_result(
            payment,
            GatewayResult(
                status="succeeded",
                order_id=payment.gateway_order_id,
                payment_id=f"pay_{payment.pk}",
                amount=payment.amount,
                method="upi",
            ),
            source="test",
        )
        app.refresh_from_db()
        return app

    return make
