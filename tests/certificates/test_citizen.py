"""The holder's certificate: "Download certificate" on their application's page once
it is issued, the signed PDF served to the holder and to officers of the department
(404 for everyone else), and the copy in the document locker attached to a later
application without uploading it again."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils import translation

from ekseva.accounts.models import Role, User
from ekseva.applications import services as applications
from ekseva.applications.models import ApplicationDocument, Status
from ekseva.core.audit import AuditEvent

from . import pages
from .pages import officer, signed_in, text_of, url

# The fixtures (tests/workflow/conftest.py and pages.py), used here as they are.
_fresh_cache = pages._fresh_cache
_gateway = pages._gateway
appellate_officer = pages.appellate_officer
citizen = pages.citizen
designated_officer = pages.designated_officer
english = pages.english
fake_gateway = pages.fake_gateway
indore_officer = pages.indore_officer
issued = pages.issued
places = pages.places
received = pages.received
scrutiny_officer = pages.scrutiny_officer
service = pages.service

ANSWERS = {
    "date_of_birth": "2000-01-15",
    "gender": "F",
    "social_category": "GEN",
    "pwd": "yes",  # asks for the PDF "Certificate" document (pwd_cert)
    "graduate": "yes",
}


def detail_url(app, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse("applications:detail", args=[app.number])


@pytest.fixture
def other_citizen(places) -> User:
    return User.objects.create_citizen("9876500022", full_name="Ravi Kumar")


# --------------------------------------------------------------------------- the application page


def test_the_delivered_application_offers_the_download(client, issued, citizen):
    certificate = issued()
    app = certificate.application
    assert app.status == Status.DELIVERED
    client.force_login(citizen)
    page = client.get(detail_url(app))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-action="deliverable"' in html
    assert f'href="{url("pdf", certificate.number)}"' in html
    assert "Download certificate" in html


def test_the_download_is_offered_in_hindi_on_the_hindi_page(client, issued, citizen):
    certificate = issued()
    client.force_login(citizen)
    html = client.get(detail_url(certificate.application, "hi")).content.decode()
    assert "प्रमाण पत्र डाउनलोड करें" in html
    assert f'href="{url("pdf", certificate.number, lang="hi")}"' in html


def test_no_download_before_the_certificate_is_issued(client, received, citizen):
    app = received()
    client.force_login(citizen)
    html = client.get(detail_url(app)).content.decode()
    assert 'data-action="deliverable"' not in html


def test_a_revoked_certificate_is_offered_as_revoked(client, issued, citizen, designated_officer):
    from ekseva.certificates import services

    certificate = issued()
    services.revoke(certificate, reason="Issued on a forged document", actor=designated_officer)
    client.force_login(citizen)
    html = client.get(detail_url(certificate.application)).content.decode()
    assert "Download the certificate (revoked)" in html


# --------------------------------------------------------------------------- the PDF


def test_the_holder_downloads_the_signed_pdf_as_an_attachment(client, issued, citizen):
    certificate = issued()
    client.force_login(citizen)
    response = client.get(url("pdf", certificate.number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="certificate-{certificate.number}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
    # the holder's own download is not an access to audit
    assert not AuditEvent.objects.filter(action="certificates.pdf.viewed").exists()


def test_a_number_typed_in_lower_case_finds_the_same_certificate(client, issued, citizen):
    certificate = issued()
    client.force_login(citizen)
    assert client.get(url("pdf", certificate.number.lower())).status_code == 200


def test_someone_elses_certificate_is_not_found(client, issued, other_citizen):
    certificate = issued()
    client.force_login(other_citizen)
    assert client.get(url("pdf", certificate.number)).status_code == 404


def test_an_unknown_number_is_not_found(client, issued, citizen):
    issued()
    client.force_login(citizen)
    assert client.get(url("pdf", "CMP26TST9999999X")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, issued):
    certificate = issued()
    response = client.get(url("pdf", certificate.number))
    assert response.status_code == 302
    assert "signin" in response["Location"] or "login" in response["Location"]


def test_an_officer_of_the_department_downloads_it_and_it_is_audited(
    client, issued, scrutiny_officer
):
    certificate = issued()
    signed_in(client, scrutiny_officer)
    response = client.get(url("pdf", certificate.number))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="certificates.pdf.viewed")
    assert event.actor_id == scrutiny_officer.pk and event.object_id == str(certificate.pk)


def test_an_officer_of_the_department_in_another_district_gets_404(client, issued, indore_officer):
    certificate = issued()  # of a Bhopal applicant
    signed_in(client, indore_officer)
    assert client.get(url("pdf", certificate.number)).status_code == 404


def test_an_officer_of_another_department_gets_404(client, issued, places):
    certificate = issued()
    stranger = officer(Role.DESIGNATED_OFFICER, places.bhopal, department="OTH")
    signed_in(client, stranger)
    assert client.get(url("pdf", certificate.number)).status_code == 404


def test_an_officer_without_the_totp_step_gets_404(client, issued, designated_officer):
    certificate = issued()
    client.force_login(designated_officer)  # password only: not verified
    assert client.get(url("pdf", certificate.number)).status_code == 404


def test_operator_staff_may_not_download_certificates(client, issued):
    certificate = issued()
    operator = officer(Role.OPERATOR_STAFF, None, department="")
    signed_in(client, operator)
    assert client.get(url("pdf", certificate.number)).status_code == 404


# --------------------------------------------------------------------------- the locker


def later_application(citizen, service):
    app = applications.start(citizen, service)
    result = applications.save_step(app, "about", ANSWERS, actor=citizen)
    assert result.ok, result.errors
    app.refresh_from_db()
    return app


def test_the_certificate_is_in_the_locker_and_offered_for_a_later_pdf_document(
    client, issued, citizen, service
):
    certificate = issued()
    document = certificate.locker_document
    assert document is not None and document.owner == citizen
    later = later_application(citizen, service)
    client.force_login(citizen)
    with translation.override("en"):
        documents_url = reverse("applications:documents", args=[later.pk])
    page = client.get(documents_url)
    assert page.status_code == 200
    cards = {card["id"]: card for card in page.context["cards"]}
    assert document in cards["pwd_cert"]["locker"]  # the PDF slot offers it
    assert document not in cards["photo"]["locker"]  # the JPEG slot does not


def test_the_citizen_attaches_the_certificate_from_the_locker_without_uploading(
    client, issued, citizen, service
):
    certificate = issued()
    later = later_application(citizen, service)
    client.force_login(citizen)
    with translation.override("en"):
        documents_url = reverse("applications:documents", args=[later.pk])
    response = client.post(
        documents_url,
        {"document": "pwd_cert", "action": "locker", "locker": str(certificate.locker_document_id)},
    )
    assert response.status_code == 302, text_of(response)[:500]
    attached = ApplicationDocument.objects.get(application=later, document_id="pwd_cert")
    assert attached.locker_document_id == certificate.locker_document_id
    # the same file, not a copy: still the signed certificate
    attached.locker_document.file.open("rb")
    data = attached.locker_document.file.read()
    assert hashlib.sha256(data).hexdigest() == certificate.pdf_sha256


def test_someone_else_cannot_attach_the_holders_certificate(
    client, issued, citizen, other_citizen, service
):
    certificate = issued()
    theirs = later_application(other_citizen, service)
    client.force_login(other_citizen)
    with translation.override("en"):
        documents_url = reverse("applications:documents", args=[theirs.pk])
    response = client.post(
        documents_url,
        {"document": "pwd_cert", "action": "locker", "locker": str(certificate.locker_document_id)},
    )
    assert response.status_code == 200  # the page again, with the error
    assert not ApplicationDocument.objects.filter(application=theirs).exists()
