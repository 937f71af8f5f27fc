"""The kiosk console: a kiosk login serves a walk-in citizen end to end (consent by
the citizen's OTP, a first-time number registered, the journey's pages, paying
from the wallet once per token, the receipt, the session ended), sees its day and
searches its past applications; never another kiosk's; nothing at all while the
kiosk is suspended."""

from __future__ import annotations

import datetime as dt
import time
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications import services as applications
from ekseva.applications.models import Application, Status
from ekseva.core import clock
from ekseva.kiosks import console, services
from ekseva.kiosks.models import Consent, KioskSuspended
from ekseva.notifications.models import Message
from ekseva.payments.models import Payment

from .conftest import ANSWERS, assisted_submitted, consent_code, fund, give_consent, jpeg

PASSWORD = "kiosk-pass-2026"
TOTAL = 56_720  # ₹500 general fee + ₹40 convenience + ₹7.20 GST + ₹20 kiosk charge
KIOSK_CHARGE = 2_000


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"kiosks:{name}", args=args)


def app_url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"applications:{name}", args=args)


def sign_in(client, user: User):
    """The real staff sign-in: username, password and the authenticator's code."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:400]
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


def flashed(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow_messages(client, response) -> str:
    """The page a redirect leads to (its messages shown on it)."""
    assert response.status_code == 302, response.status_code
    return text(client.get(response.url))


@pytest.fixture
def desk(client, operator):
    """The operator of ``kiosk`` signed in at the staff sign-in."""
    return sign_in(client, operator)


@pytest.fixture
def other_desk(operator, other_operator):
    from django.test import Client

    return sign_in(Client(), other_operator)


def paid_app(operator, person, offered, key: str) -> Application:
    app = assisted_submitted(operator, person, offered)
    assert services.pay_assisted(operator, app, idempotency_key=key).is_paid
    app.refresh_from_db()
    return app


def back_dated(app: Application, moment: dt.datetime) -> Application:
    """The application (and its payment) as if made and paid at ``moment`` (the
    logins were made today: they could not act yesterday)."""
    Application.objects.filter(pk=app.pk).update(
        created_at=moment, submitted_at=moment, updated_at=moment, paid_at=moment
    )
    Payment.objects.filter(target=app.number).update(created_at=moment, succeeded_at=moment)
    app.refresh_from_db()
    return app


def walk_in(n: int) -> User:
    return User.objects.create_citizen(f"91234{n:05d}", full_name=f"Walk In {n}")


# --------------------------------------------------------------------------- who may open it


def test_the_console_is_for_kiosk_logins_signed_in_with_their_authenticator(
    client, operator, citizen, kiosk
):
    home = url("console")
    response = client.get(home)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:staff_signin")) and "next=" in response.url

    client.force_login(citizen)
    assert client.get(home).status_code == 404
    staff = User.objects.create_user("ops.console", "x-pass-2026-long")
    Posting.objects.create(user=staff, role=Role.OPERATOR_STAFF)
    client.force_login(staff)
    assert client.get(home).status_code == 404

    client.force_login(operator)  # a password alone: not a verified session
    response = client.get(home)
    assert response.status_code == 302 and "staff/signin" in response.url

    client.logout()
    sign_in(client, operator)
    html = text(client.get(home))
    assert kiosk.code in html and kiosk.business_name in html
    assert 'href="' + url("console_serve") + '"' in html
    assert "Kiosk console" in text(client.get(app_url("mine")))  # the menu entry


def test_the_franchisee_has_the_console_and_serves_too(client, franchisee, kiosk, citizen, service):
    sign_in(client, franchisee)
    assert kiosk.code in text(client.get(url("console")))
    fund(kiosk, 100_000)
    app = paid_app(franchisee, citizen, service, "f1")
    html = text(client.get(url("console_app", app.number)))
    assert "Print the receipt" in html


def test_the_wallet_balance_and_the_low_balance_warning(desk, kiosk):
    fund(kiosk, kiosk.low_balance_paise - 1)
    html = text(desk.get(url("console")))
    assert "₹499.99" in html and "data-low-balance" in html
    assert f'href="{url("wallet")}"' in html
    fund(kiosk, 1)
    assert "data-low-balance" not in text(desk.get(url("console")))


# --------------------------------------------------------------------------- today's work


def test_todays_figures_count_only_todays_paid_work_at_this_kiosk(
    desk, operator, other_operator, kiosk, other_kiosk, service
):
    fund(kiosk, 1_000_000)
    fund(other_kiosk, 1_000_000)
    yesterday = clock.now() - dt.timedelta(days=1)
    old = back_dated(paid_app(operator, walk_in(1), service, "y1"), yesterday)
    first = paid_app(operator, walk_in(2), service, "t1")
    second = paid_app(operator, walk_in(3), service, "t2")
    unpaid = assisted_submitted(operator, walk_in(4), service)
    elsewhere = paid_app(other_operator, walk_in(5), service, "o1")

    today = console.today_work(kiosk)
    assert today.transactions == 2
    assert today.collected == 2 * TOTAL
    assert today.commission == 2 * KIOSK_CHARGE
    numbers = {app.number for app in today.applications}
    assert numbers == {first.number, second.number, unpaid.number}
    assert console.today_work(kiosk, yesterday.date()).transactions == 1
    assert console.today_work(other_kiosk).transactions == 1

    response = desk.get(url("console"))
    figures = response.context["today"]
    assert (figures.transactions, figures.collected, figures.commission) == (2, 113_440, 4_000)
    html = text(response)
    assert 'data-figure="collected">₹1,134.40<' in html
    assert 'data-figure="commission">₹40.00<' in html
    assert first.number in html and unpaid.number in html
    assert old.number not in html and elsewhere.number not in html


# --------------------------------------------------------------------------- a walk-in, end to end


def test_a_first_time_walk_in_is_served_end_to_end(desk, operator, kiosk, service):
    fund(kiosk, 100_000)
    mobile = "9123477777"
    response = desk.post(url("console_serve"), {"mobile": "+91 91234 77777"})
    assert response.status_code == 302 and response.url == url("console_code")
    sms = Message.objects.get(recipient=mobile, template="kiosks.consent_otp")
    assert sms.params["kiosk"] == kiosk.code
    assert "******7777" in text(desk.get(url("console_code")))

    wrong = desk.post(url("console_code"), {"code": "000000"})
    assert "not correct" in text(wrong) and not Consent.objects.exists()
    response = desk.post(url("console_code"), {"code": consent_code(mobile)})
    citizen = User.objects.get(mobile=mobile)
    assert response.url == url("console_about", citizen.pk)  # a first-time number: its name first
    assert desk.get(url("console_citizen", citizen.pk)).url == url("console_about", citizen.pk)

    missing = desk.post(url("console_about", citizen.pk), {"name_en": ""})
    assert "There is a problem" in text(missing)
    response = desk.post(
        url("console_about", citizen.pk),
        {
            "name_en": "Kamla Bai",
            "name_hi": "कमला बाई",
            "date_of_birth": "2000-01-15",
            "gender": "F",
        },
    )
    assert response.url == url("console_citizen", citizen.pk)
    citizen.refresh_from_db()
    assert citizen.full_name == "Kamla Bai" and citizen.profile.name_hi == "कमला बाई"

    html = text(desk.get(url("console_citizen", citizen.pk)))
    assert "Serving Kamla Bai" in html and "******7777" in html
    assert "Kiosk service charge (at a kiosk)" in html and "₹20.00" in html
    assert 'data-service="tst-exam"' in html

    response = desk.post(url("console_start", citizen.pk, "tst-exam"))
    app = Application.objects.get(applicant=citizen)
    assert (app.channel, app.kiosk_code, app.status) == ("kiosk", kiosk.code, Status.DRAFT)
    assert response.url == app_url("step", app.pk, "about")
    again = desk.post(url("console_start", citizen.pk, "tst-exam"))  # pressed twice: one draft
    assert again.url == app_url("step", app.pk, "about")
    assert Application.objects.filter(applicant=citizen).count() == 1

    # The journey's own pages, filled in by the operator.
    response = desk.post(app_url("step", app.pk, "about"), {**ANSWERS, "gender": "F"})
    assert response.status_code == 302
    app.refresh_from_db()
    applications.attach_upload(app, "photo", jpeg(), actor=operator)
    response = desk.post(app_url("preview", app.pk), {"declaration": "yes"})
    app.refresh_from_db()
    assert app.status == Status.FEE_PENDING
    assert response.url == url(
        "console_app", app.number
    )  # back to the console, not My applications

    html = text(desk.get(response.url))
    assert "Kiosk service charge" in html and "data-kiosk-charge" in html
    women = 30_000 + 4_000 + 720 + KIOSK_CHARGE
    assert app.fee_total == women and "₹567.20" not in html
    assert "Pay ₹367.20 from the wallet" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    response = desk.post(url("console_pay", app.number), {"token": token})
    html = follow_messages(desk, response)
    assert "Paid ₹367.20 from the wallet" in html
    assert services.wallet_balance(kiosk) == 100_000 - women
    receipt = app_url("receipt", app.number)
    assert f'href="{receipt}?lang=en"' in html
    pdf = desk.get(f"{receipt}?lang=en")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    response = desk.post(url("console_end", citizen.pk))
    assert response.url == url("console")
    assert services.active_consent(kiosk, citizen) is None
    assert desk.get(url("console_citizen", citizen.pk)).url == url("console_serve")


def test_the_application_page_of_a_kiosk_login_leads_back_to_the_console(
    desk, operator, citizen, service
):
    app = assisted_submitted(operator, citizen, service)
    html = text(desk.get(app_url("detail", app.number)))
    assert f'href="{url("console_app", app.number)}"' in html
    assert 'action="' + app_url("pay", app.number) + '"' not in html  # no online checkout


def test_an_existing_citizen_goes_straight_to_their_panel(desk, operator, kiosk, citizen, service):
    desk.post(url("console_serve"), {"mobile": citizen.mobile})
    response = desk.post(url("console_code"), {"code": consent_code(citizen.mobile)})
    assert response.url == url("console_citizen", citizen.pk)
    earlier = assisted_submitted(operator, citizen, service)
    html = text(desk.get(response.url))
    assert earlier.number in html
    assert f'href="{url("console_app", earlier.number)}"' in html


def test_a_wrong_mobile_is_refused_on_its_field(desk):
    html = text(desk.post(url("console_serve"), {"mobile": "12345"}))
    assert "Enter a 10-digit Indian mobile number" in html
    assert not Message.objects.filter(template="kiosks.consent_otp").exists()


def test_a_staff_number_cannot_be_served_as_a_citizen(desk, other_operator):
    from ekseva.kiosks.models import KioskOperator

    number = KioskOperator.objects.get(user=other_operator).mobile
    staff = User.objects.create_user("staff.mobile", "x-pass-2026-long", mobile=number)
    Posting.objects.create(user=staff, role=Role.OPERATOR_STAFF)
    html = text(desk.post(url("console_serve"), {"mobile": number}))
    assert "cannot be served as a citizen" in html


def test_the_kiosk_shows_only_services_it_offers(desk, operator, kiosk, citizen, service):
    give_consent(operator, citizen)
    assert 'data-service="tst-exam"' in text(desk.get(url("console_citizen", citizen.pk)))
    kiosk.services = ["another-service"]
    kiosk.save(update_fields=["services"])
    html = text(desk.get(url("console_citizen", citizen.pk)))
    assert 'data-service="tst-exam"' not in html
    response = desk.post(url("console_start", citizen.pk, "tst-exam"))
    assert "This kiosk does not offer this service." in follow_messages(desk, response)
    assert not Application.objects.filter(applicant=citizen).exists()


# --------------------------------------------------------------------------- consent


def test_no_consent_no_panel_and_no_application(desk, operator, kiosk, citizen, service):
    response = desk.get(url("console_citizen", citizen.pk))
    assert response.url == url("console_serve")
    assert "has not given this kiosk consent" in follow_messages(desk, response)
    response = desk.post(url("console_start", citizen.pk, "tst-exam"))
    assert response.url == url("console_serve")
    assert not Application.objects.exists()

    give_consent(operator, citizen)
    assert desk.get(url("console_citizen", citizen.pk)).status_code == 200
    clock.advance(minutes=61)  # the consent lasts an hour
    assert desk.get(url("console_citizen", citizen.pk)).url == url("console_serve")


def test_a_code_sent_for_one_kiosk_is_refused_at_another(desk, other_desk, citizen, kiosk):
    desk.post(url("console_serve"), {"mobile": citizen.mobile})
    code = consent_code(citizen.mobile)
    other_desk.post(url("console_serve"), {"mobile": citizen.mobile})  # B's own code is sent
    assert Message.objects.filter(template="kiosks.consent_otp").count() == 2
    if consent_code(citizen.mobile) != code:  # (one in a million: the same six digits)
        html = text(other_desk.post(url("console_code"), {"code": code}))
        assert "The OTP is not correct" in html
    assert not Consent.objects.exists()
    response = desk.post(url("console_code"), {"code": code})
    assert response.url == url("console_citizen", citizen.pk)
    assert Consent.objects.get().kiosk == kiosk


# --------------------------------------------------------------------------- one kiosk, not another


def test_one_kiosk_never_sees_anothers_work(
    desk, other_desk, operator, other_operator, kiosk, citizen, other_citizen, service
):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    give_consent(other_operator, other_citizen)
    theirs = assisted_submitted(other_operator, other_citizen, service)

    assert other_desk.get(url("console_app", app.number)).status_code == 404
    assert other_desk.post(url("console_pay", app.number), {"token": "x" * 32}).status_code == 404
    assert desk.get(url("console_app", theirs.number)).status_code == 404
    assert services.wallet_balance(kiosk) == 100_000

    found = other_desk.get(url("console_search"), {"number": app.number})
    assert found.context["page"].paginator.count == 0 and found.context["rows"] == []
    found = other_desk.get(url("console_search"), {"mobile": citizen.mobile})
    assert found.context["page"].paginator.count == 0
    found = desk.get(url("console_search"), {"number": ""})
    assert [row["app"].number for row in found.context["rows"]] == [app.number]

    # the citizen consented to kiosk A only: kiosk B cannot open their panel
    response = other_desk.get(url("console_citizen", citizen.pk))
    assert response.url == url("console_serve")
    response = other_desk.post(url("console_start", citizen.pk, "tst-exam"))
    assert response.url == url("console_serve")
    assert Application.objects.filter(applicant=citizen).count() == 1


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.text(max_size=30))
def test_whatever_is_typed_the_search_finds_only_this_kiosks_applications(
    operator, other_operator, kiosk, other_kiosk, citizen, other_citizen, service, typed
):
    if not Application.objects.exists():
        assisted_submitted(operator, citizen, service)
        give_consent(other_operator, other_citizen)
        assisted_submitted(other_operator, other_citizen, service)
    found = console.search(kiosk, number=typed)
    assert all(app.kiosk_code == kiosk.code for app in found)
    theirs = Application.objects.get(kiosk_code=other_kiosk.code).number
    assert all(app.number != theirs for app in console.search(kiosk, number=typed + theirs))


def test_search_by_number_mobile_and_dates_with_pages(
    desk, operator, kiosk, citizen, service, monkeypatch
):
    from ekseva.kiosks import views_console

    monkeypatch.setattr(views_console, "PAGE_SIZE", 2)
    early = back_dated(
        assisted_submitted(operator, walk_in(11), service), clock.now() - dt.timedelta(days=10)
    )
    apps = [assisted_submitted(operator, walk_in(12 + n), service) for n in range(3)]
    mine = assisted_submitted(operator, citizen, service)

    def numbers(**query) -> list[str]:
        response = desk.get(url("console_search"), query)
        assert response.status_code == 200
        return [row["app"].number for row in response.context["rows"]]

    assert numbers(number=mine.number.lower()) == [mine.number]
    assert numbers(number=mine.number[-6:]) == [mine.number]
    assert numbers(mobile=citizen.mobile) == [mine.number]
    assert numbers(date_to="2026-06-10") == [early.number]
    assert early.number not in numbers(date_from="2026-06-15", page="1") + numbers(
        date_from="2026-06-15", page="2"
    )
    response = desk.get(url("console_search"), {"date_from": "2026-06-15"})
    assert response.context["page"].paginator.count == 4
    html = text(response)
    assert "date_from=2026-06-15&amp;page=2" in response.content.decode()
    assert "Page 1 of 2" in html
    assert len(apps) == 3
    bad = text(
        desk.get(url("console_search"), {"date_from": "2026-06-15", "date_to": "2026-06-01"})
    )
    assert "This date is before the first date." in bad
    assert "Enter a 10-digit" in text(desk.get(url("console_search"), {"mobile": "123"}))


# --------------------------------------------------------------------------- a suspended kiosk


def test_a_suspended_kiosk_is_refused_every_action(desk, operator, kiosk, citizen, service):
    from ekseva.kiosks.models import KioskStatusChange

    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)  # consent given, fee due
    staff = User.objects.create_user("ops.suspend", "x-pass-2026-long")
    Posting.objects.create(user=staff, role=Role.OPERATOR_STAFF)
    services.suspend(kiosk, reason="Overcharging found on inspection", actor=staff)
    since = KioskStatusChange.objects.get(kiosk=kiosk).at

    html = text(desk.get(url("console")))
    assert "This kiosk is suspended" in html and "data-suspended" in html
    assert (
        since.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).strftime("%H:%M") in html
    )
    assert 'href="' + url("console_serve") + '"' not in html
    assert '<form method="post"' not in text(desk.get(url("console_serve")))

    sent = Message.objects.filter(template="kiosks.consent_otp").count()
    response = desk.post(url("console_serve"), {"mobile": "9123488888"})
    assert "cannot transact" in text(response)
    assert Message.objects.filter(template="kiosks.consent_otp").count() == sent

    response = desk.get(url("console_citizen", citizen.pk))
    assert response.url == url("console") and "cannot transact" in follow_messages(desk, response)
    response = desk.post(url("console_start", citizen.pk, "tst-exam"))
    assert response.url == url("console")
    html = text(desk.get(url("console_app", app.number)))  # still visible, to read
    assert app.number in html and 'name="token"' not in html
    response = desk.post(url("console_pay", app.number), {"token": "t" * 32})
    assert "cannot transact" in follow_messages(desk, response)
    assert services.wallet_balance(kiosk) == 100_000
    assert not Payment.objects.filter(status="succeeded").exists()
    assert desk.get(app_url("step", Application.objects.get().pk, "about")).status_code == 404
    # the services refuse whatever the pages show
    with pytest.raises(KioskSuspended):
        services.request_consent(operator, "9123488888", ip=None)
    with pytest.raises(KioskSuspended):
        services.grant_consent(operator, citizen.mobile, "123456")
    with pytest.raises(KioskSuspended):
        services.start_assisted(operator, citizen, service)
    with pytest.raises(KioskSuspended):
        services.pay_assisted(operator, app, idempotency_key="direct")
    services.end_consent(operator, citizen)  # letting go is always allowed
    assert services.active_consent(kiosk, citizen) is None


# --------------------------------------------------------------------------- paying


def test_pressing_pay_twice_debits_the_wallet_once(desk, operator, kiosk, citizen, service):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    html = text(desk.get(url("console_app", app.number)))
    token = html.split('name="token" value="')[1].split('"')[0]
    first = desk.post(url("console_pay", app.number), {"token": token})
    second = desk.post(url("console_pay", app.number), {"token": token})
    assert first.status_code == second.status_code == 302
    assert services.wallet_balance(kiosk) == 100_000 - TOTAL
    assert Payment.objects.filter(target=app.number).count() == 1
    assert Payment.objects.get(target=app.number).status == "succeeded"
    html = follow_messages(desk, second)
    assert "Paid ₹567.20 from the wallet" in html and "Print the receipt" in html
    assert 'name="token"' not in html  # nothing left to pay
    # a fresh token once paid: refused in words, nothing taken
    third = desk.post(url("console_pay", app.number), {"token": "n" * 32})
    assert "already been paid" in follow_messages(desk, third)
    assert services.wallet_balance(kiosk) == 100_000 - TOTAL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_presses_at_the_same_moment_debit_once(desk, operator, kiosk, citizen, service):
    """Two requests with the same token at once (a double tap on a slow line): the
    payment is made once under its key and taken once under its row lock."""
    import threading

    from django.db import connection
    from django.test import Client

    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    html = text(desk.get(url("console_app", app.number)))
    token = html.split('name="token" value="')[1].split('"')[0]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def press() -> None:
        twin = Client()
        twin.cookies = desk.cookies  # the same signed-in session, another request
        try:
            barrier.wait()
            codes.append(twin.post(url("console_pay", app.number), {"token": token}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [302, 302]
    assert services.wallet_balance(kiosk) == 100_000 - TOTAL
    assert Payment.objects.filter(target=app.number).count() == 1


def test_a_short_wallet_says_by_how_much_and_takes_nothing(desk, operator, kiosk, citizen, service):
    fund(kiosk, 50_000)
    app = assisted_submitted(operator, citizen, service)
    html = text(desk.get(url("console_app", app.number)))
    assert "The wallet has ₹500.00: ₹67.20 short of this fee." in html
    assert f'href="{url("wallet")}"' in html and 'name="token"' not in html
    response = desk.post(url("console_pay", app.number), {"token": "s" * 32})
    html = follow_messages(desk, response)
    assert "The wallet has ₹500.00: ₹67.20 short of the fee. Nothing was taken." in html
    assert services.wallet_balance(kiosk) == 50_000
    assert Payment.objects.get(target=app.number).status == "failed"

    fund(kiosk, 10_000)
    html = text(desk.get(url("console_app", app.number)))
    token = html.split('name="token" value="')[1].split('"')[0]
    desk.post(url("console_pay", app.number), {"token": token})
    assert services.wallet_balance(kiosk) == 60_000 - TOTAL


def test_an_out_of_date_page_is_asked_to_pay_again(desk, operator, kiosk, citizen, service):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    response = desk.post(url("console_pay", app.number), {"token": "bad token"})
    assert "out of date" in follow_messages(desk, response)
    assert services.wallet_balance(kiosk) == 100_000


def test_a_closed_window_is_said_in_the_pages_language(desk, operator, kiosk, citizen, service):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    clock.advance(days=21)  # after the late window (5 July)
    response = desk.post(url("console_pay", app.number, lang="hi"), {"token": "h" * 32})
    assert response.url == url("console_app", app.number, lang="hi")
    html = text(desk.get(response.url))
    assert "आवेदन 05-07-2026 23:59:59 पर बंद हो गए। अब प्रारूप जमा नहीं किया जा सकता।" in html
    assert services.wallet_balance(kiosk) == 100_000


def test_the_console_in_hindi(desk, operator, kiosk, citizen, service):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    html = text(desk.get(url("console", lang="hi")))
    assert "कियोस्क कंसोल" in html and "नागरिक की सेवा करें" in html
    html = text(desk.get(url("console_app", app.number, lang="hi")))
    assert "वॉलेट से ₹567.20 का भुगतान करें" in html
    assert "कियोस्क सेवा शुल्क" in html


# --------------------------------------------------------------------------- the home page's day


def test_the_days_figures_are_counted_by_the_database_as_python_adds_them(
    operator, kiosk, other_kiosk, service
):
    fund(kiosk, 1_000_000)
    apps = [paid_app(operator, walk_in(10 + n), service, f"f{n}") for n in range(3)]
    # Fee lines other than the service's own: no kiosk charge; two kiosk lines.
    Application.objects.filter(pk=apps[1].pk).update(
        fee_lines=[{"code": "government", "amount_paise": 50_000}]
    )
    Application.objects.filter(pk=apps[2].pk).update(
        fee_lines=[
            {"code": "kiosk", "amount_paise": 1_500},
            {"code": "portal", "amount_paise": 4_000},
            {"code": "kiosk", "amount_paise": 700},
        ]
    )
    start, end = console.day_bounds(clock.today())
    paid = Application.objects.filter(kiosk_code=kiosk.code, paid_at__gte=start, paid_at__lt=end)
    in_python = (paid.count(), sum(console.kiosk_charge(app) for app in paid))
    assert in_python == (3, KIOSK_CHARGE + 0 + 2_200)
    assert console.paid_figures(paid) == in_python
    assert console.paid_figures(paid.none()) == (0, 0)
    today = console.today_work(kiosk)
    assert (today.transactions, today.commission) == in_python
    assert (
        console.today_work(other_kiosk).transactions,
        console.today_work(other_kiosk).commission,
    ) == (0, 0)


def test_the_home_page_lists_the_latest_of_the_day_and_links_to_the_search(
    desk, operator, kiosk, service, monkeypatch
):
    apps = [assisted_submitted(operator, walk_in(20 + n), service) for n in range(3)]
    monkeypatch.setattr(console, "TODAY_ROWS", 2)
    today = console.today_work(kiosk)
    assert [app.number for app in today.applications] == [apps[2].number, apps[1].number]
    assert today.more
    html = text(desk.get(url("console")))
    assert apps[2].number in html and apps[1].number in html
    assert apps[0].number not in html
    day = clock.today().isoformat()
    assert "data-more" in html
    assert f"{url('console_search')}?date_from={day}&date_to={day}" in html
    monkeypatch.setattr(console, "TODAY_ROWS", 3)
    assert not console.today_work(kiosk).more
    assert "data-more" not in text(desk.get(url("console")))
