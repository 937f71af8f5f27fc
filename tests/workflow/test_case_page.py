"""The case page (/<lang>/office/case/<number>/): who may open it, what it shows
(answers, documents, fee, stage, officer, time left, history), the action forms
the stage map and the officer's post allow, each action through the page, the
services' refusals on the field they concern, a second press acting once,
reassignment and transfer, and Hindi."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ekseva.accounts.models import CitizenProfile, Posting, Role, User
from ekseva.applications.models import ApplicationDocument, Status
from ekseva.workflow import services
from ekseva.workflow.models import Action, Case
from tests.workflow.conftest import officer
from tests.workflow.test_inbox import case_of, signed_in, url


@pytest.fixture(autouse=True)
def _frozen(frozen_clock):
    """The clock stops first, so postings made by the fixtures start on its day."""
    return frozen_clock


@pytest.fixture
def app(received):
    return received()


def page_of(client, app, lang: str = "en"):
    response = client.get(url("case", app.number, lang=lang))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def forms_on(html: str) -> list[str]:
    return re.findall(r'data-action="(\w+)"', html)


def hidden(html: str, kind: str) -> dict[str, str]:
    """The hidden guards of the ``kind`` form (prefix ``kind``)."""
    form = html.split(f'data-action="{kind}"')[1].split("</form>")[0]
    values = dict(re.findall(r'name="[a-z_]+-(seen)" value="([^"]*)"', form))
    return {f"{kind}-{key}": value for key, value in values.items()}


def post_action(client, app, kind: str, data: dict, lang: str = "en"):
    html = page_of(client, app, lang)
    payload = {**hidden(html, kind), **{f"{kind}-{key}": value for key, value in data.items()}}
    return client.post(url("case_act", app.number, kind, lang=lang), payload), payload


def approval(app, scrutiny_officer) -> Case:
    return services.act(case_of(app), "forward", actor=scrutiny_officer)


# --------------------------------------------------------------------------- who may open it


def test_the_officer_of_the_case_opens_it(client, app, scrutiny_officer):
    html = page_of(signed_in(client, scrutiny_officer), app)
    assert app.number in html and "Test Examination" in html


def test_officers_of_another_district_or_department_get_404(client, app, places, indore_officer):
    signed_in(client, indore_officer)
    assert client.get(url("case", app.number)).status_code == 404
    client.logout()
    other = officer(Role.DEPARTMENT_OFFICER, places.bhopal, department="OTH")
    signed_in(client, other)
    assert client.get(url("case", app.number)).status_code == 404
    # and so does a number that does not exist
    assert client.get(url("case", "MP26TST9999999X")).status_code == 404


def test_the_applicant_and_other_citizens_get_404(client, app, citizen):
    client.force_login(citizen)  # the case's own applicant: their pages are elsewhere
    assert client.get(url("case", app.number)).status_code == 404
    assert client.get(url("inbox")).status_code == 404


def test_a_kiosk_operator_gets_404(client, app):
    kiosk = User.objects.create_user("kiosk.case", "kiosk-pass-2026-x")
    Posting.objects.create(user=kiosk, role=Role.KIOSK_OPERATOR, kiosk_code="K1")
    signed_in(client, kiosk, "kiosk-pass-2026-x")
    assert client.get(url("case", app.number)).status_code == 404


def test_anonymous_visitors_go_to_the_staff_sign_in(client, app):
    response = client.get(url("case", app.number))
    assert response.status_code == 302 and "/staff/signin/" in response["Location"]


# --------------------------------------------------------------------------- what it shows


def test_the_case_page_reads_the_application_back(client, app, scrutiny_officer):
    html = page_of(signed_in(client, scrutiny_officer), app)
    # answers, with the form's labels and option labels
    assert re.search(r"<dt>Birth date</dt><dd[^>]*>15-01-2000</dd>", html)
    assert re.search(r"<dt>Gender</dt><dd[^>]*>Male</dd>", html)
    # the stage, its officer, the designated officer, the time left
    assert "data-stage-name>Scrutiny" in html
    assert "Meena Sharma" in html and "R. K. Verma" in html
    assert 'data-countdown="later">Due in 10 working days' in html
    # the fee paid
    assert "data-fee-total><strong>₹" in html
    assert "Paid on 15-06-2026" in html
    # the history, newest first: submitted, received, then the case opened and assigned
    events = re.findall(r'data-event="(\w+)"', html)
    assert events[0] == "assign" and events[-1] == "status"
    assert "Assigned to Meena Sharma" in html and "Application: Submitted" in html


def test_the_documents_open_in_the_viewer_for_those_allowed_only(
    client, app, scrutiny_officer, indore_officer
):
    html = page_of(signed_in(client, scrutiny_officer), app)
    attached = ApplicationDocument.objects.get(application=app, document_id="photo")
    address = url("case_document", app.number, attached.locker_document_id)
    assert f'<img src="{address}"' in html
    response = client.get(address)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # the viewer may show it in place
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # a document of another application, through this case: 404
    other = ApplicationDocument.objects.exclude(application=app).first()
    if other is not None:
        assert (
            client.get(url("case_document", app.number, other.locker_document_id)).status_code
            == 404
        )
    assert client.get(url("case_document", app.number, 999999)).status_code == 404
    client.logout()
    signed_in(client, indore_officer)
    assert client.get(address).status_code == 404


def test_a_pdf_is_shown_in_an_object_with_a_link(client, received, scrutiny_officer, citizen):
    from ekseva.applications.models import LockerDocument

    from .conftest import pdf

    app = received()
    # a PDF in the applicant's locker attached to the application: shown as a PDF

    photo = ApplicationDocument.objects.get(application=app).locker_document
    upload = pdf()
    document = LockerDocument.objects.create(
        owner=citizen,
        label="Certificate",
        purpose=photo.purpose,
        kind="pdf",
        file=upload,
        original_name="cert.pdf",
        content_type="application/pdf",
        size=len(upload),
        uploaded_at=photo.uploaded_at,
        uploaded_by=citizen,
    )
    ApplicationDocument.objects.create(
        application=app,
        document_id="pwd_cert",
        locker_document=document,
        attached_at=photo.uploaded_at,
    )
    html = page_of(signed_in(client, scrutiny_officer), app)
    address = url("case_document", app.number, document.pk)
    assert f'<object data="{address}" type="application/pdf"' in html
    assert f'href="{address}" target="_blank"' in html
    response = client.get(address)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_forms_are_those_the_map_and_the_post_allow(
    client, app, scrutiny_officer, designated_officer
):
    html = page_of(signed_in(client, scrutiny_officer), app)
    assert forms_on(html) == ["forward", "reject", "return", "ask_document", "schedule_hearing"]
    client.logout()
    # the designated officer at scrutiny: no officer's actions, but reassign / transfer
    html = page_of(signed_in(client, designated_officer), app)
    assert forms_on(html) == ["reassign", "transfer"]
    assert "data-no-actions" in html
    approval(app, scrutiny_officer)
    html = page_of(client, app)
    assert forms_on(html)[:5] == ["approve", "reject", "return", "ask_document", "schedule_hearing"]
    assert "forward" not in forms_on(html)


def test_the_reject_form_lists_the_reasons_in_the_page_language(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    english = page_of(client, app)
    hindi = page_of(client, app, "hi")
    assert "Documents are not valid or not genuine" in english
    assert "दस्तावेज़ मान्य या असली नहीं हैं" in hindi
    assert "Documents are not valid or not genuine" not in hindi


def test_the_return_form_offers_the_answers_and_documents_to_fix(client, app, scrutiny_officer):
    html = page_of(signed_in(client, scrutiny_officer), app)
    form = html.split('data-action="return"')[1].split("</form>")[0]
    values = re.findall(r'name="return-fix" value="(\w+)"', form)
    assert {"gender", "date_of_birth", "photo"} <= set(values)
    assert "Photo" in form and "Gender" in form


# --------------------------------------------------------------------------- each action


def test_forward_through_the_page(client, app, scrutiny_officer, designated_officer):
    signed_in(client, scrutiny_officer)
    response, _payload = post_action(client, app, "forward", {"remark": "Papers in order"})
    assert response.status_code == 302 and response["Location"] == url("inbox")
    inbox = client.get(response["Location"]).content.decode()
    assert f"Application {app.number} forwarded to Approval." in inbox
    case = case_of(app)
    assert case.stage == "approval" and case.assignee == designated_officer
    assert case.actions.last().remark == "Papers in order"


def test_a_second_press_acts_once_and_says_why(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    first, payload = post_action(client, app, "forward", {})
    assert first.status_code == 302
    again = client.post(url("case_act", app.number, "forward"), payload)
    assert again.status_code == 409
    assert "This case has changed since you opened it" in again.content.decode()
    assert Action.objects.filter(case__application=app, kind="forward").count() == 1


def test_a_second_press_with_a_fresh_token_is_refused_by_the_service(client, app, scrutiny_officer):
    """Two presses at once both pass the page's token; the case's lock lets one through."""
    signed_in(client, scrutiny_officer)
    first, payload = post_action(client, app, "return", {"fix": ["gender"], "remark": "Fix it"})
    assert first.status_code == 302
    assert forms_on(page_of(client, app)) == []  # returned: nothing to do now
    # the token the page would give now (as if both presses read the page at once)
    from ekseva.workflow.views_inbox import _seen

    payload["return-seen"] = _seen(case_of(app))
    again = client.post(url("case_act", app.number, "return"), payload)
    assert again.status_code == 409
    assert "cannot be done to this case now" in again.content.decode()
    assert Action.objects.filter(case__application=app, kind="return").count() == 1


def test_approve_through_the_page(client, app, scrutiny_officer, designated_officer):
    approval(app, scrutiny_officer)
    signed_in(client, designated_officer)
    response, _ = post_action(client, app, "approve", {})
    assert response.status_code == 302
    assert f"Application {app.number} approved." in client.get(url("inbox")).content.decode()
    app.refresh_from_db()
    assert app.status in (Status.APPROVED, Status.DELIVERED)
    # decided: no more forms, the page still opens
    html = page_of(client, app)
    assert forms_on(html) == []
    assert 'data-countdown="disposed"' in html


def test_reject_needs_a_reason_and_a_remark_shown_on_their_fields(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    response, _ = post_action(client, app, "reject", {"remark": "Forged marksheet"})
    assert response.status_code == 409
    html = response.content.decode()
    reason = html.split('data-action="reject"')[1].split("</form>")[0]
    assert re.search(r'class="field has-error">\s*<label for="id_reject-reason_code"', reason)
    assert "Choose the reason for rejecting." in reason
    assert 'href="#id_reject-reason_code"' in reason  # the error summary links to it
    response, _ = post_action(client, app, "reject", {"reason_code": "documents_invalid"})
    assert "Write a remark for the applicant." in response.content.decode()
    assert case_of(app).state == Case.State.OPEN
    response, _ = post_action(
        client, app, "reject", {"reason_code": "documents_invalid", "remark": "Forged marksheet"}
    )
    assert response.status_code == 302
    assert f"Application {app.number} rejected." in client.get(url("inbox")).content.decode()
    app.refresh_from_db()
    assert app.status == Status.REJECTED
    assert "Forged marksheet" in app.history.last().remark_en


def test_refusals_come_in_hindi_on_a_hindi_page(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    response, _ = post_action(client, app, "reject", {"remark": "x"}, lang="hi")
    html = response.content.decode()
    assert "अस्वीकृति का कारण चुनें।" in html
    assert "Choose the reason for rejecting." not in html


def test_return_through_the_page(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    response, _ = post_action(client, app, "return", {"remark": "Fix your gender"})
    assert "Choose what the applicant must correct or provide." in response.content.decode()
    assert 'href="#id_return-fix"' in response.content.decode()
    response, _ = post_action(
        client, app, "return", {"fix": ["gender", "photo"], "remark": "Fix your gender"}
    )
    assert response.status_code == 302
    case = case_of(app)
    assert case.state == Case.State.RETURNED and case.paused_on == dt.date(2026, 6, 15)
    assert case.actions.last().fields == ["gender", "photo"]
    html = page_of(client, app)
    assert "Returned to the applicant to correct: Gender, Photo" in html
    assert 'data-countdown="paused"' in html


def test_ask_for_a_document_through_the_page(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    response, _ = post_action(client, app, "ask_document", {})
    assert response.status_code == 409
    assert 'href="#id_ask_document-document"' in response.content.decode()
    response, _ = post_action(client, app, "ask_document", {"document": "pwd_cert"})
    assert response.status_code == 302
    action = case_of(app).actions.last()
    assert (action.kind, action.fields) == ("ask_document", ["pwd_cert"])
    app.refresh_from_db()
    assert app.status == Status.RETURNED


def test_schedule_a_hearing_through_the_page(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    response, _ = post_action(
        client, app, "schedule_hearing", {"hearing_at": "2026-06-10T11:00", "place": "Room 4"}
    )
    assert response.status_code == 409
    assert "The hearing must be in the future." in response.content.decode()
    response, _ = post_action(client, app, "schedule_hearing", {"hearing_at": "tomorrow"})
    assert response.status_code == 400  # not a date and time: the form says so
    response, _ = post_action(
        client, app, "schedule_hearing", {"hearing_at": "2026-06-18T11:30", "place": "Room 4"}
    )
    assert response.status_code == 302
    assert "fixed for 18-06-2026 11:30" in client.get(url("inbox")).content.decode()
    action = case_of(app).actions.last()
    assert action.kind == "schedule_hearing" and action.place == "Room 4"
    assert "Hearing fixed for 18-06-2026 11:30 at Room 4" in page_of(client, app)


def test_an_officer_without_the_stage_is_refused_and_nothing_moves(
    client, app, designated_officer, scrutiny_officer
):
    signed_in(client, scrutiny_officer)
    payload = hidden(page_of(client, app), "forward")
    client.logout()
    signed_in(client, designated_officer)  # may see the case, not act at scrutiny
    response = client.post(url("case_act", app.number, "forward"), payload)
    assert response.status_code == 403
    assert "You cannot act on this case" in response.content.decode()
    assert case_of(app).stage == "scrutiny"


def test_another_districts_officer_or_a_citizen_cannot_act_through_the_page(
    client, app, scrutiny_officer, indore_officer, citizen
):
    signed_in(client, scrutiny_officer)
    payload = hidden(page_of(client, app), "forward")
    client.logout()
    signed_in(client, indore_officer)
    assert client.post(url("case_act", app.number, "forward"), payload).status_code == 404
    assert client.post(url("case_reassign", app.number), {}).status_code == 404
    client.logout()
    client.force_login(citizen)
    assert client.post(url("case_act", app.number, "forward"), payload).status_code == 404
    assert case_of(app).stage == "scrutiny"
    assert not Action.objects.filter(case__application=app, kind="forward").exists()


def test_an_unknown_action_is_404(client, app, scrutiny_officer):
    signed_in(client, scrutiny_officer)
    assert client.post(url("case_act", app.number, "delete")).status_code == 404
    assert client.get(url("case_act", app.number, "forward")).status_code == 405


# --------------------------------------------------------------------------- reassign, transfer


def test_the_designated_officer_reassigns_among_the_stage_officers(
    client, app, designated_officer, scrutiny_officer, places
):
    second = officer(Role.DEPARTMENT_OFFICER, places.bhopal, name="Second Officer")
    signed_in(client, designated_officer)
    html = page_of(client, app)
    form = html.split('data-action="reassign"')[1].split("</form>")[0]
    assert "Second Officer" in form and "Meena Sharma" not in form  # not the one who has it
    seen = re.search(r'name="reassign-seen" value="([^"]+)"', form).group(1)
    response = client.post(
        url("case_reassign", app.number),
        {"reassign-seen": seen, "reassign-to_officer": str(second.pk), "reassign-reason": ""},
    )
    assert response.status_code == 409 and "Say why." in response.content.decode()
    response = client.post(
        url("case_reassign", app.number),
        {"reassign-seen": seen, "reassign-to_officer": str(second.pk), "reassign-reason": "Leave"},
    )
    assert response.status_code == 302
    assert case_of(app).assignee == second
    assert "is now with Second Officer" in client.get(response["Location"]).content.decode()
    # the same form again: the case has changed
    again = client.post(
        url("case_reassign", app.number),
        {"reassign-seen": seen, "reassign-to_officer": str(second.pk), "reassign-reason": "Leave"},
    )
    assert again.status_code == 409
    assert Action.objects.filter(case__application=app, kind="reassign").count() == 1


def test_a_scrutiny_officer_cannot_reassign(client, app, scrutiny_officer, places):
    second = officer(Role.DEPARTMENT_OFFICER, places.bhopal)
    signed_in(client, scrutiny_officer)
    assert "reassign" not in forms_on(page_of(client, app))
    response = client.post(
        url("case_reassign", app.number),
        {"reassign-to_officer": str(second.pk), "reassign-reason": "Mine"},
    )
    assert response.status_code == 403
    assert case_of(app).assignee == scrutiny_officer


def test_transfer_to_another_district(client, app, designated_officer, indore_officer, places):
    signed_in(client, designated_officer)
    html = page_of(client, app)
    form = html.split('data-action="transfer"')[1].split("</form>")[0]
    assert "Indore" in form and ">Bhopal<" not in form
    seen = re.search(r'name="transfer-seen" value="([^"]+)"', form).group(1)
    response = client.post(
        url("case_transfer", app.number),
        {
            "transfer-seen": seen,
            "transfer-district": str(places.indore.pk),
            "transfer-reason": "Moved",
        },
    )
    assert response.status_code == 302
    case = case_of(app)
    assert case.district == places.indore and case.assignee == indore_officer
    # no longer theirs: the case has left their district
    assert client.get(url("case", app.number)).status_code == 404


def test_citizen_profile_is_not_needed_for_the_case_page(client, app, scrutiny_officer, citizen):
    CitizenProfile.objects.filter(user=citizen).delete()
    assert "Asha Verma" in page_of(signed_in(client, scrutiny_officer), app)


# --------------------------------------------------------------------------- Hindi


def test_the_case_page_in_hindi(client, app, scrutiny_officer):
    html = page_of(signed_in(client, scrutiny_officer), app, "hi")
    assert 'lang="hi"' in html
    assert "जाँच" in html  # the stage
    for english in (
        "Back to the inbox",
        "Forward",
        "Reject",
        "Schedule a hearing",
        "History",
        "Answers",
    ):
        assert f">{english}<" not in html, english
    assert "लिंग" in html  # the form's own Hindi label


# --------------------------------------------------------------------------- two presses at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["forward", "schedule_hearing"])
def test_two_presses_at_once_through_the_page_act_once(received, scrutiny_officer, kind):
    """Two requests with the same form, released together: both pass the page's token
    (the case has not moved when they read it); the case's lock lets one through."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections, connection
    from django.test import Client

    app = received()
    first = signed_in(Client(), scrutiny_officer)
    clients = [first]
    for _ in range(3):  # the same session in four tabs (a TOTP code signs in once)
        other = Client()
        other.cookies.load({key: morsel.value for key, morsel in first.cookies.items()})
        clients.append(other)
    html = page_of(clients[0], app)
    data = {"hearing_at": "2026-06-18T11:30", "place": "Room 4"} if kind != "forward" else {}
    payload = {**hidden(html, kind), **{f"{kind}-{key}": value for key, value in data.items()}}
    start = threading.Barrier(len(clients))

    def press(client):
        try:
            start.wait()
            return client.post(url("case_act", app.number, kind), payload).status_code
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(press, clients))
    assert statuses.count(302) == 1, statuses
    assert set(statuses) == {302, 409}, statuses
    assert Action.objects.filter(case__application=app, kind=kind).count() == 1
