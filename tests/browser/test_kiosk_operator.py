"""A kiosk operator serves a walk-in citizen on a phone, in Hindi, end to end: the
staff sign-in (username, password, the authenticator's code), the console, the
citizen's mobile and the consent code the citizen reads out from their SMS, a
first-time number registered with its name, the service chosen with its official
fee and the kiosk charge, the form filled in (the definition's Hindi labels), the
photo uploaded, preview and submit, back on the console's page of the application,
the fee paid from the kiosk's wallet, the receipt downloaded (a PDF naming the
application), the session ended and the day's figures counted.

Every page is checked for <html lang="hi"> and for fitting the 390 px phone; the
words in the selectors are the Hindi ones, so an untranslated console string fails
the run. The server's clock is frozen on 15 June 2026, 10:00 IST (the test
service's window is open), for the live server's thread too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ekseva.applications.models import Application, Status
from ekseva.kiosks import services
from ekseva.kiosks.models import Consent
from ekseva.payments.models import Payment
from tests.accounts.conftest import totp_now
from tests.applications.conftest import service  # noqa: F401  (the test exam, offered at kiosks)
from tests.kiosks.conftest import (  # noqa: F401  (fixtures)
    consent_code,
    fund,
    kiosk,
    make_kiosk,
    operator,
    places,
)

from .journey_helpers import (
    WORDS,
    check_page,
    choose,
    receipt_text,
    save_and_continue,
    save_receipt_png,
    shot,
    upload,
)
from .journey_helpers import photo as make_photo

LANG = "hi"
PASSWORD = "kiosk-pass-2026"
MOBILE = "9123456780"  # new to the portal: registered at the kiosk

# The console's words (src/ekseva/locale/hi/LC_MESSAGES/django.po) and the test
# service's (tests/catalog/conftest.py), in Hindi.
HI = {
    "username": "उपयोगकर्ता नाम",
    "password": "पासवर्ड",
    "totp": "ऑथेंटिकेटर ऐप का कोड",
    "sign_in": "साइन इन",
    "console": "कियोस्क कंसोल",
    "serve": "नागरिक की सेवा करें",
    "citizen_mobile": "नागरिक का मोबाइल नंबर",
    "send_code": "नागरिक को कोड भेजें",
    "the_code": "नागरिक का कोड",
    "code": "नागरिक के SMS का कोड",
    "confirm": "सहमति की पुष्टि करें",
    "register": "नागरिक का पंजीकरण करें",
    "name_en": "नाम (अंग्रेज़ी अक्षरों में)",
    "name_hi": "नाम (हिन्दी में, देवनागरी लिपि)",
    "dob": "जन्म तिथि",
    "gender": "लिंग",
    "female": "महिला",
    "registered": "नागरिक का पंजीकरण हो गया है।",
    "serving": "कमला बाई की सेवा",
    "fees": "आधिकारिक शुल्क, कियोस्क शुल्क सहित",
    "kiosk_charge_row": "कियोस्क सेवा शुल्क (कियोस्क पर)",
    "apply": "इस सेवा के लिए आवेदन करें",
    "category": "वर्ग",
    "general": "सामान्य",
    "disabled": "दिव्यांग",
    "graduate": "स्नातक",
    "photo": "फोटो",
    "kiosk_charge": "कियोस्क सेवा शुल्क",
    "pay": "वॉलेट से {amount} का भुगतान करें",
    "paid": "वॉलेट से {amount} का भुगतान हो गया। नागरिक के लिए रसीद प्रिंट करें।",
    "print": "रसीद प्रिंट करें",
    "end": "सत्र समाप्त करें",
    "ended": "सत्र समाप्त: अब कियोस्क इस नागरिक की ओर से कार्य नहीं कर सकता।",
    "wallet": "वॉलेट शेष",
    "today": "आज का काम",
}
# Women's examination fee 300 + portal 40 + 18% GST on it 7.20 + kiosk charge 20.
TOTAL = "₹367.20"


def kiosk_url(live_server, path: str = "") -> str:
    return f"{live_server.url}/{LANG}/kiosks/console/{path}"


@pytest.mark.parametrize("browser_locale", ["hi-IN"])
def test_a_kiosk_operator_serves_a_walk_in_citizen_in_hindi(
    live_server,
    page,
    browser_locale,
    operator,  # noqa: F811
    kiosk,  # noqa: F811
    service,  # noqa: F811
    tmp_path,
):
    words = WORDS[LANG]
    fund(kiosk, 100_000)

    # The console asks a kiosk login to sign in first, and comes back after.
    page.goto(kiosk_url(live_server))
    page.wait_for_url(re.compile(rf"/{LANG}/account/staff/signin/\?next="))
    page.get_by_label(HI["username"]).fill(operator.username)
    page.get_by_label(HI["password"], exact=True).fill(PASSWORD)
    page.get_by_label(HI["totp"]).fill(totp_now(operator))
    shot(page, LANG, "staff-sign-in")
    page.get_by_role("button", name=HI["sign_in"], exact=True).click()

    page.wait_for_url(kiosk_url(live_server))
    assert page.locator("h1").inner_text() == HI["console"]
    assert page.locator(f"[data-kiosk='{kiosk.code}']").is_visible()
    assert page.get_by_text(HI["wallet"]).first.is_visible()
    assert page.locator("[data-balance]").inner_text() == "₹1,000.00"
    assert (
        page.get_by_role("navigation", name="मुख्य मेनू")
        .get_by_role("link", name=HI["console"])
        .is_visible()
    )
    shot(page, LANG, "console")

    # The walk-in's mobile: the portal sends the consent code to their phone.
    page.get_by_role("link", name=HI["serve"]).click()
    page.wait_for_url(kiosk_url(live_server, "serve/"))
    page.get_by_label(HI["citizen_mobile"]).fill(MOBILE)
    shot(page, LANG, "citizen-mobile")
    page.get_by_role("button", name=HI["send_code"]).click()

    page.wait_for_url(kiosk_url(live_server, "serve/code/"))
    assert page.locator("h1").inner_text() == HI["the_code"]
    assert page.get_by_text("******6780").is_visible()
    page.get_by_label(HI["code"]).fill(consent_code(MOBILE))  # as the citizen reads it out
    shot(page, LANG, "consent-code")
    page.get_by_role("button", name=HI["confirm"]).click()

    # A first-time number: the citizen's name, date of birth and gender.
    page.wait_for_url(re.compile(rf"/{LANG}/kiosks/console/citizen/\d+/about/$"))
    assert page.locator("h1").inner_text() == HI["register"]
    page.get_by_label(HI["name_en"]).fill("Kamla Bai")
    page.get_by_label(HI["name_hi"]).fill("कमला बाई")
    page.get_by_label(HI["dob"]).fill("2000-01-15")
    page.get_by_role("group", name=HI["gender"]).get_by_label(HI["female"], exact=True).check()
    shot(page, LANG, "register-citizen")
    page.get_by_role("button", name=words["save_and_continue"]).click()

    # The citizen's panel: consent until when, the services with their fees.
    page.wait_for_url(re.compile(rf"/{LANG}/kiosks/console/citizen/\d+/$"))
    assert page.get_by_text(HI["registered"]).is_visible()
    assert page.locator("h1").inner_text() == HI["serving"]
    assert page.locator("[data-consent-until]").is_visible()
    offer = page.locator("[data-service='tst-exam']")
    offer.get_by_text(HI["fees"]).click()
    charge = offer.locator("[data-kiosk-charge]")
    expect(charge).to_be_visible()
    assert HI["kiosk_charge_row"] in charge.inner_text() and "₹20.00" in charge.inner_text()
    shot(page, LANG, "citizen-panel")
    offer.get_by_role("button", name=HI["apply"]).click()

    # The journey's own form, in the definition's Hindi words.
    page.wait_for_url(re.compile(rf"/{LANG}/applications/draft/\d+/step/about/$"))
    page.get_by_label(HI["dob"]).fill("2000-01-15")
    choose(page, HI["gender"], HI["female"])
    choose(page, HI["category"], HI["general"])
    choose(page, HI["disabled"], words["no"])
    choose(page, HI["graduate"], words["yes"])
    shot(page, LANG, "form")
    save_and_continue(page, LANG)

    page.wait_for_url(re.compile(rf"/{LANG}/applications/draft/\d+/documents/$"))
    upload(page, LANG, "photo", make_photo(tmp_path))
    shot(page, LANG, "photo-attached")
    page.get_by_role("link", name=words["continue"], exact=True).click()

    page.wait_for_url(re.compile(rf"/{LANG}/applications/draft/\d+/preview/$"))
    assert page.locator("[data-total]").inner_text() == TOTAL
    page.get_by_label(words["declaration"]).check()
    shot(page, LANG, "preview")
    page.get_by_role("button", name=words["submit"]).click()

    # Back on the console's page of the application: its number, the itemised fee.
    page.wait_for_url(re.compile(rf"/{LANG}/kiosks/console/app/MP\w+/$"))
    number = page.locator("[data-application]").get_attribute("data-application")
    assert page.get_by_text(words["submitted"].format(number=number)).is_visible()
    app = Application.objects.get(number=number)
    assert (app.channel, app.kiosk_code, app.status) == ("kiosk", kiosk.code, Status.FEE_PENDING)
    assert app.applicant.mobile == MOBILE and app.applicant.full_name == "Kamla Bai"
    kiosk_line = page.locator("tr[data-kiosk-charge]")
    assert HI["kiosk_charge"] in kiosk_line.inner_text() and "₹20.00" in kiosk_line.inner_text()
    assert page.locator("[data-total]").inner_text() == TOTAL
    shot(page, LANG, "application-to-pay")

    # Pay from the wallet; the receipt.
    page.get_by_role("button", name=HI["pay"].format(amount=TOTAL)).click()
    page.wait_for_url(kiosk_url(live_server, f"app/{number}/"))
    assert page.get_by_text(HI["paid"].format(amount=TOTAL)).is_visible()
    assert page.locator("[data-balance]").inner_text() == "₹632.80"
    shot(page, LANG, "paid")
    payment = Payment.objects.get(target=number)
    assert (payment.gateway, payment.status, payment.amount) == ("wallet", "succeeded", 36_720)
    assert services.wallet_balance(kiosk) == 100_000 - 36_720

    with page.expect_download() as info:
        page.get_by_role("link", name=HI["print"]).click()
    download = info.value
    assert download.suggested_filename == f"receipt-{number}.pdf"
    with open(download.path(), "rb") as handle:
        data = handle.read()
    assert number in receipt_text(data)
    save_receipt_png(page, data)

    # The citizen is done: end the session; the day's figures count the payment.
    page.get_by_role("button", name=HI["end"]).click()
    page.wait_for_url(kiosk_url(live_server))
    assert page.get_by_text(HI["ended"]).is_visible()
    assert not Consent.objects.filter(revoked_at__isnull=True).exists()
    assert page.get_by_role("heading", name=re.compile(HI["today"])).is_visible()
    assert page.locator("[data-figure='transactions']").inner_text() == "1"
    assert page.locator("[data-figure='collected']").inner_text() == TOTAL
    assert page.locator("[data-figure='commission']").inner_text() == "₹20.00"
    assert page.locator(f"[data-application='{number}']").is_visible()
    shot(page, LANG, "console-after")
    check_page(page, LANG)
