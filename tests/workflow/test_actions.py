"""Officers' actions (services.act): each Move of the map, what it needs, who may
take it, and that every action is recorded and moves the application with it."""

from __future__ import annotations

import datetime as dt

import pytest

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications.models import Status
from ekseva.core import clock
from ekseva.core.audit import AuditEvent
from ekseva.notifications.models import Message
from ekseva.workflow import services
from ekseva.workflow.models import Case, NotAllowed, WorkflowError
from tests.workflow.conftest import officer


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def at_approval(received, scrutiny_officer) -> Case:
    case = case_of(received())
    return services.act(case, "forward", actor=scrutiny_officer)


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
    app = case.application
    app.refresh_from_db()
    assert app.status == Status.IN_PROCESS
    assert AuditEvent.objects.filter(action="workflow.case.forward").count() == 1


def test_approve_disposes_the_case_in_time_and_approves_the_application(
    received, scrutiny_officer, designated_officer
):
    case = at_approval(received, scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    assert case.state == Case.State.DISPOSED and case.outcome == "approved"
    assert case.disposed_on == clock.today() and case.disposed_in_time is True
    case.application.refresh_from_db()
    assert case.application.status in (Status.APPROVED, Status.DELIVERED)


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
    case = services.act(
        case,
        "reject",
        actor=scrutiny_officer,
        reason_code="documents_invalid",
        remark="The marksheet is not genuine.",
    )
    assert case.state == Case.State.DISPOSED and case.outcome == "rejected"
    app = case.application
    app.refresh_from_db()
    assert app.status == Status.REJECTED
    last = app.history.last()
    assert "Documents are not valid" in last.remark_en and "दस्तावेज़" in last.remark_hi
    assert "The marksheet is not genuine." in last.remark_en
    assert case.actions.last().reason_code == "documents_invalid"
