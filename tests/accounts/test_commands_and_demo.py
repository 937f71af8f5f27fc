"""``ekseva accounts totp-code / create-staff`` and the demo people."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts import demo, services
from ekseva.accounts.models import CitizenProfile, Posting, Role, User
from ekseva.accounts.permissions import Scope, can
from ekseva.core.models import AuditEvent

from .conftest import totp_now


def run(*args: str) -> str:
    out = StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


def test_create_staff_prints_secret_and_uri(geo):
    out = run(
        "create-staff",
        "officer.lsg",
        "--role",
        "department_officer",
        "--department",
        "lsg",
        "--district",
        "Bhopal",
        "--password",
        "long-password-99",
    )
    user = User.objects.get(username="officer.lsg")
    posting = Posting.objects.get(user=user)
    assert (posting.role, posting.department_code, posting.admin_unit) == (
        Role.DEPARTMENT_OFFICER,
        "LSG",
        geo.bhopal,
    )
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert "otpauth://totp/" in out and "TOTP secret (base32): " in out
    assert "long-password-99" not in out
    assert user.check_password("long-password-99")
    assert device.config_url in out
    assert AuditEvent.objects.filter(action="accounts.staff.created").exists()


def test_create_staff_generates_a_password_when_none_given(geo):
    out = run("create-staff", "ops2", "--role", "operator_staff")
    password = next(line for line in out.splitlines() if line.startswith("password: "))[10:]
    assert User.objects.get(username="ops2").check_password(password)


@pytest.mark.parametrize(
    "args",
    [
        ["Bad Name", "--role", "auditor"],
        ["officer2", "--role", "department_officer"],  # no department
        ["coord2", "--role", "district_coordinator"],  # no district
        ["kiosk2", "--role", "kiosk_operator"],  # no kiosk
        ["officer3", "--role", "auditor", "--password", "short"],  # weak password
        ["officer4", "--role", "auditor", "--district", "Atlantis"],
    ],
)
def test_create_staff_refusals(geo, args):
    with pytest.raises(CommandError):
        run("create-staff", *args)
    assert not User.objects.exclude(username__startswith="9").exists()


def test_create_staff_refuses_a_taken_username(geo):
    run("create-staff", "dup", "--role", "auditor")
    with pytest.raises(CommandError, match="taken"):
        run("create-staff", "dup", "--role", "auditor")


def test_create_staff_by_a_person_needs_operator_staff(make_staff, geo):
    from django.core.exceptions import PermissionDenied

    auditor = make_staff(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.create_staff(
            username="x.y", role=Role.AUDITOR, password="long-password-99", actor=auditor
        )
    ops = make_staff(Role.OPERATOR_STAFF)
    services.create_staff(username="x.y", role=Role.AUDITOR, password="long-password-99", actor=ops)


def test_totp_code_prints_the_current_code(make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    code = run("totp-code", user.username).strip()
    assert code in {totp_now(user, -1), totp_now(user), totp_now(user, 1)}


def test_totp_code_unknown_user(db):
    with pytest.raises(CommandError):
        run("totp-code", "nobody")


def test_demo_load_is_idempotent_and_usable(client, geo):
    lines = demo.load()
    assert any("9876543210" in line and "/dev/outbox/" in line for line in lines)
    assert any(line.startswith("operator staff: ops / demo-pass-2026") for line in lines)
    assert any("accounts totp-code ops" in line for line in lines)
    counts = (User.objects.count(), Posting.objects.count(), TOTPDevice.objects.count())
    assert demo.load() == lines
    assert (User.objects.count(), Posting.objects.count(), TOTPDevice.objects.count()) == counts
    asha = CitizenProfile.objects.get(user__mobile="9876543210")
    assert asha.district == geo.bhopal and asha.aadhaar_masked.endswith("2346")
    assert User.objects.filter(mobile="9876543211").exists()
    officer = User.objects.get(username="officer.lsg")
    assert can(officer, "profile.view", asha) is False
    coordinator = User.objects.get(username="coord.bhopal")
    assert can(coordinator, "profile.view", asha)
    assert can(User.objects.get(username="auditor"), "profile.view", Scope(admin_unit=geo.mhow))
    # the demo staff can really sign in with the published password and the TOTP command
    code = run("totp-code", "do.lsg").strip()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": "do.lsg", "password": demo.DEMO_PASSWORD, "token": code},
    )
    assert response.status_code == 302


def test_demo_without_geo_data_skips_district_staff(db):
    lines = demo.load()
    assert any("skipped" in line for line in lines)
    assert User.objects.filter(username="ops").exists()
    assert not User.objects.filter(username="coord.bhopal").exists()
