"""Demo applications of the demo citizen (mobile 9876543210, made by the accounts
demo), one in each state worth showing: a draft half filled, one submitted and
waiting for its fee, one paid with its receipt, one withdrawn with its fee
refunded. Everything goes through the services, as the citizen's own pages would:
answers saved step by step, a photo, a signature and a PDF uploaded into the
locker (the same files reused across applications), the fee paid at the sandbox
gateway whose webhook brings the result back, the refund paid back by the sandbox.

Services are chosen among those open on the demo date (the real clock): an exam
while its window is open, otherwise a service that takes applications all year.

Idempotent: each slot's application is found again (the demo citizen's first
application of one of the slot's services) and only the steps not yet done are
taken, so a second run writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ekseva.accounts.models import User
from ekseva.catalog.models import Service
from ekseva.core.money import format_inr
from ekseva.payments import sandbox
from ekseva.payments import services as payments
from ekseva.payments.models import Payment, Refund, RefundStatus
from ekseva.payments.models import Status as PaymentStatus

from . import services
from .models import Application, Status
from .windows import Phase, window_of

CITIZEN_MOBILE = "9876543210"
AADHAAR = "234123412346"
KEY = "demo-app"  # idempotency keys of the demo's payments: demo-app:<number>:fee
SITE = "http://127.0.0.1:8000"

ENROLMENT = {"name_en": "Asha Verma", "father_name": "Ramesh Verma", "delivery": "download"}


@dataclass(frozen=True)
class Plan:
    """How the demo fills one service: answers per step, documents by id."""

    service: str
    steps: dict[str, dict[str, Any]]
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    name: str  # what the demo shows: draft, fee_pending, paid, withdrawn
    plans: tuple[Plan, ...]  # first one open on the demo date wins
    reason: str = ""  # withdrawal reason
    extra: dict[str, Any] = field(default_factory=dict)


EXAM_PERSONAL = {
    "name_en": "Asha Verma",
    "name_hi": "आशा वर्मा",
    "father_name": "Ramesh Verma",
    "date_of_birth": "1990-04-12",
    "gender": "F",
    "social_category": "OBC",
    "domicile_mp": "yes",
    "pwd": "no",
    "aadhaar": AADHAAR,
}

SLOTS = (
    Slot(
        "draft",
        (
            # Half filled: "about you" saved, the rest still to do.
            Plan("esb-primary-teacher-2026", {"personal": EXAM_PERSONAL}),
            Plan(
                "mpbse-duplicate-marksheet",
                {"student": {"name_en": "Asha Verma", "passing_year": "2006"}},
            ),
        ),
    ),
    Slot(
        "fee_pending",
        (
            Plan(
                "bu-duplicate-marksheet",
                {"student": {**ENROLMENT, "enrolment": "BU2008/1432", "passing_year": "2010"}},
                ("id_proof",),
            ),
        ),
    ),
    Slot(
        "paid",
        (
            Plan(
                "esb-group4-2026",
                {
                    "personal": {
                        **EXAM_PERSONAL,
                        "mobile": CITIZEN_MOBILE,
                        "pincode": "462016",
                    },
                    "education": {
                        "qualification": "graduate",
                        "education_rows": [
                            {
                                "exam": "B.A.",
                                "board": "Barkatullah University",
                                "year": "2011",
                                "percentage": "64.50",
                            }
                        ],
                        "steno_post": "no",
                        "exam_city": "BPL",
                    },
                },
                ("photo", "signature", "caste_certificate"),
            ),
            Plan(
                "bu-migration-certificate",
                {"student": {**ENROLMENT, "enrolment": "BU2008/1432", "passing_year": "2011"}},
                ("id_proof",),
            ),
        ),
    ),
    Slot(
        "withdrawn",
        (
            Plan(
                "rgpv-provisional-degree",
                {"student": {**ENROLMENT, "enrolment": "0101CS091234", "passing_year": "2013"}},
                ("id_proof",),
            ),
        ),
        reason="Admitted to another university; no longer needed.",
    ),
)


# --------------------------------------------------------------------------- files


def _jpeg(name: str, size: tuple[int, int], colour: tuple[int, int, int]) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (236, 240, 246))
    draw = ImageDraw.Draw(image)
    width, height = size
    if height > width:  # a passport photo: head and shoulders
        draw.ellipse((width * 0.3, height * 0.15, width * 0.7, height * 0.55), fill=colour)
        draw.rectangle((width * 0.15, height * 0.6, width * 0.85, height), fill=colour)
    else:  # a signature: a stroke
        stroke = [(0.1, 0.7), (0.35, 0.3), (0.6, 0.65), (0.9, 0.4)]
        draw.line([(width * x, height * y) for x, y in stroke], fill=colour, width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def sample_pdf(name: str, title: str) -> SimpleUploadedFile:
    """A minimal, valid one-page PDF (no scripts) saying ``title`` (ASCII); the
    browser tests upload it too."""
    content = b"BT /F1 18 Tf 72 720 Td (ekseva demo: %s) Tj ET" % title.encode("ascii")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _file(document_id: str) -> SimpleUploadedFile:
    if document_id == "photo":
        return _jpeg("asha-photo.jpg", (300, 400), (11, 61, 145))
    if document_id == "signature":
        return _jpeg("asha-signature.jpg", (300, 100), (20, 20, 60))
    slug = document_id.replace("_", "-")
    return sample_pdf(f"asha-{slug}.pdf", slug)  # the same file for the same document


# --------------------------------------------------------------------------- steps


def _open(service: Service) -> bool:
    version = service.current_version
    return version is not None and window_of(version).phase() in (Phase.OPEN, Phase.LATE)


def _existing(citizen: User, slot: Slot) -> Application | None:
    codes = [plan.service for plan in slot.plans]
    return (
        Application.objects.filter(applicant=citizen, service__code__in=codes)
        .select_related("service", "version")
        .order_by("id")
        .first()
    )


def _plan_for(slot: Slot, app: Application | None) -> tuple[Plan, Service] | None:
    if app is not None:
        plan = next(p for p in slot.plans if p.service == app.service.code)
        return plan, app.service
    for plan in slot.plans:
        service = (
            Service.objects.select_related("current_version").filter(code=plan.service).first()
        )
        if service is not None and _open(service):
            return plan, service
    return None


def _fill(app: Application, plan: Plan, citizen: User, *, complete: bool) -> Application:
    """Save the plan's answers step by step; with ``complete``, attach its documents
    and submit. A step the service refuses is a bug in the plan: say so."""
    for step, answers in plan.steps.items():
        result = services.save_step(app, step, answers, actor=citizen)
        if complete and not result.ok:
            raise ValueError(f"demo answers for {plan.service}/{step} refused: {result.errors}")
        app.refresh_from_db()
    if not complete:
        return app
    for document_id in plan.documents:
        services.attach_upload(app, document_id, _file(document_id), actor=citizen)
    problems = services.check_complete(app)
    if problems:
        raise ValueError(f"demo application for {plan.service} is not complete: {problems}")
    return services.submit(app, declaration=True, actor=citizen)


def _pay(app: Application, citizen: User) -> Application:
    """Pay the fee the way the citizen would: open the sandbox's checkout, pay by UPI
    with the test handle, and let the sandbox's webhook bring the result."""
    payment = services.start_payment(
        app, idempotency_key=f"{KEY}:{app.number}:fee", actor=citizen, gateway="sandbox"
    )
    if payment.status == PaymentStatus.CREATED:
        with translation.override("en"):
            back = reverse("payments:return", args=[payment.reference])
        payments.start_checkout(payment, return_url=back, actor=citizen)
        payment = Payment.objects.get(pk=payment.pk)
    order = sandbox.get_order(payment.gateway_order_id or "")
    if order is not None and sandbox.is_open(order):
        upi = sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox")
        sandbox.pay(order.order_id, upi)
    if order is not None:
        sandbox.deliver_due(order=order.pk)
    return Application.objects.get(pk=app.pk)


def _refund_paid_back(app: Application) -> None:
    """The withdrawal's refund, paid back by the sandbox now (the task's work, for a
    run inside a transaction where tasks after commit never come)."""
    refund = Refund.objects.filter(idempotency_key=f"withdraw:{app.number}").first()
    if refund is None or refund.status == RefundStatus.PROCESSED:
        return
    payments.process_refund(refund.pk)
    order = sandbox.get_order(refund.payment.gateway_order_id or "")
    if order is not None:
        sandbox.deliver_due(order=order.pk)


def _advance(slot: Slot, citizen: User) -> Application | None:
    """Take the slot's application as far as the slot shows, from wherever it is."""
    app = _existing(citizen, slot)
    chosen = _plan_for(slot, app)
    if chosen is None:
        return None  # none of its services is open today
    plan, service = chosen
    if app is None:
        app = services.start(citizen, service)
        app = _fill(app, plan, citizen, complete=slot.name != "draft")
    if slot.name == "draft":
        return app
    if app.status == Status.DRAFT and _open(service):
        app = _fill(app, plan, citizen, complete=True)
    if slot.name in ("paid", "withdrawn") and app.status == Status.FEE_PENDING and _open(service):
        app = _pay(app, citizen)
    if slot.name == "withdrawn":
        if app.status == Status.RECEIVED:
            app = services.withdraw(app, reason=slot.reason, actor=citizen)
        if app.status == Status.WITHDRAWN:
            _refund_paid_back(app)
    return app


# What each slot shows once the demo has done its part (the citizen may move it on).
EXPECTED = {
    "fee_pending": Status.FEE_PENDING,
    "paid": Status.RECEIVED,
    "withdrawn": Status.WITHDRAWN,
}


def _describe(slot: Slot, app: Application | None) -> str:
    label = slot.name.replace("_", " ")
    if app is None:
        return f"{label}: none (none of its services is open today)"
    if app.status == Status.DRAFT:
        return f"{label}: {app.service.code}"
    shown = f"{label}: {app.number}"
    if app.status != EXPECTED.get(slot.name):
        shown += f" (now {app.status_text('en').lower()})"
    if app.paid_at:
        shown += f" (receipt {SITE}/en/applications/{app.number}/receipt.pdf)"
    if app.status == Status.WITHDRAWN and app.paid_payment:
        refunded = Payment.objects.get(reference=app.paid_payment).refunded_amount
        shown += f" ({format_inr(refunded)} refunded)"
    return shown


def load() -> list[str]:
    """The demo citizen's applications, made or moved on as far as missing; one line."""
    citizen = User.objects.filter(mobile=CITIZEN_MOBILE).first()
    if citizen is None:
        return [f"applications: skipped (no citizen {CITIZEN_MOBILE}: load the accounts demo)"]
    shown = [_describe(slot, _advance(slot, citizen)) for slot in SLOTS]
    shown.append(f"see {SITE}/en/applications/")
    return [f"applications of {CITIZEN_MOBILE}: " + " | ".join(shown)]
