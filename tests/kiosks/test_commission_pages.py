"""Commission pages: the kiosk's statements (franchisee and operators), the
statement PDF in English and Hindi, finance staff's statements, CSV and payout
batches; who may see and do what."""

from __future__ import annotations

import csv
import io
import itertools
import re
import time

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from ekseva.accounts.models import Posting, Role, User
from ekseva.kiosks import commission
from ekseva.kiosks.models import CommissionStatement, KioskOperator, PayoutBatch
from ekseva.ledger.models import JournalEntry

from .conftest import fund, login
from .test_commission import JULY, JUNE, paid, to_month

STAFF_PASSWORD = "finance-pass-2026"
KIOSK_PASSWORD = "kiosk-pass-2026"  # conftest.login sets it
_seq = itertools.count(1)


def signed_in(client, user: User, password: str):
    """The real staff sign-in (kiosk logins are staff accounts): password and TOTP."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": password, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def staff(role: Role = Role.OPERATOR_STAFF) -> User:
    user = User.objects.create_user(f"kcstaff{next(_seq)}", STAFF_PASSWORD)
    Posting.objects.create(user=user, role=role)
    return user


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"kiosks:{name}", args=args)


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def month_made(operator, kiosk, citizen, other_citizen, service, frozen_clock):
    """Two applications paid at the kiosk in June, June's statement made on 1 July."""
    fund(kiosk, 200_000)
    apps = [paid(operator, citizen, service)[0], paid(operator, other_citizen, service)[0]]
    to_month(JULY)
    [statement] = commission.make_statements(JUNE)
    return statement, apps


@pytest.fixture
def owner_client(client, kiosk, month_made):
    return signed_in(client, login(kiosk, KioskOperator.Role.FRANCHISEE), KIOSK_PASSWORD)


@pytest.fixture
def finance_client(client, month_made):
    return signed_in(client, staff(), STAFF_PASSWORD)


# --------------------------------------------------------------------------- the kiosk


def test_the_franchisee_sees_the_statement_and_downloads_it_in_both_languages(
    owner_client, kiosk, month_made
):
    statement, apps = month_made
    page = owner_client.get(url("commission"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-month="2026-06"' in html and "data-net" in html
    assert commission.format_inr(statement.net) in html
    assert "Waiting for the next payout" in html
    english = owner_client.get(url("commission_pdf", "2026-06") + "?lang=en")
    text = pdf_text(english)
    for expected in (
        "Commissionstatement",
        kiosk.code,
        "RameshPatel",
        "June2026",
        kiosk.bank_account_masked,
        apps[0].number,
        apps[1].number,
        re.sub(r"\s", "", commission.format_inr(statement.gross)),
        re.sub(r"\s", "", commission.format_inr(statement.tds)),
        re.sub(r"\s", "", commission.format_inr(statement.net)),
        "TDSat2%",
    ):
        assert expected in text, expected
    assert kiosk.bank_account_number not in text  # masked
    hindi = owner_client.get(url("commission_pdf", "2026-06", lang="hi") + "?lang=hi")
    text = pdf_text(hindi)
    assert kiosk.code in text and apps[0].number in text
    assert "कमीशन" in text and "जून" in text


def test_an_operator_sees_gross_but_not_the_payout_or_the_pdf(client, kiosk, operator, month_made):
    statement, _apps = month_made
    signed_in(client, operator, KIOSK_PASSWORD)
    page = client.get(url("commission"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-month="2026-06"' in html
    assert commission.format_inr(statement.gross) in html
    assert "data-net" not in html and "data-pdf" not in html
    assert client.get(url("commission_pdf", "2026-06")).status_code == 403


def test_another_kiosks_franchisee_sees_nothing_of_this_kiosk(
    client, kiosk, other_kiosk, month_made
):
    signed_in(client, login(other_kiosk, KioskOperator.Role.FRANCHISEE), KIOSK_PASSWORD)
    page = client.get(url("commission"))
    assert page.status_code == 200 and 'data-month="2026-06"' not in page.content.decode()
    assert client.get(url("commission_pdf", "2026-06")).status_code == 404
    assert client.get(url("manage_commission_pdf", kiosk.code, "2026-06")).status_code == 403
    assert client.get(url("manage_commission")).status_code == 403
    assert client.get(url("manage_payouts")).status_code == 403


def test_a_suspended_kiosks_owner_still_reads_statements(owner_client, kiosk, month_made):
    from ekseva.kiosks import services

    services.suspend(kiosk, reason="Inspection", actor=staff())
    page = owner_client.get(url("commission"))
    assert page.status_code == 200
    assert "Held while the kiosk is suspended" in page.content.decode()
    assert owner_client.get(url("commission_pdf", "2026-06")).status_code == 200


def test_a_citizen_or_coordinator_cannot_open_the_pages(client, citizen, month_made):
    client.force_login(citizen)
    assert client.get(url("commission")).status_code in (302, 403)
    client.logout()
    signed_in(client, staff(Role.DISTRICT_COORDINATOR), STAFF_PASSWORD)
    assert client.get(url("commission")).status_code == 403
    assert client.get(url("manage_commission")).status_code == 403
    assert client.get(url("manage_payouts")).status_code == 403


# --------------------------------------------------------------------------- finance staff


def test_finance_sees_a_months_statements_with_totals_and_csv(finance_client, kiosk, month_made):
    statement, _apps = month_made
    page = finance_client.get(url("manage_commission"))  # the latest month by default
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-kiosk="{kiosk.code}"' in html
    assert re.search(r"data-count>1<", html) and re.search(r"data-transactions>2<", html)
    assert f"data-net>{commission.format_inr(statement.net)}<" in html
    response = finance_client.get(url("manage_commission") + "?month=2026-06&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["month", "kiosk", "business_name"]
    assert rows[1][0:2] == ["2026-06", kiosk.code]
    assert rows[1][5:10] == [
        "2",
        commission.rupees_text(statement.gross),
        "200",
        commission.rupees_text(statement.tds),
        commission.rupees_text(statement.net),
    ]
    pdf = finance_client.get(url("manage_commission_pdf", kiosk.code, "2026-06") + "?lang=hi")
    assert kiosk.code in pdf_text(pdf)
    assert (
        finance_client.get(url("manage_commission_pdf", kiosk.code, "2026-05")).status_code == 404
    )


def test_finance_makes_statements_but_not_for_a_month_not_ended(finance_client, month_made):
    refused = finance_client.post(url("manage_commission_make"), {"month": "2026-07"})
    assert refused.status_code == 400 and "has not ended" in refused.content.decode()
    bad = finance_client.post(url("manage_commission_make"), {"month": "July"})
    assert bad.status_code == 400 and 'href="#make_month"' in bad.content.decode()
    again = finance_client.post(url("manage_commission_make"), {"month": "2026-06"})
    assert again.status_code == 302 and again["Location"].endswith("?month=2026-06")
    assert CommissionStatement.objects.count() == 1


def test_finance_makes_a_batch_downloads_the_file_and_marks_it_paid(
    finance_client, kiosk, month_made
):
    statement, _apps = month_made
    preview = finance_client.get(url("manage_payouts") + "?month=2026-06")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert f'data-kiosk="{kiosk.code}"' in html
    assert f"data-total>{commission.format_inr(statement.net)}<" in html
    made = finance_client.post(url("manage_payout_create"), {"month": "2026-06"})
    assert made.status_code == 302
    batch = PayoutBatch.objects.get()
    assert made["Location"] == url("manage_payout", batch.reference)
    page = finance_client.get(made["Location"])
    assert page.status_code == 200 and 'data-status="created"' in page.content.decode()
    bank_file = finance_client.get(url("manage_payout_file", batch.reference))
    rows = list(csv.reader(io.StringIO(bank_file.content.decode("utf-8-sig"))))
    assert rows[1] == [
        kiosk.bank_account_name,
        kiosk.bank_account_number,
        kiosk.bank_ifsc,
        commission.rupees_text(statement.net),
        f"ekseva commission 2026-06 {kiosk.code}",
    ]
    # Nothing left to pay: a second batch is refused on the page.
    again = finance_client.post(url("manage_payout_create"), {"month": "2026-06"})
    assert again.status_code == 400 and "Nothing to pay" in again.content.decode()
    paid_ = finance_client.post(
        url("manage_payout_paid", batch.reference), {"bank_reference": "UTR77"}
    )
    assert paid_.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "paid" and batch.bank_reference == "UTR77"
    entries = JournalEntry.objects.count()
    twice = finance_client.post(
        url("manage_payout_paid", batch.reference), {"bank_reference": "UTR77"}
    )
    assert twice.status_code == 302 and JournalEntry.objects.count() == entries
    other = finance_client.post(
        url("manage_payout_paid", batch.reference), {"bank_reference": "X1"}
    )
    assert other.status_code == 409 and "already marked paid" in other.content.decode()
    owner_view = finance_client.get(url("manage_commission") + "?month=2026-06")
    assert "UTR77" in owner_view.content.decode()


def test_a_blank_bank_reference_is_shown_against_its_field(finance_client, month_made):
    batch = commission.create_batch(JUNE)
    response = finance_client.post(
        url("manage_payout_paid", batch.reference), {"bank_reference": ""}
    )
    assert response.status_code == 400
    assert 'href="#id_bank_reference"' in response.content.decode()


def test_the_pages_speak_hindi(finance_client, kiosk, month_made):
    from django.test import Client

    for name in ("manage_commission", "manage_payouts"):
        response = finance_client.get(url(name, lang="hi"))
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="hi">' in html and "कमीशन" in html
    owner = signed_in(Client(), login(kiosk, KioskOperator.Role.FRANCHISEE), KIOSK_PASSWORD)
    html = owner.get(url("commission", lang="hi")).content.decode()
    assert '<html lang="hi">' in html and "कमीशन विवरण" in html and "जून 2026" in html


def test_mobile_tables_carry_labels(finance_client, month_made):
    html = finance_client.get(url("manage_commission")).content.decode()
    assert 'name="viewport"' in html and 'class="stack"' in html and "data-label=" in html
