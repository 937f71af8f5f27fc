"""The life of an application in the back office, end to end, and the map of
officers' actions as a property: whatever officers and the applicant do, in any
order, every recorded action was allowed when it was taken, refused ones leave no
trace, and the application's status always agrees with its case."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ekseva.applications import services as applications
from ekseva.applications.models import ApplicationError, Status
from ekseva.core import clock
from ekseva.workflow import deliverables, services
from ekseva.workflow.definition import OFFICER_ACTIONS, TRANSITIONS, stages_of
from ekseva.workflow.models import Case, WorkflowError
from tests.workflow.conftest import pdf


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def test_submit_scrutiny_return_resubmit_approve(
    received, scrutiny_officer, designated_officer, citizen
):
    app = received()  # Monday 15 June 2026
    case = case_of(app)
    assert (case.stage, case.assignee, case.due_date) == (
        "scrutiny",
        scrutiny_officer,
        dt.date(2026, 6, 27),  # 10 working days; Friday 26 June is a holiday
    )
    case = services.act(case, "forward", actor=scrutiny_officer, remark="Verified")
    assert (case.stage, case.assignee) == ("approval", designated_officer)

    clock.advance(days=1)  # Tuesday 16 June: the designated officer returns it
    case = services.act(
        case,
        "return",
        actor=designated_officer,
        remark="Your gender does not match your Aadhaar.",
        fields=["gender"],
    )
    assert case.state == Case.State.RETURNED and case.paused_on == dt.date(2026, 6, 16)
    app.refresh_from_db()
    assert app.status == Status.RETURNED

    clock.advance(days=5)  # Sunday 21 June: while it is paused, the due date stands
    case.refresh_from_db()
    assert case.due_date == dt.date(2026, 6, 27)

    clock.advance(days=1)  # Monday 22 June: the applicant sends it back
    case = services.resubmit(app, {"gender": "F"}, actor=citizen)
    # paused 17, 18, 19, 20 and 22 June (Sunday 21 is no working day): 5 working days,
    # so the due date moves from Saturday 27 June by exactly 5: 29, 30 June, 1, 2, 3 July
    assert case.paused_days == 5
    assert case.due_date == dt.date(2026, 7, 3)
    assert (case.state, case.stage, case.assignee) == (
        Case.State.OPEN,
        "approval",
        designated_officer,
    )

    clock.advance(days=1)
    case = services.act(case, "approve", actor=designated_officer)
    assert case.outcome == "approved" and case.disposed_in_time is True
    app.refresh_from_db()
    # Approval fired the deliverables: the signed certificate was issued, the
    # application delivered, and anyone can verify it (by number, QR and PDF).
    assert app.status == Status.DELIVERED
    from ekseva.certificates import verify

    certificate = app.certificate
    assert verify.verify_number(certificate.number).status == "genuine"
    assert verify.verify_payload(certificate.qr_payload).ok
    assert verify.verify_pdf(certificate.pdf.read()).ok
    assert [a.kind for a in case.actions.all()] == [
        "assign",
        "forward",
        "return",
        "resubmit",
        "approve",
    ]
    moves = list(app.history.values_list("to_status", flat=True))
    assert moves[moves.index(Status.RECEIVED) :][:6] == [
        Status.RECEIVED,
        Status.IN_PROCESS,
        Status.RETURNED,
        Status.IN_PROCESS,
        Status.APPROVED,
        Status.DELIVERED,
    ]


# --------------------------------------------------------------------------- the map as a property

ACTORS = ("scrutiny", "designated", "indore")
officer_step = st.tuples(st.just("act"), st.sampled_from(OFFICER_ACTIONS), st.sampled_from(ACTORS))
steps = st.lists(
    st.one_of(
        officer_step,  # twice as likely as the others
        officer_step,
        st.tuples(st.just("resubmit"), st.sampled_from(["F", "M", "X"])),
        st.tuples(st.just("attach"), st.just("pwd_cert")),
        st.tuples(st.just("advance"), st.integers(min_value=1, max_value=3)),
    ),
    max_size=12,
)


def agrees(case: Case, status: str) -> bool:
    if case.state == Case.State.OPEN:
        return status in (Status.RECEIVED, Status.IN_PROCESS)
    if case.state == Case.State.RETURNED:
        return status == Status.RETURNED
    if case.outcome == "approved":
        return status in (Status.APPROVED, Status.DELIVERED)
    return status == Status.REJECTED


def replay(case: Case, roles: dict[int, str]) -> None:
    """Walk the recorded actions through the map, independently of ``act``: each was
    allowed where the case then stood, by an officer of that stage's role, and they
    lead to where the case is."""
    stages = stages_of(case.application.version)
    index, state = 0, Case.State.OPEN
    for action in case.actions.all():
        if action.kind == "assign":
            continue
        assert action.stage == stages[index].id
        if action.kind == "resubmit":
            assert state == Case.State.RETURNED
            assert action.actor_id == case.application.applicant_id
            state = Case.State.OPEN
            continue
        move = TRANSITIONS[action.kind]
        assert state in move.from_states, (action.kind, state)
        assert move.at_last is None or move.at_last == stages[index].last, action.kind
        assert roles[action.actor_id] == stages[index].role
        if action.kind == "forward":
            index += 1
        state = move.case_state or state
    assert (state, stages[index].id) == (case.state, case.stage)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_no_sequence_of_actions_reaches_an_illegal_state(
    plan, received, scrutiny_officer, designated_officer, indore_officer, citizen, monkeypatch
):
    monkeypatch.setattr(deliverables, "_hooks", [])  # the map alone, not the certificate
    people = {"scrutiny": scrutiny_officer, "designated": designated_officer}
    people["indore"] = indore_officer
    roles = {user.pk: user.postings.get().role for user in people.values()}
    with clock.frozen(dt.datetime(2026, 6, 15, 10, 0)):
        app = received()
        case = case_of(app)
        done: list[str] = []
        for step in plan:
            try:
                if step[0] == "act":
                    _kind, kind, who = step
                    case = services.act(
                        case_of(app),
                        kind,
                        actor=people[who],
                        reason_code="other",
                        remark="remark",
                        fields=["pwd_cert"] if kind == "ask_document" else ["gender"],
                        hearing_at=clock.now() + dt.timedelta(days=1),
                    )
                    done.append(kind)
                elif step[0] == "resubmit":
                    case = services.resubmit(app, {"gender": step[1]}, actor=citizen)
                    done.append("resubmit")
                elif step[0] == "attach":
                    clock.advance(minutes=1)
                    applications.attach_upload(app, step[1], pdf(), actor=citizen)
                else:
                    clock.advance(days=step[1])
            except (WorkflowError, ApplicationError):
                pass
            case = case_of(app)
            app.refresh_from_db()
            assert agrees(case, app.status), (case.state, case.outcome, app.status)
            assert (case.paused_on is not None) == (case.state == Case.State.RETURNED)
            assert case.due_date == services.compute_due(case)
            assert (case.disposed_on is not None) == (case.state == Case.State.DISPOSED)
        # refused actions leave no trace; the ones taken were allowed when taken
        assert [a.kind for a in case.actions.all()][1:] == done
        replay(case, roles)


@pytest.mark.parametrize("kind", OFFICER_ACTIONS)
def test_every_action_of_the_map_is_refused_on_a_disposed_case(
    kind, received, scrutiny_officer, designated_officer, monkeypatch
):
    monkeypatch.setattr(deliverables, "_hooks", [])
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    with pytest.raises(WorkflowError):
        services.act(
            case,
            kind,
            actor=designated_officer,
            reason_code="other",
            remark="r",
            fields=["gender"],
            hearing_at=clock.now() + dt.timedelta(days=1),
        )
