"""Citizen sign-in by mobile + captcha + OTP; sessions; sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ekseva.accounts.models import CitizenProfile, OtpChallenge, Role, User

from .conftest import last_otp

MOBILE = "9876500001"


def signin_url(lang: str = "en") -> str:
    return f"/{lang}/account/signin/"


def ask_otp(client, mobile: str = MOBILE, lang: str = "en", **extra):
    return client.post(
        signin_url(lang), {"mobile": mobile, "captcha_0": "x", "captcha_1": "PASSED", **extra}
    )


def sign_in(client, mobile: str = MOBILE):
    ask_otp(client, mobile)
    return client.post("/en/account/signin/otp/", {"code": last_otp(mobile)})


def test_first_sign_in_creates_the_citizen(client, db):
    response = ask_otp(client)
    assert response.status_code == 302 and response["Location"] == "/en/account/signin/otp/"
    page = client.get("/en/account/signin/otp/")
    assert "******0001" in page.content.decode()
    response = client.post("/en/account/signin/otp/", {"code": last_otp(MOBILE)})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    user = User.objects.get(mobile=MOBILE)
    assert CitizenProfile.objects.filter(user=user).exists()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_second_sign_in_reuses_the_account(client, make_citizen):
    user = make_citizen(MOBILE)
    sign_in(client)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert User.objects.filter(mobile=MOBILE).count() == 1


def test_captcha_is_required(client, db):
    response = client.post(signin_url(), {"mobile": MOBILE})
    assert response.status_code == 200
    assert "captcha" in response.context["form"].errors
    assert not OtpChallenge.objects.exists()


def test_wrong_captcha_refused(client, db, settings):
    settings.CAPTCHA_TEST_MODE = False
    response = ask_otp(client, captcha_1="WRONG")
    assert response.status_code == 200 and "captcha" in response.context["form"].errors
    assert not OtpChallenge.objects.exists()


def test_bad_mobile_is_an_error_on_the_field(client, db):
    response = ask_otp(client, mobile="12345")
    assert "mobile" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()


def test_wrong_otp_shows_an_error_and_does_not_sign_in(client, db):
    ask_otp(client)
    code = last_otp(MOBILE)
    response = client.post("/en/account/signin/otp/", {"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_otp_page_without_a_pending_number_goes_back(client, db):
    response = client.get("/en/account/signin/otp/")
    assert response.status_code == 302 and response["Location"] == signin_url()


@override_settings(OTP_RATE_PER_MOBILE=2)
def test_rate_limit_shown_on_the_form(client, db):
    ask_otp(client)
    ask_otp(client)
    response = ask_otp(client)
    assert response.status_code == 200
    assert "Too many OTPs" in str(response.context["form"].errors["mobile"])


def test_rate_limit_message_in_hindi(client, db, settings):
    settings.OTP_RATE_PER_MOBILE = 1
    ask_otp(client, lang="hi")
    response = ask_otp(client, lang="hi")
    errors = str(response.context["form"].errors["mobile"])
    assert "बहुत अधिक" in errors


def test_staff_number_cannot_sign_in_by_otp(client, make_staff):
    staff = make_staff(Role.OPERATOR_STAFF)
    staff.mobile = MOBILE
    staff.save()
    response = sign_in(client)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_next_is_followed_only_on_this_site(client, db):
    client.post(
        signin_url() + "?next=/en/account/profile/edit/",
        {"mobile": MOBILE, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    response = client.post("/en/account/signin/otp/", {"code": last_otp(MOBILE)})
    assert response["Location"] == "/en/account/profile/edit/"
    client.post("/en/account/signout/")
    client.post(
        signin_url() + "?next=https://evil.example/",
        {"mobile": MOBILE, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    response = client.post("/en/account/signin/otp/", {"code": last_otp(MOBILE)})
    assert response["Location"] == reverse("accounts:profile")


def test_session_key_rotates_on_sign_in(client, db):
    ask_otp(client)
    before = client.session.session_key
    assert before
    client.post("/en/account/signin/otp/", {"code": last_otp(MOBILE)})
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_sign_out_needs_post_and_ends_the_session(client, db):
    sign_in(client)
    key = client.session.session_key
    assert client.get("/en/account/signout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/en/account/signout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_session_expires_when_idle(client, db, settings):
    sign_in(client)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 30 * 60
    assert not client.session.get_expire_at_browser_close()
    key = client.session.session_key
    # each request pushes the idle deadline on ...
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get(reverse("accounts:profile")).status_code == 200
    pushed = Session.objects.get(pk=key).expire_date
    assert pushed > timezone.now() + dt.timedelta(minutes=29)
    # ... and a session left idle past it is gone
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith("/en/account/signin/")


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_sign_in_pages_render_in_both_languages(client, db, lang):
    page = client.get(signin_url(lang)).content.decode()
    assert 'name="mobile"' in page and 'name="captcha_1"' in page
    if lang == "hi":
        assert "मोबाइल" in page
