"""The back office on a phone, end to end: an application received and paid; the
scrutiny officer signs in (username, password, the authenticator's code), finds it
in the inbox with the time left, opens the case (answers, the photo in the
viewer, the fee, the history) and forwards it; the designated officer signs in,
finds it at approval and approves it (the certificate is issued and signed); the
citizen signs in with the OTP from the developer outbox, opens the application
and downloads the certificate; a member of the public, not signed in, checks it
by its number at /<lang>/verify/<number>/.

Every page is checked for its <html lang> and for fitting the 390 px phone;
screenshots of every step go to test-artifacts/screenshots/<test>/. The server's
clock is frozen at 15 June 2026, 10:00 IST (for the live server's thread too)."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from ekseva.applications.models import Status
from ekseva.certificates.models import Certificate
from ekseva.workflow.models import Case
from tests.accounts.conftest import totp_now
from tests.payments.conftest import fake_gateway  # noqa: F401  (fixtures)
from tests.workflow.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    citizen,
    designated_officer,
    places,
    received,
    scrutiny_officer,
    service,
)

from .journey_helpers import check_page, shot, sign_in_with_otp, stranger

LANG = "en"


def staff_sign_in(page, live_server, user) -> None:
    """From the inbox's address: the staff sign-in, then back to the inbox."""
    page.goto(f"{live_server.url}/{LANG}/office/inbox/")
    page.wait_for_url(re.compile(rf"/{LANG}/account/staff/signin/\?next="))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Code from the authenticator app").fill(totp_now(user))
    shot(page, LANG, f"staff-sign-in-{user.username}")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**/{LANG}/office/inbox/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def settle(page) -> None:
    """Let the page's own requests finish (the photo the screenshot scrolled into view
    records its viewing): the live server's in-memory SQLite takes one writer at a time."""
    page.wait_for_load_state("networkidle")


def open_case_from_inbox(page, number: str) -> None:
    row = page.locator(f"tr[data-case='{number}']")
    expect(row).to_be_visible()
    row.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/{LANG}/office/case/{number}/")
    check_page(page, LANG)


def test_an_application_is_forwarded_approved_and_its_certificate_downloaded_and_verified(
    live_server,
    page,
    browser,
    browser_locale,
    received,  # noqa: F811
    scrutiny_officer,  # noqa: F811
    designated_officer,  # noqa: F811
    citizen,  # noqa: F811
    tmp_path,
):
    app = received()
    number = app.number

    # --- the scrutiny officer: the inbox, the case, forward
    staff_sign_in(page, live_server, scrutiny_officer)
    check_page(page, LANG)
    assert page.locator("h1").inner_text() == "Cases inbox"
    row = page.locator(f"tr[data-case='{number}']")
    expect(row.locator("[data-countdown]")).to_have_text("Due in 10 working days")
    expect(page.locator("[data-queue='tst-exam:scrutiny'] [data-count]")).to_have_text("1")
    shot(page, LANG, "inbox-scrutiny")

    open_case_from_inbox(page, number)
    expect(page.locator("[data-stage-name]")).to_contain_text("Scrutiny")
    expect(page.locator("[data-answer='gender']")).to_have_text("Male")
    photo = page.locator("[data-document='photo'] img")
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    shot(page, LANG, "case-at-scrutiny")

    settle(page)
    forward = page.locator("form[data-action='forward']")
    forward.get_by_label("Note for the next officer (optional)").fill("Papers in order.")
    forward.get_by_role("button", name="Forward").click()
    page.wait_for_url(f"**/{LANG}/office/inbox/")
    expect(page.locator(".message-success")).to_have_text(
        f"Application {number} forwarded to Approval."
    )
    expect(page.locator(f"tr[data-case='{number}']")).to_have_count(0)
    shot(page, LANG, "forwarded")
    sign_out(page)

    # --- the designated officer: approve
    staff_sign_in(page, live_server, designated_officer)
    open_case_from_inbox(page, number)
    expect(page.locator("[data-stage-name]")).to_contain_text("Approval")
    expect(page.locator("[data-event='forward']")).to_contain_text("Forwarded to Approval")
    expect(page.locator("[data-event='forward']")).to_contain_text("Papers in order.")
    shot(page, LANG, "case-at-approval")
    settle(page)
    page.locator("form[data-action='approve']").get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/{LANG}/office/inbox/")
    expect(page.locator(".message-success")).to_have_text(f"Application {number} approved.")
    shot(page, LANG, "approved")
    case = Case.objects.get(application=app)
    assert case.state == Case.State.DISPOSED and case.outcome == "approved"
    app.refresh_from_db()
    assert app.status == Status.DELIVERED
    certificate = Certificate.objects.get(application=app)
    # the decided case: no more actions; the officer may open the certificate from it
    page.goto(f"{live_server.url}/{LANG}/office/case/{number}/")
    expect(page.locator("[data-countdown]")).to_have_text("Decided on 15-06-2026")
    expect(page.locator("form[data-action]")).to_have_count(0)
    expect(page.locator("[data-deliverable]")).to_be_visible()
    shot(page, LANG, "case-decided")
    sign_out(page)

    # --- the citizen: the application's page, the certificate downloaded
    page.goto(f"{live_server.url}/{LANG}/applications/{number}/")
    sign_in_with_otp(page, live_server, LANG, citizen.mobile)
    page.wait_for_url(f"**/{LANG}/applications/{number}/")
    check_page(page, LANG)
    link = page.get_by_role("link", name="Download certificate")
    expect(link).to_be_visible()
    shot(page, LANG, "application-delivered")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"certificate-{certificate.number}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert certificate.number in re.sub(r"\s+", "", text)
    assert "Asha Verma" in text

    # --- a member of the public, not signed in, checks it by its number
    with stranger(browser, browser_locale, page) as public:
        public.goto(f"{live_server.url}/{LANG}/verify/{certificate.number}/")
        check_page(public, LANG)
        verdict = public.locator("[data-verdict]")
        expect(verdict).to_have_attribute("data-verdict", "genuine")
        expect(verdict.locator("[data-field='holder']")).to_have_text("Asha Verma")
        shot(public, LANG, "verified")
