"""Settlement and collections pages: who may see and do what, in English and Hindi."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import time

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.catalog.models import Department
from ekseva.ledger.models import JournalEntry
from ekseva.payments import settlements
from ekseva.payments.models import Payment, Settlement

from .test_settlements import GOVT, MON, TUE, at, pay, refund

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-42"
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make_staff(role: Role, department_code: str = "") -> User:
    user = User.objects.create_user(f"settle{next(_seq)}", PASSWORD)
    Posting.objects.create(user=user, role=role, department_code=department_code)
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def signed_in(client, user: User):
    """The real staff sign-in: password and the current TOTP code."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"payments:{name}", args=args)


@pytest.fixture
def books(fake_gateway, effects, frozen_clock):
    """Monday: LSG has two fees (one refunded) and PEB one; Tuesday 02:00 now."""
    Department.objects.create(
        code="LSG", name_en="Lok Sewa Guarantee", name_hi="लोक सेवा गारंटी", kind="government"
    )
    Department.objects.create(
        code="PEB", name_en="Examination Board", name_hi="परीक्षा मंडल", kind="exam_board"
    )
    pay(service="income-certificate", district_code="BPL")
    refund(pay(service="caste-certificate", district_code="IND"))
    pay(department="PEB", service="exam", channel="kiosk", kiosk_code="K1", district_code="BPL")
    at(TUE, 2)
    report = settlements.make_due("daily")
    return {batch.department_code: batch for batch in report.batches}


@pytest.fixture
def operator(client, books):
    return signed_in(client, make_staff(Role.OPERATOR_STAFF))


@pytest.fixture
def officer(client, books):
    """A department officer of LSG."""
    return signed_in(client, make_staff(Role.DEPARTMENT_OFFICER, "LSG"))


def test_operator_lists_every_department_and_filters(operator, books):
    page = operator.get(url("settlement_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert books["LSG"].reference in html and books["PEB"].reference in html
    assert "Make a settlement batch" in html
    only = operator.get(url("settlement_list") + "?department=PEB&status=draft")
    assert books["PEB"].reference in only.content.decode()
    assert books["LSG"].reference not in only.content.decode()
    posted = operator.get(url("settlement_list") + "?status=posted")
    assert "No settlement batches yet." in posted.content.decode()


def test_operator_makes_a_batch_from_the_form(operator, books):
    at(MON + dt.timedelta(days=8))
    response = operator.post(
        url("settlement_make"), {"department": "PEB", "frequency": "weekly", "day": "2026-06-19"}
    )
    assert response.status_code == 400  # Monday is already in PEB's daily batch
    assert books["PEB"].reference in response.content.decode()
    response = operator.post(
        url("settlement_make"), {"department": "LSG", "frequency": "daily", "day": "2026-06-16"}
    )
    batch = Settlement.objects.get(department_code="LSG", period_start=TUE)
    assert response.status_code == 302
    assert response["Location"] == url("settlement_detail", batch.reference)
    again = operator.post(
        url("settlement_make"), {"department": "LSG", "frequency": "daily", "day": "2026-06-16"}
    )
    assert again["Location"] == response["Location"]
    bad = operator.post(url("settlement_make"), {"department": "LSG", "frequency": "daily"})
    assert bad.status_code == 400


def test_operator_posts_from_the_detail_page(operator, books):
    batch = books["LSG"]
    page = operator.get(url("settlement_detail", batch.reference))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Lok Sewa Guarantee (LSG)" in html and "₹100.00" in html
    assert (
        'data-service="income-certificate"' in html and 'data-service="caste-certificate"' in html
    )
    assert html.count("data-entry=") == 3  # two payments and a refund
    assert "Post this settlement" in html
    missing = operator.post(url("settlement_post", batch.reference), {"bank_reference": ""})
    assert missing.status_code == 400
    done = operator.post(url("settlement_post", batch.reference), {"bank_reference": "UTR55"})
    assert done.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.bank_reference) == ("posted", "UTR55")
    assert JournalEntry.objects.filter(idempotency_key=f"settlement:{batch.reference}").exists()
    after = operator.get(url("settlement_detail", batch.reference)).content.decode()
    assert "Post this settlement" not in after and "UTR55" in after
    other = operator.post(url("settlement_post", batch.reference), {"bank_reference": "UTR56"})
    assert other.status_code == 409
    assert "already posted" in other.content.decode()


def test_posting_a_department_that_owes_back_is_refused_in_hindi(operator, books):
    at(TUE, 11)
    monday_fee = Payment.objects.get(service_code="income-certificate", department_code="LSG")
    refund(monday_fee)  # Tuesday: LSG only gives Monday's fee back
    at(TUE + dt.timedelta(days=1))
    tuesday = settlements.make_batch("LSG", TUE, TUE, "daily", actor=None)
    assert tuesday.owed == -GOVT
    page = operator.get(url("settlement_detail", tuesday.reference, lang="hi"))
    assert "विभाग को ₹100.00 लौटाने हैं" in page.content.decode()
    refused = operator.post(
        url("settlement_post", tuesday.reference, lang="hi"), {"bank_reference": "UTR1"}
    )
    assert refused.status_code == 400
    assert "लौटाने हैं" in refused.content.decode()
    tuesday.refresh_from_db()
    assert tuesday.status == "draft"


def test_downloads(operator, books):
    batch = books["LSG"]
    response = operator.get(url("settlement_csv", batch.reference))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{batch.reference}.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Settlement", batch.reference]
    for lang in ("en", "hi"):
        pdf = operator.get(url("settlement_pdf", batch.reference) + f"?lang={lang}")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        assert f"{batch.reference}-{lang}.pdf" in pdf["Content-Disposition"]


def test_pages_in_hindi(operator, books):
    listing = operator.get(url("settlement_list", lang="hi")).content.decode()
    assert "विभागीय निपटान" in listing and "लोक सेवा गारंटी" in listing
    detail = operator.get(url("settlement_detail", books["LSG"].reference, lang="hi"))
    assert "विभाग को देय" in detail.content.decode()
    report = operator.get(url("collections", lang="hi")).content.decode()
    assert "संग्रह" in report and "विभाग का शुल्क" in report


def test_collections_report(operator, books):
    response = operator.get(url("collections") + "?start=2026-06-15&end=2026-06-16")
    assert response.status_code == 200
    report = response.context["report"]
    keyed = {(r.day, r.department, r.service, r.channel, r.district): r for r in report.rows}
    income = keyed[(MON, "LSG", "income-certificate", "online", "BPL")]
    assert income.amounts == {"department": GOVT, "convenience": 2000, "gst": 360, "kiosk": 0}
    caste = keyed[(MON, "LSG", "caste-certificate", "online", "IND")]
    assert caste.total == 0 and caste.refunded == 12360  # paid and refunded in full
    exam = keyed[(MON, "PEB", "exam", "kiosk", "BPL")]
    assert exam.total == 12360
    assert report.totals.total == 2 * 12360 and report.totals.refunded == 12360
    html = response.content.decode()
    assert "data-totals-row" in html and "₹247.20" in html
    only = operator.get(url("collections") + "?start=2026-06-15&end=2026-06-15&channel=kiosk")
    assert [r.department for r in only.context["report"].rows] == ["PEB"]
    by_district = operator.get(url("collections") + "?start=2026-06-15&end=2026-06-15&district=IND")
    assert [r.service for r in by_district.context["report"].rows] == ["caste-certificate"]
    as_csv = operator.get(url("collections") + "?start=2026-06-15&end=2026-06-15&format=csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode().lstrip("\ufeff"))))
    assert rows[0][:5] == ["day", "department", "service", "channel", "district"]
    assert rows[-1][0] == "total" and rows[-1][-2:] == ["247.20", "123.60"]
    backwards = operator.get(url("collections") + "?start=2026-06-16&end=2026-06-15")
    assert backwards.status_code == 400


def test_collections_default_to_the_last_seven_days(operator, books):
    response = operator.get(url("collections"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end) == (TUE - dt.timedelta(days=6), TUE)
    assert report.totals.total == 2 * 12360


def test_department_officer_sees_only_their_department(officer, books):
    listing = officer.get(url("settlement_list"))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert books["LSG"].reference in html and books["PEB"].reference not in html
    assert "Make a settlement batch" not in html
    mine = officer.get(url("settlement_detail", books["LSG"].reference))
    assert mine.status_code == 200 and "Post this settlement" not in mine.content.decode()
    assert officer.get(url("settlement_csv", books["LSG"].reference)).status_code == 200
    for name in ("settlement_detail", "settlement_csv", "settlement_pdf"):
        assert officer.get(url(name, books["PEB"].reference)).status_code == 403, name
    refused = officer.post(url("settlement_post", books["LSG"].reference), {"bank_reference": "X"})
    assert refused.status_code == 403
    made = officer.post(
        url("settlement_make"), {"department": "LSG", "frequency": "daily", "day": "2026-06-14"}
    )
    assert made.status_code == 403
    books["LSG"].refresh_from_db()
    assert books["LSG"].status == "draft"
    report = officer.get(url("collections") + "?start=2026-06-15&end=2026-06-15")
    assert {r.department for r in report.context["report"].rows} == {"LSG"}
    other = officer.get(url("collections") + "?start=2026-06-15&end=2026-06-15&department=PEB")
    assert other.status_code == 400
    assert officer.get(url("settlement_detail", "ST26NOPE")).status_code == 404


def test_other_roles_are_refused(client, books):
    for name, args in (
        ("settlement_list", ()),
        ("collections", ()),
        ("settlement_detail", (books["LSG"].reference,)),
        ("settlement_pdf", (books["LSG"].reference,)),
    ):
        response = client.get(url(name, *args))
        assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]
    citizen = User.objects.create_citizen("9876543210")
    client.force_login(citizen)
    response = client.get(url("settlement_list"))
    assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]
    client.logout()
    kiosk = make_staff(Role.KIOSK_OPERATOR)
    signed_in(client, kiosk)
    assert client.get(url("settlement_list")).status_code == 403
    assert client.get(url("collections")).status_code == 403
    assert client.get(url("settlement_detail", books["LSG"].reference)).status_code == 403
    response = client.post(url("settlement_post", books["LSG"].reference), {"bank_reference": "X"})
    assert response.status_code == 403
