"""The kiosk wallet's services: top-ups through the gateway (and their refund when
the kiosk may not take them), the low-balance mark and its SMS, bank deposit
slips and their verification, and the statement with its running balance."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import clock
from ekseva.core.audit import AuditEvent
from ekseva.kiosks import services, wallet
from ekseva.kiosks.forms_wallet import parse_rupees
from ekseva.kiosks.models import KioskError, KioskSuspended, WalletDeposit
from ekseva.ledger.models import JournalEntry
from ekseva.notifications.models import Message
from ekseva.payments import purposes
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import IdempotencyConflict, Outcome, Payment, Status

from .conftest import assisted_submitted, fund

_seq = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def token() -> str:
    return f"tok-{next(_seq):012d}"


def staff(role: str = Role.OPERATOR_STAFF, unit=None) -> User:
    """A staff account with a TOTP device (verified sessions in page tests)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(f"wallet.staff{next(_seq)}", "x-pass-2026-long")
    Posting.objects.create(user=user, role=role, admin_unit=unit, starts=dt.date(2026, 1, 1))
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def succeed(payment: Payment) -> Payment:
    """The gateway says the payer paid (as its webhook would)."""
    if not payment.gateway_order_id:
        payments.start_checkout(payment, return_url="/r/")
        payment.refresh_from_db()
    return payments.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id=f"pay_{payment.reference}",
            amount=payment.amount,
            method="upi",
        ),
        source="webhook",
    )


def top_up(franchisee: User, paise: int) -> Payment:
    return succeed(wallet.start_topup(franchisee, paise, token=token()))


def submitted(franchisee: User, paise: int = 500_000, reference: str = "", days_ago: int = 1):
    return wallet.submit_deposit(
        franchisee,
        amount=paise,
        bank_reference=reference or f"UTR{next(_seq):010d}",
        deposited_on=clock.today() - dt.timedelta(days=days_ago),
    )


def sms(template: str, recipient: str) -> list[Message]:
    return list(Message.objects.filter(template=template, recipient=recipient).order_by("pk"))


# --------------------------------------------------------------------------- the purpose


def test_the_topup_purpose_is_the_kiosks_over_the_builtin(kiosk, franchisee):
    purpose = purposes.get("wallet_topup")
    assert purpose.usable is wallet.topup_usable and purpose.fulfil is wallet.topup_credited
    assert not purpose.once_per_target and not purpose.kiosk_wallet
    payment = wallet.start_topup(franchisee, 50_000, token=token())
    assert purpose.credits(payment) == [("kiosk_wallet", kiosk.code, 50_000)]
    assert purpose.link(payment) == "/en/kiosks/wallet/"
    assert payment.lines[0]["code"] == "topup" and payment.channel == "kiosk"
    assert payment.kiosk_code == kiosk.code and payment.district_code == "k-bhopal"
    assert payment.gateway == "fake" and payment.payer == franchisee


# --------------------------------------------------------------------------- top-up


def test_a_topup_through_the_gateway_credits_the_wallet_and_tells_the_owner(kiosk, franchisee):
    payment = top_up(franchisee, 250_050)
    assert payment.status == Status.SUCCEEDED and payment.outcome == Outcome.FULFILLED
    assert services.wallet_balance(kiosk) == 250_050
    [message] = sms("kiosks.topup_credited", kiosk.owner_mobile)
    assert message.params["payment"] == payment.reference
    assert message.params["balance"] == "₹2,500.50"
    assert AuditEvent.objects.filter(action="kiosks.wallet.topped_up").count() == 1
    succeed(payment)  # the webhook again: nothing more
    assert services.wallet_balance(kiosk) == 250_050
    assert len(sms("kiosks.topup_credited", kiosk.owner_mobile)) == 1


def test_a_topup_for_a_kiosk_suspended_meanwhile_is_refunded(kiosk, franchisee):
    payment = wallet.start_topup(franchisee, 100_000, token=token())
    payments.start_checkout(payment, return_url="/r/")
    services.suspend(kiosk, reason="Inspection pending", actor=staff())
    payment.refresh_from_db()
    payment = succeed(payment)
    assert payment.outcome == Outcome.UNUSABLE and payment.status == Status.REFUNDED
    assert payment.refunds.get().reason.startswith(f"Kiosk {kiosk.code} is suspended")
    assert services.wallet_balance(kiosk) == 0
    assert sms("kiosks.topup_credited", kiosk.owner_mobile) == []


def test_a_topup_for_no_kiosk_is_refunded(db, fake_gateway):
    payment = payments.create_payment(
        purpose="wallet_topup",
        target="K9990001X",
        lines=[
            {"code": "topup", "label_en": "T", "label_hi": "T", "amount_paise": 10_000, "rule": ""}
        ],
        description_en="Top-up",
        description_hi="रिचार्ज",
        idempotency_key="nobody",
    )
    payment = succeed(payment)
    assert payment.outcome == Outcome.UNUSABLE and payment.status == Status.REFUNDED
    assert payments.balance_of("kiosk_wallet", "K9990001X") == 0


def test_topup_refusals(kiosk, franchisee, operator):
    with pytest.raises(KioskError, match="owner"):
        wallet.start_topup(operator, 50_000, token=token())
    for paise in (9_999, 2_00_000_01, 0, -100):
        with pytest.raises(KioskError) as caught:
            wallet.start_topup(franchisee, paise, token=token())
        assert caught.value.field == "amount"
    assert wallet.start_topup(franchisee, 10_000, token=token()).amount == 10_000
    assert wallet.start_topup(franchisee, 2_00_000_00, token=token()).amount == 2_00_000_00
    key = token()
    first = wallet.start_topup(franchisee, 50_000, token=key)
    assert wallet.start_topup(franchisee, 50_000, token=key).pk == first.pk
    with pytest.raises(IdempotencyConflict):
        wallet.start_topup(franchisee, 60_000, token=key)
    services.suspend(kiosk, reason="Complaint", actor=staff())
    with pytest.raises(KioskSuspended):
        wallet.start_topup(franchisee, 50_000, token=token())


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_rupees_typed_either_way_are_read_exactly(paise):
    whole, rest = divmod(paise, 100)
    assert parse_rupees(f"{whole}.{rest:02d}") == paise
    assert parse_rupees(f"₹{whole:,}.{rest:02d}") == paise
    if rest == 0:
        assert parse_rupees(str(whole)) == paise


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1e3", "12.3.4", "₹"])
def test_rupees_that_are_not_an_amount_are_refused(text):
    from django import forms

    with pytest.raises(forms.ValidationError):
        parse_rupees(text)


# --------------------------------------------------------------------------- the mark and its SMS


def test_the_franchisee_sets_the_mark_audited(kiosk, franchisee, operator):
    kiosk = wallet.set_low_balance_mark(franchisee, 120_000)
    assert kiosk.low_balance_paise == 120_000
    event = AuditEvent.objects.get(action="kiosks.wallet.mark_changed")
    assert event.before == {"mark": 50_000} and event.after == {"mark": 120_000}
    assert wallet.set_low_balance_mark(franchisee, 0).low_balance_paise == 0
    with pytest.raises(KioskError) as caught:
        wallet.set_low_balance_mark(franchisee, -1)
    assert caught.value.field == "mark"
    with pytest.raises(KioskError):
        wallet.set_low_balance_mark(franchisee, wallet.MARK_MAX + 1)
    with pytest.raises(KioskError, match="owner"):
        wallet.set_low_balance_mark(operator, 10_000)
    services.suspend(kiosk, reason="Inquiry", actor=staff())
    assert wallet.set_low_balance_mark(franchisee, 30_000).low_balance_paise == 30_000


def test_the_alert_fires_again_after_a_topup_lifted_the_balance(
    kiosk, franchisee, operator, citizen, other_citizen, service
):
    first = assisted_submitted(operator, citizen, service)
    second = assisted_submitted(operator, other_citizen, service)
    fee = first.fee_total
    mark = kiosk.low_balance_paise
    fund(kiosk, mark + fee // 2)  # above the mark; one fee takes it below
    assert services.pay_assisted(operator, first, idempotency_key="a").is_paid
    alerts = sms("kiosks.low_balance", kiosk.owner_mobile)
    assert len(alerts) == 1
    kiosk.refresh_from_db()
    assert kiosk.low_balance_alerted_at is not None
    top_up(franchisee, mark)  # back above the mark: the alert is armed again
    kiosk.refresh_from_db()
    assert kiosk.low_balance_alerted_at is None
    assert services.wallet_balance(kiosk) >= mark
    assert services.pay_assisted(operator, second, idempotency_key="b").is_paid
    assert services.wallet_balance(kiosk) < mark
    assert len(sms("kiosks.low_balance", kiosk.owner_mobile)) == 2


def test_the_crossing_is_judged_by_the_balance_right_after_each_debit(
    kiosk, operator, citizen, other_citizen, service
):
    """Two debits commit before either's alert is judged (as under load): the one
    that crossed the mark alerts, the one after it does not."""
    from ekseva.applications import services as applications

    first = assisted_submitted(operator, citizen, service)
    second = assisted_submitted(operator, other_citizen, service)
    fee = first.fee_total
    kiosk.low_balance_paise = 3 * fee
    kiosk.save(update_fields=["low_balance_paise"])
    fund(kiosk, 3 * fee + fee // 2)
    paid = []
    for n, app in enumerate((first, second)):
        payment = applications.start_payment(
            app, idempotency_key=f"direct-{n}", actor=operator, gateway="wallet"
        )
        paid.append(payments.pay_from_wallet(payment))
    assert all(p.is_paid for p in paid)
    assert services.warn_low_balance(kiosk, debited=fee, reference=paid[0].reference)
    assert not services.warn_low_balance(kiosk, debited=fee, reference=paid[1].reference)
    assert len(sms("kiosks.low_balance", kiosk.owner_mobile)) == 1


def test_no_alert_for_a_debit_that_stays_above_or_was_already_below(
    kiosk, operator, citizen, other_citizen, service
):
    first = assisted_submitted(operator, citizen, service)
    second = assisted_submitted(operator, other_citizen, service)
    fund(kiosk, kiosk.low_balance_paise + 3 * first.fee_total)
    assert services.pay_assisted(operator, first, idempotency_key="a").is_paid
    assert sms("kiosks.low_balance", kiosk.owner_mobile) == []
    kiosk.low_balance_paise = 10**9  # far above: "already below" is no crossing
    kiosk.save(update_fields=["low_balance_paise"])
    assert services.pay_assisted(operator, second, idempotency_key="b").is_paid
    assert sms("kiosks.low_balance", kiosk.owner_mobile) == []


def test_a_mark_set_to_zero_never_alerts(kiosk, franchisee, operator, citizen, service):
    app = assisted_submitted(operator, citizen, service)
    wallet.set_low_balance_mark(franchisee, 0)
    fund(kiosk, app.fee_total)
    assert services.pay_assisted(operator, app, idempotency_key="a").is_paid
    assert services.wallet_balance(kiosk) == 0
    assert sms("kiosks.low_balance", kiosk.owner_mobile) == []


# --------------------------------------------------------------------------- deposits


def test_a_deposit_slip_is_recorded_with_its_reference_normalised(kiosk, franchisee):
    slip = submitted(franchisee, 1_23_456_78, reference=" sbin 4261-23456 ")
    assert slip.bank_reference == "SBIN4261-23456" and slip.status == WalletDeposit.Status.SUBMITTED
    assert slip.kiosk == kiosk and slip.submitted_by == franchisee
    assert AuditEvent.objects.filter(action="kiosks.deposit.submitted").count() == 1
    assert services.wallet_balance(kiosk) == 0  # nothing until staff verify it


def test_deposit_refusals(kiosk, franchisee, operator, other_kiosk):
    from .conftest import login

    def field_of(**kwargs) -> str:
        data = {
            "amount": 500_000,
            "bank_reference": f"UTR{next(_seq)}XX",
            "deposited_on": clock.today(),
        }
        data.update(kwargs)
        with pytest.raises(KioskError) as caught:
            wallet.submit_deposit(franchisee, **data)
        return caught.value.field

    assert field_of(deposited_on=clock.today() + dt.timedelta(days=1)) == "deposited_on"
    assert field_of(deposited_on=clock.today() - dt.timedelta(days=31)) == "deposited_on"
    assert field_of(amount=9_999) == "amount"
    assert field_of(amount=wallet.DEPOSIT_MAX + 1) == "amount"
    assert field_of(bank_reference="ab") == "bank_reference"
    assert field_of(bank_reference="UTR#1234") == "bank_reference"
    oldest = submitted(franchisee, days_ago=30)  # 30 days ago is still fine
    assert oldest.deposited_on == dt.date(2026, 5, 16)
    submitted(franchisee, reference="UTR555000111")
    assert field_of(bank_reference="utr555000111") == "bank_reference"  # one credit per reference
    other_owner = login(other_kiosk, "franchisee")
    with pytest.raises(KioskError, match="already been recorded"):
        submitted(other_owner, reference="UTR555000111")  # not from another kiosk either
    with pytest.raises(KioskError, match="owner"):
        submitted(operator)
    services.suspend(kiosk, reason="Inquiry", actor=staff())
    with pytest.raises(KioskSuspended):
        submitted(franchisee)


def test_verifying_a_deposit_credits_the_wallet_once(kiosk, franchisee):
    slip = submitted(franchisee, 750_000, reference="UTR900000001")
    ops = staff()
    slip = wallet.verify_deposit(ops, slip)
    assert slip.status == WalletDeposit.Status.VERIFIED and slip.decided_by == ops
    assert services.wallet_balance(kiosk) == 750_000
    entry = JournalEntry.objects.get(idempotency_key=f"deposit:{slip.pk}")
    assert slip.entry_id == entry.pk and entry.kind == "kiosk.deposit"
    assert entry.dimensions == "channel=kiosk;district=k-bhopal;purpose=kiosk_deposit"
    assert payments.balance_of("bank") == 750_000
    [message] = sms("kiosks.deposit_verified", kiosk.owner_mobile)
    assert message.params["reference"] == "UTR900000001"
    event = AuditEvent.objects.get(action="kiosks.deposit.verified")
    assert event.after["entry"] == entry.pk
    with pytest.raises(KioskError, match="already been verified"):
        wallet.verify_deposit(ops, slip)
    with pytest.raises(KioskError, match="already been verified"):
        wallet.reject_deposit(ops, slip, reason="Not found")
    assert services.wallet_balance(kiosk) == 750_000
    assert JournalEntry.objects.filter(idempotency_key__startswith="deposit:").count() == 1


def test_a_rejected_slip_is_not_verified_and_its_reference_may_be_sent_again(kiosk, franchisee):
    slip = submitted(franchisee, 500_000, reference="UTR900000002")
    ops = staff()
    with pytest.raises(KioskError) as caught:
        wallet.reject_deposit(ops, slip, reason="  ")
    assert caught.value.field == "reason"
    slip = wallet.reject_deposit(ops, slip, reason="No such UTR in the statement")
    assert slip.status == WalletDeposit.Status.REJECTED and slip.reason.startswith("No such")
    [message] = sms("kiosks.deposit_rejected", kiosk.owner_mobile)
    assert message.params["reason"] == "No such UTR in the statement"
    with pytest.raises(KioskError, match="rejected"):
        wallet.verify_deposit(ops, slip)
    assert services.wallet_balance(kiosk) == 0
    again = submitted(franchisee, 500_000, reference="UTR900000002")
    assert wallet.verify_deposit(ops, again).status == WalletDeposit.Status.VERIFIED
    assert services.wallet_balance(kiosk) == 500_000


def test_only_operator_staff_decide_deposits(kiosk, franchisee, operator, places):
    slip = submitted(franchisee)
    coordinator_here = staff(Role.DISTRICT_COORDINATOR, places.bhopal)
    coordinator_there = staff(Role.DISTRICT_COORDINATOR, places.indore)
    auditor = staff(Role.AUDITOR)
    for user in (franchisee, operator, coordinator_here, coordinator_there, auditor):
        with pytest.raises(KioskError, match="may not"):
            wallet.verify_deposit(user, slip)
        with pytest.raises(KioskError, match="may not"):
            wallet.reject_deposit(user, slip, reason="no")
    slip.refresh_from_db()
    assert slip.status == WalletDeposit.Status.SUBMITTED and services.wallet_balance(kiosk) == 0


def test_a_deposit_of_a_suspended_kiosk_can_still_be_credited(kiosk, franchisee):
    slip = submitted(franchisee, 300_000)
    ops = staff()
    services.suspend(kiosk, reason="Inquiry", actor=ops)
    wallet.verify_deposit(ops, slip)
    assert services.wallet_balance(kiosk) == 300_000


def test_the_queue_lists_waiting_slips_first(kiosk, franchisee, other_kiosk):
    from .conftest import login

    ops = staff()
    old = submitted(franchisee, reference="UTR100000001")
    clock.advance(minutes=5)
    decided = wallet.verify_deposit(ops, submitted(franchisee, reference="UTR100000002"))
    clock.advance(minutes=5)
    newer = submitted(login(other_kiosk, "franchisee"), reference="UTR100000003")
    assert list(wallet.deposit_queue()) == [newer, old, decided]
    assert list(wallet.deposit_queue(status="verified")) == [decided]
    assert list(wallet.deposit_queue(kiosk_code=other_kiosk.code.lower())) == [newer]


# --------------------------------------------------------------------------- the statement


def _refund_onto_the_wallet(payment: Payment):
    refund = payments.refund(
        payment, payment.amount, reason="Withdrawn by the applicant", idempotency_key="r1"
    )
    return payments.process_refund(refund)


@pytest.fixture
def busy(kiosk, franchisee, operator, citizen, other_citizen, service):
    """A month with a top-up, a deposit, two fees paid from the wallet and one refunded;
    and an earlier month with a deposit (it counts in the opening balance)."""
    ops = staff()
    clock.advance(days=-20)  # 26 May
    wallet.verify_deposit(ops, submitted(franchisee, 200_000, reference="UTR-MAY-1"))
    clock.advance(days=20)  # 15 June
    topup = top_up(franchisee, 300_000)
    clock.advance(minutes=5)
    wallet.verify_deposit(ops, submitted(franchisee, 100_000, reference="UTR-JUNE-1"))
    clock.advance(minutes=5)
    first = assisted_submitted(operator, citizen, service)
    paid = services.pay_assisted(operator, first, idempotency_key="one")
    clock.advance(minutes=5)
    second = assisted_submitted(operator, other_citizen, service)
    refunded = services.pay_assisted(operator, second, idempotency_key="two")
    clock.advance(minutes=5)
    refund = _refund_onto_the_wallet(refunded)
    return {
        "topup": topup,
        "first": first,
        "second": second,
        "paid": paid,
        "refunded": refunded,
        "refund": refund,
    }


def test_the_statement_says_each_line_in_words_with_a_running_balance(kiosk, busy, service):
    found = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    assert found.opening == 200_000
    lines = found.lines()
    words = [line.description for line in lines]
    fee = busy["paid"].amount
    assert words == [
        f"Top-up {busy['topup'].reference}",
        "Bank deposit UTR-JUNE-1",
        f"Application fee {busy['first'].number} for {service.name_en}",
        f"Application fee {busy['second'].number} for {service.name_en}",
        f"Refund {busy['refund'].reference}: Application fee {busy['second'].number} "
        f"for {service.name_en}",
    ]
    assert [line.credit for line in lines] == [300_000, 100_000, 0, 0, fee]
    assert [line.debit for line in lines] == [0, 0, fee, fee, 0]
    assert lines[0].reference == busy["topup"].reference and lines[1].reference == "UTR-JUNE-1"
    running = found.opening
    for line in lines:
        running += line.credit - line.debit
        assert line.balance == running
    assert found.closing == running == services.wallet_balance(kiosk) == 600_000 - fee
    assert found.total_credit - found.total_debit == found.closing - found.opening


def test_the_statement_in_hindi(kiosk, busy, service):
    from django.utils import translation

    found = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    with translation.override("hi"):
        words = [line.description for line in found.lines()]
    assert words[0] == f"रिचार्ज {busy['topup'].reference}"
    assert words[1] == "बैंक जमा UTR-JUNE-1"
    assert words[2] == f"{service.name('hi')} का आवेदन शुल्क {busy['first'].number}"


def test_a_statement_closes_at_the_ledgers_balance_of_its_last_day(kiosk, busy):
    may = wallet.statement(kiosk, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert (may.opening, may.closing, len(may.entries)) == (0, 200_000, 1)
    june = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert june.opening == may.closing
    quiet = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 10))
    assert quiet.entries == [] and quiet.opening == quiet.closing == 200_000
    with pytest.raises(KioskError):
        wallet.statement(kiosk, dt.date(2026, 6, 2), dt.date(2026, 6, 1))
    with pytest.raises(KioskError):
        wallet.statement(kiosk, dt.date(2025, 1, 1), dt.date(2026, 6, 1))


def test_a_refunded_topup_reads_as_refunded(kiosk, franchisee):
    payment = wallet.start_topup(franchisee, 100_000, token=token())
    payments.start_checkout(payment, return_url="/r/")
    services.suspend(kiosk, reason="Inquiry", actor=staff())
    payment.refresh_from_db()
    succeed(payment)
    found = wallet.statement(kiosk, *wallet.this_month())
    assert [line.description for line in found.lines()] == [
        f"Top-up {payment.reference}",
        f"Refunded: Top-up {payment.reference}",
    ]
    assert found.closing == 0


def test_the_csv_has_every_line_in_both_languages(kiosk, busy):
    found = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    rows = list(csv.reader(io.StringIO(wallet.statement_csv(found))))
    assert rows[1] == ["Kiosk", kiosk.code, kiosk.business_name]
    assert rows[2] == ["Period", "2026-06-01", "2026-06-15"]
    assert rows[3] == ["Opening balance (INR)", "2000.00"]
    assert rows[6] == ["Closing balance (INR)", wallet.rupees_text(found.closing)]
    header = rows[8]
    assert header[:5] == ["date", "time", "entry", "description", "विवरण"]
    body = rows[9:]
    assert len(body) == 5
    assert body[0][3] == f"Top-up {busy['topup'].reference}"
    assert body[0][4] == f"रिचार्ज {busy['topup'].reference}"
    assert body[0][0] == "2026-06-15" and body[0][1] == "10:00:00"
    assert (body[0][6], body[0][7], body[0][8]) == ("", "3000.00", "5000.00")
    assert body[-1][8] == wallet.rupees_text(found.closing)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_pdf_in_english_and_hindi(kiosk, busy):
    found = wallet.statement(kiosk, dt.date(2026, 6, 1), dt.date(2026, 6, 15))
    english = _pdf_text(wallet.statement_pdf(found, "en"))
    assert "Kioskwalletstatement" in english and kiosk.code in english
    assert "BankdepositUTR-JUNE-1" in english
    assert busy["topup"].reference in english
    assert "₹2,000.00" in english  # opening
    hindi = _pdf_text(wallet.statement_pdf(found, "hi"))
    assert "बैंकजमाUTR-JUNE-1" in hindi and "प्रारंभिकशेष" in hindi
