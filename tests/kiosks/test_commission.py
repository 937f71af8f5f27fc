"""Kiosk commission: monthly statements with TDS, payout batches, the command and
the monthly task. Commission comes from real assisted applications paid from the
wallet (and refunded through payments), or, where many amounts are tried, from
kiosk charges booked on the ledger the way payments books them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import clock
from ekseva.core.models import AuditEvent
from ekseva.kiosks import commission, services, tasks
from ekseva.kiosks.models import CommissionStatement, KioskError, PayoutBatch
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import services as ledger
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.notifications.models import Message
from ekseva.payments import services as payments

from .conftest import assisted_submitted, fund

MAY = dt.date(2026, 5, 1)
JUNE = dt.date(2026, 6, 1)
JULY = dt.date(2026, 7, 1)
AUGUST = dt.date(2026, 8, 1)
_seq = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def kiosk_charge(app) -> int:
    return next(line["amount_paise"] for line in app.fee_lines if line["code"] == "kiosk")


def new_citizen() -> User:
    return User.objects.create_citizen(f"98111{next(_seq):05d}", full_name="Walk In")


def paid(operator, person, offered):
    """An assisted application for ``person``, paid from the kiosk's wallet."""
    app = assisted_submitted(operator, person, offered)
    payment = services.pay_assisted(operator, app, idempotency_key=f"pay-{app.number}")
    assert payment.is_paid
    return app, payment


def book_charge(kiosk, paise: int) -> None:
    """A kiosk charge as payments books one (a payment.success crediting the kiosk's
    commission account), for amounts no real fee schedule would produce."""
    key = f"test-charge-{next(_seq)}"
    ledger.post(
        "payment.success",
        [
            (ledger_accounts.get_or_open("bank"), paise),
            (commission.commission_account(kiosk), -paise),
        ],
        idempotency_key=key,
        reference=f"payment:{key}",
        dimensions={"channel": "kiosk"},
    )


def balance(kiosk) -> int:
    return ledger_selectors.balance(commission.commission_account(kiosk))


def tds_payable() -> int:
    return ledger_selectors.balance(ledger_accounts.get_or_open("tds_payable"))


def finance_staff() -> User:
    user = User.objects.create_user(f"finance{next(_seq)}", "x-pass-2026-long")
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user


def to_month(day: dt.date) -> None:
    """Move the (frozen, all threads) clock to 10:00 on ``day``."""
    now = clock.local_now()
    target = now.replace(year=day.year, month=day.month, day=day.day, hour=10, minute=0)
    clock.advance(seconds=(target - now).total_seconds())


@pytest.fixture
def june(operator, kiosk, citizen, other_citizen, service):
    """Two applications paid at the kiosk on 15 June; the clock then on 1 July."""
    fund(kiosk, 200_000)
    first = paid(operator, citizen, service)
    second = paid(operator, other_citizen, service)
    to_month(JULY)
    return first, second


# --------------------------------------------------------------------------- TDS arithmetic


def test_tds_rounds_half_a_paisa_up():
    assert commission.tds_of(25, 200) == 1  # 0.5 paisa → 1
    assert commission.tds_of(24, 200) == 0  # 0.48 → 0
    assert commission.tds_of(75, 200) == 2  # 1.5 → 2
    assert commission.tds_of(2000, 200) == 40
    assert commission.tds_of(0, 200) == 0
    assert commission.tds_of(-5000, 200) == 0  # no TDS on a month refunds took below zero


@given(gross=st.integers(min_value=-(10**12), max_value=10**12), rate=st.integers(0, 10_000))
def test_tds_and_net_add_up_to_gross_for_any_amount_and_rate(gross, rate):
    tds = commission.tds_of(gross, rate)
    expected = (
        int((Decimal(gross) * rate / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if gross > 0
        else 0
    )
    assert tds == expected
    assert 0 <= tds <= max(gross, 0)
    assert tds + (gross - tds) == gross


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    charges=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=4),
    refund=st.integers(min_value=0, max_value=10**9),
    rate=st.integers(min_value=0, max_value=2000),
)
def test_a_statement_is_exact_to_the_paisa(kiosk, charges, refund, rate):
    """Booked charges less a refund in May, any TDS rate: gross, TDS and net in
    exact paise, TDS in tds_payable, and the commission account holds the net."""
    with transaction.atomic():
        with clock.frozen(dt.datetime(2026, 5, 20, 12, 0)):
            for paise in charges:
                book_charge(kiosk, paise)
            if refund:
                ledger.post(
                    "refund.owed",
                    [
                        (commission.commission_account(kiosk), refund),
                        (ledger_accounts.get_or_open("refunds_payable"), -refund),
                    ],
                    idempotency_key=f"test-refund-{next(_seq)}",
                )
        with override_settings(KIOSK_TDS_RATE_BP=rate):
            [statement] = commission.make_statements(MAY)
        gross = sum(charges) - refund
        assert statement.gross == gross and statement.tds_rate_bp == rate
        assert statement.tds == commission.tds_of(gross, rate)
        assert statement.tds + statement.net == gross
        assert statement.transactions == len(charges)
        assert tds_payable() == statement.tds
        assert balance(kiosk) == statement.net
        transaction.set_rollback(True)


# --------------------------------------------------------------------------- statements


def test_a_month_of_paid_applications_makes_one_statement(june, kiosk, other_kiosk):
    (app, payment), (app2, _) = june
    charge = kiosk_charge(app)
    assert charge > 0 and kiosk_charge(app2) == charge
    assert balance(kiosk) == 2 * charge
    [statement] = commission.make_statements(JUNE)
    assert statement.kiosk == kiosk and statement.month == JUNE
    assert statement.transactions == 2
    assert statement.gross == 2 * charge
    assert statement.tds_rate_bp == 200
    assert statement.tds == commission.tds_of(2 * charge, 200)
    assert statement.net == 2 * charge - statement.tds
    # The TDS left the commission account for tds_payable in one keyed entry.
    entry = JournalEntry.objects.get(idempotency_key=f"commission:{kiosk.code}:2026-06:tds")
    assert statement.tds_entry_id == entry.pk and entry.kind == commission.TDS_KIND
    assert f"kiosk={kiosk.code}" in entry.dimensions and "flow=commission" in entry.dimensions
    assert balance(kiosk) == statement.net and tds_payable() == statement.tds
    # A kiosk that earned nothing gets no statement (a zero statement is noise).
    assert not CommissionStatement.objects.filter(kiosk=other_kiosk).exists()
    assert AuditEvent.objects.filter(
        action="kiosks.commission.statement", object_id=str(statement.pk)
    ).exists()
    assert verify() == []
    # The statement's lines are the month's charges, with their applications.
    items = commission.items(statement)
    assert [(item.application, item.amount) for item in items] == [
        (app.number, charge),
        (app2.number, charge),
    ]
    assert items[0].payment == payment.reference and items[0].service_code == "tst-exam"


def test_making_the_statements_again_changes_nothing(june, kiosk):
    first = commission.make_statements(JUNE)
    entries, events = JournalEntry.objects.count(), AuditEvent.objects.count()
    again = commission.make_statements(JUNE)
    assert [s.pk for s in again] == [s.pk for s in first]
    assert [(s.gross, s.tds, s.net) for s in again] == [(s.gross, s.tds, s.net) for s in first]
    assert JournalEntry.objects.count() == entries and AuditEvent.objects.count() == events
    assert CommissionStatement.objects.count() == 1


def test_the_modules_own_entries_and_their_reversals_are_not_commission(june, kiosk):
    """TDS and payout entries move money off the account; neither they nor a
    reversal of one (a correction by hand) count as the next month's commission."""
    [statement] = commission.make_statements(JUNE)
    to_month(dt.date(2026, 7, 10))
    ledger.reverse(JournalEntry.objects.get(pk=statement.tds_entry_id), "wrong rate, redone")
    to_month(AUGUST)
    assert commission.make_statements(JULY) == []
    assert commission.items(kiosk, JULY) == []


def test_a_month_that_has_not_ended_is_refused(operator, kiosk, citizen, service, frozen_clock):
    fund(kiosk, 100_000)
    paid(operator, citizen, service)
    for month in (JUNE, JULY, dt.date(2027, 1, 1)):
        with pytest.raises(KioskError, match="has not ended"):
            commission.make_statements(month)
    assert not CommissionStatement.objects.exists()
    to_month(dt.date(2026, 6, 30))  # the last day is still in the month
    with pytest.raises(KioskError):
        commission.make_statements(JUNE)
    to_month(JULY)
    assert len(commission.make_statements(JUNE)) == 1


def test_a_refund_takes_its_kiosk_share_out_of_gross(june, kiosk):
    (app, payment), (app2, payment2) = june
    charge = kiosk_charge(app)
    to_month(dt.date(2026, 6, 20))  # back in June (the clock is ours)
    payments.refund(payment, payment.amount, reason="Withdrawn", idempotency_key="r1")
    half = payment2.amount // 2
    refund2 = payments.refund(payment2, half, reason="Part", idempotency_key="r2")
    share = next(
        line["amount"] for line in refund2.lines if line["account"].startswith("kiosk_commission:")
    )
    assert 0 < share < charge
    to_month(JULY)
    [statement] = commission.make_statements(JUNE)
    assert statement.transactions == 2
    assert statement.gross == charge - share
    assert statement.tds == commission.tds_of(charge - share, 200)
    refunds = [item for item in commission.items(statement) if not item.earned]
    assert sorted(-item.amount for item in refunds) == sorted([charge, share])
    assert {item.application for item in refunds} == {app.number, app2.number}


def test_a_month_of_refunds_only_has_no_tds_and_is_set_against_the_next(june, kiosk):
    """June's two charges are paid out; one is refunded in July (July: gross < 0,
    no TDS, nothing paid); August's commission pays net of July's."""
    (app, payment), _ = june
    charge = kiosk_charge(app)
    commission.make_statements(JUNE)
    staff = finance_staff()
    june_batch = commission.create_batch(JUNE, actor=staff)
    commission.mark_paid(june_batch, "UTR-JUNE", actor=staff)
    assert balance(kiosk) == 0
    to_month(dt.date(2026, 7, 10))
    payments.refund(payment, payment.amount, reason="Withdrawn", idempotency_key="r-july")
    to_month(AUGUST)
    [july] = commission.make_statements(JULY)
    assert (july.gross, july.tds, july.net) == (-charge, 0, -charge)
    assert july.transactions == 0
    assert commission.payout_state(july) == commission.PayoutState.CARRIED
    preview = commission.batch_preview(JULY)
    assert preview.lines == [] and [h.reason for h in preview.held] == ["carried"]
    with pytest.raises(KioskError, match="Nothing to pay"):
        commission.create_batch(JULY, actor=staff)
    to_month(dt.date(2026, 8, 5))
    book_charge(kiosk, 5 * charge)
    to_month(dt.date(2026, 9, 1))
    [august] = commission.make_statements(AUGUST)
    assert august.net == 5 * charge - commission.tds_of(5 * charge, 200)
    batch = commission.create_batch(AUGUST, actor=staff)
    [line] = commission.batch_lines(batch)
    assert [s.month for s in line.statements] == [JULY, AUGUST]
    assert batch.total == line.amount == august.net - charge
    commission.mark_paid(batch, "UTR-AUG", actor=staff)
    assert balance(kiosk) == 0
    assert verify() == []


# --------------------------------------------------------------------------- payouts


@pytest.fixture
def three_kiosks(make_kiosk, places, frozen_clock):
    """Three kiosks with May commission booked; statements made on 15 June."""
    kiosks = [make_kiosk(), make_kiosk(places.indore), make_kiosk()]
    with clock.frozen(dt.datetime(2026, 5, 12, 11, 0)):
        for n, kiosk in enumerate(kiosks, start=1):
            book_charge(kiosk, 10_000 * n + 25)
    commission.make_statements(MAY)
    return kiosks


def test_a_payout_batch_pays_every_net_and_the_bank_file_says_so(three_kiosks):
    staff = finance_staff()
    batch = commission.create_batch(MAY, actor=staff)
    assert batch.reference.startswith("KPO26") and batch.status == PayoutBatch.Status.CREATED
    statements = list(CommissionStatement.objects.order_by("kiosk__code"))
    assert batch.count == 3 and batch.total == sum(s.net for s in statements)
    assert all(s.payout_id == batch.pk and s.paid_at is None for s in statements)
    rows = list(csv.reader(io.StringIO(commission.bank_file_csv(batch))))
    assert rows[0] == ["beneficiary_name", "account_number", "ifsc", "amount", "narration"]
    expected = []
    for statement in statements:
        kiosk = statement.kiosk
        rupees, paise = divmod(statement.net, 100)
        expected.append(
            [
                kiosk.bank_account_name,
                kiosk.bank_account_number,
                kiosk.bank_ifsc,
                f"{rupees}.{paise:02d}",
                f"ekseva commission 2026-05 {kiosk.code}",
            ]
        )
    assert rows[1:] == expected
    # 10025 paise gross, 2% = 200.5 → 201 TDS, 9824 net → "98.24"
    assert statements[0].gross == 10_025 and rows[1][3] == "98.24"


def test_marking_paid_moves_each_net_to_the_bank_once(three_kiosks):
    staff = finance_staff()
    batch = commission.create_batch(MAY, actor=staff)
    bank_before = ledger_selectors.balance(ledger_accounts.get_or_open("bank"))
    commission.mark_paid(batch, " UTR  998877 ", actor=staff)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.PAID and batch.bank_reference == "UTR 998877"
    for statement in CommissionStatement.objects.all():
        assert statement.paid_at is not None
        entry = JournalEntry.objects.get(idempotency_key=f"payout:{statement.pk}")
        assert entry.kind == commission.PAYOUT_KIND
        assert balance(statement.kiosk) == 0
        sms = Message.objects.get(
            template=commission.PAID_TEMPLATE, recipient=statement.kiosk.owner_mobile
        )
        assert sms.params["amount"] == commission.format_inr(statement.net)
        assert sms.params["month"] == "05/2026"
    bank_after = ledger_selectors.balance(ledger_accounts.get_or_open("bank"))
    assert bank_before - bank_after == batch.total
    entries, messages = JournalEntry.objects.count(), Message.objects.count()
    # Again with the same reference: harmless; with another: refused.
    assert commission.mark_paid(batch, "UTR 998877", actor=staff).status == "paid"
    with pytest.raises(KioskError, match="already marked paid"):
        commission.mark_paid(batch, "UTR-OTHER", actor=staff)
    assert JournalEntry.objects.count() == entries and Message.objects.count() == messages
    assert verify() == []
    # Every statement is in this batch: the next one has nothing to pay.
    with pytest.raises(KioskError, match="Nothing to pay"):
        commission.create_batch(MAY, actor=staff)
    for statement in commission.statements_of_month(MAY):
        assert "UTR 998877" in commission.payout_text(statement)


def test_suspended_kiosks_are_held_and_closed_ones_left_out(three_kiosks):
    active, suspended, closed = three_kiosks
    staff = finance_staff()
    services.suspend(suspended, reason="Inspection pending", actor=staff)
    services.close(closed, reason="Owner gave up the kiosk", actor=staff)
    preview = commission.batch_preview(MAY)
    assert [line.kiosk.code for line in preview.lines] == [active.code]
    assert {h.kiosk.code: h.reason for h in preview.held} == {
        suspended.code: "held",
        closed.code: "excluded",
    }
    batch = commission.create_batch(MAY, actor=staff)
    assert batch.count == 1
    assert CommissionStatement.objects.filter(payout__isnull=True).count() == 2
    # Reinstated, the held statement joins the next batch (of any later month).
    services.reinstate(suspended, reason="Inspection passed", actor=staff)
    later = commission.create_batch(MAY, actor=staff)
    assert [line.kiosk.code for line in commission.batch_lines(later)] == [suspended.code]
    statement = CommissionStatement.objects.get(kiosk=closed)
    assert statement.payout is None
    assert commission.payout_state(statement) == commission.PayoutState.EXCLUDED


def test_a_statement_is_never_in_two_batches(three_kiosks):
    staff = finance_staff()
    first = commission.create_batch(MAY, actor=staff)
    with pytest.raises(KioskError, match="Nothing to pay"):
        commission.create_batch(MAY, actor=staff)
    assert PayoutBatch.objects.count() == 1
    assert set(CommissionStatement.objects.values_list("payout", flat=True)) == {first.pk}


def test_a_statement_taken_by_another_batch_meanwhile_rolls_the_batch_back(
    three_kiosks, monkeypatch
):
    """The batch takes its statements with UPDATE … WHERE payout IS NULL: if one
    was taken between reading and taking (a concurrent maker), nothing is made."""
    other = PayoutBatch.objects.create(reference="KPOTEST", month=MAY, created_at=clock.now())
    real_issue = commission.ids.issue

    def issue_while_another_takes_one(prefix, **kwargs):
        CommissionStatement.objects.filter(kiosk=three_kiosks[0]).update(payout=other)
        return real_issue(prefix, **kwargs)

    monkeypatch.setattr(commission.ids, "issue", issue_while_another_takes_one)
    with pytest.raises(KioskError, match="Another payout batch"):
        commission.create_batch(MAY, actor=finance_staff())
    assert list(PayoutBatch.objects.all()) == [other]
    assert not CommissionStatement.objects.filter(payout__isnull=False).exists()


def test_a_batch_for_a_month_not_ended_is_refused(three_kiosks):
    with pytest.raises(KioskError, match="has not ended"):
        commission.create_batch(JUNE, actor=finance_staff())


def test_only_finance_staff_make_and_pay_batches(three_kiosks, make_kiosk):
    from .conftest import login

    kiosk = three_kiosks[0]
    owner = login(kiosk, "franchisee")
    coordinator = User.objects.create_user("dc.commission", "x-pass-2026-long")
    Posting.objects.create(user=coordinator, role=Role.DISTRICT_COORDINATOR)
    for person in (owner, login(kiosk), coordinator):
        with pytest.raises(KioskError, match="Only operator staff"):
            commission.create_batch(MAY, actor=person)
    batch = commission.create_batch(MAY, actor=finance_staff())
    with pytest.raises(KioskError, match="Only operator staff"):
        commission.mark_paid(batch, "UTR1", actor=owner)
    with pytest.raises(KioskError, match="bank's reference"):
        commission.mark_paid(batch, "   ", actor=finance_staff())
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.CREATED


# --------------------------------------------------------------------------- command and task


def test_the_statements_command_defaults_to_last_month(june, kiosk):
    out = io.StringIO()
    call_command("kiosks", "statements", stdout=out)
    [statement] = CommissionStatement.objects.all()
    assert statement.month == JUNE
    text = out.getvalue()
    assert "2026-06: 1 statement(s), 2 transaction(s)" in text and kiosk.code in text
    out = io.StringIO()
    call_command("kiosks", "statements", "--month", "2026-06", stdout=out)
    assert CommissionStatement.objects.count() == 1
    with pytest.raises(CommandError, match="has not ended"):
        call_command("kiosks", "statements", "--month", "2026-07", stdout=io.StringIO())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("kiosks", "statements", "--month", "June", stdout=io.StringIO())


def test_the_payouts_command_makes_the_batch_and_prints_its_totals(june, kiosk):
    call_command("kiosks", "statements", "--month", "2026-06", stdout=io.StringIO())
    out = io.StringIO()
    call_command("kiosks", "payouts", "--month", "2026-06", stdout=out)
    batch = PayoutBatch.objects.get()
    assert out.getvalue().startswith(
        f"{batch.reference}: 2026-06, 1 transfer(s), total {commission.format_inr(batch.total)}"
    )
    with pytest.raises(CommandError, match="Nothing to pay"):
        call_command("kiosks", "payouts", "--month", "2026-06", stdout=io.StringIO())


def test_the_monthly_task_makes_last_months_statements(june, kiosk):
    with clock.frozen(dt.datetime(2026, 7, 1, 3, 0), all_threads=True):
        assert tasks.make_commission_statements() == 1
        assert tasks.make_commission_statements() == 1
    assert CommissionStatement.objects.get().month == JUNE


def test_the_beat_runs_the_task_on_the_first_at_three(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["kiosks-commission-statements"]
    assert entry["task"] == "ekseva.kiosks.tasks.make_commission_statements"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {3} and schedule.minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Kolkata"
