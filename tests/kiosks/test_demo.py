"""The kiosks demo: a real network (≥12 kiosks of all three kinds in ≥10 districts,
each at a PIN of its own district), a month and more of walk-in applications paid
from the wallets, wallets that agree with the ledger, the states the staff pages
need (suspended, under review, returned, complaint, ratings, statements, low
balance), logins that sign in; a second run writes nothing; the ledger check passes.

The demo is loaded once per module (clock stopped at 2026-06-15 10:00 IST) inside a
transaction rolled back at the end; each test runs in a savepoint within it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from ekseva.accounts import selectors as account_selectors
from ekseva.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from ekseva.accounts.models import User
from ekseva.accounts.services import aadhaar_token, confirmed_device
from ekseva.applications.models import Application
from ekseva.core import clock
from ekseva.geo.models import PostOffice
from ekseva.kiosks import commission, demo, services
from ekseva.kiosks.models import (
    CommissionStatement,
    Complaint,
    Consent,
    Kind,
    Kiosk,
    KioskApplication,
    KioskOperator,
    PayoutBatch,
    Rating,
    WalletDeposit,
)
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments.models import Payment

IST = ZoneInfo("Asia/Kolkata")
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST)
PAN = re.compile(r"^[A-Z]{3}P[A-Z][0-9]{4}[A-Z]$")  # an individual's PAN


@pytest.fixture(scope="module")
def _loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every demo up to the kiosks', once, inside a transaction rolled back at the end."""
    from django.db import transaction

    from ekseva.web.management.commands.demo import DEMO_MODULES, run_demo_modules

    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PAYMENT_GATEWAYS=["sandbox"]),
        clock.frozen(NOW, all_threads=True),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            results = dict(run_demo_modules(DEMO_MODULES))
            yield results["ekseva.kiosks.demo"]
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def lines(_loaded, db):
    with clock.frozen(NOW, all_threads=True):
        yield _loaded


def kiosks() -> list[Kiosk]:
    return list(Kiosk.objects.select_related("district").order_by("code"))


def wallet_payments(kiosk: Kiosk):
    return Payment.objects.filter(kiosk_code=kiosk.code, gateway="wallet")


def test_kiosks_across_districts_of_every_kind_at_real_pins(lines):
    found = kiosks()
    assert len(found) >= 12
    assert len({k.district_id for k in found}) >= 10
    assert {k.kind for k in found} == set(Kind.values)
    assert any(k.services for k in found) and any(not k.services for k in found)
    for kiosk in found:
        assert kiosk.code.startswith(services.code_prefix(kiosk.district)), kiosk
        offices = PostOffice.objects.filter(
            pincode=kiosk.pin_code, district=kiosk.district, latitude__isnull=False
        )
        assert offices.exists(), f"{kiosk}: PIN {kiosk.pin_code} not in {kiosk.district}"
        near = [
            abs(kiosk.latitude - po.latitude) <= 0.005
            and abs(kiosk.longitude - po.longitude) <= 0.005
            for po in offices
        ]
        assert any(near), f"{kiosk} is not near a post office of its PIN"
        assert PAN.match(kiosk.pan) and kiosk.pan[4] == kiosk.owner_name.split()[-1][0]
        assert re.fullmatch(r"[0-9a-f]{64}", kiosk.aadhaar_token)  # a token, never the number
        assert re.fullmatch(r"[0-9]{4}", kiosk.aadhaar_last4)
        assert re.fullmatch(r"[A-Z]{4}0[A-Z0-9]{6}", kiosk.bank_ifsc)
        assert kiosk.opening_hours_en and kiosk.opening_hours_hi
        application = kiosk.application
        assert application.status == KioskApplication.Status.APPROVED
        assert application.reviewed_by.username == demo.STAFF
        assert application.reviewed_at < kiosk.opened_at + dt.timedelta(seconds=1)
    # The Aadhaar token is the accounts app's HMAC of a valid number.
    bhopal = next(k for k in found if k.business_name == demo.KIOSKS[0].business_name)
    assert bhopal.aadhaar_token == aadhaar_token(demo._aadhaar(demo.KIOSKS[0].aadhaar))


def test_wallets_agree_with_the_ledger_and_never_go_below_zero(lines):
    for kiosk in kiosks():
        balance = services.wallet_balance(kiosk)
        assert balance >= 0, kiosk
        deposits = WalletDeposit.objects.filter(
            kiosk=kiosk, status=WalletDeposit.Status.VERIFIED
        ).aggregate(total=Sum("amount"))["total"]
        topups = Payment.objects.filter(
            purpose="wallet_topup", target=kiosk.code, status="succeeded"
        ).aggregate(total=Sum("amount"))["total"]
        spent = (
            wallet_payments(kiosk)
            .filter(status="succeeded")
            .aggregate(total=Sum("amount"))["total"]
        )
        assert deposits, f"{kiosk} has no verified bank deposit"
        assert balance == deposits + (topups or 0) - (spent or 0), kiosk
    assert verify() == []


def test_a_month_and_more_of_walk_ins_on_many_days_at_many_kiosks(lines):
    paid = Payment.objects.filter(gateway="wallet", status="succeeded", channel="kiosk")
    days = {timezone.localtime(p.succeeded_at).date() for p in paid}
    assert len(days) >= 20
    start = demo.history_start(TODAY)
    assert min(days) >= start and max(days) < TODAY
    assert min(days) <= commission.last_month(TODAY) + dt.timedelta(days=3)
    assert len({p.kiosk_code for p in paid}) >= 12
    assert 60 <= paid.count() <= 300
    apps_ = Application.objects.filter(channel="kiosk", paid_at__isnull=False)
    assert apps_.count() == paid.count()
    assert len({a.applicant_id for a in apps_}) >= 30
    assert len({a.service.code for a in apps_}) >= 6
    # Each through a consent the citizen gave by OTP, at that kiosk, before applying.
    for app in apps_.order_by("?")[:40]:
        consent = Consent.objects.filter(
            kiosk__code=app.kiosk_code, citizen=app.applicant, granted_at__lte=app.created_at
        ).latest("granted_at")
        assert consent.challenge.used_at is not None
        assert consent.revoked_at is not None and consent.revoked_at > app.paid_at
    # Kiosk charges went to the kiosks' commission accounts, so last month has statements.
    statements = CommissionStatement.objects.filter(month=commission.last_month(TODAY))
    assert statements.count() >= 10
    assert all(s.gross > 0 and s.net == s.gross - s.tds for s in statements)
    # ... and a payout batch waits for the bank; the suspended kiosk's statement is held.
    batch = PayoutBatch.objects.get(month=commission.last_month(TODAY))
    assert batch.status == PayoutBatch.Status.CREATED and batch.count >= 9
    held = statements.get(kiosk__status=Kiosk.Status.SUSPENDED)
    assert held.payout is None
    assert (
        statements.exclude(kiosk__status=Kiosk.Status.SUSPENDED).filter(payout=batch).count()
        == batch.count
    )


def test_the_states_the_staff_pages_show(lines):
    suspended = Kiosk.objects.get(status=Kiosk.Status.SUSPENDED)
    change = suspended.status_changes.get()
    assert change.actor.username == demo.STAFF and len(change.reason) > 20
    assert timezone.localtime(change.at).date() == demo.suspended_on(TODAY)
    paid_after = wallet_payments(suspended).filter(succeeded_at__gte=change.at)
    assert not paid_after.exists()

    statuses = Counter(KioskApplication.objects.values_list("status", flat=True))
    assert statuses[KioskApplication.Status.UNDER_REVIEW] >= 1
    assert statuses[KioskApplication.Status.RETURNED] >= 1
    returned = KioskApplication.objects.get(status=KioskApplication.Status.RETURNED)
    assert returned.review_reason and returned.fix_fields

    complaint = Complaint.objects.get(status=Complaint.Status.OPEN)
    assert complaint.kind == Complaint.Kind.OVERCHARGING
    assert complaint.amount_charged > complaint.official_amount
    charged_app = Application.objects.get(number=complaint.application_number)
    assert charged_app.kiosk_code == complaint.kiosk.code

    ratings = Rating.objects.all()
    assert ratings.count() >= 5 and len({r.kiosk_id for r in ratings}) >= 4
    for rating in ratings:
        app = Application.objects.get(number=rating.application_number)
        assert app.kiosk_code == rating.kiosk.code and app.applicant_id == rating.citizen_id

    waiting = WalletDeposit.objects.get(status=WalletDeposit.Status.SUBMITTED)
    assert waiting.deposited_on == TODAY - dt.timedelta(days=1) and waiting.entry_id is None

    low = [k for k in kiosks() if k.is_active and services.wallet_balance(k) < k.low_balance_paise]
    assert low, "no kiosk below its low-balance mark"


def test_the_printed_logins_sign_in(lines):
    assert any("kiosk.bhopal / demo-pass-2026" in line for line in lines)
    assert any("operator.bhopal / demo-pass-2026" in line for line in lines)
    for username, role in (
        ("kiosk.bhopal", KioskOperator.Role.FRANCHISEE),
        ("operator.bhopal", KioskOperator.Role.OPERATOR),
    ):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.kiosk_operator.role == role
        assert user.kiosk_operator.activated_at is not None
        assert user.kiosk_operator.kiosk.district.name_en == "Bhopal"
        assert confirmed_device(user).key == DEMO_TOTP_KEY
        assert account_selectors.is_staff_member(user)
        assert services.require_kiosk(user).code == user.kiosk_operator.kiosk.code
    out = StringIO()
    call_command("accounts", "totp-code", "operator.bhopal", stdout=out)
    assert re.fullmatch(r"\d{6}\n", out.getvalue())


def test_a_second_run_writes_nothing_and_the_ledger_check_passes(lines):
    def counts() -> dict[str, int]:
        return {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    before = counts()
    again = demo.load()
    assert counts() == before
    assert again == lines
    assert JournalEntry.objects.filter(reference__startswith="payment:").count() >= 100
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert "ledger check passed" in out.getvalue()


@pytest.mark.parametrize("today", [dt.date(2026, 3, 1), dt.date(2026, 3, 31), TODAY])
def test_the_plan_covers_last_month_and_thirty_days_on_enough_days(today):
    visits = demo.plan(today)
    days = {v.at.astimezone(IST).date() for v in visits}
    assert min(days) >= demo.history_start(today) and max(days) < today
    assert demo.history_start(today) <= commission.last_month(today)
    assert demo.history_start(today) <= today - dt.timedelta(days=30)
    assert len(days) >= 20
    assert 50 <= sum(len(v.errands) for v in visits) <= 300
    assert visits == demo.plan(today)  # the same plan for the same day
    keys = [v.key(i) for v in visits for i in range(len(v.errands))]
    assert len(keys) == len(set(keys))
    suspended = next(s.place for s in demo.KIOSKS if s.suspended)
    assert all(
        v.at.astimezone(IST).date() < demo.suspended_on(today)
        for v in visits
        if v.place == suspended
    )


def test_a_run_days_later_adds_only_the_days_since(lines):
    made = demo.walk_in_payments().count()
    last_month = commission.last_month(TODAY)
    stated = {s.kiosk.code: s.gross for s in CommissionStatement.objects.filter(month=last_month)}
    later = NOW + dt.timedelta(days=3)
    with clock.frozen(later, all_threads=True):
        demo.load()
    new = demo.walk_in_payments().filter(created_at__gt=NOW)
    assert new.exists()
    assert demo.walk_in_payments().count() == made + new.count()
    assert all(p.created_at < later.replace(hour=0) for p in new)
    # Nothing went into the month already stated: its figures are still the statements'.
    figures = commission.month_figures(last_month)
    assert {code: f.gross for code, f in figures.items()} == stated
    assert verify() == []
