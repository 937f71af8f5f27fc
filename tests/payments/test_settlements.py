"""Department settlements: batches from the rollups, posting once, owing back,
the nightly and command-line runs, and agreement with the ledger."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ekseva.catalog.models import Department
from ekseva.core import clock
from ekseva.core.models import AuditEvent
from ekseva.ledger.models import Account, JournalEntry, Posting
from ekseva.ledger.verify import verify
from ekseva.payments import services, settlements, tasks
from ekseva.payments.models import Settlement, SettlementStatus
from ekseva.payments.settlements import SettlementConflict, SettlementError

from .conftest import make_payment, succeed

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 6, 15)  # the frozen clock's day, a Monday
TUE = MON + dt.timedelta(days=1)
GOVT = 10000  # the department's share of conftest's FEE_LINES (₹100 of ₹123.60)

_seq = iter(range(1, 10**6))


def pay(department="LSG", service="income-certificate", **extra):
    """A fee paid through the fake gateway now."""
    n = next(_seq)
    payment = make_payment(
        target=f"APP{n}", department_code=department, service_code=service, **extra
    )
    return succeed(payment, payment_id=f"pay_{n}")


def refund(payment, amount=None):
    return services.refund(
        payment,
        payment.amount if amount is None else amount,
        reason="withdrawn",
        idempotency_key=f"rf-{payment.reference}-{amount}",
    )


def at(day: dt.date, hour: int = 11):
    """Move the frozen clock to ``day`` at ``hour`` IST."""
    now = clock.local_now()
    target = now.replace(year=day.year, month=day.month, day=day.day, hour=hour, minute=0)
    clock.advance(seconds=(target - now).total_seconds())


@pytest.fixture
def world(fake_gateway, effects, frozen_clock):
    Department.objects.create(
        code="LSG", name_en="Lok Sewa Guarantee", name_hi="लोक सेवा गारंटी", kind="government"
    )
    Department.objects.create(
        code="PEB",
        name_en="Professional Examination Board",
        name_hi="व्यावसायिक परीक्षा मंडल",
        kind="exam_board",
    )
    return frozen_clock


def test_make_batch_from_the_rollups(world):
    first = pay(service="income-certificate")
    pay(service="income-certificate")
    pay(service="caste-certificate")
    pay(department="PEB", service="exam")
    refund(first)  # the whole fee back: the department gives back its ₹100
    at(TUE, 2)
    with CaptureQueriesContext(connection) as queries:
        batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert not [q for q in queries.captured_queries if "ledger_posting" in q["sql"]]
    assert batch.reference.startswith("ST26") and len(batch.reference) == 13
    assert (batch.collected, batch.refunded, batch.owed) == (3 * GOVT, GOVT, 2 * GOVT)
    assert (batch.payments_count, batch.refunds_count) == (3, 1)
    assert batch.status == SettlementStatus.DRAFT
    assert batch.by_service == [
        {
            "service": "caste-certificate",
            "collected": GOVT,
            "refunded": 0,
            "owed": GOVT,
            "payments": 1,
            "refunds": 0,
        },
        {
            "service": "income-certificate",
            "collected": 2 * GOVT,
            "refunded": GOVT,
            "owed": GOVT,
            "payments": 2,
            "refunds": 1,
        },
    ]
    assert AuditEvent.objects.filter(action="payments.settlement.made").count() == 1


def test_a_partial_refund_takes_back_the_departments_share(world):
    payment = pay()
    refund(payment, 6180)  # half of ₹123.60
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert (batch.collected, batch.refunded, batch.owed) == (GOVT, GOVT // 2, GOVT // 2)


def test_making_again_returns_it_and_recomputes_a_draft(world):
    pay()
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert settlements.make_batch("LSG", MON, MON, "daily", actor=None).pk == batch.pk
    assert AuditEvent.objects.filter(action="payments.settlement.recomputed").count() == 0
    with clock.frozen(dt.datetime(2026, 6, 15, 23, 59)):  # an entry of Monday seen late
        pay()
    again = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert again.pk == batch.pk and again.reference == batch.reference
    assert (again.collected, again.payments_count) == (2 * GOVT, 2)
    assert AuditEvent.objects.filter(action="payments.settlement.recomputed").count() == 1
    assert Settlement.objects.count() == 1


def test_a_posted_batch_is_returned_as_it_is(world):
    pay()
    at(TUE)
    batch = settlements.post(
        settlements.make_batch("LSG", MON, MON, "daily", actor=None), "UTR1", actor=None
    )
    with clock.frozen(dt.datetime(2026, 6, 15, 23, 59)):
        pay()
    again = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert again.pk == batch.pk
    assert (again.status, again.collected) == (SettlementStatus.POSTED, GOVT)


def test_post_writes_one_entry_payable_to_bank(world):
    pay()
    pay()
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    posted = settlements.post(batch, "  UTR 123  ", actor=None)
    assert (posted.status, posted.bank_reference) == (SettlementStatus.POSTED, "UTR 123")
    assert posted.posted_at == clock.now()
    entry = JournalEntry.objects.get(idempotency_key=f"settlement:{batch.reference}")
    assert entry.kind == "settlement.department"
    assert entry.dimensions == "department=LSG;flow=settlement"
    lines = {p.account.code: p.amount for p in entry.postings.select_related("account")}
    assert lines == {"dept_payable:LSG": 2 * GOVT, "bank": -2 * GOVT}
    assert services.balance_of("department_payable", "LSG") == 0
    assert verify() == []
    # twice with the same bank reference: the same batch, nothing more written
    assert settlements.post(batch, "UTR 123", actor=None).pk == batch.pk
    assert JournalEntry.objects.filter(kind="settlement.department").count() == 1
    with pytest.raises(SettlementConflict) as caught:
        settlements.post(batch, "UTR 999", actor=None)
    assert caught.value.status == 409 and "UTR 123" in caught.value.en and caught.value.hi
    assert AuditEvent.objects.filter(action="payments.settlement.posted").count() == 1


def test_post_refuses_without_a_bank_reference(world):
    pay()
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    for bad in ("", "   ", "x" * 61):
        with pytest.raises(SettlementError):
            settlements.post(batch, bad, actor=None)
    batch.refresh_from_db()
    assert batch.status == SettlementStatus.DRAFT
    assert not JournalEntry.objects.filter(kind="settlement.department").exists()


def test_nothing_owed_is_posted_without_an_entry(world):
    refund(pay())
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    assert (batch.collected, batch.refunded, batch.owed) == (GOVT, GOVT, 0)
    posted = settlements.post(batch, "NIL", actor=None)
    assert posted.status == SettlementStatus.POSTED
    assert not JournalEntry.objects.filter(kind="settlement.department").exists()


def test_figures_changed_since_making_are_refused_until_looked_at(world):
    pay()
    at(TUE)
    batch = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    with clock.frozen(dt.datetime(2026, 6, 15, 23, 59)):
        pay()
    with pytest.raises(SettlementConflict) as caught:
        settlements.post(batch, "UTR1", actor=None)
    assert "changed" in caught.value.en
    batch.refresh_from_db()
    assert (batch.status, batch.owed) == (SettlementStatus.DRAFT, 2 * GOVT)
    assert settlements.post(batch, "UTR1", actor=None).status == SettlementStatus.POSTED


def test_a_department_that_owes_back_is_carried_forward(world):
    monday_payment = pay()
    at(TUE)
    monday = settlements.post(
        settlements.make_batch("LSG", MON, MON, "daily", actor=None), "UTR-MON", actor=None
    )
    refund(monday_payment)  # Tuesday: only a refund of Monday's fee
    wed = TUE + dt.timedelta(days=1)
    at(wed)
    tuesday = settlements.make_batch("LSG", TUE, TUE, "daily", actor=None)
    assert (tuesday.collected, tuesday.refunded, tuesday.owed) == (0, GOVT, -GOVT)
    with pytest.raises(SettlementError) as caught:
        settlements.post(tuesday, "UTR-TUE", actor=None)
    assert "owes ₹100.00 back" in caught.value.en and "carried forward" in caught.value.en
    assert "लौटाने" in caught.value.hi
    tuesday.refresh_from_db()
    assert tuesday.status == SettlementStatus.DRAFT
    # Wednesday: ₹50 collected: still less than what is owed back; refused, carried on
    half = pay(
        lines=[
            {
                "code": "government",
                "label_en": "Fee",
                "label_hi": "शुल्क",
                "amount_paise": GOVT // 2,
                "rule": "r",
            }
        ]
    )
    assert half.is_paid
    at(wed + dt.timedelta(days=1))
    wednesday = settlements.make_batch("LSG", wed, wed, "daily", actor=None)
    with pytest.raises(SettlementError) as caught:
        settlements.post(wednesday, "UTR-WED", actor=None)
    assert tuesday.reference in caught.value.en
    # Thursday: ₹200 more; its batch pays 200 − 100 and takes Tuesday's along
    thu = wed + dt.timedelta(days=1)
    pay()
    pay()
    at(thu + dt.timedelta(days=1))
    thursday = settlements.make_batch("LSG", thu, thu, "daily", actor=None)
    assert settlements.transfer_of(thursday) == 2 * GOVT - GOVT
    posted = settlements.post(thursday, "UTR-THU", actor=None)
    entry = JournalEntry.objects.get(idempotency_key=f"settlement:{thursday.reference}")
    assert sorted(p.amount for p in entry.postings.all()) == [-GOVT, GOVT]
    tuesday.refresh_from_db()
    assert tuesday.status == SettlementStatus.POSTED
    assert tuesday.bank_reference == f"set against {thursday.reference}"
    assert settlements.set_against_reference(tuesday) == thursday.reference
    assert [b.pk for b in settlements.carried_into(posted)] == [tuesday.pk]
    assert settlements.transfer_of(posted) == GOVT
    # now Wednesday goes on its own
    wednesday = settlements.post(wednesday, "UTR-WED", actor=None)
    assert settlements.transfer_of(wednesday) == GOVT // 2
    assert services.balance_of("department_payable", "LSG") == 0
    assert (
        sum(b.owed for b in Settlement.objects.filter(status="posted"))
        == (monday.owed + tuesday.owed + wednesday.owed + thursday.owed)
        == GOVT + GOVT // 2 + 2 * GOVT - GOVT
    )
    assert verify() == []


def test_periods_are_checked(world):
    at(MON + dt.timedelta(days=10))
    with pytest.raises(SettlementError):
        settlements.make_batch("LSG", MON, TUE, "daily", actor=None)
    with pytest.raises(SettlementError):  # weekly starts on a Monday
        settlements.make_batch("LSG", TUE, TUE + dt.timedelta(days=6), "weekly", actor=None)
    with pytest.raises(SettlementError):  # ... and runs seven days
        settlements.make_batch("LSG", MON, MON + dt.timedelta(days=5), "weekly", actor=None)
    with pytest.raises(SettlementError):
        settlements.make_batch("LSG", MON, MON, "monthly", actor=None)
    with pytest.raises(SettlementError) as caught:  # not over yet
        today = clock.today()
        settlements.make_batch("LSG", today, today, "daily", actor=None)
    assert "not ended" in caught.value.en and caught.value.hi
    with pytest.raises(SettlementError) as caught:
        settlements.make_batch("NOPE", MON, MON, "daily", actor=None)
    assert "NOPE" in caught.value.en
    assert not Settlement.objects.exists()


def test_a_day_is_settled_once_whatever_the_frequency(world):
    pay()
    at(MON + dt.timedelta(days=8))
    daily = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    with pytest.raises(SettlementError) as caught:
        settlements.make_batch("LSG", MON, MON + dt.timedelta(days=6), "weekly", actor=None)
    assert daily.reference in caught.value.en
    # another department's week is its own
    weekly = settlements.make_batch("PEB", MON, MON + dt.timedelta(days=6), "weekly", actor=None)
    assert weekly.owed == 0


def test_a_settlement_entry_is_not_counted_in_the_next_period(world):
    pay()
    at(TUE, 2)  # posted on Tuesday: its entry is a debit on Tuesday's payable
    settlements.post(settlements.make_batch("LSG", MON, MON, "daily", actor=None), "U1", actor=None)
    pay()
    at(TUE + dt.timedelta(days=1), 2)
    tuesday = settlements.make_batch("LSG", TUE, TUE, "daily", actor=None)
    assert (tuesday.collected, tuesday.refunded, tuesday.owed) == (GOVT, 0, GOVT)


def test_make_due_daily_makes_yesterdays_batches_for_active_departments(world):
    pay()
    pay(department="PEB", service="exam")
    at(TUE)
    pay(department="PEB", service="exam")  # today's: not in yesterday's batch
    at(TUE + dt.timedelta(days=1), 2)
    report = settlements.make_due("daily")  # yesterday = Tuesday
    assert (report.period_start, report.period_end) == (TUE, TUE)
    assert [(b.department_code, b.owed) for b in report.batches] == [("PEB", GOVT)]
    report = settlements.make_due("daily", TUE)  # as run on Tuesday: Monday's
    assert sorted((b.department_code, b.owed) for b in report.batches) == [
        ("LSG", GOVT),
        ("PEB", GOVT),
    ]
    assert report.refused == []
    # again: the same batches, recomputed drafts, nothing new
    again = settlements.make_due("daily", TUE)
    assert {b.pk for b in again.batches} == {b.pk for b in report.batches}
    assert Settlement.objects.count() == 3


def test_make_due_weekly_takes_monday_to_sunday_before(world):
    pay()  # Monday 15th
    at(MON + dt.timedelta(days=6), 23)  # Sunday 21st, 23:00
    pay()
    at(MON + dt.timedelta(days=7))  # Monday 22nd: next week
    pay()
    at(MON + dt.timedelta(days=8), 2)  # Tuesday 23rd, the nightly run
    report = settlements.make_due("weekly")
    assert (report.period_start, report.period_end) == (MON, MON + dt.timedelta(days=6))
    [batch] = report.batches
    assert (batch.department_code, batch.frequency, batch.owed) == ("LSG", "weekly", 2 * GOVT)
    assert batch.payments_count == 2


def test_make_due_reports_a_refused_department_and_goes_on(world):
    pay()
    pay(department="PEB", service="exam")
    at(MON + dt.timedelta(days=8))
    settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    report = settlements.make_due("weekly")
    assert [b.department_code for b in report.batches] == ["PEB"]
    assert [code for code, _ in report.refused] == ["LSG"]


def test_nightly_task_makes_missing_days_and_follows_the_setting(world, settings):
    pay()
    at(TUE)
    pay(department="PEB", service="exam")
    at(TUE + dt.timedelta(days=2), 2)  # Thursday 02:00: Wednesday was not run
    assert settings.SETTLEMENT_FREQUENCY == "daily"
    assert tasks.make_settlements() == 2
    assert sorted(
        Settlement.objects.values_list("department_code", "period_start", "frequency")
    ) == [("LSG", MON, "daily"), ("PEB", TUE, "daily")]
    assert tasks.make_settlements() == 2  # the same two, nothing more
    assert Settlement.objects.count() == 2
    settings.SETTLEMENT_FREQUENCY = "weekly"
    at(MON + dt.timedelta(days=7), 2)
    tasks.make_settlements()  # last week overlaps the daily batches: refused, reported
    assert Settlement.objects.count() == 2
    settings.SETTLEMENT_FREQUENCY = "hourly"
    with pytest.raises(SettlementError):
        tasks.make_settlements()


def test_beat_runs_the_settlements_at_two_at_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["payments-settlements"]
    assert entry["task"] == "ekseva.payments.tasks.make_settlements"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Kolkata"


def _payable_net(department: str, start: dt.date, end: dt.date) -> int:
    """Credits less debits on the payable over those days, from the postings
    themselves, settlement entries left out (what the batches must add up to)."""
    postings = Posting.objects.filter(
        account=Account.objects.get(code=f"dept_payable:{department}"),
        entry__day__gte=start,
        entry__day__lte=end,
    ).exclude(entry__kind="settlement.department")
    return -sum(postings.values_list("amount", flat=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_posted_settlements_agree_with_the_ledger(world, seed):
    """Random days of fees and refunds over two departments; every night the
    batches of yesterday are made and posted (those owing back are carried).
    The posted batches add up to the payable's credits less debits over their
    days, and the payable then holds only what the drafts still owe."""
    rng = random.Random(seed)
    paid = []
    days = 8
    for n in range(days):
        for _ in range(rng.randint(0, 4)):
            paid.append(pay(department=rng.choice(["LSG", "PEB"]), service=rng.choice("abc")))
        for payment in rng.sample(paid, k=min(len(paid), rng.randint(0, 3))):
            payment.refresh_from_db()
            if payment.refundable:
                refund(payment, rng.choice([payment.refundable, max(1, payment.refundable // 3)]))
        at(MON + dt.timedelta(days=n + 1), 2)
        for batch in settlements.make_due("daily").batches:
            try:
                settlements.post(batch, f"UTR{n}", actor=None)
            except SettlementError as exc:
                assert batch.owed < 0 or "still owes" in exc.en
    last = MON + dt.timedelta(days=days - 1)
    for department in ("LSG", "PEB"):
        if not Account.objects.filter(code=f"dept_payable:{department}").exists():
            continue
        batches = Settlement.objects.filter(department_code=department)
        posted = sum(b.owed for b in batches if b.status == "posted")
        drafts = sum(b.owed for b in batches if b.status == "draft")
        assert posted + drafts == _payable_net(department, MON, last)
        assert services.balance_of("department_payable", department) == drafts
        transfers = JournalEntry.objects.filter(
            kind="settlement.department", dimensions__contains=f"department={department};"
        )
        moved = sum(
            p.amount
            for entry in transfers
            for p in entry.postings.all()
            if p.account.code == f"dept_payable:{department}"
        )
        assert moved == posted
    assert verify() == []


def call(*args):
    out, err = StringIO(), StringIO()
    call_command("payments", "settle", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_makes_and_posts(world):
    pay()
    pay(department="PEB", service="exam")
    at(TUE + dt.timedelta(days=3))
    out, _ = call("--frequency", "daily", "--date", "2026-06-15", "--department", "LSG")
    assert "daily settlements for 2026-06-15..2026-06-15: 1 batch(es)" in out
    assert "LSG" in out and "draft" in out and "owed ₹100.00" in out
    out, _ = call("--frequency", "daily", "--date", "2026-06-15", "--post", "--bank-ref", "UTR7")
    assert out.count("posted") == 2 and "bank ref UTR7" in out
    assert Settlement.objects.filter(status="posted", bank_reference="UTR7").count() == 2
    with pytest.raises(CommandError):
        call("--frequency", "daily", "--post")  # no bank reference
    with pytest.raises(CommandError):
        call("--frequency", "daily", "--date", "15-06-2026")


def test_command_weekly_date_is_any_day_of_the_week(world):
    at(MON + dt.timedelta(days=2))  # Wednesday 17th
    pay()
    at(MON + dt.timedelta(days=9))
    out, _ = call("--frequency", "weekly", "--date", "2026-06-19")
    assert "weekly settlements for 2026-06-15..2026-06-21: 1 batch(es)" in out


def test_command_names_refused_departments(world):
    monday = pay()
    at(TUE)
    refund(monday)  # Tuesday: LSG gives back more than it took in
    pay(department="PEB", service="exam")
    at(TUE + dt.timedelta(days=2))
    call("--frequency", "daily", "--date", "2026-06-15", "--post", "--bank-ref", "U1")
    with pytest.raises(CommandError) as caught:
        call("--frequency", "daily", "--date", "2026-06-16", "--post", "--bank-ref", "U2")
    assert "1 department(s) refused" in str(caught.value)
    assert Settlement.objects.get(department_code="PEB", period_start=TUE).status == "posted"
    assert Settlement.objects.get(department_code="LSG", period_start=TUE).status == "draft"
