"""A citizen signs in with an OTP, read from the developer outbox, in Hindi, and sees
their profile: the journey of issue 2, on a phone-sized screen."""

import datetime as dt
import re

import pytest

from ekseva.accounts.models import CitizenProfile, User

MOBILE = "9876501234"


@pytest.mark.browser
@pytest.mark.parametrize("browser_locale", ["hi-IN"])
def test_citizen_signs_in_with_otp_in_hindi_and_sees_profile(live_server, page, snap):
    citizen = User.objects.create_citizen(MOBILE, full_name="Sita Verma")
    CitizenProfile.objects.create(
        user=citizen,
        name_en="Sita Verma",
        name_hi="सीता वर्मा",
        date_of_birth=dt.date(1998, 3, 14),
        gender="F",
    )

    page.goto(f"{live_server.url}/hi/account/signin/")
    assert page.locator("html").get_attribute("lang") == "hi"
    page.get_by_label("मोबाइल नंबर").fill(MOBILE)
    page.locator("input[name=captcha_1]").fill("PASSED")
    snap(page, "mobile-entered")
    page.get_by_role("button", name="OTP भेजें").click()
    page.wait_for_url("**/hi/account/signin/otp/")
    snap(page, "otp-asked")

    # The SMS went to the developer outbox; read the code there as a person would.
    page.goto(f"{live_server.url}/hi/dev/outbox/?to={MOBILE}")
    body = page.locator("[data-message-body]").first.inner_text()
    snap(page, "outbox")
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.go_back()
    page.wait_for_url("**/hi/account/signin/otp/")

    page.get_by_label("OTP", exact=True).fill(code)
    page.get_by_role("button", name="साइन इन").click()
    page.wait_for_url("**/hi/account/profile/")
    assert page.get_by_text("सीता वर्मा").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "profile")
