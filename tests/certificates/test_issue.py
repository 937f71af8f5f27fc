"""Issuing on approval (certificates.issue): the whole life of an application from
receipt to a delivered, signed certificate in the applicant's locker; the number;
a retried hook issues nothing twice; a failure rolls the approval back; other
deliverables are left approved; licences are issued too."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ekseva.applications import services as applications
from ekseva.applications.models import Application, LockerDocument, Status
from ekseva.catalog import loader
from ekseva.catalog.models import Service
from ekseva.certificates import issue, pdf, qr, verify
from ekseva.certificates.models import Certificate, CertificateError
from ekseva.core import ids
from ekseva.core.audit import AuditEvent
from ekseva.core.files import check_upload
from ekseva.notifications.models import Message
from ekseva.workflow import services as workflow
from ekseva.workflow.models import Case
from tests.catalog.conftest import write_definitions
from tests.workflow import conftest as back_office
from tests.workflow.conftest import BACK_OFFICE_SERVICE

# The back office's fixtures (tests/workflow/conftest.py), used here as they are.
_gateway = back_office._gateway
citizen = back_office.citizen
designated_officer = back_office.designated_officer
english = back_office.english
fake_gateway = back_office.fake_gateway
places = back_office.places
received = back_office.received
scrutiny_officer = back_office.scrutiny_officer
service = back_office.service


def case_of(app: Application) -> Case:
    return Case.objects.get(application=app)


def approve(app: Application, scrutiny, designated) -> Case:
    """Through the back office, as officers do it: forward from scrutiny, approve."""
    case = workflow.act(case_of(app), "forward", actor=scrutiny)
    return workflow.act(case, "approve", actor=designated)


def issued_certificate(received, scrutiny, designated, person=None) -> Certificate:
    app = received(person)
    approve(app, scrutiny, designated)
    return Certificate.objects.get(application=app)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --------------------------------------------------------------------------- the whole life


def test_the_whole_life_ends_with_a_delivered_signed_certificate_in_the_locker(
    received, scrutiny_officer, designated_officer, citizen
):
    app = received()
    case = case_of(app)
    assert app.status == Status.RECEIVED and case.state == Case.State.OPEN

    case = workflow.act(case, "forward", actor=scrutiny_officer)
    app.refresh_from_db()
    assert app.status == Status.IN_PROCESS and case.stage == "approval"

    case = workflow.act(case, "approve", actor=designated_officer)
    app.refresh_from_db()
    assert case.outcome == "approved"
    assert app.status == Status.DELIVERED  # approved, then delivered with the certificate
    assert list(app.history.values_list("to_status", flat=True))[-2:] == [
        Status.APPROVED,
        Status.DELIVERED,
    ]

    certificate = Certificate.objects.get(application=app)
    assert certificate.holder == citizen
    assert (certificate.department_code, certificate.service_code) == ("TST", "tst-exam")
    assert certificate.kind == "certificate"
    assert certificate.key.department_code == "TST" and certificate.key.retired_at is None

    verdict = verify.verify_number(certificate.number)
    assert verdict.status == "genuine" and verdict.certificate == certificate
    assert verdict.fields.name_en == "Asha Verma"
    assert verify.verify_payload(certificate.qr_payload).ok
    data = certificate.pdf.read()
    assert verify.verify_pdf(data).ok

    # The locker has it, as the applicant's own document, reusable.
    document = certificate.locker_document
    assert document is not None and document.owner == citizen
    assert document.kind == LockerDocument.Kind.PDF
    assert document.label == f"Test Examination certificate {certificate.number}"
    assert document.purpose == "certificate:tst-exam"
    assert document.sha256 == certificate.pdf_sha256
    assert document.file.read() == data
    assert LockerDocument.objects.filter(owner=citizen, pk=document.pk).exists()

    # The applicant heard of the approval and of the delivery.
    templates = set(Message.objects.filter(user_id=citizen.pk).values_list("template", flat=True))
    assert {"applications.approved", "applications.delivered"} <= templates
    event = AuditEvent.objects.get(action="certificates.issued")
    assert event.after["number"] == certificate.number
    assert event.after["application"] == app.number


def test_the_number_is_c_state_year_department_with_a_check_character(
    received, scrutiny_officer, designated_officer
):
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    assert certificate.number.startswith("CMP26TST")
    assert len(certificate.number) == len("CMP26TST") + 7 + 1
    assert ids.is_valid(certificate.number)


def test_the_pdf_says_what_the_certificate_is_in_english_and_hindi(
    received, scrutiny_officer, designated_officer, settings
):
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    app = certificate.application
    data = certificate.pdf.read()
    text = pdf_text(data)
    for expected in (
        "Government of Madhya Pradesh",
        "Test Department",
        "Test Examination — Certificate",
        certificate.number,
        app.number,
        "Asha Verma",
        "15-01-2000",  # the date of birth from the answers
        "Bhopal",  # the district
        "15-06-2026",  # issued on
        f"Verify at {settings.PUBLIC_BASE_URL}/verify/{certificate.number}",
        "Seal of the Test Department",
        "प्रमाण पत्र",
        "परीक्षण",
    ):
        assert expected in text, expected
    assert certificate.qr_payload.startswith("v1.")
    assert pdf.number_in(data) == certificate.number


def test_the_printed_details_come_from_the_form_and_the_profile(
    received, scrutiny_officer, designated_officer
):
    app = received()
    rows = issue.details(app)
    labels = [row[0] for row in rows]
    assert labels[:3] == ["Birth date", "Gender", "Category"]
    assert ("Gender", "लिंग", "Male", "पुरुष") in rows
    assert ("District", "ज़िला", "Bhopal", "भोपाल") in rows
    # Yes/no answers are not worth printing; the eligibility answer is not shown.
    assert "Graduate" not in labels and "Disabled" not in labels


def test_the_holders_hindi_name_is_signed_and_printed(
    received, scrutiny_officer, designated_officer, citizen
):
    citizen.profile.name_hi = "आशा वर्मा"
    citizen.profile.save()
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    assert certificate.fields["name_hi"] == "आशा वर्मा"
    assert qr.peek(certificate.qr_payload).name_hi == "आशा वर्मा"
    assert "आशा वर्मा" in pdf_text(certificate.pdf.read())


def test_the_locker_copy_can_be_attached_to_a_later_application(
    received, scrutiny_officer, designated_officer, citizen, service
):
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    document = certificate.locker_document
    # It passed the locker's own checks (a PDF, no scripts, within size) …
    check_upload(io.BytesIO(document.file.read()), allowed={"pdf"}, max_bytes=500 * 1024)
    # … and a later application takes it for a document that asks for a PDF.
    later = applications.start(citizen, service)
    attached = applications.attach_locker(later, "pwd_cert", document, actor=citizen)
    assert attached.locker_document == document


# --------------------------------------------------------------------------- once only


def test_a_retried_hook_issues_nothing_twice(received, scrutiny_officer, designated_officer):
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    case = case_of(certificate.application)
    again = issue.issue_for_case(case, designated_officer)
    assert again == certificate
    assert Certificate.objects.count() == 1
    assert LockerDocument.objects.filter(purpose="certificate:tst-exam").count() == 1
    assert AuditEvent.objects.filter(action="certificates.issued").count() == 1
    assert Application.objects.get(pk=case.application_id).status == Status.DELIVERED


def test_an_application_not_approved_gets_no_certificate(received, designated_officer):
    app = received()
    with pytest.raises(CertificateError):
        issue.issue(app, actor=designated_officer)
    assert not Certificate.objects.exists()


def test_a_failure_to_issue_rolls_the_approval_back(
    received, scrutiny_officer, designated_officer, monkeypatch
):
    app = received()
    case = workflow.act(case_of(app), "forward", actor=scrutiny_officer)

    def broken(*args, **kwargs):
        raise RuntimeError("the signing key is unavailable")

    monkeypatch.setattr(pdf, "sign", broken)
    with pytest.raises(RuntimeError):
        workflow.act(case, "approve", actor=designated_officer)
    app.refresh_from_db()
    case.refresh_from_db()
    assert app.status == Status.IN_PROCESS
    assert case.state == Case.State.OPEN and case.outcome == ""
    assert not Certificate.objects.exists()
    assert not LockerDocument.objects.filter(purpose__startswith="certificate:").exists()


def test_a_failure_after_the_files_are_written_leaves_no_files(
    received, scrutiny_officer, designated_officer, monkeypatch, settings
):
    app = received()
    case = workflow.act(case_of(app), "forward", actor=scrutiny_officer)

    class FailingAudit:
        @staticmethod
        def record(action, **kwargs):
            raise RuntimeError(f"the audit log refused {action}")

    monkeypatch.setattr(issue, "audit", FailingAudit)
    with pytest.raises(RuntimeError):
        workflow.act(case, "approve", actor=designated_officer)
    assert not Certificate.objects.exists()
    media = settings.MEDIA_ROOT
    written = [p.name for p in media.rglob("*.pdf")]
    assert written == []  # neither the certificate nor its locker copy


# --------------------------------------------------------------------------- other deliverables


def _load(tmp_path, deliverable: str) -> Service:
    text = BACK_OFFICE_SERVICE.replace("deliverable: certificate", f"deliverable: {deliverable}")
    write_definitions(tmp_path / f"defs-{deliverable}", service=text)
    _changes, problems = loader.load_paths([tmp_path / f"defs-{deliverable}"])
    assert problems == []
    return Service.objects.get(code="tst-exam")


class TestAdmitCard:
    """Admit cards belong to the examinations: the application stays approved."""

    @pytest.fixture
    def service(self, db, tmp_path, frozen_clock, settings):
        settings.MEDIA_ROOT = tmp_path / "media"
        return _load(tmp_path, "admit_card")

    def test_an_admit_card_is_not_issued_here(self, received, scrutiny_officer, designated_officer):
        app = received()
        assert app.version.deliverable == "admit_card"
        approve(app, scrutiny_officer, designated_officer)
        app.refresh_from_db()
        assert app.status == Status.APPROVED
        assert not Certificate.objects.exists()


class TestLicence:
    @pytest.fixture
    def service(self, db, tmp_path, frozen_clock, settings):
        settings.MEDIA_ROOT = tmp_path / "media"
        return _load(tmp_path, "licence")

    def test_a_licence_is_issued_signed_and_delivered(
        self, received, scrutiny_officer, designated_officer
    ):
        certificate = issued_certificate(received, scrutiny_officer, designated_officer)
        assert certificate.kind == "licence"
        assert certificate.application.status == Status.DELIVERED
        data = certificate.pdf.read()
        text = pdf_text(data)
        assert "Test Examination — Licence" in text and "अनुज्ञप्ति" in text
        assert certificate.locker_document.label.endswith(f"licence {certificate.number}")
        assert verify.verify_pdf(data).ok


# --------------------------------------------------------------------------- races


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_issue_one_certificate(received, scrutiny_officer, designated_officer):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, transaction

    from ekseva.applications.models import Status as AppStatus

    app = received()
    workflow.act(case_of(app), "forward", actor=scrutiny_officer)
    # Approved without the hook (as if the first attempt's hook had not run yet).
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=app.pk)
        applications.move(locked, AppStatus.APPROVED, actor=designated_officer)
        locked.save()
    barrier = threading.Barrier(2)

    def attempt():
        try:
            barrier.wait(timeout=5)
            with transaction.atomic():
                return issue.issue_for_case(case_of(app), designated_officer).number
        except CertificateError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _i: attempt(), range(2)))
    assert Certificate.objects.filter(application=app).count() == 1
    numbers = {r for r in results if isinstance(r, str)}
    assert numbers == {Certificate.objects.get(application=app).number}
