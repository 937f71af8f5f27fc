"""The core of the kiosk network: codes, consent, the assisted application paid
from the wallet, suspension, and one kiosk kept from another's work."""

from __future__ import annotations

import pytest

from ekseva.accounts.permissions import can
from ekseva.accounts.services import OtpError
from ekseva.applications.hooks import ACT, VIEW
from ekseva.applications.models import Status
from ekseva.core import ids
from ekseva.kiosks import services
from ekseva.kiosks.models import ConsentRequired, KioskSuspended
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.notifications.models import Message

from .conftest import assisted_submitted, consent_code, fund, give_consent


def test_a_kiosk_code_names_its_district_and_checks_itself(kiosk, other_kiosk):
    assert kiosk.code.startswith("K425") and other_kiosk.code.startswith("K438")
    assert ids.is_valid(kiosk.code) and ids.is_valid(other_kiosk.code)
    assert services.wallet_balance(kiosk) == 0


def test_walk_in_served_end_to_end_from_the_wallet(operator, kiosk, citizen, service):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    assert app.status == Status.FEE_PENDING and app.kiosk_code == kiosk.code
    assert app.applicant == citizen and app.channel == "kiosk"
    payment = services.pay_assisted(operator, app, idempotency_key="t1")
    again = services.pay_assisted(operator, app, idempotency_key="t1")
    assert payment.is_paid and again.pk == payment.pk
    app.refresh_from_db()
    assert app.paid_at is not None
    kiosk_line = next(line for line in app.fee_lines if line["code"] == "kiosk")
    assert services.wallet_balance(kiosk) == 100_000 - payment.amount
    commission = ledger_accounts.get_or_open("kiosk_commission_payable", kiosk.code)
    assert ledger_selectors.balance(commission) == kiosk_line["amount_paise"]


def test_no_consent_no_application(operator, citizen, service):
    with pytest.raises(ConsentRequired):
        services.start_assisted(operator, citizen, service)


def test_a_consent_code_sent_for_one_kiosk_does_not_serve_another(
    operator, other_operator, citizen
):
    services.request_consent(operator, citizen.mobile, ip="10.0.0.1")
    code = consent_code(citizen.mobile)
    with pytest.raises(OtpError):
        services.grant_consent(other_operator, citizen.mobile, code)
    consent = services.grant_consent(operator, citizen.mobile, code)
    assert consent.kiosk.code == services.require_kiosk(operator).code
    with pytest.raises(OtpError):  # and it is used up
        services.grant_consent(operator, citizen.mobile, code)


def test_consent_registers_a_first_time_citizen(operator):
    services.request_consent(operator, "9123400001", ip=None)
    consent = services.grant_consent(operator, "9123400001", consent_code("9123400001"))
    assert consent.citizen.mobile == "9123400001"


def test_one_kiosk_cannot_see_or_act_on_anothers_applications(
    operator, other_operator, kiosk, citizen, service
):
    app = assisted_submitted(operator, citizen, service)
    assert can(operator, VIEW, app) and can(operator, ACT, app)
    assert not can(other_operator, VIEW, app) and not can(other_operator, ACT, app)
    give_consent(other_operator, citizen)
    with pytest.raises(Exception, match="No such application"):
        services.pay_assisted(other_operator, app, idempotency_key="x")


def test_a_suspended_kiosk_cannot_transact(operator, kiosk, citizen, service, places):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    staff = _staff()
    services.suspend(kiosk, reason="Overcharging found on inspection", actor=staff)
    with pytest.raises(KioskSuspended):
        services.pay_assisted(operator, app, idempotency_key="t1")
    assert can(operator, VIEW, app) and not can(operator, ACT, app)
    services.reinstate(kiosk, reason="Penalty paid", actor=staff)
    assert services.pay_assisted(operator, app, idempotency_key="t1").is_paid


def test_the_wallet_guard_refuses_a_suspended_kiosks_payment(operator, kiosk, citizen, service):
    from ekseva.applications import services as applications
    from ekseva.payments import services as payments

    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    payment = applications.start_payment(
        app, idempotency_key="direct", actor=operator, gateway="wallet"
    )
    services.suspend(kiosk, reason="Under inquiry", actor=_staff())
    payment = payments.pay_from_wallet(payment)
    assert payment.status == "failed" and services.wallet_balance(kiosk) == 100_000


def test_low_balance_sms_once_when_the_mark_is_crossed(operator, kiosk, citizen, service):
    app = assisted_submitted(operator, citizen, service)
    fund(kiosk, kiosk.low_balance_paise + app.fee_total - 1)  # one paisa short of the mark after
    assert services.pay_assisted(operator, app, idempotency_key="t1").is_paid
    services.pay_assisted(operator, app, idempotency_key="t1")
    sms = Message.objects.filter(template="kiosks.low_balance", recipient=kiosk.owner_mobile)
    assert sms.count() == 1


def _staff():
    from ekseva.accounts.models import Posting, Role, User

    user = User.objects.create_user("ops.kiosks", "x-pass-2026-long")
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user
