"""The whole demo leaves a ledger that ``ekseva ledger check`` passes; a deliberately
unbalanced entry written behind the services' back is then named by the check
(SQLite, or PostgreSQL before commit) and refused by PostgreSQL at commit."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from ekseva.ledger.models import Account, JournalEntry

from .conftest import raw_entry


def check() -> str:
    out = StringIO()
    call_command("ledger", "check", stdout=out)  # CommandError: a non-zero exit
    return out.getvalue()


def run_demo() -> tuple[Account, Account]:
    call_command("demo", stdout=StringIO())
    assert JournalEntry.objects.filter(reference__startswith="payment:").count() >= 10
    return Account.objects.get(code="gateway:sandbox"), Account.objects.get(code="operator_revenue")


@pytest.mark.django_db
def test_demo_ledger_passes_the_check_and_an_unbalanced_entry_is_named():
    gateway, revenue = run_demo()
    assert "ledger check passed" in check()
    with transaction.atomic():  # uncommitted: PostgreSQL would refuse it at commit
        entry_id = raw_entry([(gateway, 700), (revenue, -500)], key="raw-unbalanced")
        with pytest.raises(CommandError) as failed:
            check()
        assert f"entry #{entry_id} does not balance: its postings sum to 200" in str(failed.value)
        transaction.set_rollback(True)
    assert "ledger check passed" in check()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_the_unbalanced_entry_at_commit():
    gateway, revenue = run_demo()
    assert "ledger check passed" in check()
    entries = JournalEntry.objects.count()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw_entry([(gateway, 700), (revenue, -500)], key="raw-unbalanced")
    assert JournalEntry.objects.count() == entries
    assert "ledger check passed" in check()
