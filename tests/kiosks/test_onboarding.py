"""Becoming a franchisee, through the services: the application with its KYC
files, the registration fee paid through the gateway, the review (approve,
return and resubmit, reject) and every refusal of it; Aadhaar is never kept."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from stdnum import verhoeff

from ekseva.accounts.models import Posting, Role, User
from ekseva.accounts.permissions import can
from ekseva.core import ids
from ekseva.core.models import AuditEvent
from ekseva.geo.models import PostOffice
from ekseva.kiosks import onboarding
from ekseva.kiosks.hooks import REVIEW
from ekseva.kiosks.models import (
    Kiosk,
    KioskApplication,
    KioskApplicationDocument,
    KioskError,
    KioskOperator,
)
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.notifications.models import Message
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult

from .conftest import jpeg, pdf

Status = KioskApplication.Status
_seq = itertools.count(1)

# A valid Aadhaar number (Verhoeff check digit) that no test types by accident.
AADHAAR = "7391 8264 051" + verhoeff.calc_check_digit("73918264051")
AADHAAR_DIGITS = AADHAAR.replace(" ", "")


@pytest.fixture
def offices(places):
    """Post offices of the two test PINs (with coordinates), so PIN ↔ district checks work."""
    PostOffice.objects.create(
        pincode="462003",
        name="Bhopal GPO",
        district=places.bhopal,
        latitude=Decimal("23.259933"),
        longitude=Decimal("77.412615"),
    )
    PostOffice.objects.create(
        pincode="452001",
        name="Indore GPO",
        district=places.indore,
        latitude=Decimal("22.719568"),
        longitude=Decimal("75.857727"),
    )
    return places


def aadhaar_number(n: int) -> str:
    body = f"{2 + n % 8}{n:010d}"[:11]
    return body + verhoeff.calc_check_digit(body)


def form_data(places, **overrides) -> dict:
    """What the application form gives the service (a fresh PAN and Aadhaar each time)."""
    n = next(_seq)
    data = {
        "kind": "csc",
        "business_name": f"Jan Seva Kendra {n}",
        "owner_name": "Ramesh Patel",
        "owner_mobile": f"98200{n:05d}",
        "owner_email": "ramesh@example.in",
        "pan": f"ABCP{chr(65 + n % 26)}{1000 + n:04d}F",
        "aadhaar": aadhaar_number(1000 + n),
        "bank_account_name": "Ramesh Patel",
        "bank_account_number": f"{123456789000 + n}",
        "bank_ifsc": "SBIN0001234",
        "shop_registration": f"GUM/{n}",
        "district": places.bhopal,
        "tehsil": places.huzur,
        "address": "Shop 4, New Market, TT Nagar",
        "pin_code": "462003",
        "latitude": "23.233300",
        "longitude": "77.400000",
        "opening_hours_en": "Mon–Sat 09:00–19:00",
        "opening_hours_hi": "सोम–शनि 09:00–19:00",
        "services": [],
    }
    data.update(overrides)
    return data


def kyc_files() -> dict:
    return {
        "pan_card": pdf(),
        "aadhaar_card": pdf(),
        "bank_proof": jpeg(),
        "shop_registration": pdf(),
        "owner_photo": jpeg(),
    }


def make_citizen(mobile: str | None = None) -> User:
    return User.objects.create_citizen(mobile or f"97100{next(_seq):05d}", full_name="Asha Verma")


def submitted(places, applicant: User | None = None, **overrides) -> KioskApplication:
    return onboarding.submit(
        applicant or make_citizen(), form_data(places, **overrides), kyc_files()
    )


def pay_fee(application: KioskApplication, key: str = "fee-token-0001"):
    """Pay the fee through the test gateway and apply its success (as a webhook would)."""
    payment = onboarding.start_fee_payment(
        application, idempotency_key=key, actor=application.applicant
    )
    payments.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    return payments.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id=f"pay_{payment.reference}",
            amount=payment.amount,
            method="upi",
        ),
        source="webhook",
    )


def under_review(places, **overrides) -> KioskApplication:
    application = submitted(places, **overrides)
    pay_fee(application)
    application.refresh_from_db()
    return application


def staff(role: Role, unit=None) -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(f"rev{next(_seq)}", "right-password-42", full_name="Reviewer")
    Posting.objects.create(user=user, role=role, admin_unit=unit)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def coordinator(offices):
    return staff(Role.DISTRICT_COORDINATOR, offices.bhopal)


@pytest.fixture
def indore_coordinator(offices):
    return staff(Role.DISTRICT_COORDINATOR, offices.indore)


@pytest.fixture
def operator_staff(offices):
    return staff(Role.OPERATOR_STAFF)


# --------------------------------------------------------------------------- applying


def test_an_application_is_kept_with_its_documents_and_waits_for_its_fee(
    offices, frozen_clock, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    applicant = make_citizen()
    application = onboarding.submit(applicant, form_data(offices), kyc_files())
    assert application.status == Status.FEE_PENDING
    assert application.reference.startswith("KA26") and ids.is_valid(application.reference)
    assert application.fee_paise == settings.KIOSK_REGISTRATION_FEE_PAISE
    stored = {
        d.document_id: d for d in KioskApplicationDocument.objects.filter(application=application)
    }
    assert set(stored) == {rule.id for rule in onboarding.DOCUMENTS}
    assert stored["owner_photo"].content_type == "image/jpeg"
    assert stored["pan_card"].content_type == "application/pdf"
    assert stored["pan_card"].file.read().startswith(b"%PDF-")
    assert [e.to_status for e in application.events.all()] == [Status.FEE_PENDING]
    message = Message.objects.get(template=onboarding.SUBMITTED_TEMPLATE)
    assert message.recipient == applicant.mobile and application.reference in message.body
    assert "₹1,180.00" in message.body  # ₹1,000 + 18% GST
    assert AuditEvent.objects.filter(action="kiosks.application.submitted").count() == 1


def test_without_coordinates_the_pin_codes_post_office_gives_them(offices, frozen_clock):
    application = submitted(offices, latitude="", longitude="")
    assert application.latitude == Decimal("23.259933")
    assert application.longitude == Decimal("77.412615")


def test_every_wrong_field_is_refused_at_once(offices, frozen_clock):
    data = form_data(
        offices,
        kind="shop",
        pan="ABCXE1234F",  # X is no kind of PAN holder
        aadhaar="2345 6789 0123",  # wrong check digit
        bank_account_number="1234",
        bank_ifsc="SBIN1234567",
        pin_code="452001",  # an Indore PIN for a Bhopal kiosk
        tehsil=offices.mhow,  # an Indore tehsil
        latitude="51.5",
        owner_mobile="12345",
        business_name="",
    )
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.submit(make_citizen(), data, kyc_files())
    assert set(caught.value.errors) == {
        "kind",
        "pan",
        "aadhaar",
        "bank_account_number",
        "bank_ifsc",
        "pin_code",
        "tehsil",
        "latitude",
        "owner_mobile",
        "business_name",
    }
    assert "Bhopal" in caught.value.errors["pin_code"].en
    assert "भोपाल" in caught.value.errors["pin_code"].hi
    assert not KioskApplication.objects.exists()


def test_half_a_position_is_refused(offices, frozen_clock):
    with pytest.raises(onboarding.Invalid) as caught:
        submitted(offices, longitude="")
    assert set(caught.value.errors) == {"longitude"}


def test_a_file_that_is_not_what_it_claims_is_refused(offices, frozen_clock):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = kyc_files()
    files["pan_card"] = SimpleUploadedFile("pan.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    del files["owner_photo"]
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.submit(make_citizen(), form_data(offices), files)
    assert set(caught.value.errors) == {"doc_pan_card", "doc_owner_photo"}
    assert "not accepted" in caught.value.errors["doc_pan_card"].en


def test_a_photo_must_be_an_image_of_some_size(offices, frozen_clock):
    files = kyc_files()
    files["owner_photo"] = jpeg(100, 100)
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.submit(make_citizen(), form_data(offices), files)
    assert set(caught.value.errors) == {"doc_owner_photo"}


def test_only_citizens_apply_and_only_once_at_a_time(offices, frozen_clock, coordinator):
    with pytest.raises(KioskError, match="as a citizen"):
        onboarding.submit(coordinator, form_data(offices), kyc_files())
    applicant = make_citizen()
    first = submitted(offices, applicant)
    with pytest.raises(KioskError, match=first.reference):
        submitted(offices, applicant)


def test_the_same_aadhaar_or_pan_cannot_be_in_two_open_applications(offices, frozen_clock):
    submitted(offices, aadhaar=AADHAAR, pan="AAAPA1111A")
    with pytest.raises(onboarding.Invalid) as caught:
        submitted(offices, aadhaar=AADHAAR, pan="AAAPA1111A")
    assert set(caught.value.errors) == {"aadhaar", "pan"}


def test_services_offered_must_be_kiosk_services(offices, frozen_clock, service):
    application = submitted(offices, services=[service.code])
    assert application.services == [service.code]
    with pytest.raises(onboarding.Invalid) as caught:
        submitted(offices, services=["no-such-service"])
    assert set(caught.value.errors) == {"services"}


def _everything_stored(application: KioskApplication) -> str:
    """Every column of the application's row, and every audit event, as one text."""
    row = KioskApplication.objects.filter(pk=application.pk).values().get()
    events = AuditEvent.objects.all().values("before", "after", "object_id", "actor_label")
    return json.dumps(row, default=str) + json.dumps(list(events), default=str)


def test_the_aadhaar_number_is_never_stored_in_clear(offices, frozen_clock, operator_staff):
    application = submitted(offices, aadhaar=AADHAAR)
    assert application.aadhaar_last4 == AADHAAR_DIGITS[-4:]
    assert len(application.aadhaar_token) == 64
    pay_fee(application)
    onboarding.return_for_correction(
        application, actor=operator_staff, reason="Aadhaar card unreadable", fields=["aadhaar"]
    )
    other = "86429175302" + verhoeff.calc_check_digit("86429175302")
    onboarding.resubmit(application, {"aadhaar": other}, {}, actor=application.applicant)
    onboarding.approve(application, actor=operator_staff)
    stored = _everything_stored(application)
    kiosk = Kiosk.objects.filter(code=KioskApplication.objects.get(pk=application.pk).kiosk.code)
    stored += json.dumps(list(kiosk.values()), default=str)
    stored += json.dumps(list(Message.objects.values("params", "body")), default=str)
    for number in (AADHAAR_DIGITS, other):
        assert number not in stored
        assert number[:8] not in stored.replace(" ", "")
    assert other[-4:] in stored  # the last four digits are kept, on purpose


# --------------------------------------------------------------------------- the fee


def test_the_fee_paid_through_the_gateway_sends_the_application_to_review(
    offices, frozen_clock, fake_gateway
):
    application = submitted(offices)
    payment = pay_fee(application)
    assert payment.is_paid and payment.gateway == "fake"
    assert [line["code"] for line in payment.lines] == ["registration", "gst"]
    assert payment.amount == 118_000
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW
    assert application.fee_payment == payment.reference and application.paid_at is not None
    assert [e.to_status for e in application.events.all()] == [
        Status.FEE_PENDING,
        Status.UNDER_REVIEW,
    ]
    revenue = ledger_selectors.balance(ledger_accounts.get_or_open("operator_revenue"))
    gst = ledger_selectors.balance(ledger_accounts.get_or_open("gst_payable"))
    assert (revenue, gst) == (100_000, 18_000)
    assert Message.objects.filter(template=onboarding.PAID_TEMPLATE).count() == 1


def test_the_same_pay_button_opens_one_payment_and_a_paid_fee_is_not_taken_again(
    offices, frozen_clock
):
    application = submitted(offices)
    first = onboarding.start_fee_payment(
        application, idempotency_key="button-1", actor=application.applicant
    )
    again = onboarding.start_fee_payment(
        application, idempotency_key="button-1", actor=application.applicant
    )
    assert first.pk == again.pk
    pay_fee(application, key="button-2")
    application.refresh_from_db()
    with pytest.raises(KioskError, match="already been paid"):
        onboarding.start_fee_payment(
            application, idempotency_key="button-3", actor=application.applicant
        )


def test_a_late_second_payment_is_refunded_not_applied_twice(offices, frozen_clock):
    application = submitted(offices)
    spare = onboarding.start_fee_payment(
        application, idempotency_key="tab-1", actor=application.applicant
    )
    pay_fee(application, key="tab-2")
    payments.start_checkout(spare, return_url="/r/")
    spare.refresh_from_db()
    late = payments.apply_result(
        spare,
        GatewayResult(
            status="succeeded",
            order_id=spare.gateway_order_id,
            payment_id="p2",
            amount=spare.amount,
        ),
        source="webhook",
    )
    assert late.outcome == "duplicate"
    assert KioskApplication.objects.get(pk=application.pk).events.count() == 2


def test_only_the_applicant_pays(offices, frozen_clock):
    application = submitted(offices)
    with pytest.raises(KioskError):
        onboarding.start_fee_payment(application, idempotency_key="x" * 20, actor=make_citizen())


# --------------------------------------------------------------------------- review


def test_approval_opens_the_kiosk_with_its_wallet_and_the_owners_login(
    offices, frozen_clock, coordinator
):
    application = under_review(offices)
    decided = onboarding.approve(application, actor=coordinator)
    assert decided.status == Status.APPROVED and decided.reviewed_by == coordinator
    kiosk = decided.kiosk
    assert kiosk.code.startswith("K425") and kiosk.status == Kiosk.Status.ACTIVE
    assert kiosk.pan == application.pan and kiosk.aadhaar_token == application.aadhaar_token
    assert ledger_accounts.get_or_open("kiosk_wallet", kiosk.code).pk
    assert ledger_selectors.balance(ledger_accounts.get_or_open("kiosk_wallet", kiosk.code)) == 0
    owner = KioskOperator.objects.get(kiosk=kiosk)
    assert owner.role == KioskOperator.Role.FRANCHISEE and owner.mobile == application.owner_mobile
    assert owner.activated_at is None and owner.activation_hash
    assert Message.objects.filter(
        template="kiosks.activation", recipient=application.owner_mobile
    ).exists()
    told = Message.objects.get(template=onboarding.APPROVED_TEMPLATE)
    assert told.recipient == application.applicant.mobile and kiosk.code in told.body
    assert decided.events.last().to_status == Status.APPROVED
    assert AuditEvent.objects.filter(action="kiosks.application.approved").count() == 1


def test_returned_corrected_and_resubmitted(offices, frozen_clock, operator_staff, tmp_path):
    application = under_review(offices)
    onboarding.return_for_correction(
        application,
        actor=operator_staff,
        reason="The bank passbook is blurred; the IFSC does not match it.",
        fields=["bank", "doc_bank_proof"],
    )
    application.refresh_from_db()
    assert application.status == Status.RETURNED
    assert application.fix_fields == ["bank", "doc_bank_proof"]
    assert "bank_ifsc" in onboarding.fix_fields_of(application)
    sms = Message.objects.get(template=onboarding.RETURNED_TEMPLATE)
    assert "blurred" in sms.body
    old_file = application.documents.get(document_id="bank_proof").sha256
    business = application.business_name
    onboarding.resubmit(
        application,
        {
            "bank_account_name": "Ramesh Patel",
            "bank_account_number": "9988776655",
            "bank_ifsc": "HDFC0000123",
            "business_name": "Something else",  # not asked: ignored
        },
        {"bank_proof": jpeg(400, 300)},
        actor=application.applicant,
    )
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW and application.fix_fields == []
    assert application.bank_ifsc == "HDFC0000123"
    assert application.bank_account_number == "9988776655"
    assert application.business_name == business
    assert application.documents.get(document_id="bank_proof").sha256 != old_file
    assert [e.to_status for e in application.events.all()][-2:] == [
        Status.RETURNED,
        Status.UNDER_REVIEW,
    ]
    assert AuditEvent.objects.filter(action="kiosks.application.resubmitted").count() == 1


def test_a_resubmission_must_fix_what_was_asked(offices, frozen_clock, operator_staff):
    application = under_review(offices)
    onboarding.return_for_correction(
        application, actor=operator_staff, reason="Photo missing", fields=["doc_owner_photo"]
    )
    with pytest.raises(onboarding.Invalid) as caught:
        onboarding.resubmit(application, {}, {}, actor=application.applicant)
    assert set(caught.value.errors) == {"doc_owner_photo"}
    with pytest.raises(KioskError):  # someone else
        onboarding.resubmit(application, {}, {"owner_photo": jpeg()}, actor=make_citizen())
    onboarding.resubmit(application, {}, {"owner_photo": jpeg()}, actor=application.applicant)
    with pytest.raises(KioskError, match="not waiting for corrections"):
        onboarding.resubmit(application, {}, {"owner_photo": jpeg()}, actor=application.applicant)


def test_rejection_needs_a_reason_and_tells_the_applicant(offices, frozen_clock, coordinator):
    application = under_review(offices)
    for blank in ("", "   "):
        with pytest.raises(KioskError) as caught:
            onboarding.reject(application, actor=coordinator, reason=blank)
        assert caught.value.field == "reason"
    assert KioskApplication.objects.get(pk=application.pk).status == Status.UNDER_REVIEW
    onboarding.reject(application, actor=coordinator, reason="The shop is not registered.")
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.review_reason == "The shop is not registered."
    assert Message.objects.filter(template=onboarding.REJECTED_TEMPLATE).count() == 1
    assert AuditEvent.objects.filter(action="kiosks.application.rejected").count() == 1


def test_a_return_needs_a_reason_and_something_to_fix(offices, frozen_clock, coordinator):
    application = under_review(offices)
    with pytest.raises(KioskError) as caught:
        onboarding.return_for_correction(application, actor=coordinator, reason="", fields=["pan"])
    assert caught.value.field == "reason"
    with pytest.raises(KioskError) as caught:
        onboarding.return_for_correction(application, actor=coordinator, reason="x", fields=[])
    assert caught.value.field == "fields"
    with pytest.raises(KioskError) as caught:
        onboarding.return_for_correction(
            application, actor=coordinator, reason="x", fields=["password"]
        )
    assert caught.value.field == "fields"
    assert KioskApplication.objects.get(pk=application.pk).status == Status.UNDER_REVIEW


def test_who_may_decide(offices, frozen_clock, coordinator, indore_coordinator, franchisee):
    application = under_review(offices)
    applicant = application.applicant
    # The applicant may see their application (REVIEW's owner clause) but never decide it.
    assert can(applicant, REVIEW, application) and onboarding.may_view(applicant, application)
    assert not onboarding.may_review(applicant, application)
    auditor = staff(Role.AUDITOR)
    for outsider in (applicant, indore_coordinator, franchisee, auditor, make_citizen()):
        for decide in (
            lambda who: onboarding.approve(application, actor=who),
            lambda who: onboarding.reject(application, actor=who, reason="no"),
            lambda who: onboarding.return_for_correction(
                application, actor=who, reason="no", fields=["pan"]
            ),
        ):
            with pytest.raises(KioskError, match="may not decide"):
                decide(outsider)
    assert KioskApplication.objects.get(pk=application.pk).status == Status.UNDER_REVIEW
    assert not Kiosk.objects.filter(application=application).exists()
    assert onboarding.may_review(coordinator, application)
    onboarding.approve(application, actor=coordinator)


def test_an_application_is_decided_once(offices, frozen_clock, coordinator, operator_staff):
    application = under_review(offices)
    onboarding.approve(application, actor=coordinator)
    with pytest.raises(KioskError, match="already decided"):
        onboarding.approve(application, actor=operator_staff)
    with pytest.raises(KioskError, match="already decided"):
        onboarding.reject(application, actor=operator_staff, reason="changed my mind")
    assert Kiosk.objects.filter(application=application).count() == 1
    rejected = under_review(offices)
    onboarding.reject(rejected, actor=coordinator, reason="no")
    with pytest.raises(KioskError, match="already decided"):
        onboarding.approve(rejected, actor=coordinator)


def test_an_application_not_under_review_is_not_decided(offices, frozen_clock, coordinator):
    unpaid = submitted(offices)
    with pytest.raises(KioskError, match="Only an application under review"):
        onboarding.approve(unpaid, actor=coordinator)
    returned = under_review(offices)
    onboarding.return_for_correction(returned, actor=coordinator, reason="PAN?", fields=["pan"])
    with pytest.raises(KioskError, match="Only an application under review"):
        onboarding.reject(returned, actor=coordinator, reason="no")
    assert not Kiosk.objects.exists()
    assert KioskApplication.objects.get(pk=returned.pk).status == Status.RETURNED


def test_reviewers_list_only_their_districts(
    offices, frozen_clock, coordinator, indore_coordinator, operator_staff
):
    bhopal = under_review(offices)
    indore = under_review(offices, district=offices.indore, tehsil=offices.mhow, pin_code="452001")
    assert list(onboarding.reviewable(coordinator)) == [bhopal]
    assert list(onboarding.reviewable(indore_coordinator)) == [indore]
    assert list(onboarding.reviewable(operator_staff)) == [indore, bhopal]  # newest first
    assert list(onboarding.reviewable(operator_staff, district=offices.bhopal)) == [bhopal]
    assert list(onboarding.reviewable(operator_staff, status=Status.APPROVED)) == []
    assert list(onboarding.reviewable(bhopal.applicant)) == []


# --------------------------------------------------------------------------- at once (PostgreSQL)


def _race(works: list) -> list:
    """Run the callables at once on threads, each with its own connection."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections, connection

    start = threading.Barrier(len(works))

    def run(work):
        try:
            start.wait()
            return work()
        except KioskError as exc:
            return exc
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reviewers_deciding_at_once_make_one_decision(
    offices, frozen_clock, coordinator, operator_staff
):
    application = under_review(offices)
    works = []
    for reviewer in (coordinator, operator_staff) * 3:
        works += [
            lambda r=reviewer: onboarding.approve(application, actor=r),
            lambda r=reviewer: onboarding.reject(application, actor=r, reason="no"),
            lambda r=reviewer: onboarding.return_for_correction(
                application, actor=r, reason="fix", fields=["pan"]
            ),
        ]
    results = _race(works)
    decided = [r for r in results if isinstance(r, KioskApplication)]
    assert len(decided) == 1, results
    assert all(
        "already decided" in r.en or "under review" in r.en for r in results if r not in decided
    )
    application.refresh_from_db()
    assert application.events.count() == 3  # fee pending, under review, the one decision
    assert Kiosk.objects.count() == (1 if application.status == Status.APPROVED else 0)
    assert (
        Message.objects.filter(template__startswith="kiosks.application_")
        .exclude(template__in=[onboarding.SUBMITTED_TEMPLATE, onboarding.PAID_TEMPLATE])
        .count()
        == 1
    )
