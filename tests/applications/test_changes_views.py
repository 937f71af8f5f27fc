"""The applicant's changes to a submitted application, as pages: withdraw (what it
means, the refund by the version's rule, refused once processing has started) and
correct (only the allowed answers, only in the window, the fee paid first, the
history shown); someone else gets 404; both languages."""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications import services
from ekseva.applications.models import Correction, Status
from ekseva.catalog import loader
from ekseva.catalog.models import Service
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus
from tests.catalog.conftest import write_definitions

from .conftest import ANSWERS, OPEN_SERVICE, jpeg

pytestmark = pytest.mark.django_db

FEE_TOTAL = 50000 + 4000 + 720  # general fee, convenience fee, GST on it


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def variant(db, tmp_path, frozen_clock, settings):
    """The test service under a changed definition (loaded in place of the fixture's)."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def load(text: str) -> Service:
        write_definitions(tmp_path / "variant", service=text)
        _changes, problems = loader.load_paths([tmp_path / "variant"])
        assert problems == []
        return Service.objects.get(code="tst-exam")

    return load


def submitted(service, citizen):
    app = services.start(citizen, service)
    assert services.save_step(app, "about", ANSWERS, actor=citizen).ok
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=citizen)
    return services.submit(app, declaration=True, actor=citizen)


def succeed(payment: Payment, payment_id: str) -> Payment:
    payment.refresh_from_db()
    return payments.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id=payment_id,
            amount=payment.amount,
            method="upi",
        ),
        source="webhook",
    )


def paid(service, citizen):
    app = submitted(service, citizen)
    payment = services.start_payment(app, idempotency_key="fee-1", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    succeed(payment, "pay_fee_1")
    app.refresh_from_db()
    assert app.status == Status.RECEIVED
    return app


def url(app, action: str, language: str = "en") -> str:
    return f"/{language}/applications/{app.number}/{action}/"


def text(response) -> str:
    """The page's text without tags, spaces collapsed (for sentences across markup)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def to_in_process(app) -> None:
    with transaction.atomic():
        locked = services._locked(app)
        services.move(locked, Status.IN_PROCESS)
        locked.save()


# --------------------------------------------------------------------------- withdraw


def test_withdraw_page_says_what_it_means_and_the_full_refund(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    response = client.get(url(app, "withdraw"))
    assert response.status_code == 200
    page = text(response)
    assert "Your application stops here" in page
    assert "The whole fee you paid, ₹547.20, is refunded" in page
    assert "It cannot be undone" in page
    assert 'name="reason"' in response.content.decode()


def test_withdrawing_a_paid_application_refunds_it_by_the_rule(
    client, service, citizen, fake_gateway, django_capture_on_commit_callbacks
):
    app = paid(service, citizen)
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(app, "withdraw"), {"reason": "I got another job"})
    assert response.status_code == 302
    assert response["Location"] == f"/en/applications/{app.number}/"
    assert messages_of(response) == [
        f"Application {app.number} has been withdrawn. ₹547.20 is being refunded to the "
        "account you paid from."
    ]
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    assert app.history.last().remark_en == "I got another job"
    payment = Payment.objects.get(reference=app.paid_payment)
    assert payment.status == PaymentStatus.REFUNDED
    assert len(fake_gateway.refunds) == 1  # the refund task ran and the gateway paid it


def test_the_government_fee_rule_refunds_only_that(
    client, variant, citizen, django_capture_on_commit_callbacks
):
    service = variant(
        OPEN_SERVICE.replace("withdrawal: {refund: full}", "withdrawal: {refund: government_fee}")
    )
    app = paid(service, citizen)
    client.force_login(citizen)
    page = text(client.get(url(app, "withdraw")))
    assert "₹500.00 of the ₹547.20 you paid is refunded" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(app, "withdraw"), {"reason": "moving abroad"})
    payment = Payment.objects.get(reference=app.paid_payment)
    assert payment.refunded_amount == 50000
    assert payment.status == PaymentStatus.PARTLY_REFUNDED


def test_no_refund_rule_says_the_fee_stays(client, variant, citizen):
    service = variant(
        OPEN_SERVICE.replace("withdrawal: {refund: full}", "withdrawal: {refund: none}")
    )
    app = paid(service, citizen)
    client.force_login(citizen)
    assert "The fee you paid (₹547.20) is not refunded" in text(client.get(url(app, "withdraw")))
    response = client.post(url(app, "withdraw"), {"reason": "not going"})
    assert messages_of(response) == [f"Application {app.number} has been withdrawn."]
    assert not Payment.objects.get(reference=app.paid_payment).refunds.exists()


def test_an_unpaid_application_is_withdrawn_with_nothing_to_refund(client, service, citizen):
    app = submitted(service, citizen)
    assert app.status == Status.FEE_PENDING
    client.force_login(citizen)
    assert "You have not paid the fee" in text(client.get(url(app, "withdraw")))
    response = client.post(url(app, "withdraw"), {"reason": "changed my mind"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


def test_withdrawing_needs_a_reason(client, service, citizen):
    app = submitted(service, citizen)
    client.force_login(citizen)
    response = client.post(url(app, "withdraw"), {"reason": "   "})
    assert response.status_code == 400
    assert "Say why you withdraw." in text(response)
    app.refresh_from_db()
    assert app.status == Status.FEE_PENDING


def test_withdrawing_is_refused_once_processing_has_started(client, service, citizen):
    app = paid(service, citizen)
    to_in_process(app)
    client.force_login(citizen)
    response = client.get(url(app, "withdraw"))
    assert response.status_code == 200
    page = text(response)
    assert "can no longer be withdrawn" in page and "Being processed" in page
    assert 'name="reason"' not in response.content.decode()
    response = client.post(url(app, "withdraw"), {"reason": "too late"})
    assert response.status_code == 302
    assert messages_of(response) == [
        "This application can no longer be withdrawn: it is being processed."
    ]
    app.refresh_from_db()
    assert app.status == Status.IN_PROCESS


def test_a_withdrawn_application_cannot_be_withdrawn_again(client, service, citizen):
    app = submitted(service, citizen)
    services.withdraw(app, reason="first", actor=citizen)
    client.force_login(citizen)
    response = client.post(url(app, "withdraw"), {"reason": "again"})
    assert response.status_code == 302
    assert app.history.filter(to_status=Status.WITHDRAWN).count() == 1


@pytest.mark.parametrize("action", ["withdraw", "correct"])
def test_someone_else_gets_404_and_a_visitor_signs_in_first(
    client, service, citizen, other_citizen, action
):
    app = submitted(service, citizen)
    client.force_login(other_citizen)
    assert client.get(url(app, action)).status_code == 404
    assert client.post(url(app, action), {"reason": "mine now", "gender": "F"}).status_code == 404
    officer = User.objects.create_user("officer.tst", "right-password-42")
    Posting.objects.create(user=officer, role=Role.DEPARTMENT_OFFICER, department_code="TST")
    client.force_login(officer)  # may see applications, may not act for the applicant
    assert client.get(url(app, action)).status_code == 404
    client.logout()
    response = client.get(url(app, action))
    assert response.status_code == 302 and "signin" in response["Location"]
    assert client.get(f"/en/applications/MP26TST0000999Z/{action}/").status_code == 302
    client.force_login(citizen)
    assert client.get(f"/en/applications/MP26TST0000999Z/{action}/").status_code == 404
    app.refresh_from_db()
    assert app.status == Status.FEE_PENDING and not app.corrections.exists()


# --------------------------------------------------------------------------- correct


def test_outside_the_window_the_page_gives_its_dates_and_refuses(client, service, citizen):
    app = paid(service, citizen)  # 15 June; the window is 6 to 10 July
    client.force_login(citizen)
    response = client.get(url(app, "correct"))
    assert response.status_code == 200
    page = text(response)
    assert "Corrections are not open now. They can be made from 06-07-2026 to 10-07-2026." in page
    assert 'name="gender"' not in response.content.decode()
    response = client.post(url(app, "correct"), {"gender": "F"})
    assert response.status_code == 409
    assert "The correction window of this service is not open." in text(response)
    assert not Correction.objects.exists()


def test_after_the_window_it_is_closed_too(client, service, citizen, frozen_clock):
    app = paid(service, citizen)
    frozen_clock.advance(days=26)  # 11 July, 10:00
    client.force_login(citizen)
    response = client.post(url(app, "correct"), {"gender": "F"})
    assert response.status_code == 409
    assert not Correction.objects.exists()


def test_a_service_without_a_window_says_so(client, variant, citizen):
    service = variant(
        OPEN_SERVICE.replace(
            ',\n  correction: {opens: "2026-07-06", closes: "2026-07-10", fields: [gender]}', ""
        )
    )
    app = paid(service, citizen)
    client.force_login(citizen)
    assert "This service has no correction window" in text(client.get(url(app, "correct")))


def test_in_the_window_only_the_allowed_answers_are_offered_with_their_values(
    client, service, citizen, frozen_clock
):
    app = paid(service, citizen)
    frozen_clock.advance(days=22)  # 7 July
    client.force_login(citizen)
    response = client.get(url(app, "correct"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="gender"' in html
    assert re.search(r'<input[^>]*name="gender"[^>]*value="M"[^>]*checked', html)
    for other in ("social_category", "date_of_birth", "pwd", "graduate"):
        assert f'name="{other}"' not in html
    page = text(response)
    assert "Gender Male" in page  # the current answer, as the applicant reads it
    assert "A correction fee of ₹50.00 is charged" in page
    assert "No corrections yet." in page


def test_a_correction_with_a_fee_waits_for_it_then_is_made(
    client, service, citizen, frozen_clock, django_capture_on_commit_callbacks
):
    app = paid(service, citizen)
    frozen_clock.advance(days=22)
    client.force_login(citizen)
    response = client.post(url(app, "correct"), {"gender": "F"})
    assert response.status_code == 302 and response["Location"] == url(app, "correct")
    correction = Correction.objects.get()
    assert correction.changes == {"gender": ["M", "F"]} and not correction.applied
    app.refresh_from_db()
    assert app.answers["gender"] == "M"  # not yet: the fee comes first

    response = client.get(url(app, "correct"))
    html = response.content.decode()
    page = text(response)
    assert "Correction waiting for its fee" in page and "Pay ₹50.00" in page
    assert "Waiting for the fee" in page and "Gender Male Female" in page
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    pay_url = f"/en/applications/{app.number}/correct/{correction.pk}/pay/"
    assert f'action="{pay_url}"' in html

    response = client.post(pay_url, {"token": token})
    payment = Payment.objects.get(purpose="correction_fee")
    assert response.status_code == 302
    assert response["Location"] == f"https://fake.example/pay/{payment.gateway_order_id}"
    assert payment.amount == 5000 and payment.payer == citizen
    assert payment.target == f"{app.number}-C{correction.pk}"
    client.post(pay_url, {"token": token})  # pressed twice: the same payment
    assert Payment.objects.filter(purpose="correction_fee").count() == 1
    page = text(client.get(url(app, "correct")))
    assert "We are confirming your payment with the bank" in page

    with django_capture_on_commit_callbacks(execute=True):
        succeed(payment, "pay_corr_1")
    correction.refresh_from_db()
    app.refresh_from_db()
    assert correction.applied and correction.fee_payment == payment.reference
    assert app.answers["gender"] == "F"
    page = text(client.get(url(app, "correct")))
    assert "Correction waiting for its fee" not in page
    assert "Correction made" in page and "Gender Male Female" in page
    assert "Gender Female" in page  # the current answer now


def test_without_a_fee_the_correction_is_made_at_once(client, variant, citizen, frozen_clock):
    service = variant(OPEN_SERVICE.replace('  correction_fee: "50.00"\n', ""))
    app = paid(service, citizen)
    frozen_clock.advance(days=22)
    client.force_login(citizen)
    response = client.post(url(app, "correct"), {"gender": "F"})
    assert response.status_code == 302
    assert messages_of(response) == ["Your correction has been made and kept in the history."]
    app.refresh_from_db()
    assert app.answers["gender"] == "F"
    assert Correction.objects.get().applied
    assert not Payment.objects.filter(purpose="correction_fee").exists()
    page = text(client.get(url(app, "correct")))
    assert "Save the correction" in page and "Gender Male Female" in page


def test_an_answer_not_allowed_is_refused(client, service, citizen, frozen_clock):
    app = paid(service, citizen)
    frozen_clock.advance(days=22)
    client.force_login(citizen)
    response = client.post(url(app, "correct"), {"gender": "F", "social_category": "SC"})
    assert response.status_code == 400
    assert "These answers cannot be corrected: social_category" in text(response)
    assert not Correction.objects.exists()
    app.refresh_from_db()
    assert app.answers["social_category"] == "GEN"


def test_an_unchanged_or_invalid_answer_is_no_correction(client, service, citizen, frozen_clock):
    app = paid(service, citizen)
    frozen_clock.advance(days=22)
    client.force_login(citizen)
    response = client.post(url(app, "correct"), {"gender": "M"})
    assert response.status_code == 400 and "Nothing was changed." in text(response)
    response = client.post(url(app, "correct"), {"gender": "X"})
    assert response.status_code == 400
    assert 'id="id_gender-error"' in response.content.decode()  # on the field
    assert not Correction.objects.exists()


def test_a_withdrawn_application_is_not_offered_a_correction(
    client, service, citizen, frozen_clock
):
    app = paid(service, citizen)
    services.withdraw(app, reason="done", actor=citizen)
    frozen_clock.advance(days=22)
    client.force_login(citizen)
    response = client.get(url(app, "correct"))
    assert "This application cannot be corrected" in text(response)
    assert 'name="gender"' not in response.content.decode()
    assert client.post(url(app, "correct"), {"gender": "F"}).status_code == 409
    assert not Correction.objects.exists()


def test_paying_a_correction_needs_the_form_token_and_the_open_window(
    client, service, citizen, other_citizen, frozen_clock
):
    app = paid(service, citizen)
    frozen_clock.advance(days=22)
    correction = services.correct(app, {"gender": "F"}, actor=citizen)
    pay_url = f"/en/applications/{app.number}/correct/{correction.pk}/pay/"
    client.force_login(other_citizen)
    assert client.post(pay_url, {"token": "t" * 24}).status_code == 404
    client.force_login(citizen)
    assert client.get(pay_url).status_code == 405
    response = client.post(pay_url, {"token": "bad token!"})
    assert response.status_code == 302 and messages_of(response) == [
        "The form had expired; press Pay again."
    ]
    other = f"/en/applications/{app.number}/correct/{correction.pk + 1}/pay/"
    assert client.post(other, {"token": "t" * 24}).status_code == 404
    frozen_clock.advance(days=4)  # 11 July: the window has closed
    response = client.post(pay_url, {"token": "t" * 24})
    assert response.status_code == 302
    assert messages_of(response) == ["The correction window has closed, so the fee cannot be paid."]
    assert not Payment.objects.filter(purpose="correction_fee").exists()
    assert "can no longer be paid for or made" in text(client.get(url(app, "correct")))


# --------------------------------------------------------------------------- Hindi


def test_the_pages_in_hindi(client, service, citizen, frozen_clock):
    app = paid(service, citizen)
    client.force_login(citizen)
    response = client.get(url(app, "withdraw", "hi"))
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="hi">' in response.content.decode()
    assert "अपना आवेदन वापस लें" in page
    assert "इसे पूर्ववत नहीं किया जा सकता" in page
    assert "₹547.20" in page
    frozen_clock.advance(days=22)
    services.correct(app, {"gender": "F"}, actor=citizen)
    response = client.get(url(app, "correct", "hi"))
    page = text(response)
    assert "अपने आवेदन में सुधार करें" in page
    assert "लिंग पुरुष महिला" in page  # the history, with the options' Hindi labels
    assert "शुल्क की प्रतीक्षा में" in page
    response = client.post(url(app, "correct", "hi"), {"gender": "F", "social_category": "SC"})
    assert "ये उत्तर सुधारे नहीं जा सकते" in text(response)
    response = client.post(url(app, "withdraw", "hi"), {"reason": ""})
    assert "आवेदन वापस लेने का कारण लिखें।" in text(response)


# --------------------------------------------------------------------------- the district


def test_an_applicant_with_a_district_pays_the_fee_and_the_correction_fee(
    client, service, citizen, frozen_clock
):
    """Payments carry the district as the ledger dimension allows it: "435", not the
    AdminUnit code "district:435" (the colon made every such payment fail)."""
    from ekseva.applications.models import Application
    from ekseva.geo.models import AdminUnit

    bhopal = AdminUnit.objects.create(
        code="district:435", kind=AdminUnit.Kind.DISTRICT, name_en="Bhopal", name_hi="भोपाल"
    )
    app = submitted(service, citizen)
    Application.objects.filter(pk=app.pk).update(district=bhopal)  # as the profile gives it
    app.refresh_from_db()
    payment = services.start_payment(app, idempotency_key="fee-d", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    assert succeed(payment, "pay_d").district_code == "435"
    app.refresh_from_db()
    assert app.status == Status.RECEIVED
    frozen_clock.advance(days=22)
    correction = services.correct(app, {"gender": "F"}, actor=citizen)
    client.force_login(citizen)
    client.post(f"/en/applications/{app.number}/correct/{correction.pk}/pay/", {"token": "d" * 24})
    fee = Payment.objects.get(purpose="correction_fee")
    assert fee.district_code == "435"
    succeed(fee, "pay_d2")
    correction.refresh_from_db()
    assert correction.applied
