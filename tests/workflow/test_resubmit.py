"""Return and resubmission: the applicant sees what to fix, corrects only that
(answers checked against the pinned form, documents by upload or from the locker),
and sends it back; the case resumes at its stage with its officer, and the clock
that stood still while it was returned moves the due date on by exactly those days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ekseva.applications import services as applications
from ekseva.applications.models import Correction, Status
from ekseva.core import clock
from ekseva.core.audit import AuditEvent
from ekseva.workflow import services
from ekseva.workflow.models import Case, NotAllowed, WorkflowError
from tests.workflow.conftest import jpeg, pdf


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def returned_case(received, scrutiny_officer, fields=("gender",), remark="The gender is wrong."):
    case = case_of(received())
    return services.act(case, "return", actor=scrutiny_officer, remark=remark, fields=list(fields))


def fresh(app):
    app.refresh_from_db()
    return app


# --------------------------------------------------------------------------- the service


def test_resubmit_keeps_the_correction_and_resumes_the_case_where_it_was(
    received, scrutiny_officer, citizen
):
    case = returned_case(received, scrutiny_officer)
    app = case.application
    due = case.due_date
    # returned Monday 15 June; sent back Thursday 18 June: 16, 17, 18 stood still
    clock.advance(days=3)
    case = services.resubmit(app, {"gender": "F"}, actor=citizen)
    assert case.state == Case.State.OPEN and case.stage == "scrutiny"
    assert case.assignee == scrutiny_officer
    assert case.paused_on is None and case.paused_days == 3
    assert case.due_date == dt.date(2026, 7, 1)  # 27 June + 29, 30 June, 1 July
    assert case.due_date > due
    app = fresh(app)
    assert app.status == Status.IN_PROCESS and app.answers["gender"] == "F"
    assert app.due_date == case.due_date
    assert Correction.objects.get(application=app).changes == {"gender": ["M", "F"]}
    action = case.actions.last()
    assert (action.kind, action.actor, action.fields) == ("resubmit", citizen, ["gender"])
    event = AuditEvent.objects.get(action="workflow.case.resubmit")
    assert event.after["paused_days"] == 3


def test_resubmit_fires_the_lifecycle_hook(received, scrutiny_officer, citizen, monkeypatch):
    from ekseva.applications import lifecycle

    fired = []
    monkeypatch.setitem(lifecycle._hooks, "resubmitted", [lambda app: fired.append(app.status)])
    case = returned_case(received, scrutiny_officer)
    services.resubmit(case.application, {"gender": "F"}, actor=citizen)
    assert fired == [Status.IN_PROCESS]


def test_an_unchanged_answer_may_be_sent_back_as_it_was(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer)
    case = services.resubmit(case.application, {"gender": "M"}, actor=citizen)
    assert case.state == Case.State.OPEN
    assert not Correction.objects.filter(application=case.application).exists()


def test_only_what_was_asked_for_can_be_changed(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer)
    with pytest.raises(WorkflowError) as refused:
        services.resubmit(case.application, {"gender": "F", "pwd": "yes"}, actor=citizen)
    assert refused.value.field == "pwd"
    assert "Disabled" in refused.value.message("en") and "दिव्यांग" in refused.value.message("hi")
    case.refresh_from_db()
    assert case.state == Case.State.RETURNED
    assert fresh(case.application).answers["gender"] == "M"


def test_invalid_answers_come_back_by_field_in_the_users_language(
    received, scrutiny_officer, citizen
):
    case = returned_case(received, scrutiny_officer)
    with pytest.raises(services.InvalidAnswers) as english:
        services.resubmit(case.application, {"gender": "X"}, actor=citizen)
    assert list(english.value.errors) == ["gender"]
    with pytest.raises(services.InvalidAnswers) as hindi:
        services.resubmit(case.application, {"gender": "X"}, actor=citizen, language="hi")
    assert hindi.value.errors["gender"] != english.value.errors["gender"]
    case.refresh_from_db()
    assert case.state == Case.State.RETURNED and case.paused_on == clock.today()


def test_only_the_applicant_resubmits_and_only_a_returned_application(
    received, scrutiny_officer, citizen, designated_officer
):
    from ekseva.accounts.models import User

    other = User.objects.create_citizen("9876500099", full_name="Someone Else")
    case = returned_case(received, scrutiny_officer)
    for person in (other, scrutiny_officer, designated_officer):
        with pytest.raises(NotAllowed):
            services.resubmit(case.application, {"gender": "F"}, actor=person)
    services.resubmit(case.application, {"gender": "F"}, actor=citizen)
    with pytest.raises(WorkflowError, match="not waiting for your corrections"):
        services.resubmit(case.application, {"gender": "F"}, actor=citizen)
    open_case = case_of(received())
    with pytest.raises(WorkflowError, match="not waiting for your corrections"):
        services.resubmit(open_case.application, {}, actor=citizen)


def test_a_document_asked_for_must_be_attached_again(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer, fields=("photo",), remark="Blurred photo")
    app = case.application
    with pytest.raises(WorkflowError) as refused:
        services.resubmit(app, {}, actor=citizen)
    assert refused.value.field == "photo"
    clock.advance(minutes=5)
    applications.attach_upload(app, "photo", jpeg(320, 420), actor=citizen)
    case = services.resubmit(app, {}, actor=citizen)
    assert case.state == Case.State.OPEN
    assert case.actions.last().fields == ["photo"]


def test_a_document_from_the_locker_counts(received, scrutiny_officer, citizen):
    case = services.act(
        case_of(received()), "ask_document", actor=scrutiny_officer, fields=["pwd_cert"]
    )
    app = case.application
    stored = applications.attach_upload(app, "pwd_cert", pdf(), actor=citizen).locker_document
    # attached again from the locker, later
    clock.advance(minutes=1)
    applications.attach_locker(app, "pwd_cert", stored, actor=citizen)
    assert services.resubmit(app, {}, actor=citizen).state == Case.State.OPEN


def test_returned_twice_the_paused_days_add_up(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer)
    clock.advance(days=1)  # Tuesday
    case = services.resubmit(case.application, {"gender": "F"}, actor=citizen)
    case = services.act(case, "return", actor=scrutiny_officer, remark="Again", fields=["gender"])
    clock.advance(days=7)  # the next Tuesday: 17..23 June less Sunday 21 = 6 working days
    case = services.resubmit(case.application, {"gender": "M"}, actor=citizen)
    assert case.paused_days == 1 + 6
    assert case.due_date == dt.date(2026, 7, 6)  # 27 June + 7 working days (Sundays off)


# --------------------------------------------------------------------------- the page


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(app, language="en") -> str:
    return f"/{language}/office/returned/{app.number}/"


def test_the_applicants_page_shows_what_to_fix_in_their_language(
    received, scrutiny_officer, citizen
):
    case = returned_case(received, scrutiny_officer, fields=("gender", "photo"))
    app = case.application
    client = page_client(citizen)
    english = client.get(url(app)).content.decode()
    assert "The gender is wrong." in english
    assert "Gender" in english and "Photo" in english
    assert 'name="gender"' in english and 'name="pwd"' not in english
    assert 'id="file-photo"' in english
    hindi = client.get(url(app, "hi")).content.decode()
    assert "लिंग" in hindi and "फोटो" in hindi
    assert "अपना आवेदन सुधारें और वापस भेजें" in hindi and "विभाग को वापस भेजें" in hindi
    detail = client.get(f"/en/applications/{app.number}/").content.decode()
    assert url(app) in detail and "See what to correct and send it back" in detail


def test_the_page_is_the_applicants_only(received, scrutiny_officer, designated_officer):
    from ekseva.accounts.models import User

    case = returned_case(received, scrutiny_officer)
    other = User.objects.create_citizen("9876500098", full_name="Other")
    for person in (other, scrutiny_officer):
        assert page_client(person).get(url(case.application)).status_code == 404
    anonymous = Client().get(url(case.application))
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]


def test_the_page_sends_it_back(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer)
    app = case.application
    response = page_client(citizen).post(url(app), {"action": "resubmit", "gender": "F"})
    assert response.status_code == 302
    assert response["Location"] == f"/en/applications/{app.number}/"
    assert fresh(app).status == Status.IN_PROCESS and app.answers["gender"] == "F"


def test_invalid_answers_are_shown_by_their_field_and_kept(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer, fields=("date_of_birth",))
    app = case.application
    response = page_client(citizen).post(
        url(app, "hi"), {"action": "resubmit", "date_of_birth": "2090-13-45"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_date_of_birth"' in html and "जन्म तिथि" in html
    assert "2090-13-45" in html  # what was typed is not lost
    assert fresh(app).status == Status.RETURNED


def test_a_document_is_attached_from_the_page_then_sent_back(received, scrutiny_officer, citizen):
    case = returned_case(received, scrutiny_officer, fields=("photo",), remark="Blurred")
    app = case.application
    client = page_client(citizen)
    refused = client.post(url(app), {"action": "resubmit"})
    assert refused.status_code == 400 and 'href="#file-photo"' in refused.content.decode()
    clock.advance(minutes=2)
    attached = client.post(
        url(app), {"action": "upload", "document": "photo", "file": jpeg(330, 430)}
    )
    assert attached.status_code == 302
    page = client.get(url(app)).content.decode()
    assert 'data-provided="yes"' in page
    assert client.post(url(app), {"action": "resubmit"}).status_code == 302
    assert fresh(app).status == Status.IN_PROCESS


def test_a_page_of_an_application_not_returned_sends_the_applicant_to_it(received, citizen):
    app = received()
    response = page_client(citizen).get(url(app))
    assert response.status_code == 302 and response["Location"] == f"/en/applications/{app.number}/"
