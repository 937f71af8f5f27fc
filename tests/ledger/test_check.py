"""``ekseva ledger check`` passes on sound data and names each kind of damage."""

from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ekseva.ledger import services

from .conftest import raw_entry, top_up


def check() -> str:
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    return out.getvalue()


def sound_ledger(chart):
    top_up(chart, 10000)
    services.post(
        "wallet.debit",
        [(chart["wallet"], 4000), (chart["dept"], -3500), (chart["commission"], -500)],
        idempotency_key="d1",
        dimensions={"department": "LSG"},
    )
    services.snapshot_balances()
    services.post(
        "wallet.debit",
        [(chart["wallet"], 1000), (chart["revenue"], -1000)],
        idempotency_key="d2",
    )


def test_check_passes_on_sound_data(chart):
    sound_ledger(chart)
    assert "ledger check passed" in check()


def test_check_passes_on_an_empty_ledger(db):
    assert "ledger check passed" in check()


@contextmanager
def uncommitted():
    """Damage that PostgreSQL's deferred trigger would refuse at commit: keep it in
    a savepoint rolled back afterwards, so the check sees it on both databases."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def test_check_fails_on_an_unbalanced_raw_insert(chart):
    sound_ledger(chart)
    with uncommitted():
        entry_id = raw_entry([(chart["gateway"], 700), (chart["dept"], -500)])
        with pytest.raises(
            CommandError, match=rf"entry #{entry_id} does not balance: .* sum to 200"
        ):
            check()
    assert "ledger check passed" in check()


def test_check_fails_on_an_entry_without_enough_postings(chart):
    with uncommitted(), pytest.raises(CommandError) as failed:
        lonely = raw_entry([], key="raw-empty")
        single = raw_entry([(chart["gateway"], 5)], key="raw-single")
        check()
    assert f"entry #{lonely} has no postings" in str(failed.value)
    assert f"entry #{single} does not balance" in str(failed.value)


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_check_fails_on_a_wallet_row_that_disagrees(chart):
    sound_ledger(chart)
    _raw("UPDATE ledger_walletbalance SET balance = 99 WHERE account_id = %s", [chart["wallet"].pk])
    with pytest.raises(CommandError, match="wallet balance row says 99, postings say 5000"):
        check()


def test_check_fails_on_a_wallet_below_zero(chart):
    """A raw (balanced) entry that takes more from the wallet than it holds."""
    top_up(chart, 100)
    raw_entry([(chart["wallet"], 300), (chart["revenue"], -300)])
    with pytest.raises(CommandError) as failed:
        check()
    assert "kiosk_wallet:K0001 is below zero: its postings give -200" in str(failed.value)
    assert "wallet balance row says 100, postings say -200" in str(failed.value)


def test_check_fails_on_a_tampered_snapshot(chart):
    sound_ledger(chart)
    _raw(
        "UPDATE ledger_balancesnapshot SET balance = balance + 1 WHERE account_id = %s",
        [chart["dept"].pk],
    )
    with pytest.raises(
        CommandError, match=r"snapshot of dept_payable:LSG as of posting \d+ says 3501"
    ):
        check()


def test_check_fails_on_a_tampered_rollup(chart):
    sound_ledger(chart)
    _raw(
        "UPDATE ledger_dailyrollup SET credits = credits + 5 WHERE account_id = %s",
        [chart["revenue"].pk],
    )
    with pytest.raises(
        CommandError,
        match=r"rollup .* operator_revenue \[\] shard \d: .* "
        r"recorded \(0, 1005, 1\), postings give \(0, 1000, 1\)",
    ):
        check()


def test_check_names_a_missing_rollup(chart):
    """A raw balanced entry leaves no rollup behind: the check sees the gap."""
    raw_entry([(chart["gateway"], 5), (chart["revenue"], -5)])
    with pytest.raises(CommandError, match=r"recorded \(0, 0, 0\), postings give \(5, 0, 1\)"):
        check()


def test_snapshot_command(chart):
    top_up(chart, 100)
    out = StringIO()
    call_command("ledger", "snapshot", stdout=out)
    assert out.getvalue().strip() == "wrote 2 snapshot(s)"
