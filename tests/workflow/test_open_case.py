"""A received application becomes a case at its first stage, with an officer and a due date."""

from __future__ import annotations

import datetime as dt

from ekseva.applications.models import Status
from ekseva.workflow.models import Case
from ekseva.workflow.services import add_holiday, compute_due


def test_a_received_application_opens_a_case_with_the_least_loaded_officer(
    received, scrutiny_officer, designated_officer
):
    app = received()
    assert app.status == Status.RECEIVED
    case = Case.objects.get(application=app)
    assert case.stage == "scrutiny" and case.state == Case.State.OPEN
    assert case.assignee == scrutiny_officer
    assert case.designated_officer == designated_officer
    # 10 working days from Monday 15 June 2026: Sunday 21 off, and Friday 26 June is a
    # public holiday (Muharram), so the tenth is Saturday 27 June
    assert case.due_date == dt.date(2026, 6, 27)
    assert case.actions.get().kind == "assign"


def test_a_holiday_staff_add_moves_the_due_date(received, places):
    from ekseva.accounts.models import Posting, Role, User

    ops = User.objects.create_user("ops.w", "x-pass-2026-long")
    Posting.objects.create(user=ops, role=Role.OPERATOR_STAFF)
    case = Case.objects.get(application=received())
    add_holiday(dt.date(2026, 6, 18), "Local holiday", actor=ops)
    assert compute_due(case) == dt.date(2026, 6, 29)  # past Sunday 28


def test_a_withdrawn_application_leaves_the_back_office(received):
    from ekseva.applications import services as applications

    app = received()
    applications.withdraw(app, reason="Applied by mistake", actor=app.applicant)
    case = Case.objects.get(application=app)
    assert case.state == Case.State.DISPOSED and case.outcome == "withdrawn"
    assert case.actions.last().kind == "withdrawn"


def test_an_appeal_stage_in_a_versions_list_is_not_a_processing_stage():
    from types import SimpleNamespace

    from ekseva.workflow.definition import stages_of

    version = SimpleNamespace(
        definition={
            "workflow": [
                {"stage": "report", "role": "department_officer"},
                {"stage": "decision", "role": "designated_officer"},
                {"stage": "first_appeal", "role": "appellate_officer"},
            ]
        }
    )
    stages = stages_of(version)
    assert [s.id for s in stages] == ["report", "decision"] and stages[-1].last
