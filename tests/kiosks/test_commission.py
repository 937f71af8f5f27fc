"""Kiosk commission: monthly statements with TDS (first cut)."""

from __future__ import annotations

import datetime as dt

import pytest

from ekseva.kiosks import commission, services
from ekseva.kiosks.models import KioskError
from ekseva.ledger import selectors as ledger_selectors

from .conftest import assisted_submitted, fund

JUNE = dt.date(2026, 6, 1)


def kiosk_charge(app) -> int:
    return next(line["amount_paise"] for line in app.fee_lines if line["code"] == "kiosk")


def test_a_month_with_a_paid_application_gets_a_statement(
    operator, kiosk, citizen, service, frozen_clock
):
    fund(kiosk, 100_000)
    app = assisted_submitted(operator, citizen, service)
    assert services.pay_assisted(operator, app, idempotency_key="t1").is_paid
    with pytest.raises(KioskError):
        commission.make_statements(JUNE)
    frozen_clock.advance(days=20)
    [statement] = commission.make_statements(JUNE)
    charge = kiosk_charge(app)
    assert statement.gross == charge and statement.transactions == 1
    assert statement.tds == commission.tds_of(charge, 200)
    assert statement.net == charge - statement.tds
    assert commission.make_statements(JUNE) == [statement]
    account = commission.commission_account(kiosk)
    assert ledger_selectors.balance(account) == statement.net
