"""Appeals under the Public Services Guarantee Act: filed by the applicant against a
rejection or a breach of the time limit, heard and ordered by the appellate officer
of the right reach, with the Act's penalty (₹250 a day, at most ₹5,000) on the
officer responsible and compensation out of it; then a second appeal.

The service of the fixtures has a limit of 10 working days from Monday 15 June
2026: due Saturday 27 June (26 June is a holiday)."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ekseva.accounts.models import Role, User
from ekseva.accounts.workspace import links_for
from ekseva.core import clock, workdays
from ekseva.core.models import AuditEvent
from ekseva.notifications.models import Message
from ekseva.workflow import appeals, services, sla
from ekseva.workflow.models import Appeal, Case, DelayRecord, NotAllowed, Penalty, WorkflowError
from tests.workflow.conftest import officer

IST = ZoneInfo("Asia/Kolkata")
DUE = dt.date(2026, 6, 27)
STATEMENT = "I applied on 15 June; nothing was decided in the time limit."


def case_of(app) -> Case:
    return Case.objects.select_related("application").get(application=app)


def go_to(day: dt.date, hour: int = 10) -> None:
    """Move the frozen clock to ``day`` at ``hour`` IST."""
    target = dt.datetime.combine(day, dt.time(hour), tzinfo=IST)
    clock.advance(seconds=(target - clock.now()).total_seconds())
    assert clock.today() == day


def late_by(days: int) -> dt.date:
    """The day on which the case is ``days`` working days past its due date."""
    return workdays.add_working_days(DUE, days)


def reject(case: Case, scrutiny_officer) -> Case:
    return services.act(
        case,
        "reject",
        actor=scrutiny_officer,
        reason_code="documents_invalid",
        remark="The marksheet is not genuine.",
    )


def sent(template: str, user: User, channel: str = "sms") -> int:
    return Message.objects.filter(template=template, user_id=user.pk, channel=channel).count()


def hearing_moment(days: int = 2) -> dt.datetime:
    return (clock.now() + dt.timedelta(days=days)).replace(hour=11, minute=0)


# --------------------------------------------------------------------------- the whole story


def test_breach_escalation_first_appeal_hearing_penalty_then_second_appeal(
    received,
    citizen,
    scrutiny_officer,
    designated_officer,
    appellate_officer,
    second_appellate_officer,
):
    app = received()
    case = case_of(app)
    assert case.due_date == DUE
    # Within the time limit there is nothing to appeal against.
    with pytest.raises(WorkflowError, match="within its time limit"):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)

    # The limit passes with no decision: the nightly run breaches and escalates it.
    go_to(DUE + dt.timedelta(days=1))
    assert sla.escalate_breaches() == 1
    case.refresh_from_db()
    assert case.breached_on == DUE + dt.timedelta(days=1)
    assert case.assignee == designated_officer  # escalated
    delay = DelayRecord.objects.get(case=case)
    assert delay.officer == scrutiny_officer and delay.escalated_to == designated_officer
    assert case.actions.filter(kind="escalate").exists()

    # Decided at last, 7 working days late.
    go_to(late_by(7))
    case = services.act(case, "forward", actor=scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    assert sla.days_late(case) == 7

    # The first appeal: on the ground of delay, to the Bhopal appellate officer.
    window = appeals.appeal_window(case)
    assert window.level == 1 and window.ground == "delayed"
    assert window.until == case.breached_on + dt.timedelta(days=30)
    first = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    assert first.level == 1 and first.ground == Appeal.Ground.DELAYED
    assert first.status == Appeal.Status.FILED
    assert first.appellate_officer == appellate_officer
    assert first.reference.startswith("AP26") and len(first.reference) == 12
    assert sent(appeals.FILED, citizen) == 1
    assert sent(appeals.ASSIGNED, appellate_officer, "inapp") == 1
    assert AuditEvent.objects.filter(action="workflow.appeal.filed").count() == 1

    # No second appeal before the first is decided.
    with pytest.raises(WorkflowError, match="not decided yet"):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT, level=2)

    # The hearing: the appellant and the designated officer are told.
    when = hearing_moment()
    appeals.schedule_hearing(first, at=when, place="Collectorate, room 4", actor=appellate_officer)
    first.refresh_from_db()
    assert first.status == Appeal.Status.HEARING and first.hearing_at == when
    assert sent(appeals.HEARING, citizen) == 1
    assert sent(appeals.HEARING, designated_officer, "inapp") == 1

    # The order: allowed, with the penalty on the officer who had it at the breach.
    go_to(when.astimezone(IST).date())
    preview = appeals.penalty_preview(first)
    assert (preview.officer, preview.days_late, preview.amount) == (scrutiny_officer, 7, 175_000)
    appeals.decide(
        first,
        outcome="allowed",
        order_text="The delay was without sufficient cause. Penalty imposed.",
        actor=appellate_officer,
        penalise=True,
        compensation=50_000,
    )
    first.refresh_from_db()
    assert first.status == Appeal.Status.DECIDED and first.outcome == "allowed"
    assert first.decided_by == appellate_officer and first.decided_at == clock.now()
    penalty = Penalty.objects.get(appeal=first)
    assert penalty.officer == scrutiny_officer
    assert penalty.days_late == 7
    assert penalty.amount == 175_000  # ₹1,750
    assert penalty.compensation == 50_000
    assert sent(appeals.ORDER, citizen) == 1
    assert sent(appeals.DIRECTED, designated_officer, "inapp") == 1
    assert sent(appeals.PENALISED, scrutiny_officer, "inapp") == 1
    assert AuditEvent.objects.filter(action="workflow.penalty.imposed").count() == 1
    assert appeals.penalties_for(scrutiny_officer) == {
        "count": 1,
        "amount": 175_000,
        "compensation": 50_000,
    }

    # The second appeal after the order goes to the state-wide authority; the officer
    # who passed the first order cannot hear it.
    go_to(clock.today() + dt.timedelta(days=10))
    second = appeals.file_appeal(case, appellant=citizen, statement="Not complied.", level=2)
    assert second.level == 2 and second.ground == Appeal.Ground.DELAYED
    assert second.appellate_officer == second_appellate_officer
    assert appeals.may_hear(second_appellate_officer, second)
    assert not appeals.may_hear(appellate_officer, second)
    with pytest.raises(NotAllowed):
        appeals.schedule_hearing(
            second, at=hearing_moment(), place="Room 1", actor=appellate_officer
        )
    # The delay was penalised once: the second order cannot penalise it again.
    with pytest.raises(WorkflowError, match="already imposed") as refused:
        appeals.decide(
            second,
            outcome="allowed",
            order_text="Penalty again.",
            actor=second_appellate_officer,
            penalise=True,
        )
    assert refused.value.field == "penalise"
    appeals.decide(
        second,
        outcome="dismissed",
        order_text="The first order stands.",
        actor=second_appellate_officer,
    )
    assert appeals.appeal_window(case).open is False
    assert Penalty.objects.count() == 1


def test_a_penalty_is_capped_at_5000_rupees(received, citizen, scrutiny_officer, appellate_officer):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(40))  # still undecided: counted to today
    appeals.decide(
        appeal,
        outcome="allowed",
        order_text="Decide forthwith.",
        actor=appellate_officer,
        penalise=True,
        compensation=500_000,
    )
    penalty = Penalty.objects.get(appeal=appeal)
    assert penalty.days_late == 40
    assert penalty.amount == 500_000  # capped: ₹5,000, not ₹10,000
    assert penalty.compensation == 500_000


@given(days=st.integers(min_value=0, max_value=400))
def test_penalty_amount_is_250_rupees_a_day_capped_at_5000(days):
    assert appeals.penalty_amount(days) == min(days * 25_000, 500_000)


@pytest.fixture
def a_case(received) -> Case:
    return case_of(received())


@hsettings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(min_value=0, max_value=60))
def test_the_penalty_follows_the_cases_own_count_of_days_late(a_case, days):
    # The case as if disposed ``days`` working days after its due date (not saved).
    a_case.state = Case.State.DISPOSED
    a_case.disposed_on = workdays.add_working_days(DUE, days)
    preview = appeals.penalty_preview(Appeal(case=a_case, level=1))
    assert preview.days_late == days
    assert preview.amount == min(days * 25_000, 500_000)


# --------------------------------------------------------------------------- rejection


def test_a_rejection_can_be_appealed_for_30_days_and_not_on_the_31st(
    received, citizen, scrutiny_officer
):
    case = reject(case_of(received()), scrutiny_officer)
    rejected_on = case.disposed_on
    window = appeals.appeal_window(case)
    assert (window.level, window.ground) == (1, "rejected")
    assert window.until == rejected_on + dt.timedelta(days=30)

    go_to(rejected_on + dt.timedelta(days=31))
    with pytest.raises(WorkflowError, match="ended on"):
        appeals.file_appeal(case, appellant=citizen, statement="Unfair rejection.")
    assert not Appeal.objects.exists()

    go_to(rejected_on + dt.timedelta(days=30), hour=1)  # the 30th day is still in time
    appeal = appeals.file_appeal(case, appellant=citizen, statement="Unfair rejection.")
    assert appeal.ground == Appeal.Ground.REJECTED


def test_an_allowed_appeal_on_a_rejection_directs_the_designated_officer_and_leaves_the_case(
    received, citizen, scrutiny_officer, designated_officer, appellate_officer
):
    case = reject(case_of(received()), scrutiny_officer)
    appeal = appeals.file_appeal(case, appellant=citizen, statement="The marksheet is genuine.")
    # Decided in time: there is no delay to penalise.
    with pytest.raises(WorkflowError, match="not late"):
        appeals.decide(
            appeal,
            outcome="allowed",
            order_text="Verify the marksheet again.",
            actor=appellate_officer,
            penalise=True,
        )
    appeals.decide(
        appeal,
        outcome="allowed",
        order_text="Verify the marksheet with the board and decide afresh in 7 days.",
        actor=appellate_officer,
    )
    case.refresh_from_db()
    assert case.state == Case.State.DISPOSED and case.outcome == "rejected"  # unchanged
    assert sent(appeals.DIRECTED, designated_officer, "inapp") == 1
    assert not Penalty.objects.exists()


def test_a_second_appeal_is_refused_31_days_after_the_first_order(
    received, citizen, scrutiny_officer, appellate_officer
):
    case = reject(case_of(received()), scrutiny_officer)
    first = appeals.file_appeal(case, appellant=citizen, statement="Appeal.")
    appeals.decide(
        first, outcome="dismissed", order_text="Rightly rejected.", actor=appellate_officer
    )
    go_to(clock.today() + dt.timedelta(days=31))
    with pytest.raises(WorkflowError, match="second appeal"):
        appeals.file_appeal(case, appellant=citizen, statement="Again.", level=2)


def test_a_second_appeal_with_nobody_state_wide_is_filed_unassigned(
    received, citizen, scrutiny_officer, appellate_officer
):
    case = reject(case_of(received()), scrutiny_officer)
    first = appeals.file_appeal(case, appellant=citizen, statement="Appeal.")
    appeals.decide(
        first, outcome="dismissed", order_text="Rightly rejected.", actor=appellate_officer
    )
    second = appeals.file_appeal(case, appellant=citizen, statement="Again.", level=2)
    # Never to the officer who passed the first order.
    assert second.appellate_officer is None
    assert not appeals.may_hear(appellate_officer, second)


# --------------------------------------------------------------------------- refusals


def test_only_the_applicant_may_appeal(received, citizen, scrutiny_officer, appellate_officer):
    case = reject(case_of(received()), scrutiny_officer)
    other = User.objects.create_citizen("9876500099", full_name="Someone Else")
    for person in (other, scrutiny_officer, appellate_officer):
        with pytest.raises(NotAllowed):
            appeals.file_appeal(case, appellant=person, statement="Me too.")
    assert not Appeal.objects.exists()


def test_too_early_on_an_open_case_and_never_on_one_approved_in_time(
    received, citizen, scrutiny_officer, designated_officer
):
    case = case_of(received())
    with pytest.raises(WorkflowError, match="within its time limit"):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(DUE)  # the due date itself is in time
    with pytest.raises(WorkflowError):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    case = services.act(case, "forward", actor=scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    go_to(DUE + dt.timedelta(days=5))
    with pytest.raises(WorkflowError, match="nothing to appeal"):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)


def test_a_case_past_its_due_date_can_be_appealed_before_the_nightly_breach(
    received, citizen, appellate_officer
):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=2))
    assert case.breached_on is None
    window = appeals.appeal_window(case)
    assert window.ground == "delayed" and window.since == DUE + dt.timedelta(days=1)
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    assert appeal.ground == Appeal.Ground.DELAYED


def test_a_returned_case_is_not_in_breach(received, citizen, scrutiny_officer):
    case = services.act(
        case_of(received()),
        "return",
        actor=scrutiny_officer,
        fields=["gender"],
        remark="Gender does not match the certificate.",
    )
    go_to(DUE + dt.timedelta(days=3))
    with pytest.raises(WorkflowError, match="paused"):
        appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)


def test_one_appeal_per_level(received, citizen, scrutiny_officer):
    case = reject(case_of(received()), scrutiny_officer)
    appeals.file_appeal(case, appellant=citizen, statement="First.")
    with pytest.raises(WorkflowError, match="already filed"):
        appeals.file_appeal(case, appellant=citizen, statement="Again.")
    assert Appeal.objects.count() == 1


def test_a_statement_is_needed(received, citizen, scrutiny_officer):
    case = reject(case_of(received()), scrutiny_officer)
    with pytest.raises(WorkflowError) as refused:
        appeals.file_appeal(case, appellant=citizen, statement="   ")
    assert refused.value.field == "statement"
    with pytest.raises(WorkflowError) as refused:
        appeals.file_appeal(case, appellant=citizen, statement="x" * 4001)
    assert refused.value.field == "statement"


def test_the_wrong_officer_can_neither_fix_the_hearing_nor_decide(
    received, citizen, scrutiny_officer, designated_officer, appellate_officer, places
):
    case = reject(case_of(received()), scrutiny_officer)
    appeal = appeals.file_appeal(case, appellant=citizen, statement="Appeal.")
    indore = officer(Role.APPELLATE_OFFICER, places.indore, name="Indore Appellate")
    other_department = officer(Role.APPELLATE_OFFICER, places.bhopal, department="REV")
    wrong = [indore, other_department, designated_officer, scrutiny_officer, citizen]
    for person in wrong:
        assert not appeals.may_hear(person, appeal)
        with pytest.raises(NotAllowed):
            appeals.schedule_hearing(appeal, at=hearing_moment(), place="Room", actor=person)
        with pytest.raises(NotAllowed):
            appeals.decide(appeal, outcome="dismissed", order_text="No.", actor=person)
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.FILED and appeal.hearing_at is None
    # Another appellate officer posted in the district may hear it.
    colleague = officer(Role.APPELLATE_OFFICER, places.bhopal, name="Colleague")
    assert appeals.may_hear(colleague, appeal)


def test_a_first_appeal_goes_to_the_least_loaded_local_officer_not_the_state_wide_one(
    received, citizen, scrutiny_officer, appellate_officer, second_appellate_officer, places
):
    colleague = officer(Role.APPELLATE_OFFICER, places.bhopal, name="Colleague")
    first = appeals.file_appeal(
        reject(case_of(received()), scrutiny_officer), appellant=citizen, statement="One."
    )
    second = appeals.file_appeal(
        reject(case_of(received()), scrutiny_officer), appellant=citizen, statement="Two."
    )
    assert {first.appellate_officer, second.appellate_officer} == {appellate_officer, colleague}
    # The state-wide officer hears second appeals only (unless assigned).
    assert not appeals.may_hear(second_appellate_officer, first)


def test_hearing_needs_a_future_moment_and_a_place(
    received, citizen, scrutiny_officer, appellate_officer
):
    appeal = appeals.file_appeal(
        reject(case_of(received()), scrutiny_officer), appellant=citizen, statement="Appeal."
    )
    with pytest.raises(WorkflowError) as refused:
        appeals.schedule_hearing(
            appeal, at=clock.now() - dt.timedelta(hours=1), place="Room", actor=appellate_officer
        )
    assert refused.value.field == "at"
    with pytest.raises(WorkflowError) as refused:
        appeals.schedule_hearing(appeal, at=hearing_moment(), place=" ", actor=appellate_officer)
    assert refused.value.field == "place"
    # Moving the hearing tells the parties again.
    appeals.schedule_hearing(appeal, at=hearing_moment(2), place="Room", actor=appellate_officer)
    appeals.schedule_hearing(appeal, at=hearing_moment(3), place="Room", actor=appellate_officer)
    appeal.refresh_from_db()
    assert appeal.hearing_at == hearing_moment(3)
    assert sent(appeals.HEARING, citizen) == 2


def test_an_order_is_passed_once(received, citizen, scrutiny_officer, appellate_officer):
    appeal = appeals.file_appeal(
        reject(case_of(received()), scrutiny_officer), appellant=citizen, statement="Appeal."
    )
    appeals.decide(
        appeal, outcome="dismissed", order_text="Rightly rejected.", actor=appellate_officer
    )
    with pytest.raises(WorkflowError, match="already decided"):
        appeals.decide(
            appeal, outcome="allowed", order_text="Changed my mind.", actor=appellate_officer
        )
    with pytest.raises(WorkflowError, match="decided"):
        appeals.schedule_hearing(appeal, at=hearing_moment(), place="Room", actor=appellate_officer)
    appeal.refresh_from_db()
    assert appeal.outcome == "dismissed"
    assert AuditEvent.objects.filter(action="workflow.appeal.decided").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "maybe", "order_text": "x"}, "outcome"),
        ({"outcome": "allowed", "order_text": "  "}, "order_text"),
        ({"outcome": "dismissed", "order_text": "x", "penalise": True}, "penalise"),
        ({"outcome": "allowed", "order_text": "x", "compensation": 100}, "compensation"),
        ({"outcome": "allowed", "order_text": "x", "compensation": -1}, "compensation"),
    ],
)
def test_an_order_needs_its_parts(received, citizen, appellate_officer, kwargs, field):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=3))
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    with pytest.raises(WorkflowError) as refused:
        appeals.decide(appeal, actor=appellate_officer, **kwargs)
    assert refused.value.field == field
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.FILED


def test_compensation_cannot_exceed_the_penalty(received, citizen, appellate_officer):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(2))  # ₹500
    with pytest.raises(WorkflowError, match="more than the penalty") as refused:
        appeals.decide(
            appeal,
            outcome="allowed",
            order_text="Penalty and compensation.",
            actor=appellate_officer,
            penalise=True,
            compensation=50_001,
        )
    assert refused.value.field == "compensation"
    assert not Penalty.objects.exists()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.FILED  # nothing of the order was kept


def test_the_penalty_falls_only_on_an_officer_who_had_the_application(
    received, citizen, scrutiny_officer, designated_officer, appellate_officer, places
):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(1))
    stranger = officer(Role.DEPARTMENT_OFFICER, places.bhopal, name="Stranger")
    with pytest.raises(WorkflowError) as refused:
        appeals.decide(
            appeal,
            outcome="allowed",
            order_text="x",
            actor=appellate_officer,
            penalise=True,
            penalty_officer=stranger,
        )
    assert refused.value.field == "penalty_officer"
    # The designated officer may be named instead of the officer at the breach.
    assert designated_officer in appeals.penalty_candidates(case)
    appeals.decide(
        appeal,
        outcome="allowed",
        order_text="The designated officer is answerable.",
        actor=appellate_officer,
        penalise=True,
        penalty_officer=designated_officer,
    )
    assert Penalty.objects.get().officer == designated_officer


# --------------------------------------------------------------------------- reads and figures


def test_queue_and_visibility_follow_the_officers_reach(
    received, citizen, scrutiny_officer, appellate_officer, second_appellate_officer, places
):
    appeal = appeals.file_appeal(
        reject(case_of(received()), scrutiny_officer), appellant=citizen, statement="Appeal."
    )
    indore = officer(Role.APPELLATE_OFFICER, places.indore)
    assert list(appeals.queue_for(appellate_officer)) == [appeal]
    assert list(appeals.queue_for(indore, mine=False)) == []
    assert list(appeals.queue_for(second_appellate_officer)) == []  # not assigned to them
    assert list(appeals.queue_for(second_appellate_officer, mine=False)) == [appeal]
    assert list(appeals.queue_for(appellate_officer, status="decided")) == []
    assert appeals.appeal_for(appellate_officer, appeal.reference.lower()) == appeal
    assert appeals.appeal_for(indore, appeal.reference) is None
    assert appeals.appeal_for(citizen, appeal.reference) == appeal
    other = User.objects.create_citizen("9876500098")
    assert appeals.appeal_for(other, appeal.reference) is None
    assert list(appeals.appeals_of(citizen)) == [appeal]


def test_penalty_figures_by_department_and_district(
    received, citizen, appellate_officer, scrutiny_officer, places
):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(3))
    appeals.decide(
        appeal,
        outcome="allowed",
        order_text="Penalty.",
        actor=appellate_officer,
        penalise=True,
        compensation=10_000,
    )
    totals = {"count": 1, "amount": 75_000, "compensation": 10_000}
    assert appeals.penalty_totals(department_code="TST") == totals
    assert appeals.penalty_totals(district=places.bhopal) == totals
    assert appeals.penalty_totals(district=places.indore)["count"] == 0
    assert appeals.penalty_totals(department_code="REV")["count"] == 0
    assert appeals.penalty_totals(start=clock.today(), end=clock.today()) == totals
    assert appeals.penalty_totals(end=clock.today() - dt.timedelta(days=1))["count"] == 0
    assert appeals.penalty_figures() == [
        {"department_code": "TST", "district_id": places.bhopal.pk, **totals}
    ]


def test_the_staff_home_links_appellate_officers_to_their_queue(
    appellate_officer, scrutiny_officer
):
    labels = [str(link["label"]) for link in links_for(appellate_officer)]
    assert "Appeals" in labels
    assert "Appeals" not in [str(link["label"]) for link in links_for(scrutiny_officer)]


# --------------------------------------------------------------------------- races


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_filings_at_once_make_one_appeal(received, citizen, scrutiny_officer):
    case = reject(case_of(received()), scrutiny_officer)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def file() -> None:
        try:
            barrier.wait()
            appeals.file_appeal(case, appellant=citizen, statement="At once.")
            outcomes.append("filed")
        except WorkflowError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["filed", "refused"]
    assert Appeal.objects.filter(case=case).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_at_once_decide_once(received, citizen, scrutiny_officer, appellate_officer):
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(4))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def order() -> None:
        try:
            barrier.wait()
            appeals.decide(
                Appeal.objects.get(pk=appeal.pk),
                outcome="allowed",
                order_text="At once.",
                actor=appellate_officer,
                penalise=True,
            )
            outcomes.append("decided")
        except WorkflowError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=order) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "refused"]
    assert Penalty.objects.filter(appeal=appeal).count() == 1
