"""Official charges behind the receipt's QR code, complaints (with their daily
limits, exact and counted in the database) and ratings (once, by the applicant of
a paid kiosk application)."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications.models import Channel
from ekseva.core import audit, clock, ids
from ekseva.kiosks import feedback, services
from ekseva.kiosks.models import Complaint, KioskError, Rating
from ekseva.notifications.models import Message
from tests.web.a11y import problems

from .conftest import assisted_submitted, fund, login

CAPTCHA = {"captcha_0": "x", "captcha_1": "PASSED"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Complaints per address are counted in the cache, by day: the frozen day is
    the same in every test, so each starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def kiosk_app(operator, kiosk, citizen, service):
    fund(kiosk, 500_000)
    app = assisted_submitted(operator, citizen, service)
    assert services.pay_assisted(operator, app, idempotency_key="fb-1").is_paid
    app.refresh_from_db()
    return app


def charges_path(app, language: str = "en") -> str:
    return f"/{language}/kiosks/charges/{feedback.charges_token(app.number, app.kiosk_code)}/"


def coordinator(places, district=None) -> User:
    user = User.objects.create_user(f"dc.{(district or places.bhopal).pk}", "x-pass-2026-long")
    Posting.objects.create(
        user=user, role=Role.DISTRICT_COORDINATOR, admin_unit=district or places.bhopal
    )
    return user


# --------------------------------------------------------------------------- the charges page


def test_the_charges_page_shows_the_official_fee_and_no_personal_data(client, kiosk_app, kiosk):
    html = client.get(charges_path(kiosk_app)).content.decode()
    assert kiosk_app.number in html and "Test Examination" in html
    assert kiosk.business_name in html and kiosk.code in html
    for code in ("government", "convenience", "gst", "kiosk"):
        assert f'data-line="{code}"' in html
    assert "₹20.00" in html  # the kiosk charge allowed
    assert re.search(r"data-total><strong>₹567.20</strong>", html)  # 500 + 40 + 7.20 + 20
    assert kiosk_app.fee_total == 56_720
    assert "Paid on" in html and "15-06-2026" in html
    assert "Asha Verma" not in html and "9876500001" not in html  # the applicant's
    assert 'name="amount_charged"' in html and "data-rate-link" not in html  # not signed in
    assert problems(html) == []


def test_the_charges_page_in_hindi(client, kiosk_app):
    html = client.get(charges_path(kiosk_app, "hi")).content.decode()
    assert 'lang="hi"' in html and "आधिकारिक शुल्क" in html
    assert "कियोस्क सेवा शुल्क" in html  # the fee line's Hindi label
    assert "Official charges" not in html


def test_a_tampered_or_made_up_token_is_404(client, kiosk_app, other_kiosk):
    token = feedback.charges_token(kiosk_app.number, kiosk_app.kiosk_code)
    body, signature = token.rsplit(":", 1)
    tampered = body + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert client.get(f"/en/kiosks/charges/{tampered}/").status_code == 404
    assert client.get("/en/kiosks/charges/not-a-token/").status_code == 404
    # signed, but for another kiosk's code: no such kiosk application
    wrong = feedback.charges_token(kiosk_app.number, other_kiosk.code)
    assert client.get(f"/en/kiosks/charges/{wrong}/").status_code == 404
    # a token signed with another salt (e.g. another part of the site) is refused
    from django.core import signing

    other = signing.Signer(salt="elsewhere").sign_object([kiosk_app.number, kiosk_app.kiosk_code])
    assert client.get(f"/en/kiosks/charges/{other}/").status_code == 404


def test_an_online_application_has_no_charges_page(client, service, citizen):
    from tests.applications.test_mine_views import paid

    app = paid(service, citizen)
    assert app.channel == Channel.ONLINE
    assert (
        client.get(f"/en/kiosks/charges/{feedback.charges_token(app.number, '')}/").status_code
        == 404
    )


# --------------------------------------------------------------------------- complaints


def test_i_was_charged_more(client, kiosk_app, kiosk):
    response = client.post(
        charges_path(kiosk_app),
        {
            "amount_charged": "700",
            "mobile": "+91 98765 43210",
            "description": "Asked ₹700",
            **CAPTCHA,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/en/kiosks/complain/received/"
    complaint = Complaint.objects.get()
    assert complaint.kind == Complaint.Kind.OVERCHARGING and complaint.kiosk == kiosk
    assert complaint.application_number == kiosk_app.number
    assert complaint.amount_charged == 70_000 and complaint.official_amount == 56_720
    assert complaint.mobile == "9876543210" and complaint.status == Complaint.Status.OPEN
    assert ids.is_valid(complaint.reference) and complaint.reference.startswith("KC26")
    sms = Message.objects.get(template="kiosks.complaint_received")
    assert sms.recipient == "9876543210" and sms.params["reference"] == complaint.reference
    event = audit.AuditEvent.objects.get(action="kiosks.complaint.made")
    assert event.after["mobile"] == "******3210" and "9876543210" not in str(event.after)
    html = client.get(response["Location"]).content.decode()
    assert complaint.reference in html and "We have sent the reference to your mobile" in html
    assert problems(html) == []


def test_paying_no_more_than_the_official_total_is_not_overcharging(client, kiosk_app):
    response = client.post(charges_path(kiosk_app), {"amount_charged": "567.20", **CAPTCHA})
    html = response.content.decode()
    assert response.status_code == 200 and 'href="#id_amount_charged"' in html
    assert "You paid no more than the official total of ₹567.20" in html
    assert not Complaint.objects.exists()


def test_a_complaint_needs_the_captcha_and_a_good_amount_and_mobile(client, kiosk_app):
    html = client.post(charges_path(kiosk_app), {"amount_charged": "700"}).content.decode()
    assert 'id="id_captcha_error"' in html
    html = client.post(
        charges_path(kiosk_app), {"amount_charged": "7.001", "mobile": "12345", **CAPTCHA}
    ).content.decode()
    assert 'id="id_amount_charged_error"' in html
    html = client.post(
        charges_path(kiosk_app), {"amount_charged": "700", "mobile": "12345", **CAPTCHA}
    ).content.decode()
    assert 'id="id_mobile_error"' in html and "10-digit Indian mobile number" in html
    assert not Complaint.objects.exists()


def test_at_most_three_complaints_per_application_a_day(kiosk_app, kiosk, frozen_clock):
    for n in range(feedback.COMPLAINTS_PER_DAY):
        feedback.complain(
            kiosk=kiosk, kind="overcharging", app=kiosk_app, amount_charged=60_000 + n
        )
    with pytest.raises(KioskError, match="At most 3 complaints can be made about one application"):
        feedback.complain(kiosk=kiosk, kind="overcharging", app=kiosk_app, amount_charged=60_000)
    assert Complaint.objects.count() == 3
    clock.advance(hours=14)  # 00:00 the next day, local time
    feedback.complain(kiosk=kiosk, kind="overcharging", app=kiosk_app, amount_charged=60_000)
    assert Complaint.objects.count() == 4


def test_at_most_three_complaints_per_mobile_a_day(client, kiosk, other_kiosk, kiosk_app):
    mobile = "9123456780"
    feedback.complain(kiosk=kiosk, kind="behaviour", description="Rude", mobile=mobile)
    feedback.complain(kiosk=other_kiosk, kind="service", description="Slow", mobile=mobile)
    feedback.complain(
        kiosk=kiosk, kind="overcharging", app=kiosk_app, amount_charged=70_000, mobile=mobile
    )
    response = client.post(
        f"/en/kiosks/complain/{other_kiosk.code}/",
        {"kind": "other", "description": "Closed at noon", "mobile": mobile, **CAPTCHA},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_mobile_error"' in html
    assert "At most 3 complaints can be made from one mobile number in a day." in html
    assert Complaint.objects.filter(mobile=mobile).count() == 3
    # without a mobile the complaint is still taken
    feedback.complain(kiosk=other_kiosk, kind="other", description="Closed at noon")


def test_the_general_complaint_form(client, kiosk):
    url = f"/en/kiosks/complain/{kiosk.code}/"
    html = client.get(url).content.decode()
    assert "Rude or improper behaviour" in html and "Poor service" in html
    assert problems(html) == []
    html = client.post(url, {"kind": "behaviour", **CAPTCHA}).content.decode()
    assert 'id="id_description_error"' in html and "Say what happened." in html
    html = client.post(url, {"kind": "overcharging", "description": "Took extra", **CAPTCHA})
    assert 'id="id_amount_charged_error"' in html.content.decode()
    response = client.post(url, {"kind": "behaviour", "description": "Shouted at me", **CAPTCHA})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.kind == "behaviour" and complaint.application_number == ""
    assert (
        complaint.mobile == ""
        and not Message.objects.filter(template="kiosks.complaint_received").exists()
    )
    html = client.get(response["Location"]).content.decode()
    assert "you gave no mobile number" in html
    hindi = client.get(f"/hi/kiosks/complain/{kiosk.code}/").content.decode()
    assert "अभद्र या अनुचित व्यवहार" in hindi and 'lang="hi"' in hindi


def test_the_acknowledgement_needs_a_complaint_of_this_session(client, db):
    response = client.get("/en/kiosks/complain/received/")
    assert response.status_code == 302 and response["Location"] == "/en/kiosks/"


def test_an_address_is_limited_too(client, kiosk, monkeypatch):
    from ekseva.kiosks import views_public

    monkeypatch.setattr(views_public, "COMPLAINTS_PER_IP", 1)
    url = f"/en/kiosks/complain/{kiosk.code}/"
    assert client.post(url, {"kind": "other", "description": "One", **CAPTCHA}).status_code == 302
    response = client.post(url, {"kind": "other", "description": "Two", **CAPTCHA})
    assert response.status_code == 429 and Complaint.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_daily_limit_holds_under_concurrent_complaints(make_kiosk, frozen_clock):
    """Eight requests at once from one mobile: exactly three complaints are taken."""
    kiosk = make_kiosk()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def file() -> None:
        try:
            barrier.wait()
            feedback.complain(kiosk=kiosk, kind="other", description="x", mobile="9000011111")
            results.append("ok")
        except KioskError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] * 3 + ["refused"] * 5
    assert Complaint.objects.filter(mobile="9000011111").count() == 3


# --------------------------------------------------------------------------- resolving


def test_resolving_tells_the_complainant_and_is_audited(kiosk, places, kiosk_app):
    complaint = feedback.complain(
        kiosk=kiosk,
        kind="overcharging",
        app=kiosk_app,
        amount_charged=70_000,
        mobile="9123456780",
    )
    staff = coordinator(places)
    with pytest.raises(KioskError, match="Write what was found"):
        feedback.resolve(complaint, uphold=True, resolution=" ", actor=staff)
    done = feedback.resolve(
        complaint, uphold=True, resolution="Refund of ₹132.80 ordered.", actor=staff
    )
    assert done.status == Complaint.Status.UPHELD and done.resolved_by == staff
    sms = Message.objects.get(template="kiosks.complaint_upheld")
    assert (
        sms.recipient == "9123456780" and sms.params["resolution"] == "Refund of ₹132.80 ordered."
    )
    assert audit.AuditEvent.objects.filter(action="kiosks.complaint.upheld").count() == 1
    with pytest.raises(KioskError, match="already been decided"):
        feedback.resolve(complaint, uphold=False, resolution="Changed my mind", actor=staff)


def test_a_coordinator_of_another_district_cannot_resolve(kiosk, places):
    complaint = feedback.complain(kiosk=kiosk, kind="other", description="x")
    with pytest.raises(KioskError, match="may not decide"):
        feedback.resolve(
            complaint, uphold=False, resolution="x", actor=coordinator(places, places.indore)
        )
    with pytest.raises(KioskError, match="may not decide"):
        feedback.resolve(complaint, uphold=False, resolution="x", actor=login(kiosk))


# --------------------------------------------------------------------------- ratings


def test_the_applicant_rates_the_kiosk_once(client, kiosk_app, citizen, kiosk):
    client.force_login(citizen)
    html = client.get(charges_path(kiosk_app)).content.decode()
    assert f'href="/en/kiosks/rate/{kiosk_app.number}/"' in html  # the applicant is offered it
    url = f"/en/kiosks/rate/{kiosk_app.number}/"
    page = client.get(url).content.decode()
    assert 'name="stars"' in page and problems(page) == []
    response = client.post(url, {"stars": "4", "comment": "Quick and polite"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.kiosk, rating.citizen, rating.stars) == (kiosk, citizen, 4)
    assert rating.comment == "Quick and polite"
    again = client.post(url, {"stars": "1"})
    html = again.content.decode()
    assert again.status_code == 409 and "You have already rated the kiosk" in html
    assert Rating.objects.get().stars == 4
    assert "You rated the kiosk 4 stars" in client.get(charges_path(kiosk_app)).content.decode()
    with pytest.raises(KioskError, match="already rated"):
        feedback.rate(citizen, kiosk_app, stars=5)


def test_nobody_else_rates_and_not_before_the_fee_is_paid(
    client, kiosk_app, other_citizen, operator, citizen, service
):
    url = f"/en/kiosks/rate/{kiosk_app.number}/"
    assert client.get(url)["Location"].startswith("/en/account/signin/")  # sign in first
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    assert client.post(url, {"stars": "1"}).status_code == 404
    unpaid = assisted_submitted(operator, citizen, service)
    client.force_login(citizen)
    unpaid_url = f"/en/kiosks/rate/{unpaid.number}/"
    assert "data-unpaid" in client.get(unpaid_url).content.decode()
    response = client.post(unpaid_url, {"stars": "5"})
    assert response.status_code == 400 and not Rating.objects.exists()
    with pytest.raises(KioskError, match="once the fee"):
        feedback.rate(citizen, unpaid, stars=5)
    with pytest.raises(KioskError, match="1 to 5"):
        feedback.rate(citizen, kiosk_app, stars=6)


def test_an_online_application_cannot_be_rated(client, service, citizen):
    from tests.applications.test_mine_views import paid

    app = paid(service, citizen)
    client.force_login(citizen)
    assert client.get(f"/en/kiosks/rate/{app.number}/").status_code == 404


def test_the_rating_page_in_hindi(client, kiosk_app, citizen):
    client.force_login(citizen)
    html = client.get(f"/hi/kiosks/rate/{kiosk_app.number}/").content.decode()
    assert 'lang="hi"' in html and "कियोस्क को रेटिंग दें" in html
