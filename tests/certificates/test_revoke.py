"""Revocation (certificates.services.revoke): by the issuing department's
designated or appellate officers of the application's district, with a reason,
audited, the holder told; refused twice, without a reason, and to everyone else.
A revoked certificate is reported revoked (with the reason) by every check."""

from __future__ import annotations

import pytest

from ekseva.accounts.models import Role
from ekseva.certificates import services, verify
from ekseva.certificates.models import Certificate, CertificateError
from ekseva.core.audit import AuditEvent
from ekseva.notifications.models import Message
from tests.certificates import test_issue as life
from tests.workflow.conftest import officer

# The back office's fixtures, as test_issue.py takes them from tests/workflow.
_gateway, english, fake_gateway, places, service = (
    life._gateway,
    life.english,
    life.fake_gateway,
    life.places,
    life.service,
)
citizen, received = life.citizen, life.received
scrutiny_officer, designated_officer = life.scrutiny_officer, life.designated_officer

REASON = "Issued on a forged caste document"


@pytest.fixture
def certificate(received, scrutiny_officer, designated_officer) -> Certificate:
    return life.issued_certificate(received, scrutiny_officer, designated_officer)


def test_the_designated_officer_revokes_with_a_reason(certificate, designated_officer, citizen):
    data = certificate.pdf.read()
    revoked = services.revoke(certificate, reason=f"  {REASON}  ", actor=designated_officer)
    assert revoked.is_revoked and certificate.is_revoked  # the passed instance too
    certificate.refresh_from_db()
    assert certificate.revoked_reason == REASON
    assert certificate.revoked_by == designated_officer
    assert certificate.revoked_at is not None

    event = AuditEvent.objects.get(action="certificates.revoked")
    assert event.actor_id == designated_officer.pk
    assert event.after == {"revoked": True, "reason": REASON, "number": certificate.number}

    # The holder is told, by the channels they have.
    told = Message.objects.filter(template="certificates.revoked", user_id=citizen.pk)
    assert set(told.values_list("channel", flat=True)) == {"inapp", "sms", "email"}
    assert REASON in told.get(channel="sms").body

    # Every check says revoked, and why.
    verdict = verify.verify_number(certificate.number)
    assert verdict.status == "revoked" and verdict.certificate.revoked_reason == REASON
    checked = verify.verify_payload(certificate.qr_payload)
    assert not checked.ok and checked.reason == "revoked"
    assert checked.certificate.revoked_reason == REASON
    assert checked.message("hi") == "यह प्रमाण पत्र निरस्त कर दिया गया है।"
    pdf_verdict = verify.verify_pdf(data)
    assert not pdf_verdict.ok and pdf_verdict.reason == "revoked"
    assert pdf_verdict.certificate.revoked_reason == REASON


def test_a_state_wide_appellate_officer_of_the_department_may_revoke(certificate):
    appellate = officer(Role.APPELLATE_OFFICER, None, name="Commissioner")
    services.revoke(certificate, reason=REASON, actor=appellate)
    certificate.refresh_from_db()
    assert certificate.revoked_by == appellate


def test_revoking_twice_is_refused(certificate, designated_officer):
    services.revoke(certificate, reason=REASON, actor=designated_officer)
    again = Certificate.objects.get(pk=certificate.pk)
    with pytest.raises(CertificateError):
        services.revoke(again, reason="Another reason entirely", actor=designated_officer)
    # A stale instance (revoked meanwhile by someone else) is refused under the lock too.
    stale = Certificate.objects.get(pk=certificate.pk)
    stale.revoked_at = None
    with pytest.raises(CertificateError):
        services.revoke(stale, reason="Another reason entirely", actor=designated_officer)
    certificate.refresh_from_db()
    assert certificate.revoked_reason == REASON
    assert AuditEvent.objects.filter(action="certificates.revoked").count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "no", "x" * 501])
def test_a_reason_is_required_and_bounded(certificate, designated_officer, reason):
    with pytest.raises(CertificateError):
        services.revoke(certificate, reason=reason, actor=designated_officer)
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_others_may_not_revoke(certificate, scrutiny_officer, citizen, places):
    strangers = [
        scrutiny_officer,  # the department, but not a designated or appellate officer
        citizen,  # the holder
        officer(Role.DESIGNATED_OFFICER, places.indore),  # the department, another district
        officer(Role.DESIGNATED_OFFICER, places.bhopal, department="OTH"),  # another department
        officer(Role.OPERATOR_STAFF, None, department=""),  # runs the portal, not the office
        None,
    ]
    for person in strangers:
        with pytest.raises(services.NotPermitted) as refused:
            services.revoke(certificate, reason=REASON, actor=person)
        assert refused.value.status == 403
    certificate.refresh_from_db()
    assert not certificate.is_revoked
    assert not AuditEvent.objects.filter(action="certificates.revoked").exists()
    assert verify.verify_number(certificate.number).status == "genuine"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_revocations_at_once_revoke_once(received, scrutiny_officer, designated_officer):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    certificate = life.issued_certificate(received, scrutiny_officer, designated_officer)
    barrier = threading.Barrier(2)

    def attempt(reason):
        try:
            barrier.wait(timeout=5)
            services.revoke(
                Certificate.objects.get(pk=certificate.pk), reason=reason, actor=designated_officer
            )
            return "revoked"
        except CertificateError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(attempt, ["First reason given", "Second reason given"]))
    assert results == ["refused", "revoked"]
    assert AuditEvent.objects.filter(action="certificates.revoked").count() == 1
