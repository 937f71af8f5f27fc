"""Time limits (workflow.sla): reminders before the due date (once), the breach
after it (delay register, escalation to the designated officer and then to the
appellate officer, the officer and the applicant told), idempotency and races, a
returned case's stopped clock, days late, due dates moved by holidays, the delay
register's scope and page, the commands and the tasks.

The service's limit is 10 working days: a case received on Monday 15 June 2026 is
due on Saturday 27 June (Sunday 21 is off, Friday 26 June is Muharram)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection
from django.urls import NoReverseMatch, reverse

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import clock, workdays
from ekseva.core.audit import AuditEvent
from ekseva.notifications.models import Message
from ekseva.workflow import services, sla, tasks
from ekseva.workflow.models import Action, Case, DelayRecord, WorkflowError
from tests.kiosks.test_commission_pages import signed_in
from tests.workflow.conftest import PASSWORD, officer

D = dt.date
DUE = D(2026, 6, 27)


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def messages(template: str, user: User) -> dict[str, Message]:
    return {m.channel: m for m in Message.objects.filter(template=template, user_id=user.pk)}


def ops_staff() -> User:
    user = User.objects.create_user(f"ops.sla.{User.objects.count()}", PASSWORD)
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user


@pytest.fixture
def case(received) -> Case:
    made = case_of(received())
    assert made.due_date == DUE and made.stage == "scrutiny"
    return made


# --------------------------------------------------------------------------- reminders


def test_the_officer_is_reminded_once_when_the_due_date_is_two_working_days_away(
    case, scrutiny_officer, settings
):
    settings.WORKFLOW_REMIND_DAYS = 2
    scrutiny_officer.email = "meena@mp.gov.in"
    scrutiny_officer.mobile = "9876511111"
    scrutiny_officer.save()
    # Monday 22 June: two working days on is Wednesday 24: not yet
    assert sla.remind_due(D(2026, 6, 22)) == 0
    # Thursday 25 June: Friday 26 is a holiday, Saturday 27 and Monday 29 are the two days
    assert sla.remind_due(D(2026, 6, 25)) == 1
    case.refresh_from_db()
    assert case.reminded_on == D(2026, 6, 25)
    sent = messages(sla.DUE_SOON, scrutiny_officer)
    assert set(sent) == {"inapp", "email", "sms"}
    assert case.application.number in sent["inapp"].body and "27-06-2026" in sent["inapp"].body
    # once per case, however often it runs
    assert sla.remind_due(D(2026, 6, 25)) == 0
    assert sla.remind_due(D(2026, 6, 26)) == 0
    assert Message.objects.filter(template=sla.DUE_SOON).count() == 3
    assert AuditEvent.objects.filter(action="workflow.case.reminded").count() == 1


def test_an_officer_without_email_or_mobile_is_reminded_in_the_app(case, scrutiny_officer):
    assert sla.remind_due(DUE) == 1
    assert set(messages(sla.DUE_SOON, scrutiny_officer)) == {"inapp"}


def test_the_reminder_comes_in_the_officers_language(case, scrutiny_officer):
    scrutiny_officer.preferred_language = "hi"
    scrutiny_officer.save()
    sla.remind_due(DUE)
    message = messages(sla.DUE_SOON, scrutiny_officer)["inapp"]
    assert message.language == "hi" and "समय-सीमा" in message.body


def test_no_reminder_for_a_returned_case_a_decided_one_or_one_already_late(
    received, scrutiny_officer, designated_officer
):
    returned = services.act(
        case_of(received()), "return", actor=scrutiny_officer, remark="x", fields=["gender"]
    )
    decided = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    decided = services.act(decided, "approve", actor=designated_officer)
    late = case_of(received())
    assert sla.remind_due(DUE + dt.timedelta(days=2)) == 0  # late's due date has passed
    assert sla.remind_due(DUE) == 1  # only the open one still in time
    returned.refresh_from_db()
    decided.refresh_from_db()
    late.refresh_from_db()
    assert returned.reminded_on is None and decided.reminded_on is None
    assert late.reminded_on == DUE


# --------------------------------------------------------------------------- breach


def test_a_case_past_its_due_date_goes_into_the_register_and_to_the_designated_officer(
    case, citizen, scrutiny_officer, designated_officer
):
    assert sla.escalate_breaches(DUE) == 0  # the due date itself is still in time
    assert sla.escalate_breaches(DUE + dt.timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.breached_on == D(2026, 6, 28)
    assert case.assignee == designated_officer and case.escalated_to == designated_officer
    record = DelayRecord.objects.get(case=case)
    assert (record.officer, record.stage, record.due_date, record.breached_on) == (
        scrutiny_officer,
        "scrutiny",
        DUE,
        D(2026, 6, 28),
    )
    assert record.escalated_to == designated_officer and record.days_late is None
    action = case.actions.last()
    assert (action.kind, action.stage, action.assignee, action.actor) == (
        "escalate",
        "scrutiny",
        designated_officer,
        None,
    )
    told = messages(sla.ESCALATED, designated_officer)["inapp"]
    assert case.application.number in told.body and str(scrutiny_officer) in told.body
    applicant = messages(sla.OVERDUE, citizen)
    assert set(applicant) == {"inapp", "sms", "email"}
    assert "appeal" in applicant["sms"].body
    assert applicant["inapp"].body.split()[-1].startswith(settings_base_url())
    assert AuditEvent.objects.get(action="workflow.case.breached").after["escalated_to"] == (
        designated_officer.pk
    )


def settings_base_url() -> str:
    from django.conf import settings

    return settings.PUBLIC_BASE_URL


def test_the_applicant_is_sent_to_the_appeal_form_when_there_is_one(case, citizen):
    sla.escalate_breaches(DUE + dt.timedelta(days=1))
    link = messages(sla.OVERDUE, citizen)["inapp"].body.split()[-1]
    try:
        expected = reverse("workflow:appeal_new", args=[case.application.number])
    except NoReverseMatch:
        try:
            expected = reverse("workflow:appeal_new")
        except NoReverseMatch:
            expected = reverse("applications:detail", args=[case.application.number])
    assert link == settings_base_url() + expected


def test_when_the_designated_officer_had_it_the_breach_goes_to_the_districts_appellate_officer(
    received, scrutiny_officer, designated_officer, appellate_officer, second_appellate_officer
):
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    assert case.assignee == designated_officer
    assert sla.escalate_breaches(DUE + dt.timedelta(days=3)) == 1
    case.refresh_from_db()
    # the one posted for Bhopal, before the one posted state-wide
    assert case.assignee == appellate_officer and case.escalated_to == appellate_officer
    record = DelayRecord.objects.get(case=case)
    assert (record.officer, record.stage, record.escalated_to) == (
        designated_officer,
        "approval",
        appellate_officer,
    )
    assert messages(sla.ESCALATED, appellate_officer)


def test_the_appellate_officer_of_another_department_or_district_is_not_chosen(
    received, scrutiny_officer, designated_officer, places
):
    officer(Role.APPELLATE_OFFICER, places.indore)
    officer(Role.APPELLATE_OFFICER, places.bhopal, department="OTHER")
    state_wide = officer(Role.APPELLATE_OFFICER, None)
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    sla.escalate_breaches(DUE + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.escalated_to == state_wide


def test_with_nobody_to_go_to_the_breach_is_still_recorded_and_the_officer_keeps_it(
    received, scrutiny_officer, designated_officer
):
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    assert sla.escalate_breaches(DUE + dt.timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.breached_on and case.assignee == designated_officer and case.escalated_to is None
    assert DelayRecord.objects.get(case=case).escalated_to is None


def test_a_designated_officer_who_left_is_replaced_by_another_posted_for_the_district(
    case, designated_officer, places
):
    designated_officer.is_active = False
    designated_officer.save()
    other = officer(Role.DESIGNATED_OFFICER, places.bhopal)
    sla.escalate_breaches(DUE + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.escalated_to == other


def test_escalation_is_idempotent(case, citizen):
    day = DUE + dt.timedelta(days=1)
    assert sla.escalate_breaches(day) == 1
    assert sla.escalate_breaches(day) == 0
    assert sla.escalate_breaches(day + dt.timedelta(days=5)) == 0
    case.refresh_from_db()
    assert case.breached_on == day
    assert DelayRecord.objects.filter(case=case).count() == 1
    assert Action.objects.filter(case=case, kind="escalate").count() == 1
    assert Message.objects.filter(template=sla.OVERDUE, user_id=citizen.pk).count() == 3


def test_one_cases_trouble_does_not_keep_the_others_out_of_the_register(
    received, monkeypatch, caplog
):
    first, second = case_of(received()), case_of(received())
    real = sla.next_officer

    def broken(case):
        if case.pk == first.pk:
            raise RuntimeError("officer row lost")
        return real(case)

    monkeypatch.setattr(sla, "next_officer", broken)
    assert sla.escalate_breaches(DUE + dt.timedelta(days=1)) == 1
    assert "could not escalate case" in caplog.text
    first.refresh_from_db()
    assert first.breached_on is None and not DelayRecord.objects.filter(case=first).exists()
    assert DelayRecord.objects.filter(case=second).exists()
    monkeypatch.setattr(sla, "next_officer", real)
    assert sla.escalate_breaches(DUE + dt.timedelta(days=1)) == 1
    assert DelayRecord.objects.count() == 2


def test_a_decided_case_is_never_breached(received, scrutiny_officer, designated_officer):
    case = services.act(
        case_of(received()),
        "reject",
        actor=scrutiny_officer,
        reason_code="not_eligible",
        remark="Not a graduate",
    )
    assert sla.escalate_breaches(DUE + dt.timedelta(days=30)) == 0
    case.refresh_from_db()
    assert case.breached_on is None and not DelayRecord.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_breach_a_case_once(received, frozen_clock):
    case = case_of(received())
    barrier = threading.Barrier(2)

    def run() -> int:
        try:
            barrier.wait()
            return sla.escalate_breaches(DUE + dt.timedelta(days=1))
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _n: run(), range(2)))
    assert sorted(results) == [0, 1]
    assert DelayRecord.objects.filter(case=case).count() == 1
    assert Action.objects.filter(case=case, kind="escalate").count() == 1


# --------------------------------------------------------------------------- the paused clock


def test_a_returned_case_is_not_breached_while_it_waits_and_its_due_date_moves_by_the_pause(
    case, citizen, scrutiny_officer
):
    case = services.act(case, "return", actor=scrutiny_officer, remark="x", fields=["gender"])
    assert case.state == Case.State.RETURNED and case.paused_on == D(2026, 6, 15)
    # a month later, still waiting with the applicant: not in breach
    assert sla.escalate_breaches(D(2026, 7, 15)) == 0
    assert sla.remind_due(DUE) == 0
    case.refresh_from_db()
    assert case.breached_on is None and case.reminded_on is None
    # the days late stop at the return
    assert sla.days_late(case, D(2026, 7, 15)) == 0
    # the applicant answers on Wednesday 1 July: 13 working days stood still
    clock.advance(days=16)
    assert clock.today() == D(2026, 7, 1)
    case = services.resubmit(case.application, {"gender": "F"}, actor=citizen)
    paused = workdays.working_days_between(D(2026, 6, 15), D(2026, 7, 1))
    assert case.paused_days == paused == 13
    assert case.due_date == workdays.add_working_days(D(2026, 6, 15), 10 + paused)
    assert case.due_date == D(2026, 7, 13)
    assert sla.escalate_breaches(D(2026, 7, 13)) == 0
    assert sla.escalate_breaches(D(2026, 7, 14)) == 1


# --------------------------------------------------------------------------- days late


def test_days_late_counts_working_days_after_the_due_date_while_open(case):
    assert sla.days_late(case, DUE) == 0
    assert sla.days_late(case, D(2026, 6, 28)) == 0  # Sunday
    assert sla.days_late(case, D(2026, 6, 29)) == 1
    assert sla.days_late(case, D(2026, 7, 4)) == 6
    case.limit_kind = "calendar"
    assert sla.days_late(case, D(2026, 7, 4)) == 7


def at_approval(received, scrutiny_officer) -> Case:
    """A case with its designated officer (nobody above: it stays with them when late)."""
    return services.act(case_of(received()), "forward", actor=scrutiny_officer)


def test_days_late_of_a_decided_case_stop_at_the_decision_and_the_register_keeps_them(
    received, scrutiny_officer, designated_officer
):
    case = at_approval(received, scrutiny_officer)
    sla.escalate_breaches(D(2026, 6, 28))
    clock.advance(days=17)  # Thursday 2 July
    case = services.act(case_of(case.application), "approve", actor=designated_officer)
    assert case.disposed_on == D(2026, 7, 2)
    assert sla.days_late(case) == sla.days_late(case, D(2026, 12, 31)) == 4
    assert DelayRecord.objects.get(case=case).days_late == 4


def test_the_nightly_run_settles_days_late_of_cases_decided_since(
    received, scrutiny_officer, designated_officer
):
    case = at_approval(received, scrutiny_officer)
    sla.escalate_breaches(D(2026, 6, 28))
    clock.advance(days=17)
    services.act(case_of(case.application), "approve", actor=designated_officer)
    DelayRecord.objects.update(days_late=None)  # as if the decision had not filled it
    sla.escalate_breaches(D(2026, 7, 3))
    assert DelayRecord.objects.get().days_late == 4
    assert sla.settle_disposed() == 0


def test_record_disposal_delay_leaves_undecided_and_unbreached_cases(case):
    assert sla.record_disposal_delay(case) is None
    sla.escalate_breaches(D(2026, 6, 28))
    case.refresh_from_db()
    assert sla.record_disposal_delay(case) is None
    assert DelayRecord.objects.get().days_late is None


# --------------------------------------------------------------------------- holidays


def test_a_holiday_added_or_removed_moves_undecided_cases_due_dates(
    received, scrutiny_officer, designated_officer
):
    ops = ops_staff()
    open_case = case_of(received())
    returned = services.act(
        case_of(received()), "return", actor=scrutiny_officer, remark="x", fields=["gender"]
    )
    decided = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    decided = services.act(decided, "approve", actor=designated_officer)
    holiday, moved = sla.declare_holiday(D(2026, 6, 18), "Local fair", "स्थानीय मेला", actor=ops)
    assert moved == 2
    for case in (open_case, returned, decided):
        case.refresh_from_db()
        case.application.refresh_from_db()
    assert open_case.due_date == returned.due_date == D(2026, 6, 29)  # past Sunday 28
    assert open_case.application.due_date == D(2026, 6, 29)
    assert decided.due_date == DUE
    assert sla.remove_holiday(holiday, actor=ops) == 2
    open_case.refresh_from_db()
    assert open_case.due_date == DUE and workdays.is_working_day(D(2026, 6, 18))
    assert AuditEvent.objects.filter(action="workflow.holiday.removed").count() == 1
    assert AuditEvent.objects.filter(action="workflow.case.due_moved").count() == 4


def test_a_breached_case_keeps_its_due_date_when_a_holiday_is_added(case):
    sla.escalate_breaches(D(2026, 6, 29))
    clock.advance(days=14)  # 29 June
    sla.declare_holiday(D(2026, 6, 30), "Local", actor=ops_staff())
    case.refresh_from_db()
    assert case.due_date == DUE


@pytest.mark.parametrize(
    ("day", "field"),
    [
        (D(2026, 6, 14), "date"),  # yesterday
        (D(2026, 8, 15), "date"),  # Independence Day: already a public holiday
    ],
)
def test_a_past_day_or_a_public_holiday_is_refused(case, day, field):
    with pytest.raises(WorkflowError) as refused:
        sla.declare_holiday(day, "Local", actor=ops_staff())
    assert refused.value.field == field
    assert refused.value.message("hi")


def test_the_same_day_twice_and_an_unnamed_holiday_are_refused(case):
    ops = ops_staff()
    sla.declare_holiday(D(2026, 7, 1), "Local", actor=ops)
    with pytest.raises(WorkflowError):
        sla.declare_holiday(D(2026, 7, 1), "Again", actor=ops)
    with pytest.raises(WorkflowError) as refused:
        sla.declare_holiday(D(2026, 7, 2), "  ", actor=ops)
    assert refused.value.field == "name_en"


def test_only_operator_staff_change_holidays(case, designated_officer):
    with pytest.raises(PermissionDenied):
        sla.declare_holiday(D(2026, 7, 1), "Local", actor=designated_officer)
    holiday, _moved = sla.declare_holiday(D(2026, 7, 1), "Local", actor=ops_staff())
    with pytest.raises(PermissionDenied):
        sla.remove_holiday(holiday, actor=designated_officer)


def test_a_past_holiday_cannot_be_removed_and_a_removed_one_not_twice(case):
    ops = ops_staff()
    holiday, _moved = sla.declare_holiday(D(2026, 6, 16), "Local", actor=ops)
    clock.advance(days=2)
    with pytest.raises(WorkflowError):
        sla.remove_holiday(holiday, actor=ops)
    later, _moved = sla.declare_holiday(D(2026, 7, 1), "Local", actor=ops)
    sla.remove_holiday(later, actor=ops)
    with pytest.raises(WorkflowError):
        sla.remove_holiday(later.pk, actor=ops)


# --------------------------------------------------------------------------- the register


@pytest.fixture
def breached(received, citizen, places, scrutiny_officer, designated_officer):
    """One breached case in Bhopal (TST) and one in Indore (TST)."""
    indore_scrutiny = officer(Role.DEPARTMENT_OFFICER, places.indore)
    from ekseva.accounts.models import CitizenProfile

    other = User.objects.create_citizen("9876500012", full_name="Indore Applicant")
    CitizenProfile.objects.create(user=other, district=places.indore, name_en="Indore Applicant")
    bhopal = case_of(received())
    indore = case_of(received(other))
    assert indore.district == places.indore and indore.assignee == indore_scrutiny
    assert sla.escalate_breaches(D(2026, 6, 29)) == 2
    return bhopal, indore


def numbers(records) -> set[str]:
    return {record.case.application.number for record in records}


def test_the_register_is_scoped_to_the_officers_department_and_district(breached, places):
    bhopal, indore = breached
    bhopal_officer = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    state_officer = officer(Role.APPELLATE_OFFICER, places.state)
    assert numbers(sla.delays_for(bhopal_officer)) == {bhopal.application.number}
    assert numbers(sla.delays_for(state_officer)) == {
        bhopal.application.number,
        indore.application.number,
    }
    assert len(sla.delays_for(ops_staff())) == 2
    assert not sla.delays_for(officer(Role.DEPARTMENT_OFFICER, places.bhopal, department="OTH"))
    assert not sla.delays_for(officer(Role.DESIGNATED_OFFICER, None, department="OTH"))


def test_the_register_is_refused_to_citizens_and_kiosk_staff(breached, citizen):
    kiosk = User.objects.create_user("kiosk.sla", PASSWORD)
    Posting.objects.create(user=kiosk, role=Role.KIOSK_OPERATOR, kiosk_code="K1")
    for user in (citizen, kiosk):
        with pytest.raises(PermissionDenied):
            sla.delays_for(user)


def test_a_register_row_says_what_happened(breached, scrutiny_officer, designated_officer):
    bhopal, _indore = breached
    record = DelayRecord.objects.get(case=bhopal)
    row = sla.register_row(record, "hi", D(2026, 6, 30))
    assert row["stage"] == "जाँच" and row["officer"] == str(scrutiny_officer)
    assert row["escalated_to"] == str(designated_officer)
    assert row["days_late"] == 2 and row["unit"] == "working" and row["open"]


# --------------------------------------------------------------------------- the page


def delays_url(lang: str = "en") -> str:
    from django.utils import translation

    with translation.override(lang):
        return reverse("workflow:delays")


def test_the_delay_register_page_shows_only_the_officers_own_cases(client, breached, places):
    bhopal, indore = breached
    viewer = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    response = signed_in(client, viewer, PASSWORD).get(delays_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert bhopal.application.number in page and indore.application.number not in page


def test_the_delay_register_page_in_hindi_and_its_filter(client, breached):
    bhopal, indore = breached
    client = signed_in(client, ops_staff(), PASSWORD)
    page = client.get(delays_url("hi")).content.decode()
    assert "विलंब पंजी" in page and bhopal.application.number in page
    assert indore.application.number in page
    decided = client.get(delays_url(), {"show": "disposed"}).content.decode()
    assert bhopal.application.number not in decided
    waiting = client.get(delays_url(), {"show": "open"}).content.decode()
    assert bhopal.application.number in waiting and indore.application.number in waiting


def test_the_delay_register_csv(client, breached, scrutiny_officer, places):
    bhopal, _indore = breached
    viewer = officer(Role.DESIGNATED_OFFICER, places.bhopal)
    response = signed_in(client, viewer, PASSWORD).get(delays_url(), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["application"] for row in rows] == [bhopal.application.number]
    assert rows[0]["officer_at_breach"] == str(scrutiny_officer)
    assert rows[0]["due_date"] == "2026-06-27" and rows[0]["breached_on"] == "2026-06-29"


def test_the_delay_register_page_is_refused_without_the_right_role(client, breached, citizen):
    kiosk = User.objects.create_user("kiosk.sla2", PASSWORD)
    Posting.objects.create(user=kiosk, role=Role.KIOSK_OPERATOR, kiosk_code="K1")
    response = signed_in(client, kiosk, PASSWORD).get(delays_url())
    assert response.status_code == 403
    client.logout()
    response = client.get(delays_url())
    assert response.status_code == 302  # off to the staff sign-in


# --------------------------------------------------------------------------- commands, tasks


def test_the_commands_print_what_they_did(case):
    out = io.StringIO()
    call_command("workflow", "remind", "--date", "2026-06-25", stdout=out)
    call_command("workflow", "remind", "--date", "2026-06-25", stdout=out)
    call_command("workflow", "escalate", "--date", "2026-06-28", stdout=out)
    call_command("workflow", "escalate", "--date", "2026-06-28", stdout=out)
    call_command("workflow", "recompute-due", stdout=out)
    assert out.getvalue().splitlines() == [
        "reminded 1 case(s)",
        "reminded 0 case(s)",
        "escalated 1 case(s)",
        "escalated 0 case(s)",
        "moved the due date of 0 case(s)",
    ]


def test_the_commands_refuse_a_bad_date(case):
    with pytest.raises(CommandError):
        call_command("workflow", "escalate", "--date", "28-06-2026")


def test_the_tasks_run_as_of_today(case):
    assert tasks.remind_due() == 0
    assert tasks.escalate_breaches() == 0
    clock.advance(days=10)  # Thursday 25 June
    assert tasks.remind_due() == 1
    clock.advance(days=3)  # Sunday 28 June
    assert tasks.escalate_breaches() == 1


def test_the_designated_officer_a_case_was_escalated_to_decides_it_at_any_stage(
    case, scrutiny_officer, designated_officer, appellate_officer, places
):
    """Escalation puts the case on the designated officer's desk at the stage where it
    stood (scrutiny, a department officer's stage): they may decide it there."""
    other_do = officer(Role.DESIGNATED_OFFICER, places.bhopal, name="Another DO")
    assert not services.may_act(designated_officer, case)  # not before the breach
    sla.escalate_breaches(DUE + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.stage == "scrutiny" and case.assignee == designated_officer
    assert services.may_act(designated_officer, case)
    assert not services.may_act(other_do, case)  # only the one it was escalated to
    with pytest.raises(WorkflowError):  # approve is still for the last stage only
        services.act(case, "approve", actor=designated_officer)
    case = services.act(case, "forward", actor=designated_officer)
    assert case.stage == "approval"
    case = services.act(case, "approve", actor=designated_officer)
    assert case.outcome == "approved"


def test_an_appellate_officer_a_case_was_escalated_to_may_hand_it_on(
    case, scrutiny_officer, designated_officer, appellate_officer
):
    other_do = officer(Role.DESIGNATED_OFFICER, case.district, name="Another DO")
    case = services.act(case, "forward", actor=scrutiny_officer)  # now at the DO's stage
    assert case.assignee in (designated_officer, other_do)
    sla.escalate_breaches(DUE + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.assignee == appellate_officer
    target = other_do if case.escalated_to != other_do else designated_officer
    services.reassign(case, target, actor=appellate_officer, reason="Decide it today")
    case.refresh_from_db()
    assert case.assignee == target
