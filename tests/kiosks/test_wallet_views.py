"""The wallet pages: the kiosk's wallet (top-up, deposit slip, alert mark), the
statement with its downloads, staff's view of any kiosk's wallet, and the deposit
verification queue. In both languages; one kiosk never sees another's wallet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Role
from ekseva.core import clock
from ekseva.kiosks import services
from ekseva.kiosks.models import KioskOperator, WalletDeposit
from ekseva.payments.models import Payment, Status

from .conftest import fund, login
from .test_wallet import staff, submitted, succeed


def sign_in(client, user) -> None:
    """A session as the staff sign-in leaves it: password and TOTP both passed."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"kiosks:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def error_on(response, field: str) -> str:
    match = re.search(
        rf'<p class="error" id="id_{field}_error" role="alert">(.*?)</p>', text(response), re.S
    )
    return match.group(1) if match else ""


def flash(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def owner(client, franchisee):
    sign_in(client, franchisee)
    return franchisee


# --------------------------------------------------------------------------- the wallet page


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_franchisee_sees_balance_mark_and_forms(client, owner, kiosk, lang):
    fund(kiosk, 123_450)
    submitted(owner, 500_000, reference="UTR777000111")
    response = client.get(url("wallet", lang=lang))
    assert response.status_code == 200
    page = text(response)
    assert f'lang="{lang}"' in page and 'data-balance="123450"' in page and "₹1,234.50" in page
    for form_id in ("topup", "deposit", "mark"):
        assert f'id="{form_id}"' in page
    assert 'name="topup-token"' in page and 'data-deposit-status="submitted"' in page
    assert url("wallet_statement", lang=lang) in page
    if lang == "hi":
        assert f"कियोस्क {kiosk.code} का वॉलेट" in page and "ऑनलाइन रिचार्ज करें" in page
    else:
        assert f"Wallet of kiosk {kiosk.code}" in page and "Top up online" in page


def test_an_operator_sees_the_wallet_but_not_the_owners_forms(client, operator, kiosk):
    sign_in(client, operator)
    page = text(client.get(url("wallet")))
    assert 'data-balance="0"' in page and "managed by the kiosk's owner" in page
    assert 'id="topup"' not in page and 'id="mark"' not in page and 'id="deposit"' not in page
    response = client.post(url("wallet_topup"), {"topup-token": "t" * 20, "topup-amount": "500"})
    assert response.status_code == 302 and Payment.objects.count() == 0
    response = client.post(url("wallet_mark"), {"mark-mark": "0"}, follow=True)
    assert any("owner" in m for m in flash(response))
    kiosk.refresh_from_db()
    assert kiosk.low_balance_paise == 50_000


def test_the_below_mark_notice(client, owner, kiosk):
    fund(kiosk, 10_000)
    assert 'data-notice="below-mark"' in text(client.get(url("wallet")))
    fund(kiosk, 90_000)
    assert 'data-notice="below-mark"' not in text(client.get(url("wallet")))


# --------------------------------------------------------------------------- top-up


def test_a_topup_goes_to_the_gateway_once_per_token(client, owner, kiosk, fake_gateway):
    body = {"topup-token": "tok-abcdefghijklmnop", "topup-amount": "2,500.50"}
    first = client.post(url("wallet_topup"), body)
    assert first.status_code == 302 and first["Location"].startswith("https://fake.example/pay/")
    again = client.post(url("wallet_topup"), body)
    assert again["Location"] == first["Location"]
    payment = Payment.objects.get()
    assert payment.amount == 250_050 and payment.payer == owner and payment.target == kiosk.code
    assert payment.status == Status.PENDING
    succeed(payment)
    assert services.wallet_balance(kiosk) == 250_050
    paid = client.post(url("wallet_topup"), body)  # the old form once more: its payment
    assert paid["Location"] == reverse("payments:status", args=[payment.reference])
    page = text(client.get(url("wallet")))
    assert f'data-payment="{payment.reference}"' in page
    status_page = client.get(reverse("payments:status", args=[payment.reference]))
    assert status_page.status_code == 200 and url("wallet") in text(status_page)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("99.99", "between"),
        ("200000.01", "between"),
        ("abc", "Enter an amount"),
        ("10.123", "two digits"),
        ("", "required"),
    ],
)
def test_a_topup_of_a_wrong_amount_is_refused_on_its_field(client, owner, amount, words):
    response = client.post(
        url("wallet_topup"), {"topup-token": "tok-abcdefghijklmnop", "topup-amount": amount}
    )
    assert response.status_code == 400
    assert words in error_on(response, "topup-amount")
    assert 'class="error-summary"' in text(response) and Payment.objects.count() == 0


def test_the_same_token_for_another_amount_is_a_conflict(client, owner):
    client.post(url("wallet_topup"), {"topup-token": "tok-abcdefghijklmnop", "topup-amount": "500"})
    response = client.post(
        url("wallet_topup"), {"topup-token": "tok-abcdefghijklmnop", "topup-amount": "600"}
    )
    assert response.status_code == 409 and Payment.objects.count() == 1
    assert "another amount" in text(response)
    assert 'value="tok-abcdefghijklmnop"' not in text(response)  # a fresh token to send again


# --------------------------------------------------------------------------- mark and deposits


def test_the_owner_sets_the_mark(client, owner, kiosk):
    fund(kiosk, 100_000)
    response = client.post(url("wallet_mark"), {"mark-mark": "1500"}, follow=True)
    kiosk.refresh_from_db()
    assert kiosk.low_balance_paise == 150_000
    messages = flash(response)
    assert any("₹1,500.00" in m for m in messages) and any("already below" in m for m in messages)
    response = client.post(url("wallet_mark"), {"mark-mark": "-5"})
    assert response.status_code == 400 and error_on(response, "mark-mark")
    client.post(url("wallet_mark"), {"mark-mark": "0"})
    kiosk.refresh_from_db()
    assert kiosk.low_balance_paise == 0


def test_the_owner_records_a_deposit_slip(client, owner, kiosk):
    body = {
        "deposit-amount": "5000",
        "deposit-bank_reference": "sbin 1234 5678",
        "deposit-deposited_on": "2026-06-14",
    }
    response = client.post(url("wallet_deposit"), body, follow=True)
    slip = WalletDeposit.objects.get()
    assert (slip.amount, slip.bank_reference) == (500_000, "SBIN12345678")
    assert slip.deposited_on == dt.date(2026, 6, 14)
    assert any("SBIN12345678" in m for m in flash(response))
    again = client.post(url("wallet_deposit"), body)
    assert again.status_code == 400
    assert "already been recorded" in error_on(again, "deposit-bank_reference")
    future = client.post(url("wallet_deposit"), {**body, "deposit-deposited_on": "2026-06-16"})
    assert future.status_code == 400 and "future" in error_on(future, "deposit-deposited_on")
    assert WalletDeposit.objects.count() == 1


def test_every_problem_of_a_slip_is_shown_at_once(client, owner):
    response = client.post(
        url("wallet_deposit"),
        {
            "deposit-amount": "5",
            "deposit-bank_reference": "x",
            "deposit-deposited_on": "2026-04-01",
        },
    )
    assert response.status_code == 400
    assert "between" in error_on(response, "deposit-amount")
    assert "UTR" in error_on(response, "deposit-bank_reference")
    assert "30 days" in error_on(response, "deposit-deposited_on")
    assert 'aria-invalid="true"' in text(response) and WalletDeposit.objects.count() == 0


def test_a_suspended_kiosk_reads_its_wallet_but_cannot_move_money(client, owner, kiosk):
    fund(kiosk, 100_000)
    services.suspend(kiosk, reason="Inquiry", actor=staff())
    page = text(client.get(url("wallet")))
    assert 'data-notice="suspended"' in page and 'data-balance="100000"' in page
    assert 'id="topup"' not in page and 'id="deposit"' not in page
    response = client.post(
        url("wallet_topup"),
        {"topup-token": "tok-abcdefghijklmnop", "topup-amount": "500"},
        follow=True,
    )
    assert any("suspended" in m for m in flash(response)) and Payment.objects.count() == 0
    response = client.post(
        url("wallet_deposit"),
        {
            "deposit-amount": "500",
            "deposit-bank_reference": "UTR12345678",
            "deposit-deposited_on": "2026-06-14",
        },
        follow=True,
    )
    assert any("suspended" in m for m in flash(response))
    assert WalletDeposit.objects.count() == 0
    assert client.get(url("wallet_statement")).status_code == 200
    assert client.get(url("wallet_statement_csv")).status_code == 200


# --------------------------------------------------------------------------- the statement


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_statement_page_defaults_to_this_month(client, owner, kiosk, lang):
    clock.advance(days=-20)  # in May: the opening balance of June
    fund(kiosk, 50_000)
    clock.advance(days=20)
    fund(kiosk, 25_000)
    response = client.get(url("wallet_statement", lang=lang))
    assert response.status_code == 200
    page = text(response)
    assert 'data-opening="50000"' in page and 'data-closing="75000"' in page
    assert 'value="2026-06-01"' in page and 'value="2026-06-15"' in page
    assert page.count("data-entry=") == 1
    found = response.context["found"]
    assert found.closing == services.wallet_balance(kiosk)
    assert "start=2026-06-01&amp;end=2026-06-15" in page
    if lang == "hi":
        assert "प्रारंभिक शेष" in page
    else:
        assert "Opening balance" in page


def test_the_statement_pages_through_its_lines(client, owner, kiosk):
    for n in range(60):
        fund(kiosk, 100 + n)
    first = client.get(url("wallet_statement"))
    assert text(first).count("data-entry=") == 50 and 'rel="next"' in text(first)
    second = client.get(url("wallet_statement") + "?start=2026-06-01&end=2026-06-15&page=2")
    lines = second.context["lines"]
    assert len(lines) == 10 and lines[-1].balance == services.wallet_balance(kiosk)


def test_a_bad_period_is_refused_on_its_field(client, owner):
    response = client.get(url("wallet_statement") + "?start=2026-06-10&end=2026-06-01")
    assert response.status_code == 400 and "before the start" in error_on(response, "end")
    response = client.get(url("wallet_statement") + "?start=bad&end=2026-06-01")
    assert response.status_code == 400 and error_on(response, "start")
    assert client.get(url("wallet_statement_csv") + "?start=bad").status_code == 400


def test_the_downloads(client, owner, kiosk):
    fund(kiosk, 40_000)
    query = "?start=2026-06-01&end=2026-06-15"
    response = client.get(url("wallet_statement_csv") + query)
    assert response["Content-Type"].startswith("text/csv")
    assert f"wallet-{kiosk.code}-20260601-20260615.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[6] == ["Closing balance (INR)", "400.00"] and len(rows) == 10
    for lang in ("en", "hi"):
        response = client.get(url("wallet_statement_pdf") + f"{query}&lang={lang}")
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert f"-{lang}.pdf" in response["Content-Disposition"]


# --------------------------------------------------------------------------- who sees what


def test_another_kiosk_gets_404_for_this_wallet(client, kiosk, other_operator, other_kiosk):
    sign_in(client, other_operator)
    for name in (
        "wallet_of",
        "wallet_statement_of",
        "wallet_statement_of_csv",
        "wallet_statement_of_pdf",
    ):
        assert client.get(url(name, kiosk.code)).status_code == 404
    own = client.get(url("wallet_of", other_kiosk.code))
    assert own.status_code == 200 and 'id="topup"' not in text(own)  # read-only here
    page = text(client.get(url("wallet")))
    assert other_kiosk.code in page and kiosk.code not in page


def test_staff_see_the_kiosks_in_their_scope(client, kiosk, other_kiosk, places):
    fund(kiosk, 70_000)
    sign_in(client, staff())
    picker = client.get(url("wallet"))
    assert picker.status_code == 200 and 'name="code"' in text(picker)
    assert client.get(url("wallet") + f"?code={kiosk.code.lower()}")["Location"] == url(
        "wallet_of", kiosk.code
    )
    page = text(client.get(url("wallet_of", kiosk.code)))
    assert 'data-balance="70000"' in page and 'id="topup"' not in page
    assert client.get(url("wallet_statement_of", kiosk.code)).status_code == 200
    client.logout()
    sign_in(client, staff(Role.DISTRICT_COORDINATOR, places.bhopal))
    assert client.get(url("wallet_of", kiosk.code)).status_code == 200
    assert client.get(url("wallet_of", other_kiosk.code)).status_code == 404
    assert client.get(url("wallet_statement_of_csv", other_kiosk.code)).status_code == 404


def test_people_who_are_not_signed_in_as_staff_go_to_the_staff_sign_in(client, citizen, kiosk):
    for target in (url("wallet"), url("wallet_of", kiosk.code), url("manage_deposits")):
        response = client.get(target)
        assert response.status_code == 302 and "/staff/" in response["Location"]
    client.force_login(citizen)
    assert client.get(url("wallet")).status_code in (302, 403)


# --------------------------------------------------------------------------- deposit queue


@pytest.fixture
def slip(kiosk, franchisee):
    return submitted(franchisee, 600_000, reference="UTR424242424242")


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_operator_staff_verify_a_slip_from_the_queue(client, kiosk, slip, lang):
    sign_in(client, staff())
    queue = client.get(url("manage_deposits", lang=lang))
    assert queue.status_code == 200 and f'data-deposit="{slip.pk}"' in text(queue)
    detail = client.get(url("manage_deposit", slip.pk, lang=lang))
    assert detail.status_code == 200 and "UTR424242424242" in text(detail)
    response = client.post(url("manage_deposit_verify", slip.pk, lang=lang), follow=True)
    assert response.redirect_chain[-1][0] == url("manage_deposits", lang=lang)
    slip.refresh_from_db()
    assert slip.status == WalletDeposit.Status.VERIFIED
    assert services.wallet_balance(kiosk) == 600_000
    again = client.post(url("manage_deposit_verify", slip.pk, lang=lang), follow=True)
    assert len(flash(again)) == 1 and services.wallet_balance(kiosk) == 600_000


def test_the_queue_filters_by_status_and_kiosk(client, kiosk, franchisee, other_kiosk, slip):
    other = submitted(login(other_kiosk, KioskOperator.Role.FRANCHISEE), reference="UTR1000000X")
    sign_in(client, staff())
    rows = client.get(url("manage_deposits") + f"?kiosk={other_kiosk.code}").context["rows"]
    assert [row["deposit"] for row in rows] == [other]
    rows = client.get(url("manage_deposits") + "?status=verified").context["rows"]
    assert rows == []


def test_a_slip_is_rejected_with_a_reason(client, kiosk, slip):
    sign_in(client, staff())
    empty = client.post(url("manage_deposit_reject", slip.pk), {"reason": ""})
    assert empty.status_code == 400 and error_on(empty, "reason")
    client.post(url("manage_deposit_reject", slip.pk), {"reason": "Amount differs"})
    slip.refresh_from_db()
    assert slip.status == WalletDeposit.Status.REJECTED and slip.reason == "Amount differs"
    client.post(url("manage_deposit_verify", slip.pk))
    slip.refresh_from_db()
    assert slip.status == WalletDeposit.Status.REJECTED and services.wallet_balance(kiosk) == 0


def test_others_cannot_reach_the_queue(client, kiosk, franchisee, slip, places):
    sign_in(client, staff(Role.DISTRICT_COORDINATOR, places.indore))
    assert client.get(url("manage_deposits")).status_code == 403
    assert client.get(url("manage_deposit", slip.pk)).status_code == 404
    assert client.post(url("manage_deposit_verify", slip.pk)).status_code == 404
    client.logout()
    sign_in(client, staff(Role.DISTRICT_COORDINATOR, places.bhopal))
    assert client.post(url("manage_deposit_verify", slip.pk)).status_code == 404
    client.logout()
    sign_in(client, franchisee)
    assert client.get(url("manage_deposits")).status_code == 403
    assert client.post(url("manage_deposit_reject", slip.pk), {"reason": "x"}).status_code == 404
    slip.refresh_from_db()
    assert slip.status == WalletDeposit.Status.SUBMITTED and services.wallet_balance(kiosk) == 0
