"""The applicant's pages: my applications, one application, a draft, the locker and
the files in it; who may see them (everyone else gets 404, never 403)."""

from __future__ import annotations

import itertools
import re

import pytest
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications import documents, services
from ekseva.applications.models import LockerDocument, Status
from ekseva.core.audit import AuditEvent

from .conftest import ANSWERS, jpeg, pdf
from .test_services import filled, pay

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    """reverse() outside a request uses the active language; a /hi/ request of an
    earlier test may have left Hindi active."""
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------- people


def make_staff(role: Role, *, department_code: str = "", kiosk_code: str = "") -> User:
    user = User.objects.create_user(f"officer{next(_seq)}", "right-password-42")
    Posting.objects.create(
        user=user, role=role, department_code=department_code, kiosk_code=kiosk_code
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def verified_login(client, user: User) -> None:
    """A session as the staff sign-in leaves it: password and TOTP both passed."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def submitted(service, citizen):
    return services.submit(filled(service, citizen), declaration=True, actor=citizen)


def paid(service, citizen):
    app = submitted(service, citizen)
    n = next(_seq)
    pay(app, key=f"pay-{n}", payment_id=f"pay_{n}")
    app.refresh_from_db()
    return app


def detail_url(app, language: str = "en") -> str:
    return f"/{language}/applications/{app.number}/"


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --------------------------------------------------------------------------- the list


def test_the_list_shows_only_my_applications_drafts_first(
    client, service, citizen, other_citizen, frozen_clock
):
    draft = services.start(citizen, service)
    frozen_clock.advance(minutes=5)
    app = submitted(service, citizen)  # changed after the draft, listed after it all the same
    theirs = submitted(service, other_citizen)
    client.force_login(citizen)
    html = page(client.get("/en/applications/"))
    assert app.number in html and theirs.number not in html
    statuses = re.findall(r'data-status="([a-z_]+)"', html)
    assert statuses == ["draft", "fee_pending"]
    steps = re.findall(r'data-next="([a-z_]+)"', html)
    assert steps == ["resume", "pay"]
    assert f"/en/applications/draft/{draft.pk}/" in html
    assert "Test Examination" in html and "Submitted; fee not yet paid" in html
    assert "Draft (no number yet)" in html


def test_the_list_in_hindi_with_the_receipt_once_paid(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    html = page(client.get("/hi/applications/"))
    assert "परीक्षण परीक्षा" in html  # the service's Hindi name
    assert "विभाग को प्राप्त" in html  # received by the department
    assert "मेरे आवेदन" in html
    assert f"/hi/applications/{app.number}/receipt.pdf" in html
    due = app.due_date.strftime("%d-%m-%Y")
    assert due in html  # "nothing to do: decided by …"


def test_an_empty_list_points_to_the_catalogue(client, citizen):
    client.force_login(citizen)
    html = page(client.get("/en/applications/"))
    assert "data-empty" in html and 'href="/en/services/"' in html


def test_the_pages_ask_to_sign_in_first(client, service, citizen):
    app = submitted(service, citizen)
    for url in (
        "/en/applications/",
        detail_url(app),
        "/en/applications/locker/",
        f"/en/applications/{app.number}/receipt.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/account/signin/" in response["Location"], url


# --------------------------------------------------------------------------- one application


def test_detail_shows_the_timeline_answers_documents_fee_and_payments(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    html = page(client.get(detail_url(app)))
    for words in (
        "Draft: not yet submitted",
        "Submitted; fee not yet paid",
        "Received by the department",
        "Birth date",
        "15-01-2000",
        "Male",
        "Photo",
        "Portal convenience fee",
        "₹547.20",
        app.paid_payment,
        "Test Department",
    ):
        assert words in html, words
    document = app.documents.get().locker_document
    assert f"/en/applications/documents/{document.pk}/file/" in html
    assert f"/en/payments/{app.paid_payment}/" in html
    assert f"/en/applications/{app.number}/receipt.pdf?lang=en" in html
    assert 'data-next="wait"' in html


def test_detail_in_hindi(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    html = page(client.get(detail_url(app, "hi")))
    for words in ("परीक्षण परीक्षा", "विभाग को प्राप्त", "जन्म तिथि", "पुरुष", "फोटो", "इतिहास"):
        assert words in html, words
    assert "Received by the department" not in html


def test_staff_moves_show_the_department_and_the_remark_never_the_officers_name(
    client, service, citizen
):
    app = paid(service, citizen)
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="TST")
    officer.full_name = "Officer Sharma"
    officer.save()
    locked = services._locked(app)
    services.move(
        locked,
        Status.IN_PROCESS,
        actor=officer,
        remark_en="Scrutiny started",
        remark_hi="जाँच शुरू हुई",
    )
    locked.save()
    client.force_login(citizen)
    html = page(client.get(detail_url(app)))
    assert "Scrutiny started" in html and "Department" in html
    assert officer.username not in html and "Sharma" not in html
    assert "जाँच शुरू हुई" in page(client.get(detail_url(app, "hi")))


def test_actions_appear_only_when_the_services_allow_them(client, service, citizen, frozen_clock):
    app = submitted(service, citizen)
    client.force_login(citizen)
    html = page(client.get(detail_url(app)))
    # fee pending: pay (a form posting to applications:pay) and withdraw; no correction yet
    pay_form = re.search(r'<form[^>]*action="/en/applications/([A-Z0-9]+)/pay/"[^>]*>', html)
    assert pay_form and pay_form.group(1) == app.number
    assert 'method="post"' in pay_form.group(0)
    assert 'data-action="withdraw"' in html and 'data-action="correct"' not in html
    assert 'data-action="receipt"' not in html

    pay(app)
    html = page(client.get(detail_url(app)))
    assert f"/en/applications/{app.number}/pay/" not in html
    assert 'data-action="withdraw"' in html and 'data-action="receipt"' in html

    frozen_clock.advance(days=22)  # 2026-07-07: the correction window is open
    html = page(client.get(detail_url(app)))
    assert 'data-action="correct"' in html
    assert f"/en/applications/{app.number}/correct/" in html

    app.refresh_from_db()
    locked = services._locked(app)
    services.move(locked, Status.IN_PROCESS)
    locked.save()
    html = page(client.get(detail_url(app)))
    assert 'data-action="withdraw"' not in html  # processing has started


def test_a_kiosk_application_shows_the_kiosk_in_the_timeline(client, service, citizen):
    operator = make_staff(Role.KIOSK_OPERATOR, kiosk_code="K001")
    app = services.start(citizen, service, channel="kiosk", kiosk_code="K001", actor=operator)
    services.save_step(app, "about", ANSWERS, actor=operator)
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=operator)
    app = services.submit(app, declaration=True, actor=operator)
    client.force_login(citizen)
    html = page(client.get(detail_url(app)))
    assert "Kiosk" in html and "At kiosk K001" in html
    assert operator.username not in html


def test_someone_elses_application_draft_document_and_receipt_are_not_found(
    client, service, citizen, other_citizen
):
    app = paid(service, citizen)
    draft = services.start(citizen, service)
    document = app.documents.get().locker_document
    client.force_login(other_citizen)
    for url in (
        detail_url(app),
        f"/en/applications/draft/{draft.pk}/",
        f"/en/applications/documents/{document.pk}/file/",
        f"/en/applications/{app.number}/receipt.pdf",
        "/en/applications/MP26TST0000999Z/",
        "/en/applications/documents/999999/file/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/en/applications/locker/{document.pk}/remove/").status_code == 404
    assert LockerDocument.objects.filter(pk=document.pk).exists()


def test_staff_see_an_application_of_their_department_only_on_a_verified_session(
    client, service, citizen
):
    app = paid(service, citizen)
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="TST")
    client.force_login(officer)  # password only: no TOTP step
    assert client.get(detail_url(app)).status_code == 404
    verified_login(client, officer)
    html = page(client.get(detail_url(app)))
    assert app.number in html and "Answers" in html
    assert 'data-action="withdraw"' not in html  # officers do not act for the applicant
    client.logout()
    verified_login(client, make_staff(Role.DEPARTMENT_OFFICER, department_code="OTHER"))
    assert client.get(detail_url(app)).status_code == 404


# --------------------------------------------------------------------------- a draft


def test_a_drafts_summary_resumes_where_it_was_left(client, service, citizen, other_citizen):
    app = services.start(citizen, service)
    client.force_login(citizen)
    html = page(client.get(f"/en/applications/draft/{app.pk}/"))
    assert f'href="/en/applications/draft/{app.pk}/step/about/"' in html
    assert "data-resume" in html and "5 July 2026" in html  # the last moment to submit

    services.save_step(app, "about", ANSWERS, actor=citizen)  # the only step: next is preview
    html = page(client.get(f"/en/applications/draft/{app.pk}/"))
    assert f'href="/en/applications/draft/{app.pk}/preview/"' in html
    assert "Birth date" in html and "15-01-2000" in html

    html = page(client.get(f"/hi/applications/draft/{app.pk}/"))
    assert "प्रारूप: अभी जमा नहीं हुआ" in html and "जन्म तिथि" in html

    client.force_login(other_citizen)
    assert client.get(f"/en/applications/draft/{app.pk}/").status_code == 404


def test_a_submitted_drafts_summary_sends_to_the_application(client, service, citizen):
    app = submitted(service, citizen)
    client.force_login(citizen)
    response = client.get(f"/en/applications/draft/{app.pk}/")
    assert response.status_code == 302 and response["Location"] == detail_url(app)


def test_a_draft_after_the_close_says_so_and_offers_no_resume(
    client, service, citizen, frozen_clock
):
    app = services.start(citizen, service)
    frozen_clock.advance(days=21)  # 2026-07-06, after the late window
    client.force_login(citizen)
    html = page(client.get(f"/en/applications/draft/{app.pk}/"))
    assert "can no longer be submitted" in html and "data-resume" not in html
    assert 'data-next="closed"' in page(client.get("/en/applications/"))


# --------------------------------------------------------------------------- files


def test_a_document_is_served_to_its_owner_inline_and_never_cached(client, service, citizen):
    app = submitted(service, citizen)
    document = app.documents.get().locker_document
    client.force_login(citizen)
    response = client.get(f"/en/applications/documents/{document.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8\xff") and len(body) == document.size
    assert not AuditEvent.objects.filter(action="applications.document.viewed").exists()


def test_a_document_is_served_to_the_departments_officer_and_the_kiosk_only(
    client, service, citizen
):
    app = submitted(service, citizen)
    document = app.documents.get().locker_document
    url = f"/en/applications/documents/{document.pk}/file/"

    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="TST")
    client.force_login(officer)
    assert client.get(url).status_code == 404  # not TOTP-verified
    verified_login(client, officer)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(
        action="applications.document.viewed", actor_id=officer.pk
    ).exists()

    for stranger in (
        make_staff(Role.DEPARTMENT_OFFICER, department_code="OTHER"),
        make_staff(Role.KIOSK_OPERATOR, kiosk_code="K009"),  # applied online, not at K009
    ):
        client.logout()
        verified_login(client, stranger)
        assert client.get(url).status_code == 404


def test_a_kiosk_sees_the_documents_of_the_applications_it_made(client, service, citizen):
    operator = make_staff(Role.KIOSK_OPERATOR, kiosk_code="K001")
    app = services.start(citizen, service, channel="kiosk", kiosk_code="K001", actor=operator)
    attached = services.attach_upload(app, "photo", jpeg(), actor=operator)
    unattached = documents.store(
        citizen,
        pdf(),
        label="Old certificate",
        purpose="",
        rule={"formats": ["pdf"]},
        actor=citizen,
    )
    verified_login(client, operator)
    base = "/en/applications/documents/{}/file/"
    assert client.get(base.format(attached.locker_document_id)).status_code == 200
    assert client.get(base.format(unattached.pk)).status_code == 404  # on no application


# --------------------------------------------------------------------------- the locker


def test_the_locker_lists_documents_and_where_they_are_used(client, service, citizen):
    app = submitted(service, citizen)
    loose = documents.store(
        citizen,
        pdf(),
        label="Caste certificate",
        purpose="",
        rule={"formats": ["pdf"]},
        actor=citizen,
    )
    client.force_login(citizen)
    html = page(client.get("/en/applications/locker/"))
    assert "Caste certificate" in html and "Photo" in html
    assert f'href="/en/applications/{app.number}/"' in html
    assert "300×400" in html  # the photo's dimensions
    assert f"/en/applications/locker/{loose.pk}/remove/" in html
    attached = app.documents.get().locker_document
    assert f"/en/applications/locker/{attached.pk}/remove/" not in html
    assert "मेरे दस्तावेज़" in page(client.get("/hi/applications/locker/"))


def test_a_document_on_an_application_cannot_be_removed(
    client, service, citizen, django_capture_on_commit_callbacks
):
    app = submitted(service, citizen)
    attached = app.documents.get().locker_document
    loose = documents.store(
        citizen, pdf(), label="Spare", purpose="", rule={"formats": ["pdf"]}, actor=citizen
    )
    client.force_login(citizen)
    response = client.post(f"/en/applications/locker/{attached.pk}/remove/", follow=True)
    assert "attached to an application" in response.content.decode()
    assert LockerDocument.objects.filter(pk=attached.pk).exists()
    assert attached.file.storage.exists(attached.file.name)

    storage, name = loose.file.storage, loose.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/applications/locker/{loose.pk}/remove/", follow=True)
    assert "has been removed" in response.content.decode()
    assert not LockerDocument.objects.filter(pk=loose.pk).exists()
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(action="applications.locker.removed").count() == 1
    assert client.get("/en/applications/locker/1/remove/").status_code == 405  # POST only


def test_remove_refuses_an_attached_document_and_someone_elses(service, citizen, other_citizen):
    from ekseva.applications.models import ApplicationError

    app = submitted(service, citizen)
    attached = app.documents.get().locker_document
    with pytest.raises(ApplicationError, match="attached"):
        documents.remove(attached, actor=citizen)
    loose = documents.store(
        citizen, pdf(), label="Spare", purpose="", rule={"formats": ["pdf"]}, actor=citizen
    )
    with pytest.raises(ApplicationError, match="No such document"):
        documents.remove(loose, actor=other_citizen)
    documents.remove(loose, actor=citizen)
    assert not LockerDocument.objects.filter(pk=loose.pk).exists()


def test_the_list_and_a_page_cost_the_same_queries_however_many_applications(
    client, service, citizen, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    app = paid(service, citizen)
    services.start(citizen, service)
    client.force_login(citizen)
    few = queries("/en/applications/")
    for _ in range(4):
        paid(service, citizen)
        services.start(citizen, service)
    assert queries("/en/applications/") == few
    with django_assert_max_num_queries(25):
        client.get(detail_url(app))
