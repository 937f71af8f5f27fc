"""Who works a case: reassignment within the stage's post, transfer to another
district's office, bulk approval of clean cases, and the rule that marks a case clean."""

from __future__ import annotations

import pytest

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications.models import Correction, Status
from ekseva.core.audit import AuditEvent
from ekseva.workflow import services
from ekseva.workflow.models import Case, NotAllowed, WorkflowError
from tests.workflow.conftest import officer


def case_of(app) -> Case:
    return Case.objects.get(application=app)


@pytest.fixture
def ops(places) -> User:
    user = User.objects.create_user("ops.assign", "x-pass-2026-long")
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user


# --------------------------------------------------------------------------- reassign


def test_the_designated_officer_reassigns_to_another_officer_of_the_stage(
    received, scrutiny_officer, designated_officer, places
):
    colleague = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    case = case_of(received())
    case = services.reassign(case, colleague, actor=designated_officer, reason="On leave")
    assert case.assignee == colleague
    action = case.actions.last()
    assert (action.kind, action.assignee, action.actor, action.remark) == (
        "reassign",
        colleague,
        designated_officer,
        "On leave",
    )
    event = AuditEvent.objects.get(action="workflow.case.reassign")
    assert event.before == {"assignee": scrutiny_officer.pk}
    # the new officer can act; the old one still holds the post, so may too
    assert services.act(case, "forward", actor=colleague).stage == "approval"


def test_operator_staff_may_reassign(received, ops, places):
    colleague = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    case = services.reassign(case_of(received()), colleague, actor=ops, reason="Load")
    assert case.assignee == colleague


def test_reassign_refusals(
    received, scrutiny_officer, designated_officer, indore_officer, places, citizen
):
    case = case_of(received())
    colleague = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    indore_designated = officer(Role.DESIGNATED_OFFICER, places.indore)
    # who may reassign: not the scrutiny officer, a citizen, another district's designated officer
    for person in (scrutiny_officer, citizen, indore_designated):
        with pytest.raises(NotAllowed):
            services.reassign(case, colleague, actor=person, reason="x")
    # to whom: another district, another department, another stage's role
    for target in (
        indore_officer,
        officer(Role.DEPARTMENT_OFFICER, places.bhopal, department="REV"),
        designated_officer,
    ):
        with pytest.raises(WorkflowError) as refused:
            services.reassign(case, target, actor=designated_officer, reason="x")
        assert refused.value.field == "to_officer"
    with pytest.raises(WorkflowError) as same:
        services.reassign(case, scrutiny_officer, actor=designated_officer, reason="x")
    assert same.value.field == "to_officer"
    with pytest.raises(WorkflowError) as no_reason:
        services.reassign(case, colleague, actor=designated_officer, reason="  ")
    assert no_reason.value.field == "reason"
    assert case.actions.filter(kind="reassign").count() == 0


def test_a_decided_case_is_not_reassigned(received, scrutiny_officer, places, designated_officer):
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    case = services.act(case, "approve", actor=designated_officer)
    other = officer(Role.DESIGNATED_OFFICER, places.bhopal)
    with pytest.raises(WorkflowError, match="decided"):
        services.reassign(case, other, actor=designated_officer, reason="x")


# --------------------------------------------------------------------------- transfer


def test_transfer_moves_the_case_and_application_to_the_other_districts_office(
    received, ops, indore_officer, places, scrutiny_officer
):
    indore_designated = officer(Role.DESIGNATED_OFFICER, places.indore)
    case = case_of(received())
    due = case.due_date
    case = services.transfer(case, places.indore, actor=ops, reason="Applicant lives in Indore")
    assert case.district == places.indore
    assert case.assignee == indore_officer and case.designated_officer == indore_designated
    assert case.due_date == due and case.stage == "scrutiny"
    case.application.refresh_from_db()
    assert case.application.district == places.indore
    assert case.actions.last().kind == "transfer"
    assert AuditEvent.objects.get(action="workflow.case.transfer").before["district"] == (
        places.bhopal.pk
    )
    # Indore's officer acts now; Bhopal's no longer can
    with pytest.raises(NotAllowed):
        services.act(case, "forward", actor=scrutiny_officer)
    assert services.act(case, "forward", actor=indore_officer).assignee == indore_designated


def test_the_designated_officer_of_the_sending_office_may_transfer(
    received, designated_officer, indore_officer, places
):
    case = services.transfer(
        case_of(received()), places.indore, actor=designated_officer, reason="Wrong district"
    )
    assert case.district == places.indore
    # and, the case being Indore's now, may no longer move it
    with pytest.raises(NotAllowed):
        services.transfer(case, places.bhopal, actor=designated_officer, reason="Back")


def test_transfer_refusals(received, ops, scrutiny_officer, places, indore_officer):
    case = case_of(received())
    with pytest.raises(NotAllowed):
        services.transfer(case, places.indore, actor=scrutiny_officer, reason="x")
    with pytest.raises(WorkflowError) as same:
        services.transfer(case, places.bhopal, actor=ops, reason="x")
    assert same.value.field == "district"
    with pytest.raises(WorkflowError) as not_a_district:
        services.transfer(case, places.state, actor=ops, reason="x")
    assert not_a_district.value.field == "district"
    with pytest.raises(WorkflowError) as no_reason:
        services.transfer(case, places.indore, actor=ops, reason="")
    assert no_reason.value.field == "reason"
    # nobody of the stage posted there
    from ekseva.geo.models import AdminUnit

    sagar = AdminUnit.objects.create(
        code="district:w-sagar", kind="district", name_en="Sagar", parent=places.state
    )
    with pytest.raises(WorkflowError, match="No officer"):
        services.transfer(case, sagar, actor=ops, reason="x")
    case.refresh_from_db()
    assert case.district == places.bhopal and case.actions.filter(kind="transfer").count() == 0


# --------------------------------------------------------------------------- clean and bulk


def test_a_complete_eligible_uncorrected_application_opens_a_clean_case(received):
    assert case_of(received()).clean is True


def test_a_corrected_application_is_not_clean(received, citizen):
    from ekseva.workflow.services import is_clean

    app = received()
    Correction.objects.create(
        application=app, at=app.updated_at, actor=citizen, changes={"gender": ["M", "F"]}
    )
    assert is_clean(app) is False


def test_an_ineligible_application_is_not_clean(received):
    from ekseva.workflow.services import is_clean

    app = received()
    app.answers = {**app.answers, "graduate": False}
    assert is_clean(app) is False


def test_bulk_approval_approves_clean_cases_and_says_why_it_refused_the_others(
    received, scrutiny_officer, designated_officer
):
    clean = [services.act(case_of(received()), "forward", actor=scrutiny_officer) for _ in "ab"]
    unclean = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    Case.objects.filter(pk=unclean.pk).update(clean=False)
    unclean.refresh_from_db()
    still_at_scrutiny = case_of(received())
    approved, refused = services.bulk_approve(
        [*clean, unclean, still_at_scrutiny], actor=designated_officer
    )
    assert [c.pk for c in approved] == [c.pk for c in clean]
    assert all(c.state == Case.State.DISPOSED for c in approved)
    reasons = {case.pk: error for case, error in refused}
    assert "Not marked clean" in reasons[unclean.pk].message("en")
    assert reasons[still_at_scrutiny.pk].message("en")  # not the designated officer's stage
    unclean.application.refresh_from_db()
    assert unclean.application.status == Status.IN_PROCESS


def test_bulk_approval_by_someone_who_may_not_approve_approves_nothing(
    received, scrutiny_officer, indore_officer
):
    case = services.act(case_of(received()), "forward", actor=scrutiny_officer)
    approved, refused = services.bulk_approve([case], actor=indore_officer)
    assert approved == [] and isinstance(refused[0][1], NotAllowed)


def test_a_case_opened_before_any_officer_was_posted_gets_its_designated_officer_on_reassignment(
    service, citizen, places, fake_gateway
):
    from ekseva.accounts.models import Posting, Role, User
    from ekseva.applications import services as applications
    from ekseva.payments import services as payments
    from ekseva.payments.gateways import GatewayResult
    from ekseva.workflow import services as flow
    from ekseva.workflow.models import Case
    from tests.workflow.conftest import officer

    from .conftest import ANSWERS, jpeg

    app = applications.start(citizen, service)
    applications.save_step(app, "about", ANSWERS, actor=citizen)
    app.refresh_from_db()
    applications.attach_upload(app, "photo", jpeg(), actor=citizen)
    app = applications.submit(app, declaration=True, actor=citizen)
    payment = applications.start_payment(app, idempotency_key="early", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    payments.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id="p-early",
            amount=payment.amount,
            method="upi",
        ),
        source="test",
    )
    case = Case.objects.get(application=app)
    assert case.assignee is None and case.designated_officer is None
    scrutiny = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    designated = officer(Role.DESIGNATED_OFFICER, places.bhopal)
    ops = User.objects.create_user("ops.assign", "x-pass-2026-long")
    Posting.objects.create(user=ops, role=Role.OPERATOR_STAFF)
    flow.reassign(case, scrutiny, actor=ops, reason="Officers posted today")
    case.refresh_from_db()
    assert case.assignee == scrutiny and case.designated_officer == designated
