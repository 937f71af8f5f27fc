"""Ledger fixtures: a small chart of accounts and a way to write behind the
service's back (raw SQL), as a bug or a careless operator would."""

from __future__ import annotations

import pytest
from django.db import connection

from ekseva.core import clock
from ekseva.ledger import accounts, services
from ekseva.ledger.models import Account


@pytest.fixture
def chart(db):
    """A gateway, a department, a kiosk's wallet and commission, revenue, GST."""
    return {
        "gateway": accounts.get_or_open("gateway_clearing", "sandbox"),
        "dept": accounts.get_or_open("department_payable", "LSG"),
        "revenue": accounts.get_or_open("operator_revenue"),
        "gst": accounts.get_or_open("gst_payable"),
        "wallet": accounts.get_or_open("kiosk_wallet", "K0001"),
        "commission": accounts.get_or_open("kiosk_commission_payable", "K0001"),
        "bank": accounts.get_or_open("bank"),
    }


def top_up(chart: dict[str, Account], paise: int, key: str = "topup-1"):
    """Money in through the gateway onto the kiosk wallet."""
    return services.post(
        "wallet.topup", [(chart["gateway"], paise), (chart["wallet"], -paise)], idempotency_key=key
    )


def raw_entry(postings: list[tuple[Account, int]], key: str = "raw-1") -> int:
    """Insert an entry and its postings with raw SQL, bypassing every check in Python."""
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journalentry (created_at, day, kind, memo, reference, "
            "idempotency_key, lines_digest, dimensions) VALUES (%s, %s, %s, '', '', %s, '', '') "
            "RETURNING id",
            [
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datefield_value(clock.today()),
                "raw",
                key,
            ],
        )
        entry_id = cursor.fetchone()[0]
        for account, amount in postings:
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount) VALUES (%s, %s, %s)",
                [entry_id, account.pk, amount],
            )
    return entry_id
