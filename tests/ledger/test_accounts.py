"""The chart of accounts: codes, normal sides, owners, idempotent opening."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from ekseva.ledger import accounts
from ekseva.ledger.accounts import AccountError
from ekseva.ledger.models import Account, WalletBalance


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "owner", "code", "side", "may_go_negative"),
    [
        ("gateway_clearing", "razorpay", "gateway:razorpay", "debit", True),
        ("department_payable", "LSG", "dept_payable:LSG", "credit", True),
        ("operator_revenue", "", "operator_revenue", "credit", True),
        ("gst_payable", "", "gst_payable", "credit", True),
        ("kiosk_wallet", "K0001", "kiosk_wallet:K0001", "credit", False),
        ("kiosk_commission_payable", "K0001", "kiosk_commission:K0001", "credit", True),
        ("tds_payable", "", "tds_payable", "credit", True),
        ("refunds_payable", "", "refunds_payable", "credit", True),
        ("bank", "", "bank", "debit", True),
        ("bank", "SBI-escrow", "bank:SBI-escrow", "debit", True),
    ],
)
def test_chart(kind, owner, code, side, may_go_negative):
    account = accounts.get_or_open(kind, owner)
    assert (account.code, account.normal_side, account.may_go_negative) == (
        code,
        side,
        may_go_negative,
    )
    assert account.sign == (1 if side == "debit" else -1)
    # Only an account that must not go negative has a locked balance row.
    assert WalletBalance.objects.filter(account=account).exists() is (not may_go_negative)


@pytest.mark.django_db
def test_get_or_open_is_idempotent():
    first = accounts.get_or_open("kiosk_wallet", "K0009")
    again = accounts.get_or_open("kiosk_wallet", "K0009")
    assert first.pk == again.pk
    assert Account.objects.count() == 1
    assert WalletBalance.objects.count() == 1
    assert accounts.get_or_open("kiosk_wallet", "K0010").pk != first.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "owner", "message"),
    [
        ("petty_cash", "", "unknown account kind"),
        ("kiosk_wallet", "", "needs an owner"),
        ("department_payable", "", "needs an owner"),
        ("operator_revenue", "LSG", "has no owner"),
        ("department_payable", "L S G", "bad owner key"),
        ("gateway_clearing", "x" * 61, "bad owner key"),
        ("gateway_clearing", "-razorpay", "bad owner key"),
    ],
)
def test_bad_kind_or_owner_refused(kind, owner, message):
    with pytest.raises(AccountError, match=message) as refused:
        accounts.get_or_open(kind, owner)
    assert refused.value.hi
    assert not Account.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_opening_gives_one_account():
    def open_it(_):
        try:
            return accounts.get_or_open("kiosk_wallet", "K0777").pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = set(pool.map(open_it, range(32)))
    assert len(ids) == 1
    assert Account.objects.count() == 1
    assert WalletBalance.objects.count() == 1
