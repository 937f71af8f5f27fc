"""Reconciliation of gateway settlement files: every category, late successes
resolved through the file, the settlement posted once, bad files refused whole."""

from __future__ import annotations

import datetime as dt

import pytest

from ekseva.core import clock
from ekseva.core.models import AuditEvent
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments import reconcile, services
from ekseva.payments.models import (
    ItemCategory,
    Outcome,
    PaymentError,
    PaymentEvent,
    ReconciliationItem,
    ReconciliationRun,
    RefundStatus,
    Status,
)

from .conftest import make_payment, settlement_csv, succeed

pytestmark = pytest.mark.django_db

AMOUNT = 12360  # FEE_LINES
FEE = AMOUNT * 236 // 10000  # the settling gateway's expected fee: 291
TODAY = "2026-06-15"


def paid(target: str, payment_id: str):
    payment = make_payment(target=target)
    return succeed(payment, payment_id=payment_id)


def open_payment(target: str):
    payment = make_payment(target=target)
    services.start_checkout(payment, return_url="/back/")
    payment.refresh_from_db()
    return payment


def row(payment, payment_id=None, *, amount=AMOUNT, fee=FEE, day=TODAY, sid="setl_1", order=None):
    """A payment line of the settlement file for ``payment``."""
    return (
        sid,
        day,
        "payment",
        payment.gateway_order_id if order is None else order,
        payment.gateway_payment_id if payment_id is None else payment_id,
        "",
        amount,
        fee,
        fee * 18 // 118,
    )


def refund_row(order, payment_id, refund_id, amount, *, day=TODAY, sid="setl_1", fee=0):
    return (sid, day, "refund", order, payment_id, refund_id, amount, fee, 0)


def clearing() -> int:
    return services.balance_of("gateway_clearing", "fake")


def settlement_entries():
    return JournalEntry.objects.filter(kind=reconcile.SETTLEMENT_KIND)


def only_item(run) -> ReconciliationItem:
    return run.items.get()


@pytest.fixture(autouse=True)
def _clock(frozen_clock):
    return frozen_clock


# --- matched ---------------------------------------------------------------------------


def test_matched_row_posts_net_fee_and_gross_once(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    assert clearing() == AMOUNT
    run = reconcile.import_file("fake", "settle.csv", settlement_csv(row(payment)))
    assert run.replayed is False
    item = only_item(run)
    assert item.category == ItemCategory.MATCHED
    assert (item.line, item.payment, item.gateway_payment_id) == (2, payment, "pay_1")
    assert (item.file_amount, item.ledger_amount, item.file_fee, item.expected_fee) == (
        AMOUNT,
        AMOUNT,
        FEE,
        FEE,
    )
    entry = JournalEntry.objects.get(idempotency_key="settlement:fake:pay_1")
    assert entry.kind == "gateway.settlement"
    postings = {p.account.code: p.amount for p in entry.postings.select_related("account")}
    assert postings == {"bank": AMOUNT - FEE, "gateway_fees:fake": FEE, "gateway:fake": -AMOUNT}
    assert entry.dimensions == (
        "channel=online;department=LSG;district=BPL;purpose=test_fee;service=income-certificate"
    )
    assert clearing() == 0
    assert services.balance_of("bank") == AMOUNT - FEE
    assert services.balance_of("gateway_fees", "fake") == FEE
    assert (run.gross, run.fees, run.net, run.rows) == (AMOUNT, FEE, AMOUNT - FEE, 1)
    assert run.summary["matched"] == 1
    assert sum(run.summary.values()) == 1
    assert str(run.period_start) == str(run.period_end) == TODAY
    assert not reconcile.needs_attention(run)
    event = AuditEvent.objects.get(action="payments.reconciliation.imported")
    assert event.object_id == str(run.pk)
    assert event.after["summary"]["matched"] == 1
    assert verify() == []


def test_fee_other_than_expected_is_fee_differs_but_still_settled(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, fee=500)))
    item = only_item(run)
    assert item.category == ItemCategory.FEE_DIFFERS
    assert (item.file_fee, item.expected_fee) == (500, FEE)
    assert "₹5.00" in item.note and "₹2.91" in item.note
    assert reconcile.needs_attention(run)
    assert services.balance_of("gateway_fees", "fake") == 500
    assert services.balance_of("bank") == AMOUNT - 500
    assert clearing() == 0
    assert verify() == []


def test_unknown_expected_fee_is_not_a_difference(settling_gateway, effects):
    settling_gateway.expected_fee = lambda amount, method: None
    payment = paid("APP1", "pay_1")
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, fee=999)))
    assert only_item(run).category == ItemCategory.MATCHED
    assert only_item(run).expected_fee is None


def test_payment_found_by_order_id_when_the_payment_id_is_new_here(settling_gateway, effects):
    payment = make_payment(target="APP1")
    services.start_checkout(payment, return_url="/back/")
    payment.refresh_from_db()
    services.apply_result(
        payment,
        services.GatewayResult(
            status="succeeded", order_id=payment.gateway_order_id, amount=AMOUNT
        ),
        source="webhook",
    )
    payment.refresh_from_db()
    assert payment.gateway_payment_id == ""
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, "pay_9")))
    item = only_item(run)
    assert item.category == ItemCategory.MATCHED and item.payment == payment
    assert JournalEntry.objects.filter(idempotency_key="settlement:fake:pay_9").exists()


# --- differences -----------------------------------------------------------------------


def test_amount_other_than_the_payment_is_amount_differs_and_posts_nothing(
    settling_gateway, effects
):
    payment = paid("APP1", "pay_1")
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, amount=12000)))
    item = only_item(run)
    assert item.category == ItemCategory.AMOUNT_DIFFERS
    assert (item.file_amount, item.ledger_amount) == (12000, AMOUNT)
    assert "₹120.00" in item.note and "₹123.60" in item.note
    assert not settlement_entries().exists()
    assert clearing() == AMOUNT
    assert reconcile.needs_attention(run)


def test_amount_differs_on_an_open_payment_applies_no_success(settling_gateway, effects):
    payment = open_payment("APP1")
    run = reconcile.import_file(
        "fake", "f.csv", settlement_csv(row(payment, "pay_1", amount=AMOUNT + 1))
    )
    assert only_item(run).category == ItemCategory.AMOUNT_DIFFERS
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert effects.done == {}
    assert services.succeeded_effects(payment) == 0


def test_row_for_no_payment_here_is_not_in_ledger(settling_gateway, effects):
    text = settlement_csv(("setl_1", TODAY, "payment", "order_x", "pay_x", "", 5000, 118, 18))
    run = reconcile.import_file("fake", "f.csv", text)
    item = only_item(run)
    assert item.category == ItemCategory.NOT_IN_LEDGER
    assert (item.payment, item.order_id, item.gateway_payment_id) == (None, "order_x", "pay_x")
    assert item.file_amount == 5000
    assert not settlement_entries().exists()
    assert reconcile.needs_attention(run)


def test_second_capture_on_a_paid_order_is_not_in_ledger(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    run = reconcile.import_file(
        "fake", "f.csv", settlement_csv(row(payment), row(payment, "pay_2"))
    )
    first, second = run.items.order_by("line")
    assert first.category == ItemCategory.MATCHED
    assert second.category == ItemCategory.NOT_IN_LEDGER
    assert second.payment == payment and second.gateway_payment_id == "pay_2"
    assert "taken twice" in second.note
    assert settlement_entries().count() == 1
    assert clearing() == 0


def test_paid_payment_missing_from_the_file_is_not_in_file(settling_gateway, effects):
    settled, missing = paid("APP1", "pay_1"), paid("APP2", "pay_2")
    clock.advance(days=-1)
    yesterday = paid("APP3", "pay_3")  # outside the file's one day
    clock.advance(days=1)
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(settled)))
    items = {item.category: item for item in run.items.all()}
    assert set(items) == {ItemCategory.MATCHED, ItemCategory.NOT_IN_FILE}
    gone = items[ItemCategory.NOT_IN_FILE]
    assert (gone.payment, gone.line, gone.ledger_amount) == (missing, None, AMOUNT)
    assert gone.gateway_payment_id == "pay_2"
    assert reconcile.needs_attention(run)
    # What is still unsettled stays in the gateway's clearing account.
    assert clearing() == 2 * AMOUNT
    # The days covered can be given: then yesterday's payment is missing too.
    run = reconcile.import_file(
        "fake",
        "f2.csv",
        settlement_csv(row(settled, sid="setl_2")),
        period_start=dt.date(2026, 6, 14),
        period_end=dt.date(2026, 6, 15),
    )
    missing_now = set(
        run.items.filter(category=ItemCategory.NOT_IN_FILE).values_list("payment", flat=True)
    )
    assert missing_now == {missing.pk, yesterday.pk}


def test_a_payment_settled_by_an_earlier_file_is_not_missing_from_a_later_one(
    settling_gateway, effects
):
    first, second = paid("APP1", "pay_1"), paid("APP2", "pay_2")
    reconcile.import_file("fake", "a.csv", settlement_csv(row(first, sid="a")))
    run = reconcile.import_file("fake", "b.csv", settlement_csv(row(second, sid="b")))
    assert run.summary["not_in_file"] == 0
    assert run.summary["matched"] == 1
    assert not reconcile.needs_attention(run)
    assert clearing() == 0


def test_a_period_that_ends_before_it_starts_is_refused(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    with pytest.raises(PaymentError):
        reconcile.import_file(
            "fake",
            "f.csv",
            settlement_csv(row(payment)),
            period_start=dt.date(2026, 6, 16),
            period_end=dt.date(2026, 6, 15),
        )
    assert not ReconciliationRun.objects.exists()


# --- late success ----------------------------------------------------------------------


def test_the_file_resolves_a_late_success_once(settling_gateway, effects):
    payment = open_payment("APP1")
    services.expire(payment)
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED
    text = settlement_csv(row(payment, "pay_late"))
    run = reconcile.import_file("fake", "f.csv", text)
    item = only_item(run)
    assert item.category == ItemCategory.LATE_SUCCESS
    assert "expired" in item.note and "paid for its purpose" in item.note
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.outcome == Outcome.FULFILLED
    assert payment.gateway_payment_id == "pay_late"
    assert effects.done == {"APP1": 1}
    assert PaymentEvent.objects.filter(
        payment=payment, source="reconciliation", to_status=Status.SUCCEEDED
    ).exists()
    assert clearing() == 0  # taken and settled in one import
    assert not reconcile.needs_attention(run)
    # The same file again, and another file with the same row: the effect stays one.
    assert reconcile.import_file("fake", "f.csv", text).pk == run.pk
    again = reconcile.import_file("fake", "g.csv", settlement_csv(row(payment, sid="setl_2")))
    assert only_item(again).category == ItemCategory.MATCHED
    assert effects.done == {"APP1": 1}
    assert services.succeeded_effects(payment) == 1
    assert settlement_entries().count() == 1
    assert verify() == []


def test_a_failed_payment_settled_by_the_gateway_is_a_late_success(settling_gateway, effects):
    payment = open_payment("APP1")
    services.apply_result(
        payment,
        services.GatewayResult(status="failed", order_id=payment.gateway_order_id, reason="no"),
        source="webhook",
    )
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, "pay_1")))
    assert only_item(run).category == ItemCategory.LATE_SUCCESS
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and effects.done == {"APP1": 1}


def test_late_success_the_purpose_refuses_is_refunded(settling_gateway, effects, committed):
    payment = open_payment("APP1")
    services.expire(payment)
    effects.closed.add("APP1")
    with committed():
        run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, "pay_1")))
    item = only_item(run)
    assert item.category == ItemCategory.LATE_SUCCESS
    assert "could no longer use it" in item.note
    payment.refresh_from_db()
    assert (payment.status, payment.outcome) == (Status.REFUNDED, Outcome.UNUSABLE)
    assert effects.done == {}
    assert effects.refunded == [("APP1", AMOUNT)]
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.PROCESSED
    # The gateway took the money and paid it back: the refund in the next file
    # brings the clearing account back to zero.
    assert clearing() == -AMOUNT
    refunded = reconcile.import_file(
        "fake",
        "r.csv",
        settlement_csv(
            refund_row(
                payment.gateway_order_id, "pay_1", refund.gateway_refund_id, AMOUNT, sid="s2"
            )
        ),
    )
    assert only_item(refunded).category == ItemCategory.REFUND_MATCHED
    assert clearing() == 0
    assert verify() == []


def test_a_late_success_with_another_fee_is_reported_as_fee_differs(settling_gateway, effects):
    payment = open_payment("APP1")
    services.expire(payment)
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment, "pay_1", fee=7)))
    item = only_item(run)
    assert item.category == ItemCategory.FEE_DIFFERS
    assert "expired here" in item.note
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED and effects.done == {"APP1": 1}


# --- refunds ---------------------------------------------------------------------------


def test_refund_rows_match_by_gateway_refund_id_and_settle_the_clearing_account(
    settling_gateway, effects, committed
):
    payment = paid("APP1", "pay_1")
    other = paid("APP2", "pay_2")
    with committed():
        refund = services.refund(payment, 5000, reason="asked", idempotency_key="r1")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PROCESSED and refund.gateway_refund_id
    text = settlement_csv(
        row(payment),
        row(other),
        refund_row(payment.gateway_order_id, "pay_1", refund.gateway_refund_id, -5000),
    )
    run = reconcile.import_file("fake", "f.csv", text)
    by_line = {item.line: item for item in run.items.all()}
    assert by_line[4].category == ItemCategory.REFUND_MATCHED
    assert by_line[4].payment == payment
    assert (by_line[4].file_amount, by_line[4].ledger_amount) == (5000, 5000)
    assert refund.reference in by_line[4].note
    entry = JournalEntry.objects.get(
        idempotency_key=f"settlement:fake:refund:{refund.gateway_refund_id}"
    )
    postings = {p.account.code: p.amount for p in entry.postings.select_related("account")}
    assert postings == {"gateway:fake": 5000, "bank": -5000}
    # Everything taken, refunded and settled: nothing is left in clearing.
    assert clearing() == 0
    assert services.balance_of("bank") == 2 * (AMOUNT - FEE) - 5000
    assert (run.gross, run.fees, run.net) == (
        2 * AMOUNT - 5000,
        2 * FEE,
        2 * AMOUNT - 5000 - 2 * FEE,
    )
    assert not reconcile.needs_attention(run)
    assert verify() == []


def test_refund_row_matched_through_its_payment_when_the_id_is_new_here(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    refund = services.refund(payment, 2000, reason="asked", idempotency_key="r1")
    # not committed: the gateway has not been asked yet, so its refund id is unknown here
    run = reconcile.import_file(
        "fake", "f.csv", settlement_csv(refund_row("", "pay_1", "rfnd_77", 2000))
    )
    item = run.items.get(line=2)
    assert item.category == ItemCategory.REFUND_MATCHED
    assert item.payment == payment
    assert refund.reference in item.note and "now marked processed" in item.note
    assert JournalEntry.objects.filter(idempotency_key="settlement:fake:refund:rfnd_77").exists()
    # The gateway has paid it back: the sweep must not ask for it again.
    refund.refresh_from_db()
    assert refund.status == "processed" and refund.gateway_refund_id == "rfnd_77"
    assert services.balance_of("refunds_payable") == 0
    assert verify() == []


def test_refund_nobody_asked_for_is_refund_unknown(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    text = settlement_csv(
        refund_row(payment.gateway_order_id, "pay_1", "rfnd_1", 3000),  # no refund of ours
        refund_row("order_x", "pay_x", "rfnd_2", 100),  # no such payment either
    )
    run = reconcile.import_file("fake", "f.csv", text)
    assert [item.category for item in run.items.exclude(line=None).order_by("line")] == [
        ItemCategory.REFUND_UNKNOWN,
        ItemCategory.REFUND_UNKNOWN,
    ]
    # a refund row does not settle its payment: that is still missing from the file
    assert run.items.get(line=None).category == ItemCategory.NOT_IN_FILE
    assert not settlement_entries().exists()
    assert reconcile.needs_attention(run)
    assert run.summary["refund_unknown"] == 2


def test_refund_for_another_amount_is_amount_differs(settling_gateway, effects, committed):
    payment = paid("APP1", "pay_1")
    with committed():
        refund = services.refund(payment, 5000, reason="asked", idempotency_key="r1")
    refund.refresh_from_db()
    run = reconcile.import_file(
        "fake",
        "f.csv",
        settlement_csv(refund_row("", "pay_1", refund.gateway_refund_id, 4000)),
    )
    item = run.items.get(line=2)
    assert item.category == ItemCategory.AMOUNT_DIFFERS
    assert (item.file_amount, item.ledger_amount) == (4000, 5000)
    assert not settlement_entries().exists()


# --- idempotency -----------------------------------------------------------------------


def test_the_same_file_twice_is_the_same_run_and_posts_nothing_again(settling_gateway, effects):
    first, second = paid("APP1", "pay_1"), paid("APP2", "pay_2")
    text = settlement_csv(row(first), row(second, fee=1))
    run = reconcile.import_file("fake", "f.csv", text)
    entries, items, events = (
        JournalEntry.objects.count(),
        ReconciliationItem.objects.count(),
        AuditEvent.objects.count(),
    )
    again = reconcile.import_file("fake", "renamed.csv", text)
    assert again.pk == run.pk and again.replayed is True
    assert again.file_name == "f.csv"
    assert JournalEntry.objects.count() == entries
    assert ReconciliationItem.objects.count() == items
    assert AuditEvent.objects.count() == events
    assert ReconciliationRun.objects.count() == 1
    assert reconcile.find_run("fake", text) == run


def test_a_row_seen_in_two_files_is_posted_once(settling_gateway, effects):
    first, second = paid("APP1", "pay_1"), paid("APP2", "pay_2")
    reconcile.import_file("fake", "a.csv", settlement_csv(row(first, sid="a")))
    run = reconcile.import_file(
        "fake", "b.csv", settlement_csv(row(first, sid="b"), row(second, sid="b"))
    )
    assert ReconciliationRun.objects.count() == 2
    items = {item.payment_id: item for item in run.items.all()}
    assert items[first.pk].category == ItemCategory.MATCHED
    assert "already settled" in items[first.pk].note
    assert items[second.pk].category == ItemCategory.MATCHED
    assert settlement_entries().count() == 2
    assert clearing() == 0
    assert services.balance_of("bank") == 2 * (AMOUNT - FEE)
    assert verify() == []


def test_a_row_twice_in_one_file_is_posted_once(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    run = reconcile.import_file("fake", "f.csv", settlement_csv(row(payment), row(payment)))
    second = run.items.get(line=3)
    assert second.category == ItemCategory.MATCHED
    assert "line 2 of this file" in second.note
    assert settlement_entries().count() == 1
    assert clearing() == 0


# --- bad files -------------------------------------------------------------------------


def _nothing_written():
    assert not ReconciliationRun.objects.exists()
    assert not ReconciliationItem.objects.exists()
    assert not settlement_entries().exists()
    assert not AuditEvent.objects.filter(action__startswith="payments.reconciliation").exists()


def test_a_bad_line_refuses_the_whole_file(settling_gateway, effects):
    payment = open_payment("APP1")
    services.expire(payment)
    text = settlement_csv(row(payment, "pay_1")) + "setl_1,2026-06-15,payment,o,p,,12x,0,0\n"
    with pytest.raises(PaymentError) as caught:
        reconcile.import_file("fake", "f.csv", text)
    assert "Line 3" in caught.value.en and "पंक्ति 3" in caught.value.hi
    _nothing_written()
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED  # line 2's late success was not applied
    assert effects.done == {}


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (("s", "15/06/2026", "payment", "o", "p", "", 100, 0, 0), "not a date"),
        (("s", TODAY, "chargeback", "o", "p", "", 100, 0, 0), "unknown row type"),
        (("s", TODAY, "payment", "o", "p", "", 0, 0, 0), "above zero"),
        (("s", TODAY, "payment", "o", "p", "", -100, 0, 0), "above zero"),
        (("s", TODAY, "refund", "o", "p", "r", 0, 0, 0), "cannot be zero"),
        (("s", TODAY, "payment", "o", "p", "", 100, -1, 0), "fee"),
        (("s", TODAY, "payment", "o", "p", "", 100, 1, 2), "tax"),
        (("s", TODAY, "payment", "", "", "", 100, 0, 0), "names no payment"),
    ],
)
def test_rows_every_gateway_must_keep(settling_gateway, effects, cells, words):
    payment = paid("APP1", "pay_1")
    with pytest.raises(PaymentError) as caught:
        reconcile.import_file("fake", "f.csv", settlement_csv(row(payment), cells))
    assert caught.value.en.startswith("Line 3: ") and words in caught.value.en
    _nothing_written()


def test_binary_file_and_gateway_without_files_are_refused(settling_gateway, effects):
    with pytest.raises(PaymentError) as caught:
        reconcile.import_file("fake", "f.csv", "PK\x03\x04\x00\x00")
    assert "not a text" in caught.value.en
    with pytest.raises(PaymentError) as caught:
        reconcile.import_file("wallet", "f.csv", settlement_csv())
    assert "no settlement files" in caught.value.en
    with pytest.raises(PaymentError):
        reconcile.import_file("no-such-gateway", "f.csv", settlement_csv())
    _nothing_written()


def test_a_file_with_only_its_header_is_an_empty_run(settling_gateway, effects):
    paid("APP1", "pay_1")
    run = reconcile.import_file("fake", "f.csv", settlement_csv())
    assert run.rows == 0 and run.period_start is None
    assert not run.items.exists()  # no days covered: nothing can be missing
    assert (run.gross, run.fees, run.net) == (0, 0, 0)


def test_gateways_that_read_settlement_files(settling_gateway):
    names = [gateway.name for gateway in reconcile.settlement_gateways()]
    assert "fake" in names and "wallet" not in names


# --- at the same moment (PostgreSQL) ---------------------------------------------------


def _race(*works) -> list[object]:
    """Run each work in its own thread at once; its result or the exception it raised."""
    import threading

    from django.db import close_old_connections, connection

    results: list[object] = [None] * len(works)
    barrier = threading.Barrier(len(works))

    def run(index, work) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # the test looks at what was raised
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_is_one_run(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    late = open_payment("APP2")
    services.expire(late)
    text = settlement_csv(row(payment), row(late, "pay_2"))
    runs = _race(*[lambda: reconcile.import_file("fake", "f.csv", text)] * 4)
    assert all(isinstance(run, ReconciliationRun) for run in runs), runs
    assert {run.pk for run in runs} == {ReconciliationRun.objects.get().pk}
    assert sorted(run.replayed for run in runs) == [False, True, True, True]
    assert settlement_entries().count() == 2
    assert effects.done == {"APP1": 1, "APP2": 1}
    assert clearing() == 0
    assert verify() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_files_with_the_same_row_at_once_post_it_once(settling_gateway, effects):
    payment = paid("APP1", "pay_1")
    late = open_payment("APP2")
    services.expire(late)
    # the same rows in the other order: the imports queue on the payments, no deadlock
    files = [
        settlement_csv(row(payment, sid="s1"), row(late, "pay_2", sid="s1")),
        settlement_csv(row(late, "pay_2", sid="s2"), row(payment, sid="s2")),
    ]
    runs = _race(*[lambda t=t: reconcile.import_file("fake", "f.csv", t) for t in files])
    assert all(isinstance(run, ReconciliationRun) for run in runs), runs
    assert ReconciliationRun.objects.count() == 2
    assert settlement_entries().count() == 2
    assert effects.done == {"APP1": 1, "APP2": 1}
    categories = sorted(
        ReconciliationItem.objects.filter(payment=late).values_list("category", flat=True)
    )
    assert categories == [ItemCategory.LATE_SUCCESS, ItemCategory.MATCHED]
    assert clearing() == 0
    assert verify() == []
