"""The application life cycle through its services."""

import pytest

from ekseva.applications import services
from ekseva.applications.models import (
    ApplicationError,
    InvalidTransition,
    Status,
    WindowClosed,
)
from ekseva.core import ids
from ekseva.notifications.models import Message
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Outcome
from ekseva.payments.models import Status as PaymentStatus

from .conftest import ANSWERS, jpeg

pytestmark = pytest.mark.django_db


def filled(service, citizen):
    app = services.start(citizen, service)
    result = services.save_step(app, "about", ANSWERS, actor=citizen)
    assert result.ok, result.errors
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=citizen)
    return app


def pay(app, key="pay-1", payment_id="pay_1"):
    payment = services.start_payment(app, idempotency_key=key, actor=app.applicant)
    payments.start_checkout(payment, return_url="/r/")
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


def test_draft_is_prefilled_and_pinned(service, citizen):
    app = services.start(citizen, service)
    assert app.status == Status.DRAFT and app.number is None
    assert app.version_id == service.current_version_id
    assert app.history.get().to_status == Status.DRAFT


def test_a_bad_answer_is_refused_and_the_good_ones_kept(service, citizen):
    app = services.start(citizen, service)
    result = services.save_step(
        app, "about", {**ANSWERS, "date_of_birth": "31-02-2000"}, actor=citizen
    )
    assert "date_of_birth" in result.errors
    app.refresh_from_db()
    assert app.answers["gender"] == "M"
    assert app.step == "about"


def test_submit_issues_the_number_and_sends_it(service, citizen):
    app = filled(service, citizen)
    app = services.submit(app, declaration=True, actor=citizen)
    assert app.status == Status.FEE_PENDING
    assert ids.is_valid(app.number) and app.number.startswith("MP26TST")
    assert app.fee_total == 50000 + 4000 + 720
    channels = set(
        Message.objects.filter(template="applications.submitted").values_list("channel", flat=True)
    )
    assert channels == {"sms", "email", "inapp"}
    assert [c.to_status for c in app.history.all()] == ["draft", "submitted", "fee_pending"]


def test_submit_checks_the_form_once_and_pays_with_one_more_check(service, citizen, monkeypatch):
    # Each check of the form looks up PIN codes and districts again: submitting
    # checks it once (problems, eligibility, documents and the fee from one run),
    # and the fee paid checks it once more (the case's "clean" mark).
    from ekseva.forms import validation

    runs = []
    real = validation.validate

    def counted(*args, **kwargs):
        runs.append(kwargs.get("step"))
        return real(*args, **kwargs)

    app = filled(service, citizen)
    monkeypatch.setattr(validation, "validate", counted)
    app = services.submit(app, declaration=True, actor=citizen)
    assert runs == [None]
    assert app.fee_total == 50000 + 4000 + 720
    assert [c.to_status for c in app.history.all()] == ["draft", "submitted", "fee_pending"]
    history = list(app.history.all())
    assert history[1].at == history[2].at and history[1].actor_id == citizen.pk
    assert (history[2].from_status, history[2].actor_label) == ("submitted", citizen.get_username())
    pay(app)
    app.refresh_from_db()
    assert app.status == Status.RECEIVED
    assert len(runs) <= 2


def test_submit_refusals(service, citizen, frozen_clock):
    app = services.start(citizen, service)
    with pytest.raises(ApplicationError):
        services.submit(app, declaration=False, actor=citizen)
    with pytest.raises(ApplicationError):  # unanswered, no photo
        services.submit(app, declaration=True, actor=citizen)
    problems = services.check_complete(app)
    assert "date_of_birth" in problems


def test_ineligible_is_told_why(service, citizen):
    app = services.start(citizen, service)
    services.save_step(app, "about", {**ANSWERS, "graduate": "no"}, actor=citizen)
    app.refresh_from_db()
    problems = services.check_complete(app)
    assert problems["__eligibility__"] == ["Graduates only"]


def test_payment_moves_it_on_and_sets_the_due_date(service, citizen):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    payment = pay(app)
    app.refresh_from_db()
    assert payment.outcome == Outcome.FULFILLED
    assert app.status == Status.RECEIVED and app.paid_payment == payment.reference
    assert app.due_date is not None
    assert Message.objects.filter(template="applications.payment_received").exists()
    with pytest.raises(ApplicationError):
        services.start_payment(app, idempotency_key="again", actor=citizen)


def test_paying_twice_refunds_the_second(service, citizen, django_capture_on_commit_callbacks):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    first = services.start_payment(app, idempotency_key="a", actor=citizen)
    second = services.start_payment(app, idempotency_key="b", actor=citizen)
    for payment, pid in ((first, "p1"), (second, "p2")):
        payments.start_checkout(payment, return_url="/r/")
        payment.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            payments.apply_result(
                payment,
                GatewayResult(
                    status="succeeded",
                    order_id=payment.gateway_order_id,
                    payment_id=pid,
                    amount=payment.amount,
                ),
                source="webhook",
            )
    second.refresh_from_db()
    assert second.outcome == Outcome.DUPLICATE and second.status == PaymentStatus.REFUNDED


def test_late_window_adds_the_late_fee(service, citizen, frozen_clock):
    app = filled(service, citizen)
    frozen_clock.advance(days=16)  # 2026-07-01: in the late window
    app = services.submit(app, declaration=True, actor=citizen)
    assert app.late and any(line["code"] == "late" for line in app.fee_lines)


def test_a_draft_cannot_be_submitted_after_the_close(service, citizen, frozen_clock):
    app = filled(service, citizen)
    frozen_clock.advance(days=21)  # 2026-07-06 10:00, after late_until
    with pytest.raises(WindowClosed):
        services.submit(app, declaration=True, actor=citizen)
    assert services.close_lapsed() == 1
    app.refresh_from_db()
    assert app.status == Status.CLOSED


def test_withdrawn_application_paid_late_is_refunded(
    service, citizen, django_capture_on_commit_callbacks
):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    payment = services.start_payment(app, idempotency_key="k", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    services.withdraw(app, reason="changed my mind", actor=citizen)
    payment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        payments.apply_result(
            payment,
            GatewayResult(
                status="succeeded",
                order_id=payment.gateway_order_id,
                payment_id="p",
                amount=payment.amount,
            ),
            source="webhook",
        )
    payment.refresh_from_db()
    assert payment.outcome == Outcome.UNUSABLE and payment.status == PaymentStatus.REFUNDED


def test_withdraw_after_payment_refunds_by_the_rule(
    service, citizen, django_capture_on_commit_callbacks
):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    payment = pay(app)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(app, reason="not going", actor=citizen)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN
    with pytest.raises(InvalidTransition):
        services.withdraw(app, reason="again", actor=citizen)


def test_correction_only_in_its_window_and_only_allowed_fields(service, citizen, frozen_clock):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    pay(app)
    with pytest.raises(WindowClosed):
        services.correct(app, {"gender": "F"}, actor=citizen)
    frozen_clock.advance(days=22)  # 2026-07-07
    app.refresh_from_db()
    with pytest.raises(ApplicationError):
        services.correct(app, {"social_category": "SC"}, actor=citizen)
    correction = services.correct(app, {"gender": "F"}, actor=citizen)
    assert correction.changes == {"gender": ["M", "F"]}
    assert not correction.applied  # the correction fee is due first


def test_public_tracking_needs_number_and_mobile_or_birth_date(service, citizen):
    import datetime as dt

    from ekseva.applications import selectors

    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    assert selectors.track(app.number, mobile="9876500001") == app
    assert selectors.track(app.number.lower(), mobile="+91 98765 00001") == app
    assert selectors.track(app.number, date_of_birth=dt.date(2000, 1, 15)) == app
    assert selectors.track(app.number, mobile="9876500002") is None
    assert selectors.track(app.number) is None
    assert selectors.track("MP26TST0000001X", mobile="9876500001") is None
    assert selectors.track("garbage!", mobile="9876500001") is None


def test_someone_elses_application_is_not_found(service, citizen, other_citizen):
    from django.http import Http404

    from ekseva.applications import selectors

    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    assert selectors.visible_or_404(citizen, number=app.number) == app
    with pytest.raises(Http404):
        selectors.visible_or_404(other_citizen, number=app.number)
    with pytest.raises(Http404):
        selectors.visible_or_404(other_citizen, pk=app.pk)


def test_each_decision_is_sent_to_the_applicant(service, citizen):
    """The back office moves an application through services.move; the applicant
    hears of a return, an approval and a delivery as they happen."""
    from django.db import transaction

    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    pay(app)
    for to in (
        Status.IN_PROCESS,
        Status.RETURNED,
        Status.IN_PROCESS,
        Status.APPROVED,
        Status.DELIVERED,
    ):
        with transaction.atomic():
            locked = services._locked(app)
            services.move(locked, to, remark_en="ok", remark_hi="ठीक")
            locked.save()
    sent = Message.objects.filter(channel="sms", recipient=citizen.mobile)
    templates = list(sent.order_by("id").values_list("template", flat=True))
    assert templates == [
        "applications.submitted",
        "applications.payment_received",
        "applications.returned",
        "applications.approved",
        "applications.delivered",
    ]
