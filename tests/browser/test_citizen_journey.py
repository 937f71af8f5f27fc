"""The citizen's journey of issue 5 on a phone, in English and in Hindi: from a real
service's page to "Apply online", signing in with the OTP from the developer outbox,
eligibility first, the form step by step, a photo and a PDF uploaded, the preview
with its fee, the declaration and submit (the number shown at once and sent by SMS
before any payment), the fee paid by UPI at the sandbox gateway, back on the
payment's page and the application's page as paid, the receipt downloaded (a PDF
naming the application, in the page's language), and the application tracked
publicly from a browser that is not signed in.

Two real services from definitions/: the Police Constable Recruitment Test 2026 (a
recruitment exam, open 15 November to 20 December 2026) and the Income Certificate
(a certificate service, open all year). The server's clock is frozen inside the
exam's window (the live server runs in another thread: ``all_threads``), so the
tests do not depend on the day they run.

Every page is checked for its <html lang> and for fitting the phone (390 px);
screenshots of every step go to test-artifacts/screenshots/<test>/, with the
receipt's first page as receipt.png there when pdftoppm is installed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect
from stdnum import verhoeff

from ekseva.accounts.models import CitizenProfile, User
from ekseva.applications.models import Application, Status
from ekseva.catalog import loader
from ekseva.core import clock
from ekseva.geo import demo as geo_demo
from ekseva.geo.models import AdminUnit
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus

from .journey_helpers import (
    LANGUAGES,
    NUMBER,
    WORDS,
    check_page,
    choose,
    download_receipt,
    outbox_messages,
    pay_at_the_sandbox,
    receipt_text,
    save_and_continue,
    save_receipt_png,
    shot,
    sign_in_with_otp,
    squeezed,
    stranger,
    upload,
)
from .journey_helpers import pdf as make_pdf
from .journey_helpers import photo as make_photo
from .journey_helpers import signature as make_signature

IST = ZoneInfo("Asia/Kolkata")
# Inside the exam's window (15-11-2026 to 20-12-2026); the certificate is open all year.
MOMENT = dt.datetime(2026, 12, 1, 11, 0, tzinfo=IST)
DEFINITIONS = Path(django_settings.PROJECT_DIR) / "definitions"
EXAM = "esb-police-constable-2026"
CERTIFICATE = "lsg-income-certificate"

# A different citizen (mobile, Aadhaar) for every test and language.
PEOPLE = {(EXAM, "en"): 1, (EXAM, "hi"): 2, (CERTIFICATE, "en"): 3, (CERTIFICATE, "hi"): 4}

# What the forms of the two services ask, in both languages (the definitions' words).
EXAM_WORDS = {
    "en": {
        "name": "Police Constable Recruitment Test 2026",
        "gender": "Gender",
        "female": "Female",
        "category": "Social category",
        "obc": "Other backward class",
        "domicile": "Are you a domicile of Madhya Pradesh?",
        "pwd": "Person with disability (40% or more)?",
        "qualification": "Highest qualification",
        "class12": "Class 12",
        "height": "Height (cm)",
        "father": "Father's / guardian's name",
        "aadhaar": "Aadhaar number",
        "exam_city": "Preferred exam city",
        "bhopal": "Bhopal",
        "district": "District",
        "address": "Address",
        "pincode": "PIN code",
        "photo": "Recent photograph",
        "caste_certificate": "Caste certificate (MP)",
    },
    "hi": {
        "name": "पुलिस आरक्षक भर्ती परीक्षा 2026",
        "gender": "लिंग",
        "female": "महिला",
        "category": "वर्ग",
        "obc": "अन्य पिछड़ा वर्ग",
        "domicile": "क्या आप मध्यप्रदेश के मूल निवासी हैं?",
        "pwd": "क्या आप दिव्यांग (40% या अधिक) हैं?",
        "qualification": "उच्चतम योग्यता",
        "class12": "कक्षा 12",
        "height": "ऊँचाई (सेमी)",
        "father": "पिता / अभिभावक का नाम",
        "aadhaar": "आधार संख्या",
        "exam_city": "पसंदीदा परीक्षा शहर",
        "bhopal": "भोपाल",
        "district": "जिला",
        "address": "पता",
        "pincode": "पिन कोड",
        "photo": "हाल का फोटो",
        "caste_certificate": "जाति प्रमाण पत्र (म.प्र.)",
    },
}

CERTIFICATE_WORDS = {
    "en": {
        "name": "Income Certificate",
        "father": "Father's / guardian's name",
        "aadhaar": "Aadhaar number",
        "income": "Annual family income (Rs)",
        "sources": "Sources of income",
        "agriculture": "Agriculture",
        "labour": "Labour",
        "district": "District",
        "tehsil": "Tehsil",
        "village": "Village / town",
        "address": "Address",
        "pincode": "PIN code",
        "bhopal": "Bhopal",
        "huzur": "Huzur",
        "phanda": "Phanda Kalan",
    },
    "hi": {
        "name": "आय प्रमाण पत्र",
        "father": "पिता / अभिभावक का नाम",
        "aadhaar": "आधार संख्या",
        "income": "वार्षिक पारिवारिक आय (₹)",
        "sources": "आय के स्रोत",
        "agriculture": "कृषि",
        "labour": "मज़दूरी",
        "district": "जिला",
        "tehsil": "तहसील",
        "village": "ग्राम / नगर",
        "address": "पता",
        "pincode": "पिन कोड",
        "bhopal": "भोपाल",
        "huzur": "हुजूर",
        "phanda": "फंदा कलाँ",
    },
}


@pytest.fixture
def world(settings, tmp_path):
    """The state's districts and post offices (the geo demo: real data), the two
    departments' definitions, the sandbox gateway, and the server's clock stopped
    inside the exam's window for this thread and the live server's."""
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.MEDIA_ROOT = tmp_path / "media"
    geo_demo.load()
    _changes, problems = loader.load_paths([DEFINITIONS / "ESB", DEFINITIONS / "LSG"])
    assert problems == []
    # The geo demo has tehsils but no villages: one village of Huzur tehsil (Bhopal)
    # for the income certificate's address (name real, code illustrative).
    AdminUnit.objects.create(
        code="village:482343",
        kind=AdminUnit.Kind.VILLAGE,
        lgd_code="482343",
        name_en="Phanda Kalan",
        name_hi="फंदा कलाँ",
        parent=AdminUnit.objects.get(code="tehsil:990101"),
    )
    with clock.frozen(MOMENT, all_threads=True):
        yield tmp_path


def citizen(n: int, name_en: str, name_hi: str, born: dt.date, gender: str) -> tuple[User, str]:
    """Citizen ``n``: a profile (what forms prefill from), a mobile of their own and a
    valid Aadhaar number of their own (typed in the form, never stored in clear)."""
    mobile = f"98765{20000 + n:05d}"
    user = User.objects.create_citizen(mobile, full_name=name_en)
    CitizenProfile.objects.create(
        user=user, name_en=name_en, name_hi=name_hi, date_of_birth=born, gender=gender
    )
    body = f"2341{n:07d}"
    return user, body + verhoeff.calc_check_digit(body)


def application_page(page, lang: str) -> str:
    """The application's number, read from its page (and its URL)."""
    page.wait_for_url(re.compile(rf"/{lang}/applications/MP\w+/$"))
    number = page.locator("[data-application]").get_attribute("data-application")
    assert NUMBER.fullmatch(number), number
    assert page.url.endswith(f"/{lang}/applications/{number}/")
    return number


def status_badge(page):
    """The status in the application's summary (the timeline names it again)."""
    return page.locator(".app-detail dl.summary .badge")


def submit(page, lang: str, total: str) -> None:
    """The preview: the fee as charged, the declaration, submit."""
    words = WORDS[lang]
    page.wait_for_url(re.compile(rf"/{lang}/applications/draft/\d+/preview/$"))
    assert page.locator("[data-total]").inner_text() == total
    shot(page, lang, "preview")
    page.get_by_label(words["declaration"]).check()
    shot(page, lang, "declared")
    page.get_by_role("button", name=words["submit"]).click()


def after_submit(page, live_server, lang: str, mobile: str, total: str) -> str:
    """The application's page at once: the number, fee not yet paid, Pay; and the
    number already in the applicant's SMS, before any payment."""
    words = WORDS[lang]
    number = application_page(page, lang)
    assert page.get_by_text(words["submitted"].format(number=number)).is_visible()
    assert page.locator("[data-application]").get_attribute("data-status") == Status.FEE_PENDING
    assert status_badge(page).inner_text() == words["fee_pending"]
    pay = page.get_by_role("button", name=words["pay"].format(amount=total))
    assert pay.is_visible()
    shot(page, lang, "submitted")

    assert any(number in body for body in outbox_messages(page, live_server, lang, mobile))
    shot(page, lang, "sms-with-the-number")
    page.go_back()
    page.wait_for_url(f"**/{lang}/applications/{number}/")
    return number


def paid_and_receipt(page, live_server, lang: str, number: str, service_name: str, total: str):
    """Pay at the sandbox; back on the payment's page as paid, then the application's
    page as received; download the receipt and check it."""
    words = WORDS[lang]
    pay_at_the_sandbox(page, live_server, lang, total)
    page.get_by_role("link", name=words["back_to_purpose"]).click()
    page.wait_for_url(f"{live_server.url}/{lang}/applications/{number}/")
    detail = page.locator("[data-application]")
    assert detail.get_attribute("data-status") == Status.RECEIVED
    assert status_badge(page).inner_text() == words["received"]
    shot(page, lang, "application-paid")

    app = Application.objects.get(number=number)
    payment = Payment.objects.get(reference=app.paid_payment)
    assert (payment.gateway, payment.status, payment.method) == (
        "sandbox",
        PaymentStatus.SUCCEEDED,
        "upi",
    )
    assert app.status == Status.RECEIVED and app.paid_at == clock.now()

    filename, data = download_receipt(page, lang)
    assert filename == f"receipt-{number}.pdf"
    text = receipt_text(data)
    assert number in text
    assert total.replace("₹", "") in text
    assert f"/{lang}/track/?number={number}" in text  # what its QR code opens
    if lang == "hi":
        assert squeezed(words["receipt_title"]) in squeezed(text)
        assert squeezed(service_name) in squeezed(text)
        assert "Fee receipt" not in text
    else:
        assert words["receipt_title"] in text and service_name in text
    save_receipt_png(page, data)
    return app


def track(other, live_server, lang: str, number: str, **given: str) -> None:
    """Not signed in: the application's own page sends to sign-in; the public
    tracking page (the receipt's link) shows the status, never personal data."""
    words = WORDS[lang]
    other.goto(f"{live_server.url}/{lang}/applications/{number}/")
    other.wait_for_url(re.compile(rf"/{lang}/account/signin/\?next="))
    check_page(other, lang)

    other.goto(f"{live_server.url}/{lang}/track/?number={number}")
    assert other.locator("h1").inner_text() == words["track_title"]
    assert other.get_by_label(words["app_number"]).input_value() == number
    if "mobile" in given:
        other.get_by_label(words["applicant_mobile"]).fill(given["mobile"])
    if "date_of_birth" in given:
        other.get_by_label(words["applicant_dob"]).fill(given["date_of_birth"])
    other.locator("input[name=captcha_1]").fill("PASSED")  # CAPTCHA_TEST_MODE in tests
    shot(other, lang, "track-form")
    other.get_by_role("button", name=words["show_status"]).click()

    result = other.locator(f"[data-found='{number}']")
    expect(result).to_be_visible()
    assert result.get_by_text(words["received"]).first.is_visible()
    shot(other, lang, "tracked")


def private_words(app: Application) -> list[str]:
    return [
        app.applicant.full_name,
        app.answers["name_hi"],
        app.answers["father_name"],
        app.answers["address"],
        app.applicant.mobile,
    ]


# --------------------------------------------------------------------------- the exam


@pytest.mark.parametrize("browser_locale", ["en-IN", "hi-IN"])
def test_a_citizen_applies_for_a_recruitment_exam_pays_and_tracks_it(
    live_server, browser, page, browser_locale, world
):
    lang = LANGUAGES[browser_locale]
    words, form = WORDS[lang], EXAM_WORDS[lang]
    user, aadhaar = citizen(PEOPLE[EXAM, lang], "Asha Verma", "आशा वर्मा", dt.date(1998, 3, 14), "F")
    files = world

    # The service's page: Apply online, which asks to sign in first.
    page.goto(f"{live_server.url}/{lang}/services/{EXAM}/")
    assert page.locator("h1").inner_text() == form["name"]
    shot(page, lang, "service-page")
    page.get_by_role("link", name=words["apply_online"]).click()
    sign_in_with_otp(page, live_server, lang, user.mobile)

    # Eligibility first: the rules' questions, the profile's answers already there.
    page.wait_for_url(f"{live_server.url}/{lang}/applications/start/{EXAM}/")
    shot(page, lang, "start")
    assert (
        page.get_by_role("group", name=form["gender"])
        .get_by_label(form["female"], exact=True)
        .is_checked()
    )
    page.get_by_label(form["category"]).select_option(label=form["obc"])
    choose(page, form["domicile"], words["yes"])
    choose(page, form["pwd"], words["no"])
    choose(page, form["qualification"], form["class12"])
    page.get_by_label(form["height"]).fill("158")
    shot(page, lang, "eligibility-answered")
    page.get_by_role("button", name=words["check_and_start"]).click()

    # Step 1 of 5: about you (the eligibility answers carried in).
    page.wait_for_url(re.compile(rf"/{lang}/applications/draft/\d+/step/personal/$"))
    assert (
        page.get_by_role("group", name=form["domicile"])
        .get_by_label(words["yes"], exact=True)
        .is_checked()
    )
    page.get_by_label(form["father"]).fill("Ramesh Verma")
    page.get_by_label(form["aadhaar"]).fill(aadhaar)
    shot(page, lang, "step-about-you")
    save_and_continue(page, lang)

    # Step 2: qualification and exam.
    page.wait_for_url(re.compile(r"/step/exam/$"))
    assert page.get_by_label(form["height"]).input_value() == "158"
    page.get_by_label(form["exam_city"]).select_option(label=form["bhopal"])
    shot(page, lang, "step-exam")
    save_and_continue(page, lang)

    # Step 3: contact and address (the mobile from the account).
    page.wait_for_url(re.compile(r"/step/contact/$"))
    assert page.get_by_label(words["mobile"]).input_value() == user.mobile
    page.get_by_label(form["district"]).select_option(label=form["bhopal"])
    page.get_by_label(form["address"]).fill("12 Arera Colony, Bhopal")
    page.get_by_label(form["pincode"]).fill("462016")
    shot(page, lang, "step-contact")
    save_and_continue(page, lang)

    # Documents: a photo and a signature (JPEG, within the exam's pixel and size
    # rules) and the caste certificate (PDF, needed for an MP OBC candidate).
    page.wait_for_url(re.compile(rf"/{lang}/applications/draft/\d+/documents/$"))
    shot(page, lang, "documents")
    upload(page, lang, "photo", make_photo(files))
    upload(page, lang, "signature", make_signature(files))
    upload(page, lang, "caste_certificate", make_pdf(files, "caste-certificate.pdf", "OBC"))
    shot(page, lang, "documents-attached")
    page.get_by_role("link", name=words["continue"], exact=True).click()

    # Preview: MP OBC examination fee 250 + portal 40 + 18% GST on it 7.20.
    submit(page, lang, "₹297.20")
    number = after_submit(page, live_server, lang, user.mobile, "₹297.20")
    assert number.startswith("MP26")

    app = paid_and_receipt(page, live_server, lang, number, form["name"], "₹297.20")
    assert sorted(app.documents.values_list("document_id", flat=True)) == [
        "caste_certificate",
        "photo",
        "signature",
    ]
    photo = app.documents.get(document_id="photo").locker_document
    assert (photo.width, photo.height, photo.content_type) == (300, 400, "image/jpeg")

    with stranger(browser, browser_locale, page) as other:
        track(other, live_server, lang, number, mobile=user.mobile)
        html = other.content()
        for private in private_words(app):
            assert private not in html


# --------------------------------------------------------------------------- a certificate


@pytest.mark.parametrize("browser_locale", ["en-IN", "hi-IN"])
def test_a_citizen_applies_for_an_income_certificate_pays_and_tracks_it(
    live_server, browser, page, browser_locale, world
):
    lang = LANGUAGES[browser_locale]
    words, form = WORDS[lang], CERTIFICATE_WORDS[lang]
    user, aadhaar = citizen(
        PEOPLE[CERTIFICATE, lang], "Ravi Patel", "रवि पटेल", dt.date(1985, 7, 2), "M"
    )
    files = world

    page.goto(f"{live_server.url}/{lang}/services/{CERTIFICATE}/")
    assert page.locator("h1").inner_text() == form["name"]
    shot(page, lang, "service-page")
    page.get_by_role("link", name=words["apply_online"]).click()
    sign_in_with_otp(page, live_server, lang, user.mobile)

    # No eligibility rules: straight to starting the draft.
    page.wait_for_url(f"{live_server.url}/{lang}/applications/start/{CERTIFICATE}/")
    shot(page, lang, "start")
    page.get_by_role("button", name=words["start_application"]).click()

    # Step 1 of 4: the applicant (names and birth date from the profile).
    page.wait_for_url(re.compile(rf"/{lang}/applications/draft/\d+/step/applicant/$"))
    assert page.locator("#id_name_hi").input_value() == "रवि पटेल"
    assert page.locator("#id_date_of_birth").input_value() == "1985-07-02"
    page.get_by_label(form["father"]).fill("Mohan Patel")
    page.get_by_label(form["aadhaar"]).fill(aadhaar)
    page.get_by_label(form["income"]).fill("96000")
    choose(page, form["sources"], form["agriculture"])
    choose(page, form["sources"], form["labour"])
    shot(page, lang, "step-applicant")
    save_and_continue(page, lang)

    # Step 2: the address, district → tehsil → village, each list filled by the
    # one before it (htmx asks the server for the units under the chosen one).
    page.wait_for_url(re.compile(r"/step/address/$"))
    page.get_by_label(form["district"]).select_option(label=form["bhopal"])
    tehsil = page.get_by_label(form["tehsil"])
    expect(tehsil.locator("option", has_text=form["huzur"])).to_have_count(1)
    tehsil.select_option(label=form["huzur"])
    village = page.get_by_label(form["village"])
    expect(village.locator("option", has_text=form["phanda"])).to_have_count(1)
    village.select_option(label=form["phanda"])
    page.get_by_label(form["address"]).fill("House 7, Phanda Kalan, Huzur")
    page.get_by_label(form["pincode"]).fill("462001")
    shot(page, lang, "step-address")
    save_and_continue(page, lang)

    # Documents: a photo (JPEG) and the self-declaration of income (PDF).
    page.wait_for_url(re.compile(rf"/{lang}/applications/draft/\d+/documents/$"))
    shot(page, lang, "documents")
    upload(page, lang, "photo", make_photo(files))
    upload(page, lang, "income_affidavit", make_pdf(files, "income-declaration.pdf", "Income"))
    shot(page, lang, "documents-attached")
    page.get_by_role("link", name=words["continue"], exact=True).click()

    # No government fee; the portal's 30 and 18% GST on it 5.40.
    submit(page, lang, "₹35.40")
    number = after_submit(page, live_server, lang, user.mobile, "₹35.40")
    app = paid_and_receipt(page, live_server, lang, number, form["name"], "₹35.40")
    assert app.answers["village"] == "village:482343"
    assert sorted(app.answers["income_source"]) == ["agriculture", "labour"]
    assert sorted(app.documents.values_list("document_id", flat=True)) == [
        "income_affidavit",
        "photo",
    ]

    with stranger(browser, browser_locale, page) as other:
        track(other, live_server, lang, number, date_of_birth="1985-07-02")
        html = other.content()
        for private in private_words(app):
            assert private not in html
