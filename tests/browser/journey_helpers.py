"""What the citizen's journey tests (test_citizen_journey.py) do again and again, the
way a person does it on a phone: sign in with the OTP from the developer outbox,
answer a step, upload a file, pay at the sandbox gateway, download the receipt,
track an application from a browser that is not signed in.

The words on buttons and labels are the pages' own, in English and in Hindi (the
Hindi as in src/ekseva/locale/hi/LC_MESSAGES/django.po and the definitions), so
that a missing translation fails the Hindi run instead of passing in English.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader

from .conftest import PHONE, snap

LANGUAGES = {"en-IN": "en", "hi-IN": "hi"}

# The portal's words, per language.
WORDS = {
    "en": {
        "apply_online": "Apply online",
        "mobile": "Mobile number",
        "send_otp": "Send OTP",
        "sign_in": "Sign in",
        "check_and_start": "Check and start",
        "start_application": "Start application",
        "save_and_continue": "Save and continue",
        "yes": "Yes",
        "no": "No",
        "choose_file": "Choose a file",
        "upload": "Upload",
        "attached": "The document is attached.",
        "continue": "Continue",
        "declaration": "I declare that the information given in this application is true",
        "submit": "Submit application",
        "submitted": "Your application is submitted. Its number is {number}: keep it.",
        "fee_pending": "Submitted; fee not yet paid",
        "pay": "Pay {amount}",
        "upi": "UPI",
        "upi_id": "UPI ID",
        "sandbox_header": "test mode, no real money",
        "paid": "Paid",
        "back_to_purpose": "Back to what you paid for",
        "received": "Received by the department",
        "download_receipt": "Download the receipt",
        "track_title": "Track an application",
        "app_number": "Application number",
        "applicant_mobile": "Applicant's mobile number",
        "applicant_dob": "or the applicant's date of birth",
        "show_status": "Show the status",
        "receipt_title": "Fee receipt",
    },
    "hi": {
        "apply_online": "ऑनलाइन आवेदन करें",
        "mobile": "मोबाइल नंबर",
        "send_otp": "OTP भेजें",
        "sign_in": "साइन इन",
        "check_and_start": "जाँचें और शुरू करें",
        "start_application": "आवेदन शुरू करें",
        "save_and_continue": "सहेजें और आगे बढ़ें",
        "yes": "हाँ",
        "no": "नहीं",
        "choose_file": "फ़ाइल चुनें",
        "upload": "अपलोड करें",
        "attached": "दस्तावेज़ संलग्न हो गया।",
        "continue": "आगे बढ़ें",
        "declaration": "मैं घोषणा करता/करती हूँ कि इस आवेदन में दी गई जानकारी",
        "submit": "आवेदन जमा करें",
        "submitted": "आपका आवेदन जमा हो गया है। उसका क्रमांक {number} है: इसे सँभाल कर रखें।",
        "fee_pending": "जमा किया गया; शुल्क अभी बाकी है",
        "pay": "{amount} का भुगतान करें",
        "upi": "यूपीआई",
        "upi_id": "यूपीआई आईडी",
        "sandbox_header": "परीक्षण मोड, असली पैसा नहीं",
        "paid": "भुगतान हुआ",
        "back_to_purpose": "जिसके लिए भुगतान किया, वहाँ वापस जाएँ",
        "received": "विभाग को प्राप्त",
        "download_receipt": "रसीद डाउनलोड करें",
        "track_title": "आवेदन की स्थिति देखें",
        "app_number": "आवेदन क्रमांक",
        "applicant_mobile": "आवेदक का मोबाइल नंबर",
        "applicant_dob": "या आवेदक की जन्म तिथि",
        "show_status": "स्थिति दिखाएँ",
        "receipt_title": "शुल्क रसीद",
    },
}

NUMBER = re.compile(r"\b(MP\d{2}[A-Z0-9]{6,20})\b")


# --------------------------------------------------------------------------- every page


def check_page(page, lang: str) -> None:
    """What every page of the journey must be: in the page's language and no wider
    than the phone."""
    assert page.locator("html").get_attribute("lang") == lang, page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def shot(page, lang: str, name: str) -> Path:
    """Check the page (language, width), then keep its screenshot."""
    check_page(page, lang)
    return snap(page, name)


# --------------------------------------------------------------------------- signing in


def sign_in_with_otp(page, live_server, lang: str, mobile: str) -> None:
    """On the sign-in page the portal sent us to: mobile, captcha, OTP read from the
    developer outbox (where SMS go on a development server), Sign in."""
    words = WORDS[lang]
    page.wait_for_url(re.compile(rf"/{lang}/account/signin/\?next="))
    page.get_by_label(words["mobile"]).fill(mobile)
    page.locator("input[name=captcha_1]").fill("PASSED")  # CAPTCHA_TEST_MODE in tests
    shot(page, lang, "sign-in")
    page.get_by_role("button", name=words["send_otp"]).click()
    page.wait_for_url(f"**/{lang}/account/signin/otp/")
    check_page(page, lang)

    page.goto(f"{live_server.url}/{lang}/dev/outbox/?to={mobile}")
    check_page(page, lang)
    body = page.locator("[data-message-body]").first.inner_text()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.go_back()
    page.wait_for_url(f"**/{lang}/account/signin/otp/")
    page.get_by_label("OTP", exact=True).fill(code)
    shot(page, lang, "otp")
    page.get_by_role("button", name=words["sign_in"]).click()


def outbox_messages(page, live_server, lang: str, mobile: str) -> list[str]:
    page.goto(f"{live_server.url}/{lang}/dev/outbox/?to={mobile}")
    return page.locator("[data-message-body]").all_inner_texts()


# --------------------------------------------------------------------------- the form


def choose(page, group: str, option: str) -> None:
    """Tick the radio button or checkbox ``option`` of the question ``group``."""
    page.get_by_role("group", name=group).get_by_label(option, exact=True).check()


def save_and_continue(page, lang: str) -> None:
    page.get_by_role("button", name=WORDS[lang]["save_and_continue"]).click()


def upload(page, lang: str, document_id: str, path: Path) -> None:
    """Upload ``path`` on the document's card and wait for it to be attached."""
    words = WORDS[lang]
    card = page.locator(f"section[data-document={document_id}]")
    card.get_by_label(words["choose_file"]).set_input_files(str(path))
    card.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url(f"**/documents/#doc-{document_id}")
    assert page.get_by_text(words["attached"]).is_visible()
    assert path.name in card.locator("[data-attached]").inner_text()


# --------------------------------------------------------------------------- files


def photo(folder: Path, size: tuple[int, int] = (300, 400)) -> Path:
    """A passport-style JPEG (head and shoulders), well under 100 KB."""
    image = Image.new("RGB", size, (236, 240, 246))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.ellipse((width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=(11, 61, 145))
    draw.rectangle((width * 0.15, height * 0.6, width * 0.85, height), fill=(11, 61, 145))
    path = folder / "photo.jpg"
    image.save(path, "JPEG", quality=80)
    return path


def signature(folder: Path, size: tuple[int, int] = (300, 100)) -> Path:
    """A signature's JPEG: one stroke on white, well under 50 KB."""
    image = Image.new("RGB", size, (255, 255, 255))
    width, height = size
    stroke = [(0.1, 0.7), (0.35, 0.3), (0.6, 0.65), (0.9, 0.4)]
    ImageDraw.Draw(image).line(
        [(width * x, height * y) for x, y in stroke], fill=(20, 20, 60), width=4
    )
    path = folder / "signature.jpg"
    image.save(path, "JPEG", quality=80)
    return path


def pdf(folder: Path, name: str, title: str) -> Path:
    """A minimal, valid one-page PDF (no scripts) saying ``title`` (ASCII)."""
    from ekseva.applications.demo import sample_pdf

    path = folder / name
    path.write_bytes(sample_pdf(name, title).read())
    return path


# --------------------------------------------------------------------------- paying


def pay_at_the_sandbox(page, live_server, lang: str, amount: str) -> None:
    """From the application's page: Pay, the sandbox's checkout, UPI with the test
    handle that succeeds, back on the payment's page showing it paid."""
    words = WORDS[lang]
    pay = words["pay"].format(amount=amount)
    page.get_by_role("button", name=pay).click()
    page.wait_for_url(re.compile(rf"/{lang}/payments/sandbox/checkout/sbx_order_\w+/\?return="))
    assert page.get_by_text(words["sandbox_header"]).is_visible()
    assert page.locator("[data-amount]").inner_text() == amount
    shot(page, lang, "sandbox-checkout")

    summary = page.locator("summary", has_text=re.compile(rf"^\s*{words['upi']}\s*$"))
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    page.get_by_label(words["upi_id"]).fill("success@sandbox")
    shot(page, lang, "upi-filled")
    page.locator("details[open]").get_by_role("button", name=pay).click()

    page.wait_for_url(re.compile(rf"{re.escape(live_server.url)}/{lang}/payments/[\w-]+/$"))
    status = page.locator("#payment-status")
    assert status.get_attribute("data-status") == "succeeded"
    assert status.locator(".badge").inner_text() == words["paid"]
    shot(page, lang, "payment-paid")


# --------------------------------------------------------------------------- the receipt


def receipt_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Without white space: extractors guess word gaps from glyph positions."""
    return re.sub(r"\s+", "", text)


def download_receipt(page, lang: str) -> tuple[str, bytes]:
    """Press "Download the receipt"; return the file's suggested name and bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=WORDS[lang]["download_receipt"]).click()
    download = info.value
    path = download.path()
    return download.suggested_filename, Path(path).read_bytes()


def save_receipt_png(page, data: bytes) -> Path | None:
    """The receipt's first page as receipt.png next to the test's screenshots, for
    the reader of the test artefacts; nothing when pdftoppm is not installed."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    folder = page.ekseva_shots["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "receipt.pdf"
    source.write_bytes(data)
    subprocess.run(  # a fixed program on our own file
        [
            pdftoppm,
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(folder / "receipt"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder / "receipt.png"


# --------------------------------------------------------------------------- tracking


@contextmanager
def stranger(browser, browser_locale: str, page) -> Iterator[object]:
    """A fresh browser context: no cookies, not signed in; its screenshots join the
    test's (same folder, same numbering)."""
    context = browser.new_context(
        viewport=PHONE, locale=browser_locale, timezone_id="Asia/Kolkata", device_scale_factor=1
    )
    try:
        other = context.new_page()
        other.ekseva_shots = page.ekseva_shots
        yield other
    finally:
        context.close()
