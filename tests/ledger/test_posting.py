"""Posting entries: balanced only, integer paise, idempotent, wallets never
negative, append-only, reversals, one audit event per entry."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ekseva.core.models import AuditEvent
from ekseva.ledger import selectors, services
from ekseva.ledger.models import (
    Account,
    DailyRollup,
    ImmutableLedgerError,
    JournalEntry,
    Posting,
    WalletBalance,
)
from ekseva.ledger.services import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidEntry,
    UnbalancedEntry,
)

from .conftest import top_up


def fee_split(chart, key="pay-1", total=11800):
    """A citizen's fee through the gateway, shared out: department, revenue, GST."""
    return services.post(
        "payment.success",
        [
            (chart["gateway"], total),
            (chart["dept"], -10000),
            (chart["revenue"], -1000),
            (chart["gst"], -(total - 11000)),
        ],
        idempotency_key=key,
        memo="fee for an application",
        reference="payment:1",
        dimensions={"department": "LSG", "channel": "online"},
    )


def test_balanced_entry_is_written(chart, frozen_clock):
    entry = fee_split(chart)
    assert entry.kind == "payment.success"
    assert entry.created_at == frozen_clock.now()
    assert entry.day == frozen_clock.today()
    assert entry.dimensions == "channel=online;department=LSG"
    assert sorted(entry.postings.values_list("account__code", "amount")) == [
        ("dept_payable:LSG", -10000),
        ("gateway:sandbox", 11800),
        ("gst_payable", -800),
        ("operator_revenue", -1000),
    ]
    # Normal-side balances: the gateway owes us, we owe the department.
    assert selectors.balance(chart["gateway"]) == 11800
    assert selectors.balance(chart["dept"]) == 10000
    assert selectors.balance(chart["revenue"]) == 1000
    events = AuditEvent.objects.filter(action="ledger.entry.posted")
    assert events.count() == 1
    assert events.get().object_id == str(entry.pk)
    assert events.get().after == {
        "kind": "payment.success",
        "key": "pay-1",
        "debits": 11800,
        "postings": 4,
    }


def test_unbalanced_entry_refused_by_service(chart):
    with pytest.raises(UnbalancedEntry, match="sum to 1 paise") as refused:
        services.post(
            "payment.success",
            [(chart["gateway"], 1001), (chart["dept"], -1000)],
            idempotency_key="k",
        )
    assert "योग" in refused.value.hi
    assert not JournalEntry.objects.exists()
    assert not Posting.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="ledger").exists()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "needs postings"),
        ([("gateway", 0), ("dept", 0)], "non-zero"),
        ([("gateway", 10.0), ("dept", -10.0)], "integer paise, not float"),
        ([("gateway", Decimal(10)), ("dept", Decimal(-10))], "not Decimal"),
        ([("gateway", True), ("dept", -1)], "not bool"),
        ([("gateway", "10"), ("dept", "-10")], "not str"),
        ([("gateway", 10**16), ("dept", -(10**16))], "at most"),
        ([("gateway",)], "a line is"),
    ],
)
def test_bad_lines_refused(chart, lines, message):
    resolved = [(chart[line[0]], *line[1:]) for line in lines]
    with pytest.raises(InvalidEntry, match=message):
        services.post("x", resolved, idempotency_key="k")
    assert not JournalEntry.objects.exists()


def test_unsaved_account_and_bad_kind_and_key_refused(chart):
    good = [(chart["gateway"], 5), (chart["dept"], -5)]
    with pytest.raises(InvalidEntry, match="not a stored account"):
        services.post("x", [(Account(code="x"), 5), (chart["dept"], -5)], idempotency_key="k")
    with pytest.raises(InvalidEntry, match="bad kind"):
        services.post("Payment Success", good, idempotency_key="k")
    with pytest.raises(InvalidEntry, match="idempotency key is required"):
        services.post("x", good, idempotency_key="")
    with pytest.raises(InvalidEntry, match="bad idempotency_key"):
        services.post("x", good, idempotency_key="k" * 101)
    with pytest.raises(InvalidEntry, match="bad dimension"):
        services.post("x", good, idempotency_key="k", dimensions={"Dept": "LSG"})
    assert not JournalEntry.objects.exists()


def test_same_key_same_lines_returns_first_entry(chart):
    first = fee_split(chart)
    again = services.post(
        "payment.success",
        [  # the same lines in another order
            (chart["gst"], -800),
            (chart["revenue"], -1000),
            (chart["dept"], -10000),
            (chart["gateway"], 11800),
        ],
        idempotency_key="pay-1",
        dimensions={"channel": "online", "department": "LSG"},
    )
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert Posting.objects.count() == 4
    assert AuditEvent.objects.filter(action="ledger.entry.posted").count() == 1
    assert selectors.balance(chart["gateway"]) == 11800
    assert sum(DailyRollup.objects.values_list("count", flat=True)) == 4


def test_same_key_different_lines_refused(chart):
    fee_split(chart)
    with pytest.raises(IdempotencyConflict, match="already used for entry") as refused:
        fee_split(chart, total=11900)
    assert refused.value.hi
    with pytest.raises(IdempotencyConflict):
        services.post(
            "payment.other",  # same postings, another kind
            [
                (chart["gateway"], 11800),
                (chart["dept"], -10000),
                (chart["revenue"], -1000),
                (chart["gst"], -800),
            ],
            idempotency_key="pay-1",
            dimensions={"department": "LSG", "channel": "online"},
        )
    assert JournalEntry.objects.count() == 1


def test_wallet_may_not_go_below_zero(chart):
    top_up(chart, 5000)
    debit = [(chart["wallet"], 5000), (chart["revenue"], -5000)]
    services.post("wallet.debit", debit, idempotency_key="d1")
    assert selectors.wallet_balance(chart["wallet"]) == 0
    with pytest.raises(InsufficientFunds) as refused:
        services.post(
            "wallet.debit", [(chart["wallet"], 1), (chart["revenue"], -1)], idempotency_key="d2"
        )
    assert refused.value.en == (
        "Not enough money in the wallet kiosk_wallet:K0001: balance ₹0.00, needed ₹0.01."
    )
    assert refused.value.hi == (
        "वॉलेट kiosk_wallet:K0001 में पर्याप्त राशि नहीं है: शेष ₹0.00, आवश्यक ₹0.01।"
    )
    assert (refused.value.available, refused.value.needed) == (0, 1)
    assert JournalEntry.objects.count() == 2
    row = WalletBalance.objects.get(account=chart["wallet"])
    assert (row.balance, row.version) == (0, 2)


def test_wallet_debit_query_budget(chart, django_assert_max_num_queries):
    """The hot path: key lookup, wallet lock, entry (in a savepoint), postings, wallet
    row, audit, rollups, and the savepoint the test transaction turns post() into."""
    top_up(chart, 5000)
    with django_assert_max_num_queries(11):
        services.post(
            "wallet.debit",
            [(chart["wallet"], 100), (chart["revenue"], -100)],
            idempotency_key="d1",
        )


def test_no_balance_row_touched_for_other_accounts(chart, django_assert_num_queries):
    """A fee split with no wallet updates no balance row, and locks nothing."""
    fee_split(chart, key="warm-up")
    with django_assert_num_queries(9) as ctx:
        fee_split(chart)
    statements = [query["sql"].upper() for query in ctx.captured_queries]
    assert not any("FOR UPDATE" in sql for sql in statements)
    assert not any(sql.startswith("UPDATE") for sql in statements)


def test_entries_and_postings_cannot_be_changed_by_the_orm(chart):
    entry = fee_split(chart)
    posting = entry.postings.first()
    entry.memo = "edited"
    with pytest.raises(ImmutableLedgerError, match="never changed"):
        entry.save()
    posting.amount = 1
    with pytest.raises(ImmutableLedgerError):
        posting.save()
    with pytest.raises(ImmutableLedgerError):
        posting.delete()
    with pytest.raises(ImmutableLedgerError):
        entry.delete()
    with pytest.raises(ImmutableLedgerError):
        Posting.objects.filter(pk=posting.pk).update(amount=5)
    with pytest.raises(ImmutableLedgerError):
        JournalEntry.objects.all().delete()
    assert JournalEntry.objects.get().memo == "fee for an application"


@pytest.mark.parametrize("table", ["ledger_journalentry", "ledger_posting"])
def test_raw_update_refused_by_the_database(chart, table):
    fee_split(chart)
    column = "memo = 'x'" if table == "ledger_journalentry" else "amount = amount + 1"
    with (
        pytest.raises(DatabaseError, match="never changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column}")


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["ledger_posting", "ledger_journalentry"])
def test_raw_delete_refused_by_postgresql(chart, table):
    fee_split(chart)
    with (
        pytest.raises(DatabaseError, match="never changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")


def test_reversal_writes_the_opposite_entry(chart, frozen_clock):
    entry = fee_split(chart)
    frozen_clock.advance(days=1)
    reversal = services.reverse(entry, "charged twice")
    assert reversal.reverses == entry
    assert reversal.kind == "reversal"
    assert reversal.memo == f"reversal of #{entry.pk}: charged twice"
    assert reversal.reference == entry.reference
    assert reversal.day == frozen_clock.today()
    original = dict(entry.postings.values_list("account_id", "amount"))
    opposite = dict(reversal.postings.values_list("account_id", "amount"))
    assert opposite == {account: -amount for account, amount in original.items()}
    for name in ("gateway", "dept", "revenue", "gst"):
        assert selectors.balance(chart[name]) == 0
    event = AuditEvent.objects.get(action="ledger.entry.reversed")
    assert event.before == {"entry": entry.pk, "reason": "charged twice"}
    # Once only: asking again returns the same reversal, nothing is written.
    assert services.reverse(entry, "charged twice").pk == reversal.pk
    assert JournalEntry.objects.count() == 2
    assert AuditEvent.objects.filter(action__startswith="ledger.").count() == 2


def test_reversal_refusals(chart):
    entry = top_up(chart, 5000)
    with pytest.raises(InvalidEntry, match="needs a reason"):
        services.reverse(entry, "  ")
    services.post(
        "wallet.debit", [(chart["wallet"], 3000), (chart["revenue"], -3000)], idempotency_key="d"
    )
    # The money already left the wallet: undoing the top-up would make it negative.
    with pytest.raises(InsufficientFunds):
        services.reverse(entry, "top-up bounced")
    debit = JournalEntry.objects.get(idempotency_key="d")
    reversal = services.reverse(debit, "service not delivered")
    with pytest.raises(InvalidEntry, match="itself a reversal"):
        services.reverse(reversal, "oops")
    assert selectors.wallet_balance(chart["wallet"]) == 5000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_raw_insert_at_commit(chart):
    from .conftest import raw_entry

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw_entry([(chart["gateway"], 500), (chart["dept"], -400)])
    with pytest.raises(IntegrityError, match="at least two postings"), transaction.atomic():
        raw_entry([], key="raw-empty")
    assert not JournalEntry.objects.exists()
    # A balanced raw insert commits: the trigger checks the sum, not the author.
    with transaction.atomic():
        raw_entry([(chart["gateway"], 500), (chart["dept"], -500)], key="raw-ok")
    assert JournalEntry.objects.count() == 1


def test_a_wallet_is_locked_by_the_entrys_last_writes(chart, django_assert_max_num_queries):
    """The balance row's lock is taken late: after the entry and its audit event,
    followed only by the postings and the rollups (so a busy wallet is held for
    them and the commit, and its postings are numbered in the order it moved)."""
    top_up(chart, 5000)
    with django_assert_max_num_queries(11) as ctx:
        services.post(
            "wallet.debit", [(chart["wallet"], 100), (chart["revenue"], -100)], idempotency_key="d1"
        )
    statements = [query["sql"].upper() for query in ctx.captured_queries]
    lock = next(i for i, sql in enumerate(statements) if "LEDGER_WALLETBALANCE" in sql)
    assert statements[lock].startswith("UPDATE")
    assert "SELECT" not in statements[lock].split("WHERE")[0]  # no SELECT .. FOR UPDATE
    before = " ".join(statements[:lock])
    assert 'INSERT INTO "LEDGER_JOURNALENTRY"' in before
    assert 'INSERT INTO "CORE_AUDITEVENT"' in before
    after = [sql.split()[0] for sql in statements[lock + 1 :]]
    assert 'INSERT INTO "LEDGER_POSTING"' in statements[lock + 1]
    assert "LEDGER_DAILYROLLUP" in statements[lock + 2]
    assert all(word in ("INSERT", "RELEASE", "SAVEPOINT") for word in after)


def test_a_refused_debit_leaves_nothing_and_its_key_free(chart):
    """The entry and its audit event are written before the wallet refuses: the
    refusal rolls them back, and the same key may be used again."""
    top_up(chart, 50)
    events = AuditEvent.objects.count()
    with pytest.raises(InsufficientFunds):
        services.post(
            "wallet.debit", [(chart["wallet"], 100), (chart["revenue"], -100)], idempotency_key="k"
        )
    assert not JournalEntry.objects.filter(idempotency_key="k").exists()
    assert AuditEvent.objects.count() == events
    top_up(chart, 50, key="topup-2")
    entry = services.post(
        "wallet.debit", [(chart["wallet"], 100), (chart["revenue"], -100)], idempotency_key="k"
    )
    assert entry.idempotency_key == "k" and selectors.wallet_balance(chart["wallet"]) == 0
    row = WalletBalance.objects.get(account=chart["wallet"])
    assert row.version == 3  # two top-ups and the debit; the refusal moved nothing
