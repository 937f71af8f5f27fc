"""Kiosk logins: activation from the SMS link (password + authenticator, good,
expired, reused), and the franchisee's operators (add, deactivate, a new link),
with every refusal: an operator, another kiosk's franchisee, a suspended kiosk."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts import selectors as people
from ekseva.accounts.models import Posting, Role, User
from ekseva.accounts.permissions import can
from ekseva.core import clock
from ekseva.core.models import AuditEvent
from ekseva.kiosks import onboarding, services
from ekseva.kiosks.hooks import SERVE
from ekseva.kiosks.models import KioskError, KioskOperator, KioskSuspended
from ekseva.notifications.models import Message
from tests.accounts.conftest import totp_now
from tests.web.a11y import problems as a11y_problems

from .conftest import login

PASSWORD = "kiosk-login-2026!"


@pytest.fixture(autouse=True)
def no_totp_throttle(settings):
    """django-otp slows down a device after a wrong code (seconds); these tests
    try a wrong code and then the right one at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def new_login(kiosk, name="Sunil Verma", mobile="9600011111") -> KioskOperator:
    return services.create_login(
        kiosk, role=KioskOperator.Role.OPERATOR, name=name, mobile=mobile, actor=None
    )


def activate(token: str, user: User, **overrides):
    values = {"password": PASSWORD, "password_again": PASSWORD, "code": totp_now(user)}
    values.update(overrides)
    return onboarding.activate(token, **values)


def token_in(message: Message) -> str:
    return re.search(r"/kiosks/activate/([A-Za-z0-9_-]+)/", message.body).group(1)


def verified_login(client, user: User) -> None:
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


# --------------------------------------------------------------------------- activation


def test_a_login_is_activated_with_a_password_and_a_current_code(kiosk, frozen_clock):
    login_row = new_login(kiosk)
    user = login_row.user
    assert not user.has_usable_password()
    activated = activate(login_row.activation_token, user)
    assert activated.activated_at == clock.now() and activated.activation_hash == ""
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert (
        authenticate(RequestFactory().post("/"), username=user.username, password=PASSWORD) == user
    )
    assert TOTPDevice.objects.get(user=user).confirmed
    assert services.operator_for_activation(login_row.activation_token) is None
    event = AuditEvent.objects.get(action="kiosks.login.activated")
    assert event.after["username"] == user.username


def test_an_activation_link_works_once(kiosk, frozen_clock):
    login_row = new_login(kiosk)
    activate(login_row.activation_token, login_row.user)
    with pytest.raises(KioskError, match="expired or was already used"):
        activate(login_row.activation_token, login_row.user, password="another-pass-2026!")
    login_row.user.refresh_from_db()
    assert login_row.user.check_password(PASSWORD)


def test_an_expired_link_is_refused(kiosk, frozen_clock, settings):
    login_row = new_login(kiosk)
    clock.advance(hours=settings.KIOSK_ACTIVATION_HOURS, seconds=1)
    with pytest.raises(KioskError, match="expired"):
        activate(login_row.activation_token, login_row.user)
    login_row.refresh_from_db()
    assert login_row.activated_at is None


def test_a_wrong_code_or_a_weak_password_leaves_the_login_as_it_was(kiosk, frozen_clock):
    login_row = new_login(kiosk)
    token, user = login_row.activation_token, login_row.user
    with pytest.raises(onboarding.Invalid) as caught:
        activate(token, user, code="000000" if totp_now(user) != "000000" else "111111")
    assert set(caught.value.errors) == {"code"}
    for weak, field in (("12345678901", "password"), ("short", "password")):
        with pytest.raises(onboarding.Invalid) as caught:
            activate(token, user, password=weak, password_again=weak)
        assert set(caught.value.errors) == {field}
        assert caught.value.errors[field].hi  # in Hindi too
    with pytest.raises(onboarding.Invalid) as caught:
        activate(token, user, password_again="not the same one")
    assert set(caught.value.errors) == {"password_again"}
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert services.operator_for_activation(token) is not None
    activate(token, user)  # and the link still works


# --------------------------------------------------------------------------- operators


def test_the_franchisee_adds_an_operator_who_gets_an_sms(franchisee, kiosk, frozen_clock):
    added = onboarding.add_operator(franchisee, name=" Meena  Sahu ", mobile="+91 96000 22222")
    assert added.kiosk == kiosk and added.role == KioskOperator.Role.OPERATOR
    assert added.name == "Meena Sahu" and added.mobile == "9600022222"
    assert added.user.username.startswith(kiosk.code.lower() + ".")
    message = Message.objects.filter(template="kiosks.activation", recipient="9600022222").get()
    assert token_in(message) == added.activation_token
    assert can(added.user, SERVE, kiosk)


def test_adding_refuses_bad_input_and_a_second_login_for_one_mobile(franchisee, frozen_clock):
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.add_operator(franchisee, name="", mobile="12345")
    assert set(caught.value.errors) == {"name", "mobile"}
    onboarding.add_operator(franchisee, name="Meena", mobile="9600022222")
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.add_operator(franchisee, name="Meena again", mobile="9600022222")
    assert set(caught.value.errors) == {"mobile"}


def test_only_a_franchisee_adds_operators(operator, other_operator, frozen_clock, places):
    from tests.kiosks.test_onboarding import staff

    coordinator = staff(Role.DISTRICT_COORDINATOR, places.bhopal)
    for who in (operator, other_operator, coordinator):
        with pytest.raises(KioskError):
            onboarding.add_operator(who, name="Someone", mobile="9600033333")
    assert not KioskOperator.objects.filter(mobile="9600033333").exists()


def test_a_suspended_kiosk_cannot_add_operators(franchisee, kiosk, frozen_clock, places):
    from tests.kiosks.test_onboarding import staff

    services.suspend(kiosk, reason="Overcharging", actor=staff(Role.OPERATOR_STAFF))
    with pytest.raises(KioskSuspended):
        onboarding.add_operator(franchisee, name="Someone", mobile="9600033333")
    assert not KioskOperator.objects.filter(mobile="9600033333").exists()


def test_deactivating_a_login_ends_its_posting(franchisee, operator, kiosk, frozen_clock):
    row = KioskOperator.objects.get(user=operator)
    assert can(operator, SERVE, kiosk) and people.is_staff_member(operator)
    onboarding.deactivate_login(franchisee, row.pk)
    row.refresh_from_db()
    assert not row.active
    posting = Posting.objects.get(user=operator, kiosk_code=kiosk.code)
    assert posting.ends < clock.today() and not posting.is_current()
    operator = User.objects.get(pk=operator.pk)  # no cached postings
    assert not can(operator, SERVE, kiosk) and not people.is_staff_member(operator)
    assert services.operator_of(operator) is None
    assert AuditEvent.objects.filter(action="kiosks.login.deactivated").count() == 1
    with pytest.raises(KioskError, match="already deactivated"):
        onboarding.deactivate_login(franchisee, row.pk)


def test_deactivation_is_refused_to_others_and_for_the_owner(
    franchisee, operator, other_kiosk, frozen_clock
):
    other_franchisee = login(other_kiosk, KioskOperator.Role.FRANCHISEE)
    row = KioskOperator.objects.get(user=operator)
    colleague = new_login(KioskOperator.objects.get(user=operator).kiosk, mobile="9600044444")
    with pytest.raises(KioskError, match="No such login at your kiosk"):
        onboarding.deactivate_login(other_franchisee, row.pk)
    with pytest.raises(KioskError, match="owner"):
        onboarding.deactivate_login(operator, colleague.pk)
    owner_row = KioskOperator.objects.get(user=franchisee)
    with pytest.raises(KioskError, match="owner's login"):
        onboarding.deactivate_login(franchisee, owner_row.pk)
    with pytest.raises(KioskError, match="No such login"):
        onboarding.deactivate_login(franchisee, 10**6)
    assert KioskOperator.objects.filter(active=False).count() == 0


def test_a_new_link_replaces_the_old_one(franchisee, kiosk, frozen_clock):
    row = new_login(kiosk)
    old = row.activation_token
    old_key = TOTPDevice.objects.get(user=row.user).key
    again = onboarding.resend_activation(franchisee, row.pk, language="en")
    assert services.operator_for_activation(old) is None
    assert services.operator_for_activation(again.activation_token).pk == row.pk
    assert TOTPDevice.objects.get(user=row.user).key != old_key
    sent = Message.objects.filter(template="kiosks.activation", recipient=row.mobile)
    assert sent.count() == 2 and token_in(sent.order_by("-pk").first()) == again.activation_token
    activate(again.activation_token, row.user)
    with pytest.raises(KioskError, match="already activated"):
        onboarding.resend_activation(franchisee, row.pk)


def test_operator_staff_send_the_owner_a_new_link(kiosk, frozen_clock, places):
    from tests.kiosks.test_onboarding import staff

    owner = KioskOperator.objects.get(kiosk=kiosk, role=KioskOperator.Role.FRANCHISEE)
    again = onboarding.resend_activation(staff(Role.OPERATOR_STAFF), owner.pk)
    assert services.operator_for_activation(again.activation_token).pk == owner.pk
    with pytest.raises(KioskError):
        onboarding.resend_activation(staff(Role.DISTRICT_COORDINATOR, places.indore), owner.pk)


# --------------------------------------------------------------------------- pages


def test_the_activation_page_shows_the_username_and_the_authenticator_key(
    client, kiosk, frozen_clock
):
    row = new_login(kiosk)
    url = reverse("kiosks:activate", args=[row.activation_token])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert row.user.username in html and 'src="data:image/png;base64,' in html
    assert onboarding.setup_key(TOTPDevice.objects.get(user=row.user)) in html
    assert a11y_problems(html) == []
    bad = client.post(url, {"password": "short", "password_again": "short", "code": "1"})
    assert bad.status_code == 400 and "error-summary" in bad.content.decode()
    good = client.post(
        url, {"password": PASSWORD, "password_again": PASSWORD, "code": totp_now(row.user)}
    )
    assert good.status_code == 200
    assert reverse("accounts:staff_signin") in good.content.decode()
    row.refresh_from_db()
    assert row.activated_at is not None
    # The new login signs in at the staff sign-in (the next code: each is used once).
    signed_in = client.post(
        reverse("accounts:staff_signin"),
        {
            "username": row.user.username,
            "password": PASSWORD,
            "token": totp_now(row.user, offset_steps=1),
        },
    )
    assert signed_in.status_code == 302 and client.session.get(DEVICE_ID_SESSION_KEY)
    client.logout()
    gone = client.get(url)
    assert gone.status_code == 410
    assert "ask the kiosk" in gone.content.decode()


def test_the_activation_page_in_hindi(client, kiosk, frozen_clock):
    row = new_login(kiosk)
    response = client.get(f"/hi/kiosks/activate/{row.activation_token}/")
    assert response.status_code == 200
    assert 'lang="hi"' in response.content.decode()
    expired = client.get("/hi/kiosks/activate/not-a-real-token-at-all/")
    assert expired.status_code == 410


def test_the_operators_page_lists_adds_deactivates_and_resends(
    client, franchisee, operator, kiosk, frozen_clock
):
    verified_login(client, franchisee)
    url = reverse("kiosks:operators")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert operator.username in html and "******" in html
    assert a11y_problems(html) == []
    bad = client.post(reverse("kiosks:operator_add"), {"name": "Meena", "mobile": "123"})
    assert bad.status_code == 400 and 'value="Meena"' in bad.content.decode()
    added = client.post(reverse("kiosks:operator_add"), {"name": "Meena", "mobile": "9600055555"})
    assert added.status_code == 302
    row = KioskOperator.objects.get(mobile="9600055555")
    assert client.post(reverse("kiosks:operator_resend", args=[row.pk])).status_code == 302
    assert Message.objects.filter(recipient="9600055555").count() == 2
    target = KioskOperator.objects.get(user=operator)
    assert client.post(reverse("kiosks:operator_deactivate", args=[target.pk])).status_code == 302
    target.refresh_from_db()
    assert not target.active


def test_the_operators_page_is_the_franchisees_alone(client, operator, kiosk, frozen_clock):
    verified_login(client, operator)
    assert client.get(reverse("kiosks:operators")).status_code == 403
    response = client.post(reverse("kiosks:operator_add"), {"name": "X", "mobile": "9600066666"})
    assert response.status_code in (400, 403)
    assert not KioskOperator.objects.filter(mobile="9600066666").exists()
    client.logout()
    anonymous = client.get(reverse("kiosks:operators"))
    assert anonymous.status_code == 302 and "staff/signin" in anonymous["Location"]


def test_another_kiosks_franchisee_cannot_deactivate_by_page(
    client, operator, other_kiosk, frozen_clock
):
    other_franchisee = login(other_kiosk, KioskOperator.Role.FRANCHISEE)
    verified_login(client, other_franchisee)
    target = KioskOperator.objects.get(user=operator)
    client.post(reverse("kiosks:operator_deactivate", args=[target.pk]))
    target.refresh_from_db()
    assert target.active
