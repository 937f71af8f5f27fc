"""Accounts fixtures: a small piece of geography, people with postings, signed-in clients."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import CitizenProfile, Posting, Role, User
from ekseva.geo.models import AdminUnit
from ekseva.notifications.models import Message

_seq = itertools.count(1)


class Geo:
    """State → Bhopal (→ Huzur tehsil → ward), Indore (→ Mhow tehsil)."""

    def __init__(self) -> None:
        unit = AdminUnit.objects.create
        self.state = unit(code="state:t23", kind="state", name_en="Madhya Pradesh")
        self.bhopal = unit(
            code="district:t-bhopal",
            kind="district",
            name_en="Bhopal",
            name_hi="भोपाल",
            parent=self.state,
        )
        self.huzur = unit(
            code="tehsil:t-huzur", kind="tehsil", name_en="Huzur", name_hi="हुज़ूर", parent=self.bhopal
        )
        self.ward = unit(code="ward:t-huzur-1", kind="ward", name_en="Ward 1", parent=self.huzur)
        self.indore = unit(
            code="district:t-indore",
            kind="district",
            name_en="Indore",
            name_hi="इंदौर",
            parent=self.state,
        )
        self.mhow = unit(code="tehsil:t-mhow", kind="tehsil", name_en="Mhow", parent=self.indore)


@pytest.fixture(autouse=True)
def english():
    """reverse() outside a request uses the active language, which a /hi/ request in an
    earlier test of the same worker may have left behind."""
    with translation.override("en"):
        yield


@pytest.fixture
def geo(db) -> Geo:
    return Geo()


@pytest.fixture
def make_citizen(db):
    def make(mobile: str | None = None) -> User:
        mobile = mobile or f"9{next(_seq):09d}"
        user = User.objects.create_citizen(mobile)
        CitizenProfile.objects.create(user=user)
        return user

    return make


@pytest.fixture
def make_staff(db):
    """A staff user with one posting (role and scope as given) and a TOTP device."""

    def make(
        role: Role,
        *,
        department_code: str = "",
        admin_unit: AdminUnit | None = None,
        kiosk_code: str = "",
        starts: dt.date | None = None,
        ends: dt.date | None = None,
        password: str = "right-password-42",
        device: bool = True,
    ) -> User:
        user = User.objects.create_user(f"staff{next(_seq)}", password)
        extra = {"starts": starts} if starts else {}
        Posting.objects.create(
            user=user,
            role=role,
            department_code=department_code,
            admin_unit=admin_unit,
            kiosk_code=kiosk_code,
            ends=ends,
            **extra,
        )
        if device:
            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


def totp_now(user: User, offset_steps: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def last_otp(mobile: str) -> str:
    """The code of the newest OTP SMS queued to ``mobile`` (as the citizen reads it)."""
    message = Message.objects.filter(recipient=mobile, template="accounts.otp").latest("pk")
    return str(message.params["code"])
