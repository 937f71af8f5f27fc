"""Operator staff settle a department on a phone: the list, a batch, posting it,
the collections report; in English and Hindi, nothing wider than the screen."""

import datetime as dt
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.catalog.models import Department
from ekseva.core import clock
from ekseva.ledger import accounts, services
from ekseva.payments import settlements

PASSWORD = "right-password-42"


def fee(n: int, department: str, service: str, channel: str, district: str) -> None:
    """A fee as the payments app posts it: gateway ← department, operator, GST."""
    services.post(
        "payment.success",
        [
            (accounts.get_or_open("gateway_clearing", "sandbox"), 12360),
            (accounts.get_or_open("department_payable", department), -10000),
            (accounts.get_or_open("operator_revenue"), -2000),
            (accounts.get_or_open("gst_payable"), -360),
        ],
        idempotency_key=f"fee-{n}",
        reference=f"payment:PY26{n:08d}",
        dimensions={
            "department": department,
            "service": service,
            "channel": channel,
            "district": district,
            "purpose": "application_fee",
        },
    )


def sign_in(page, base: str, lang: str) -> None:
    user = User.objects.create_user(f"ops-{lang}", PASSWORD)
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    page.goto(f"{base}/{lang}/account/staff/signin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_token").fill(f"{totp.token():06d}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.parametrize(("browser_locale", "lang"), [("en-IN", "en"), ("hi-IN", "hi")])
def test_settle_a_department_on_a_phone(live_server, page, snap, lang):
    Department.objects.create(
        code="LSG", name_en="Lok Sewa Guarantee", name_hi="लोक सेवा गारंटी", kind="government"
    )
    Department.objects.create(
        code="PEB",
        name_en="Professional Examination Board",
        name_hi="व्यावसायिक परीक्षा मंडल",
        kind="exam_board",
    )
    yesterday = clock.today() - dt.timedelta(days=1)
    with clock.frozen(dt.datetime.combine(yesterday, dt.time(11, 0))):
        for n in range(3):
            fee(n, "LSG", "lsg-income-certificate", "online", "BHOPAL")
        fee(9, "PEB", "peb-constable-recruitment-exam", "kiosk", "INDORE")
    batches = {b.department_code: b for b in settlements.make_due("daily").batches}
    sign_in(page, live_server.url, lang)

    page.goto(f"{live_server.url}/{lang}/payments/manage/settlements/")
    assert page.locator(f"[data-settlement='{batches['LSG'].reference}']").is_visible()
    assert fits(page)
    snap(page, "list")

    page.locator(f"a:text-is('{batches['LSG'].reference}')").click()
    page.wait_for_url(f"**/settlements/{batches['LSG'].reference}/")
    assert page.locator("[data-owed]").inner_text() == "₹300.00"
    assert fits(page)
    snap(page, "detail")
    page.locator("#id_bank_reference").fill("UTR20260615001")
    page.locator("form[action$='/post/'] button").click()
    page.wait_for_url(f"**/settlements/{batches['LSG'].reference}/")
    assert page.locator("[data-status]").get_attribute("data-status") == "posted"
    assert page.locator("[data-bank-reference]").inner_text() == "UTR20260615001"
    assert fits(page)
    snap(page, "posted")

    page.goto(f"{live_server.url}/{lang}/payments/manage/settlements/collections/")
    assert page.locator("[data-totals-row]").is_visible()
    assert page.locator("[data-total]").inner_text() == "₹494.40"
    assert fits(page)
    snap(page, "collections")
