"""The back office's demo: officers for the departments the demo's applications went
to (their logins sign in), every walk-in case with an officer or a decision, cases in
every state (forwarded, returned and one resubmitted, approved with its certificate
delivered, rejected with reason codes, past the time limit and escalated), the delay
register, an appeal heard and one decided with a penalty, a staff-added holiday, one
certificate revoked and the demo citizen's genuine; dates in the past, in order; a
second run writes nothing; the ledger check and the audit chain still pass.

The demo (every module of ``ekseva demo``) is loaded once per module, the clock
stopped at 2026-06-15 10:00 IST, inside a transaction rolled back at the end."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings
from django.urls import resolve
from django_otp.oath import TOTP

from ekseva.accounts import selectors as account_selectors
from ekseva.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from ekseva.accounts.models import Role, User
from ekseva.accounts.services import confirmed_device
from ekseva.applications.models import Application
from ekseva.applications.models import Status as AppStatus
from ekseva.certificates import demo as certificates_demo
from ekseva.certificates.models import Certificate
from ekseva.certificates.verify import verify_number, verify_pdf
from ekseva.core import clock, workdays
from ekseva.workflow import appeals, demo
from ekseva.workflow.definition import REJECTION_REASONS, stages_of
from ekseva.workflow.models import Action, Appeal, Case, DelayRecord, Holiday, Penalty

IST = ZoneInfo("Asia/Kolkata")
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST)


@pytest.fixture(scope="module")
def _loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every demo module, once, inside a transaction rolled back at the end."""
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
            yield dict(run_demo_modules(DEMO_MODULES))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def lines(_loaded, db):
    with clock.frozen(NOW, all_threads=True):
        yield _loaded


def live_cases():
    """Cases of applications not withdrawn (a withdrawn one's case stays open)."""
    return Case.objects.exclude(application__status=AppStatus.WITHDRAWN)


def test_the_demo_modules_run_after_the_kiosks_in_layer_order():
    from ekseva.web.management.commands.demo import DEMO_MODULES

    order = [name.split(".")[1] for name in DEMO_MODULES]
    assert order.index("kiosks") < order.index("workflow") < order.index("certificates")


def test_officers_are_posted_since_before_the_first_case_and_their_logins_sign_in(lines):
    printed = "\n".join(lines["ekseva.workflow.demo"])
    assert DEMO_PASSWORD in printed and "totp-code" in printed
    first_case = Case.objects.order_by("received_on").first().received_on
    departments = set(Case.objects.values_list("department_code", flat=True))
    for department in departments:
        code = department.lower()
        for username, role in (
            (f"officer.{code}", Role.DEPARTMENT_OFFICER),
            (f"do.{code}", Role.DESIGNATED_OFFICER),
            (f"ao.{code}", Role.APPELLATE_OFFICER),
        ):
            user = User.objects.get(username=username)
            assert username in printed
            assert user.check_password(DEMO_PASSWORD)
            assert confirmed_device(user).key == DEMO_TOTP_KEY
            assert account_selectors.is_staff_member(user)
            (posting,) = user.postings.all()
            assert posting.role == role and posting.department_code == department
            assert posting.starts <= first_case
    second = User.objects.get(username="ao2.lsg")
    assert second.postings.get().admin_unit is None  # state-wide: second appeals
    assert "ao2.lsg" in printed
    # The accounts demo's Lok Sewa officers are kept, in post since the history began.
    for username in ("officer.lsg", "do.lsg", "ao.lsg"):
        posting = User.objects.get(username=username).postings.get()
        assert posting.admin_unit.name_en == "Bhopal" and posting.starts <= first_case


def test_every_case_has_a_district_and_every_waiting_case_an_officer(lines):
    cases = live_cases()
    assert cases.count() >= 100
    assert not cases.filter(district__isnull=True).exists()  # the walk-ins' too
    waiting = cases.filter(state=Case.State.OPEN)
    assert waiting.exists() and not waiting.filter(assignee__isnull=True).exists()
    # Those that came before any officer was posted were assigned by operator staff.
    reassigned = Action.objects.filter(kind="reassign", actor__username="ops")
    assert reassigned.count() >= 5
    assert all(action.remark == demo.ASSIGN_REASON for action in reassigned)


def test_cases_in_every_state(lines):
    cases = live_cases()
    states = Counter(cases.values_list("state", "outcome"))
    assert states[(Case.State.OPEN, "")] >= 10
    assert states[(Case.State.RETURNED, "")] >= 3
    assert states[(Case.State.DISPOSED, "approved")] >= 20
    assert states[(Case.State.DISPOSED, "rejected")] >= 5
    # Forwarded: waiting at a later stage with its officer.
    later = [
        case
        for case in cases.filter(state=Case.State.OPEN).select_related("application__version")
        if case.stage != stages_of(case.application.version)[0].id
    ]
    assert len(later) >= 3
    # Rejected with reason codes of the fixed list, and the remark for the applicant.
    rejections = Action.objects.filter(kind="reject")
    assert {a.reason_code for a in rejections} <= set(REJECTION_REASONS)
    assert len({a.reason_code for a in rejections}) >= 3
    assert all(a.remark for a in rejections)
    # Returned to the applicant: the clock is paused and what to fix is named.
    for case in cases.filter(state=Case.State.RETURNED):
        assert case.paused_on is not None
        assert case.application.status == AppStatus.RETURNED
        ask = case.actions.filter(kind__in=["return", "ask_document"]).get()
        assert ask.fields
    # The bills of a day were posted together by bulk approval.
    bulk = Counter(
        (a.actor_id, a.at) for a in Action.objects.filter(kind="approve", stage="posting")
    )
    assert max(bulk.values()) >= 2


def test_one_returned_application_was_resubmitted_and_moved_on(lines):
    (resubmitted,) = Action.objects.filter(kind="resubmit").select_related("case")
    case = resubmitted.case
    assert resubmitted.actor.mobile == demo.ASHA
    assert case.state == Case.State.OPEN and case.paused_on is None and case.paused_days >= 1
    kinds = list(case.actions.values_list("kind", flat=True))
    assert kinds.index("return") < kinds.index("resubmit") < kinds.index("forward")
    app = case.application
    assert app.answers["annual_income"] == 210000
    assert app.corrections.filter(applied=True).exists()
    assert case.due_date > TODAY  # the paused days moved the due date on


def test_the_nightly_run_put_late_cases_in_the_delay_register(lines):
    records = DelayRecord.objects.select_related("case", "officer", "escalated_to")
    assert records.count() >= 5
    for record in records:
        case = record.case
        assert record.breached_on > record.due_date
        assert record.breached_on <= TODAY
        assert case.breached_on == record.breached_on
        assert record.officer is not None and record.escalated_to is not None
        assert record.escalated_to != record.officer
        if case.state == Case.State.DISPOSED:
            assert record.days_late is not None and record.days_late > 0
            assert case.disposed_in_time is False
        else:
            assert record.days_late is None
    assert records.filter(case__state=Case.State.DISPOSED).exists()
    assert records.exclude(case__state=Case.State.DISPOSED).exists()
    # Nothing open is past its due date without being in the register.
    late = live_cases().filter(state=Case.State.OPEN, due_date__lt=TODAY)
    assert not late.filter(breached_on__isnull=True).exists()


def test_an_appeal_heard_soon_and_one_decided_with_a_penalty(lines):
    heard = Appeal.objects.get(status=Appeal.Status.HEARING)
    assert heard.ground == Appeal.Ground.REJECTED and heard.appellant.mobile == demo.RAVI
    assert heard.hearing_at > NOW and heard.hearing_place
    assert heard.appellate_officer.username == "ao.lsg"

    decided = Appeal.objects.get(status=Appeal.Status.DECIDED)
    assert decided.ground == Appeal.Ground.DELAYED and decided.appellant.mobile == demo.ASHA
    assert decided.outcome == Appeal.Outcome.ALLOWED and decided.decided_by.username == "ao.lsg"
    assert decided.filed_at < decided.hearing_at <= decided.decided_at < NOW
    penalty = Penalty.objects.get(appeal=decided)
    assert penalty.officer.username == "officer.lsg"  # who had it when it breached
    assert penalty.days_late > 0
    assert penalty.amount == appeals.penalty_amount(penalty.days_late)
    assert 0 < penalty.compensation <= penalty.amount
    assert "penalty" in decided.order_text.lower()
    printed = "\n".join(lines["ekseva.workflow.demo"])
    assert heard.reference in printed and decided.reference in printed


def test_certificates_are_few_one_genuine_for_the_demo_citizen_and_one_revoked(lines):
    certificates = Certificate.objects.select_related("application", "holder")
    assert 2 <= certificates.count() <= 12  # signed PDFs: a handful, not hundreds
    for certificate in certificates:
        assert certificate.application.status == AppStatus.DELIVERED
        assert certificate.locker_document.owner_id == certificate.holder_id

    asha = User.objects.get(mobile=demo.ASHA)
    own = certificates.get(holder=asha)
    assert verify_number(own.number).genuine
    with own.pdf.open("rb") as fh:
        assert verify_pdf(fh.read()).ok
    delivered = Application.objects.get(applicant=asha, status=AppStatus.DELIVERED)
    assert delivered.certificate == own
    assert own.locker_document.owner_id == asha.pk
    printed = "\n".join(lines["ekseva.certificates.demo"])
    url = f"{demo.SITE}/en/verify/{own.number}/"
    assert url in printed
    assert resolve(url.removeprefix(demo.SITE)).url_name == "verify_number"

    (revoked,) = certificates.filter(revoked_at__isnull=False)
    assert revoked.holder != asha and revoked.revoked_reason
    assert revoked.revoked_by.username == f"do.{revoked.department_code.lower()}"
    assert revoked.issued_at < revoked.revoked_at < NOW
    assert verify_number(revoked.number).status == "revoked"
    assert revoked.number in printed


def test_operator_staff_added_a_holiday_the_calendar_now_skips(lines):
    holiday = Holiday.objects.get()
    assert holiday.added_by.username == "ops"
    assert holiday.date > TODAY and not workdays.is_working_day(holiday.date)
    assert holiday.name_en and holiday.name_hi
    assert f"{holiday.date:%d-%m-%Y}" in "\n".join(lines["ekseva.workflow.demo"])


def test_every_step_is_in_the_past_and_in_order(lines):
    cases = live_cases().select_related("application")
    for case in cases:
        moments = list(case.actions.order_by("id").values_list("at", flat=True))
        assert moments == sorted(moments), case
        assert moments[0] >= case.opened_at and moments[-1] <= NOW
        if case.disposed_on:
            assert case.received_on <= case.disposed_on <= TODAY
    assert Action.objects.filter(kind="approve").exists()
    first = min(case.received_on for case in cases)
    assert first <= TODAY - dt.timedelta(days=30)  # a month and more of work


def test_a_second_run_writes_nothing_and_prints_the_same(lines):
    def counts() -> dict[str, int]:
        return {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    before = counts()
    again = demo.load()
    certificates_again = certificates_demo.load()
    assert counts() == before
    assert again == lines["ekseva.workflow.demo"]
    assert certificates_again == lines["ekseva.certificates.demo"]


def test_the_ledger_check_and_the_audit_chain_still_pass(lines):
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert "ledger check passed" in out.getvalue()
    call_command("audit", "seal", stdout=StringIO())  # what beat does every few seconds
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_without_the_operator_staff_member_or_certificates_it_says_so(monkeypatch):
    monkeypatch.setattr(demo, "OPS", "nobody")
    assert demo.load() == [
        "back office: skipped (no 'nobody' staff member: load the accounts demo first)"
    ]
    Certificate.objects.all().delete()  # in this test's savepoint
    assert certificates_demo.load() == [
        "certificates: none issued (load the back-office demo first)"
    ]


@pytest.mark.django_db
def test_a_step_at_or_after_now_is_left_out():
    ran: list[str] = []
    timeline = demo.Timeline(NOW)
    assert timeline.add(NOW - dt.timedelta(hours=1), lambda: ran.append("earlier"))
    assert not timeline.add(NOW, lambda: ran.append("now"))
    assert not timeline.add(NOW + dt.timedelta(days=1), lambda: ran.append("later"))
    assert timeline.add(NOW - dt.timedelta(days=2), lambda: ran.append("first"))
    with clock.frozen(NOW):
        timeline.run()
    assert ran == ["first", "earlier"]


def _signed_in(client, username: str):
    """The real staff sign-in: the demo password and a code of the demo TOTP key."""
    device = confirmed_device(User.objects.get(username=username))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": username, "password": DEMO_PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def test_the_printed_logins_find_their_work(lines, client):
    caste, income = (
        Application.objects.get(applicant__mobile=demo.ASHA, service__code=code).number
        for code in ("lsg-caste-certificate-obc", "lsg-income-certificate")
    )
    inbox = _signed_in(client, "officer.lsg").get("/en/office/inbox/")
    assert inbox.status_code == 200 and caste in inbox.content.decode()
    client.logout()
    inbox = _signed_in(client, "do.lsg").get("/en/office/inbox/")
    assert inbox.status_code == 200 and income in inbox.content.decode()
    client.logout()
    queue = _signed_in(client, "ao.lsg").get("/en/office/appeals/")
    heard = Appeal.objects.get(status=Appeal.Status.HEARING)
    assert queue.status_code == 200 and heard.reference in queue.content.decode()
    client.logout()
    # The demo citizen downloads her certificate.
    asha = User.objects.get(mobile=demo.ASHA)
    client.force_login(asha)
    own = Certificate.objects.get(holder=asha)
    response = client.get(f"/en/certificates/{own.number}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
