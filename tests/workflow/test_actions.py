"""Officers' actions (services.act): each Move of the map, what it needs, who may
take it (the stage's role, the case's department and district), that every action
is recorded and moves the application with it, and that a double submission of the
same action takes effect once (PostgreSQL, threads)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications.models import Status
from ekseva.core import clock
from ekseva.core.audit import AuditEvent
from ekseva.notifications.models import Message
from ekseva.workflow import deliverables, services
from ekseva.workflow.models import Action, Case, DelayRecord, NotAllowed, WorkflowError
from tests.workflow.conftest import officer


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def at_approval(received, scrutiny_officer) -> Case:
    return services.act(case_of(received()), "forward", actor=scrutiny_officer)


def status_of(case: Case) -> str:
    case.application.refresh_from_db()
    return case.application.status


# --------------------------------------------------------------------------- each move


def test_forward_moves_the_case_to_the_next_stage_and_its_officer(
    received, scrutiny_officer, designated_officer
):
    case = case_of(received())
    case = services.act(case, "forward", actor=scrutiny_officer, remark="Papers in order")
    assert case.stage == "approval" and case.state == Case.State.OPEN
    assert case.assignee == designated_officer
    action = case.actions.last()
    assert (action.kind, action.stage, action.to_stage) == ("forward", "scrutiny", "approval")
    assert action.actor == scrutiny_officer and action.assignee == designated_officer
    assert action.remark == "Papers in order"
    assert status_of(case) == Status.IN_PROCESS
    event = AuditEvent.objects.get(action="workflow.case.forward")
    assert event.after["stage"] == "approval" and event.before["stage"] == "scrutiny"


def test_forward_goes_to_the_least_loaded_officer_of_the_next_stage(
    received, scrutiny_officer, designated_officer, places
):
    busy = designated_officer
    free = officer(Role.DESIGNATED_OFFICER, places.bhopal)
    first = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    second = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    assert {first.assignee, second.assignee} == {busy, free}


def test_approve_disposes_the_case_in_time_and_approves_the_application(
    received, scrutiny_officer, designated_officer
):
    case = at_approval(received, scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    assert case.state == Case.State.DISPOSED and case.outcome == "approved"
    assert case.disposed_on == clock.today() and case.disposed_in_time is True
    # certificates: once issue on approval is wired, the application is delivered
    assert status_of(case) in (Status.APPROVED, Status.DELIVERED)
    assert AuditEvent.objects.filter(action="workflow.case.approve").count() == 1


def test_approval_after_the_due_date_is_late_and_closes_the_delay_record(
    received, scrutiny_officer, designated_officer
):
    case = at_approval(received, scrutiny_officer)
    DelayRecord.objects.create(
        case=case,
        officer=designated_officer,
        stage="approval",
        due_date=case.due_date,
        breached_on=dt.date(2026, 6, 29),
        created_at=clock.now(),
    )
    # due Saturday 27 June; decided Wednesday 1 July: 29, 30 June and 1 July late
    clock.advance(days=16)
    case = services.act(case, "approve", actor=designated_officer)
    assert case.disposed_on == dt.date(2026, 7, 1)
    assert case.disposed_in_time is False
    assert DelayRecord.objects.get(case=case).days_late == 3


def test_approval_fires_the_deliverables_inside_its_transaction(
    received, scrutiny_officer, designated_officer, monkeypatch
):
    seen = []
    monkeypatch.setattr(deliverables, "_hooks", [lambda case, actor: seen.append((case, actor))])
    case = services.act(
        at_approval(received, scrutiny_officer), "approve", actor=designated_officer
    )
    assert seen == [(case, designated_officer)]
    assert seen[0][0].application.status == Status.APPROVED


def test_a_failing_deliverable_rolls_the_approval_back(
    received, scrutiny_officer, designated_officer, monkeypatch
):
    def broken(case, actor):
        raise RuntimeError("signing key missing")

    monkeypatch.setattr(deliverables, "_hooks", [broken])
    case = at_approval(received, scrutiny_officer)
    with pytest.raises(RuntimeError):
        services.act(case, "approve", actor=designated_officer)
    case.refresh_from_db()
    assert case.state == Case.State.OPEN and case.outcome == ""
    assert status_of(case) == Status.IN_PROCESS
    assert not case.actions.filter(kind="approve").exists()


def test_reject_needs_a_listed_reason_and_a_remark(received, scrutiny_officer):
    case = case_of(received())
    with pytest.raises(WorkflowError) as no_reason:
        services.act(case, "reject", actor=scrutiny_officer, remark="Fake marksheet")
    assert no_reason.value.field == "reason_code"
    with pytest.raises(WorkflowError) as made_up:
        services.act(case, "reject", actor=scrutiny_officer, reason_code="bad", remark="x")
    assert made_up.value.field == "reason_code"
    with pytest.raises(WorkflowError) as no_remark:
        services.act(case, "reject", actor=scrutiny_officer, reason_code="documents_invalid")
    assert no_remark.value.field == "remark"
    assert case.actions.count() == 1  # only the assignment
    case = services.act(
        case,
        "reject",
        actor=scrutiny_officer,
        reason_code="documents_invalid",
        remark="The marksheet is not genuine.",
    )
    assert case.state == Case.State.DISPOSED and case.outcome == "rejected"
    assert status_of(case) == Status.REJECTED
    last = case.application.history.last()
    assert "Documents are not valid" in last.remark_en and "दस्तावेज़" in last.remark_hi
    assert "The marksheet is not genuine." in last.remark_en
    assert case.actions.last().reason_code == "documents_invalid"
    # the applicant is told (applications.move's decision message)
    assert Message.objects.filter(template="applications.rejected", channel="sms").exists()


def test_return_pauses_the_clock_and_tells_the_applicant_what_to_fix(received, scrutiny_officer):
    case = case_of(received())
    due = case.due_date
    assert case.clean is True
    case = services.act(
        case,
        "return",
        actor=scrutiny_officer,
        remark="The photo is blurred and the gender does not match the ID.",
        fields=["gender", "photo"],
    )
    assert case.state == Case.State.RETURNED and case.paused_on == clock.today()
    assert case.due_date == due and case.clean is False
    assert case.actions.last().fields == ["gender", "photo"]
    assert status_of(case) == Status.RETURNED
    line = case.application.history.last()
    assert line.remark_en.startswith("Please correct or provide: Gender, Photo.")
    assert line.remark_hi.startswith("कृपया सुधारें या दें: लिंग, फोटो।")
    assert Message.objects.filter(template="applications.returned", channel="sms").exists()


@pytest.mark.parametrize(
    ("fields", "remark", "field"),
    [
        ([], "Fix it", "fields"),
        (["gender"], "", "remark"),
        (["no_such_field"], "Fix it", "fields"),
    ],
)
def test_return_needs_fields_of_this_form_and_a_remark(
    received, scrutiny_officer, fields, remark, field
):
    case = case_of(received())
    with pytest.raises(WorkflowError) as refused:
        services.act(case, "return", actor=scrutiny_officer, fields=fields, remark=remark)
    assert refused.value.field == field
    case.refresh_from_db()
    assert case.state == Case.State.OPEN


def test_ask_document_asks_for_the_services_documents_only(received, scrutiny_officer):
    case = case_of(received())
    with pytest.raises(WorkflowError) as not_a_document:
        services.act(case, "ask_document", actor=scrutiny_officer, fields=["gender"])
    assert not_a_document.value.field == "fields"
    case = services.act(case, "ask_document", actor=scrutiny_officer, fields=["pwd_cert"])
    assert case.state == Case.State.RETURNED
    assert case.actions.last().fields == ["pwd_cert"]


def test_schedule_hearing_in_the_future_sends_the_applicant_an_sms(received, scrutiny_officer):
    case = case_of(received())
    with pytest.raises(WorkflowError) as none:
        services.act(case, "schedule_hearing", actor=scrutiny_officer)
    assert none.value.field == "hearing_at"
    with pytest.raises(WorkflowError) as past:
        services.act(
            case,
            "schedule_hearing",
            actor=scrutiny_officer,
            hearing_at=clock.now() - dt.timedelta(hours=1),
        )
    assert past.value.field == "hearing_at"
    when = clock.now() + dt.timedelta(days=3)
    case = services.act(
        case, "schedule_hearing", actor=scrutiny_officer, hearing_at=when, place="Room 4"
    )
    assert case.state == Case.State.OPEN and case.stage == "scrutiny"
    action = case.actions.last()
    assert (action.hearing_at, action.place) == (when, "Room 4")
    sms = Message.objects.get(template="workflow.hearing", channel="sms")
    assert "18-06-2026 10:00" in sms.body and "Room 4" in sms.body
    assert status_of(case) == Status.IN_PROCESS
    with pytest.raises(WorkflowError, match="already scheduled"):
        services.act(case, "schedule_hearing", actor=scrutiny_officer, hearing_at=when)


# --------------------------------------------------------------------------- the map


def test_approve_only_at_the_last_stage_and_forward_only_before_it(
    received, scrutiny_officer, designated_officer
):
    case = case_of(received())
    with pytest.raises(WorkflowError) as early:
        services.act(case, "approve", actor=scrutiny_officer)
    assert early.value.field == "kind"
    case = services.act(case, "forward", actor=scrutiny_officer)
    with pytest.raises(WorkflowError) as late:
        services.act(case, "forward", actor=designated_officer)
    assert late.value.field == "kind"


def test_an_unknown_action_is_refused(received, scrutiny_officer):
    with pytest.raises(WorkflowError) as refused:
        services.act(case_of(received()), "escalate", actor=scrutiny_officer)
    assert refused.value.field == "kind"


def test_nothing_is_done_to_a_disposed_or_returned_case(
    received, scrutiny_officer, designated_officer
):
    case = services.act(
        at_approval(received, scrutiny_officer), "approve", actor=designated_officer
    )
    for kind in ("approve", "reject", "return"):
        with pytest.raises(WorkflowError):
            services.act(
                case,
                kind,
                actor=designated_officer,
                reason_code="other",
                remark="again",
                fields=["gender"],
            )
    returned = services.act(
        case_of(received()), "return", actor=scrutiny_officer, remark="x", fields=["gender"]
    )
    with pytest.raises(WorkflowError):
        services.act(returned, "forward", actor=scrutiny_officer)
    assert Action.objects.filter(kind="approve").count() == 1


def test_an_out_of_date_case_is_refused_rather_than_acted_on_twice(received, scrutiny_officer):
    app = received()
    first, second = case_of(app), case_of(app)
    services.act(first, "forward", actor=scrutiny_officer)
    assert first.stage == "approval"  # the passed instance is refreshed
    with pytest.raises(WorkflowError, match="changed since you opened it"):
        services.act(second, "return", actor=scrutiny_officer, remark="x", fields=["gender"])

    # the form's hidden field: the latest action the officer saw
    other = case_of(received())
    seen = other.actions.last().pk
    services.act(
        other,
        "schedule_hearing",
        actor=scrutiny_officer,
        hearing_at=clock.now() + dt.timedelta(days=2),
    )
    with pytest.raises(WorkflowError, match="changed since you opened it"):
        services.act(
            case_of(other.application),
            "schedule_hearing",
            actor=scrutiny_officer,
            hearing_at=clock.now() + dt.timedelta(days=3),
            seen_action=seen,
        )
    assert other.actions.filter(kind="schedule_hearing").count() == 1


# --------------------------------------------------------------------------- who may act


def test_officers_of_another_district_department_or_role_are_refused(
    received, scrutiny_officer, designated_officer, indore_officer, places
):
    case = case_of(received())
    other_department = officer(Role.DEPARTMENT_OFFICER, places.bhopal, department="REV")
    ops = User.objects.create_user("ops.act", "x-pass-2026-long")
    Posting.objects.create(user=ops, role=Role.OPERATOR_STAFF)
    for person in (
        indore_officer,
        other_department,
        designated_officer,
        ops,
        case.application.applicant,
    ):
        with pytest.raises(NotAllowed):
            services.act(case, "forward", actor=person)
    case = services.act(case, "forward", actor=scrutiny_officer)
    with pytest.raises(NotAllowed):  # scrutiny's role, at the approval stage
        services.act(case, "approve", actor=scrutiny_officer)
    assert case.actions.count() == 2  # assign, forward


def test_an_ended_posting_no_longer_acts_and_a_state_wide_one_does(received, scrutiny_officer):
    case = case_of(received())
    state_wide = officer(Role.DEPARTMENT_OFFICER, None)
    posting = scrutiny_officer.postings.get()
    posting.ends = clock.today() - dt.timedelta(days=1)
    posting.save()
    with pytest.raises(NotAllowed):
        services.act(case, "forward", actor=scrutiny_officer)
    assert services.act(case, "forward", actor=state_wide).stage == "approval"


def test_a_refusal_says_why_in_both_languages(received, indore_officer):
    with pytest.raises(NotAllowed) as refused:
        services.act(case_of(received()), "forward", actor=indore_officer)
    assert "Scrutiny" in refused.value.message("en")
    assert "जाँच" in refused.value.message("hi")


# --------------------------------------------------------------------------- the race

RACERS = 6


def race(count: int, work, load) -> list:
    """``work(n, loaded)`` on ``count`` threads released together, each with what
    ``load()`` read before the barrier (two requests that read the case at once)."""
    start = threading.Barrier(count)

    def run(n: int):
        try:
            loaded = load()
            start.wait()
            return work(n, loaded)
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _try(kind: str, case: Case, actor: User, **kwargs):
    try:
        services.act(case, kind, actor=actor, **kwargs)
    except WorkflowError as exc:
        return exc.message("en")
    return "done"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["forward", "return"])
def test_the_same_action_pressed_at_once_takes_effect_once(received, scrutiny_officer, kind):
    case = case_of(received())
    extra = {"remark": "Fix the gender", "fields": ["gender"]} if kind == "return" else {}
    answers = race(
        RACERS,
        lambda n, loaded: _try(kind, loaded, scrutiny_officer, **extra),
        lambda: Case.objects.get(pk=case.pk),
    )
    assert answers.count("done") == 1, answers
    assert all("changed since you opened it" in a for a in answers if a != "done"), answers
    assert case.actions.filter(kind=kind).count() == 1
    assert case.application.history.filter(to_status=Status.IN_PROCESS).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approve_pressed_at_once_approves_and_delivers_once(
    received, scrutiny_officer, designated_officer, monkeypatch
):
    fired = []
    monkeypatch.setattr(deliverables, "_hooks", [lambda case, actor: fired.append(case.pk)])
    case = at_approval(received, scrutiny_officer)
    answers = race(
        RACERS,
        lambda n, loaded: _try("approve", loaded, designated_officer),
        lambda: Case.objects.get(pk=case.pk),
    )
    assert answers.count("done") == 1, answers
    assert fired == [case.pk]
    assert case.application.history.filter(to_status=Status.APPROVED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hearings_fixed_at_once_from_the_same_page_fix_one(received, scrutiny_officer):
    case = case_of(received())
    seen = case.actions.last().pk
    answers = race(
        RACERS,
        lambda n, loaded: _try(
            "schedule_hearing",
            loaded,
            scrutiny_officer,
            hearing_at=clock.now() + dt.timedelta(days=2, hours=n),
            seen_action=seen,
        ),
        lambda: Case.objects.get(pk=case.pk),
    )
    assert answers.count("done") == 1, answers
    assert case.actions.filter(kind="schedule_hearing").count() == 1
