"""The onboarding pages through the test client, in English and Hindi: what the
public sees before applying, the form (sign in first, errors on their fields,
nothing typed lost), the applicant's page with its Pay button and corrections,
and the reviewers' list and decisions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import User
from ekseva.core.models import AuditEvent
from ekseva.kiosks import onboarding
from ekseva.kiosks.models import Kiosk, KioskApplication
from tests.web.a11y import problems as a11y_problems

from . import test_onboarding as base
from .conftest import jpeg, pdf
from .test_onboarding import form_data, make_citizen, submitted, under_review

# The services tests' fixtures: post offices of the two PINs, and the reviewers.
offices = base.offices
coordinator = base.coordinator
indore_coordinator = base.indore_coordinator
operator_staff = base.operator_staff

Status = KioskApplication.Status


def verified_login(client, user: User) -> None:
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def post_data(places, **overrides) -> dict:
    """The form as a browser posts it: units by their codes, files attached."""
    data = form_data(places, **overrides)
    data["district"] = data["district"].code if data["district"] else ""
    data["tehsil"] = data["tehsil"].code if data["tehsil"] else ""
    data.pop("services")
    data.update(
        {
            "doc_pan_card": pdf(),
            "doc_aadhaar_card": pdf(),
            "doc_bank_proof": jpeg(),
            "doc_shop_registration": pdf(),
            "doc_owner_photo": jpeg(),
        }
    )
    return data


# --------------------------------------------------------------------------- the public page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Who can apply", "Common Service Centre", "₹1,180.00"]),
        ("hi", ["कौन आवेदन कर सकता है", "कियोस्क चलाएँ", "₹1,180.00"]),
    ],
)
def test_the_apply_page_says_who_kinds_documents_and_fee(client, db, language, words):
    response = client.get(f"/{language}/kiosks/apply/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    for word in words:
        assert word in html
    for rule in onboarding.DOCUMENTS:
        assert escape(rule.label(language)) in html
    assert a11y_problems(html) == []


def test_the_form_asks_to_sign_in_first(client, db):
    response = client.get(reverse("kiosks:apply_form"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))
    assert "next=" in response["Location"]


def test_staff_cannot_apply(client, offices, coordinator):
    verified_login(client, coordinator)
    assert client.get(reverse("kiosks:apply_form")).status_code == 403


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_form_page(client, offices, language):
    citizen = make_citizen()
    client.force_login(citizen)
    response = client.get(f"/{language}/kiosks/apply/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert offices.bhopal.name(language) in html
    assert 'hx-get="/' + language + "/geo/units/__code__/children/?kind=tehsil" in html
    assert citizen.mobile in html  # the owner's mobile starts as the applicant's
    assert a11y_problems(html) == []


@pytest.mark.parametrize(
    ("language", "pin_error"),
    [("en", "is not in Bhopal district"), ("hi", "भोपाल ज़िले में नहीं है")],
)
def test_errors_show_on_their_fields_and_nothing_typed_is_lost(
    client, offices, frozen_clock, language, pin_error
):
    client.force_login(make_citizen())
    data = post_data(offices, pin_code="452001", bank_ifsc="sbin1234567")
    response = client.post(f"/{language}/kiosks/apply/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert pin_error in html
    assert 'href="#id_pin_code"' in html and 'href="#id_bank_ifsc"' in html
    assert f'value="{data["business_name"]}"' in html
    assert f'value="{data["pan"]}"' in html
    assert 'value="452001"' in html
    assert f'<option value="{offices.bhopal.code}" selected>' in html
    assert "data-reselect" in html  # files must be chosen again: the page says so
    assert data["aadhaar"] not in html  # never echoed back
    assert not KioskApplication.objects.exists()
    assert a11y_problems(html) == []


def test_submitting_the_form_and_paying(client, offices, frozen_clock, fake_gateway):
    citizen = make_citizen()
    client.force_login(citizen)
    response = client.post(reverse("kiosks:apply_form"), post_data(offices))
    application = KioskApplication.objects.get(applicant=citizen)
    assert response.status_code == 302
    assert response["Location"] == reverse("kiosks:application", args=[application.reference])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and application.reference in html
    assert "Pay ₹1,180.00" in html
    assert a11y_problems(html) == []
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    paid = client.post(
        reverse("kiosks:application_pay", args=[application.reference]), {"token": token}
    )
    assert paid.status_code == 302 and paid["Location"].startswith("https://fake.example/pay/")
    again = client.post(
        reverse("kiosks:application_pay", args=[application.reference]), {"token": token}
    )
    assert again["Location"] == paid["Location"]  # the same button opens one payment
    # A second application while this one is open goes to this one.
    assert client.get(reverse("kiosks:apply_form"))["Location"] == response["Location"]


def test_someone_elses_application_is_not_found(client, offices, frozen_clock):
    application = submitted(offices)
    client.force_login(make_citizen())
    for name, args in (
        ("kiosks:application", [application.reference]),
        ("kiosks:application_correct", [application.reference]),
        ("kiosks:application_document", [application.reference, "pan_card"]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
    token = {"token": "t" * 20}
    pay_url = reverse("kiosks:application_pay", args=[application.reference])
    assert client.post(pay_url, token).status_code == 404


def test_the_applicant_sees_their_documents(client, offices, frozen_clock):
    application = submitted(offices)
    client.force_login(application.applicant)
    response = client.get(
        reverse("kiosks:application_document", args=[application.reference, "owner_photo"])
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_returned_application_is_corrected_on_its_page(
    client, offices, frozen_clock, operator_staff
):
    application = under_review(offices)
    onboarding.return_for_correction(
        application, actor=operator_staff, reason="Wrong IFSC", fields=["bank"]
    )
    client.force_login(application.applicant)
    page = client.get(f"/hi/kiosks/apply/{application.reference}/")
    html = page.content.decode()
    assert "Wrong IFSC" in html and "बैंक खाता" in html  # the item to fix, in Hindi
    url = reverse("kiosks:application_correct", args=[application.reference])
    form = client.get(url)
    html = form.content.decode()
    assert form.status_code == 200
    assert 'name="bank_ifsc"' in html and 'name="pan"' not in html  # only what was asked
    assert a11y_problems(html) == []
    bad = client.post(url, {"bank_account_name": "R", "bank_account_number": "12", "bank_ifsc": ""})
    assert bad.status_code == 400
    good = client.post(
        url,
        {
            "bank_account_name": "Ramesh Patel",
            "bank_account_number": "998877665544",
            "bank_ifsc": "HDFC0000123",
            "pan": "ZZZZZ9999Z",  # not asked for: ignored
        },
    )
    assert good.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW and application.bank_ifsc == "HDFC0000123"
    assert application.pan != "ZZZZZ9999Z"


# --------------------------------------------------------------------------- review


def test_reviewers_list_their_districts_applications(
    client, offices, frozen_clock, coordinator, operator_staff
):
    bhopal = under_review(offices)
    indore = under_review(offices, district=offices.indore, tehsil=offices.mhow, pin_code="452001")
    url = reverse("kiosks:manage_applications")
    verified_login(client, coordinator)
    html = client.get(url).content.decode()
    assert bhopal.reference in html and indore.reference not in html
    assert a11y_problems(html) == []
    verified_login(client, operator_staff)
    html = client.get(url).content.decode()
    assert bhopal.reference in html and indore.reference in html
    assert html.index(indore.reference) < html.index(bhopal.reference)  # newest first
    filtered = client.get(url, {"district": offices.indore.code, "status": "under_review"})
    assert bhopal.reference not in filtered.content.decode()
    assert indore.reference in filtered.content.decode()
    hindi = client.get(f"/hi/kiosks/manage/applications/?status={Status.APPROVED}")
    assert hindi.status_code == 200 and bhopal.reference not in hindi.content.decode()


def test_the_review_pages_refuse_others(client, offices, frozen_clock, indore_coordinator, kiosk):
    application = under_review(offices)
    list_url = reverse("kiosks:manage_applications")
    detail_url = reverse("kiosks:manage_application", args=[application.reference])
    anonymous = client.get(list_url)
    assert anonymous.status_code == 302 and "staff/signin" in anonymous["Location"]
    client.force_login(application.applicant)
    assert client.get(list_url).status_code == 403
    assert client.get(detail_url).status_code == 403
    verified_login(client, indore_coordinator)
    assert client.get(detail_url).status_code == 404
    assert client.post(detail_url, {"action": "approve"}).status_code == 404
    owner = User.objects.get(kiosk_operator__kiosk=kiosk, kiosk_operator__role="franchisee")
    verified_login(client, owner)
    assert client.get(list_url).status_code == 403
    assert KioskApplication.objects.get(pk=application.pk).status == Status.UNDER_REVIEW


def test_a_reviewer_sees_everything_and_approves(client, offices, frozen_clock, coordinator):
    application = under_review(offices)
    verified_login(client, coordinator)
    url = reverse("kiosks:manage_application", args=[application.reference])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert application.bank_account_number in html and application.pan in html
    assert f"XXXX XXXX {application.aadhaar_last4}" in html
    assert a11y_problems(html) == []
    document = client.get(
        reverse("kiosks:manage_application_document", args=[application.reference, "pan_card"])
    )
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="kiosks.application.document_viewed").exists()
    approved = client.post(url, {"action": "approve"})
    assert approved.status_code == 302
    kiosk = Kiosk.objects.get(application=application)
    twice = client.post(url, {"action": "approve"}, follow=True)
    assert "already decided" in twice.content.decode()
    assert Kiosk.objects.count() == 1
    client.force_login(application.applicant)
    mine = client.get(reverse("kiosks:application", args=[application.reference]))
    html = mine.content.decode()
    assert kiosk.code in html and "data-login-sms" in html


def test_a_return_without_a_reason_is_shown_on_the_field(
    client, offices, frozen_clock, coordinator
):
    application = under_review(offices)
    verified_login(client, coordinator)
    url = reverse("kiosks:manage_application", args=[application.reference])
    response = client.post(url, {"action": "return", "return-reason": "", "return-fields": ["pan"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_return-reason"' in html
    assert KioskApplication.objects.get(pk=application.pk).status == Status.UNDER_REVIEW
    response = client.post(
        f"/hi/kiosks/manage/applications/{application.reference}/",
        {"action": "reject", "reject-reason": ""},
    )
    assert response.status_code == 400 and "error-summary" in response.content.decode()
    done = client.post(
        url, {"action": "return", "return-reason": "PAN unreadable", "return-fields": ["pan"]}
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.RETURNED and application.fix_fields == ["pan"]


def test_staff_resend_the_owners_link_from_the_application(
    client, offices, frozen_clock, operator_staff
):
    application = under_review(offices)
    onboarding.approve(application, actor=operator_staff)
    verified_login(client, operator_staff)
    url = reverse("kiosks:manage_application_resend", args=[application.reference])
    assert client.post(url).status_code == 302
    from ekseva.notifications.models import Message

    sent = Message.objects.filter(template="kiosks.activation", recipient=application.owner_mobile)
    assert sent.count() == 2


def test_the_review_list_comes_in_pages_of_25(client, offices, frozen_clock, operator_staff):
    from ekseva.core import clock

    from .conftest import application_data

    for n in range(27):
        data = application_data(offices.bhopal)
        KioskApplication.objects.create(
            reference=f"KA26PAGE{n:03d}",
            applicant=make_citizen(),
            status=Status.UNDER_REVIEW,
            created_at=clock.now(),
            updated_at=clock.now(),
            **data,
        )
        clock.advance(minutes=1)
    verified_login(client, operator_staff)
    url = reverse("kiosks:manage_applications")
    first = client.get(url, {"status": "under_review"}).content.decode()
    assert "KA26PAGE026" in first and "KA26PAGE002" in first and "KA26PAGE001" not in first
    assert "status=under_review&amp;page=2" in first
    second = client.get(url, {"status": "under_review", "page": 2}).content.decode()
    assert "KA26PAGE001" in second and "KA26PAGE000" in second and "KA26PAGE026" not in second
