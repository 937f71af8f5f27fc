"""Staff sign-in: password + TOTP, django-axes lockout, staff_required pages."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from ekseva.accounts.models import Role

from .conftest import totp_now

URL = "/en/account/staff/signin/"
PASSWORD = "right-password-42"


def post(client, user, password=PASSWORD, token=None):
    return client.post(
        URL,
        {
            "username": user.username,
            "password": password,
            "token": token if token is not None else totp_now(user),
        },
    )


def test_password_and_totp_sign_in(client, make_staff):
    user = make_staff(Role.DEPARTMENT_OFFICER, department_code="REV")
    response = post(client, user)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:staff_home")
    page = client.get(reverse("accounts:staff_home"))
    assert page.status_code == 200 and "Department officer" in page.content.decode()


def test_session_key_rotates_on_staff_sign_in(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    client.get(URL)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    post(client, user)
    assert client.session.session_key != before


def test_password_alone_does_not_sign_in(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    response = post(client, user, token="")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_wrong_totp_refused(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    right = totp_now(user)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = post(client, user, token=wrong)
    assert response.status_code == 200
    assert "authenticator" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1


def test_staff_without_a_totp_device_cannot_sign_in(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF, device=False)
    response = client.post(
        URL, {"username": user.username, "password": PASSWORD, "token": "123456"}
    )
    assert response.status_code == 200
    assert "No authenticator app" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unconfirmed_device_does_not_count(client, make_staff):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_staff(Role.OPERATOR_STAFF)
    TOTPDevice.objects.filter(user=user).update(confirmed=False)
    response = post(client, user)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_citizen_cannot_use_staff_sign_in(client, make_citizen):
    citizen = make_citizen()
    citizen.set_password(PASSWORD)
    citizen.save()
    response = client.post(
        URL, {"username": citizen.username, "password": PASSWORD, "token": "123456"}
    )
    assert "no current staff posting" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_expired_posting_cannot_sign_in(client, make_staff):
    import datetime as dt

    from ekseva.core import clock

    user = make_staff(
        Role.OPERATOR_STAFF,
        starts=clock.today() - dt.timedelta(days=9),
        ends=clock.today() - dt.timedelta(days=1),
    )
    post(client, user)
    assert "_auth_user_id" not in client.session


def test_axes_locks_out_after_five_bad_passwords(client, make_staff, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = make_staff(Role.OPERATOR_STAFF)
    for _ in range(4):
        response = post(client, user, password="wrong-password")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    response = post(client, user, password="wrong-password")
    assert response.status_code == 429
    # locked: even the right password and code do not sign in
    response = post(client, user)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_page_in_hindi(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    for _ in range(5):
        client.post(
            "/hi/account/staff/signin/",
            {"username": user.username, "password": "wrong", "token": "1"},
        )
    response = client.post(
        "/hi/account/staff/signin/", {"username": user.username, "password": PASSWORD, "token": "1"}
    )
    assert response.status_code == 429
    assert "लॉक" in response.content.decode()


def test_totp_guessing_also_locks_out(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    for _ in range(5):
        post(client, user, token="000000" if totp_now(user) != "000000" else "111111")
    response = post(client, user)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_success_resets_the_failure_count(client, make_staff):
    user = make_staff(Role.OPERATOR_STAFF)
    for _ in range(3):
        post(client, user, password="wrong-password")
    post(client, user)
    assert "_auth_user_id" in client.session
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_staff_pages_need_a_verified_session(client, make_staff, make_citizen):
    home = reverse("accounts:staff_home")
    response = client.get(home)
    assert response.status_code == 302 and response["Location"].startswith(URL)
    # a password-only login (no TOTP) is not verified
    user = make_staff(Role.OPERATOR_STAFF)
    client.force_login(user)
    response = client.get(home)
    assert response.status_code == 302 and response["Location"].startswith(URL)
    # a citizen session is not verified either
    client.logout()
    client.force_login(make_citizen())
    assert client.get(home).status_code == 302


def test_verified_staff_whose_posting_ended_is_refused(client, make_staff):
    import datetime as dt

    from ekseva.accounts.models import Posting
    from ekseva.core import clock

    user = make_staff(Role.OPERATOR_STAFF)
    post(client, user)
    assert client.get(reverse("accounts:staff_home")).status_code == 200
    Posting.objects.filter(user=user).update(ends=clock.today() - dt.timedelta(days=1))
    assert client.get(reverse("accounts:staff_home")).status_code == 403


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_staff_sign_in_page_renders(client, db, lang):
    page = client.get(f"/{lang}/account/staff/signin/").content.decode()
    assert 'name="username"' in page and 'name="token"' in page
    assert 'type="password"' in page
