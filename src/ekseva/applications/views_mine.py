"""The citizen's own pages: "My applications", one application (its timeline,
answers, documents, fee, payments and what can be done next), a draft's summary,
the receipt PDF, the document locker and the files in it.

Who sees what: the applicant sees their own; staff allowed ``applications.view``
on the application (department officers of its department, the kiosk that made
it, operator staff) see it too, on a TOTP-verified session. Everyone else gets
404, never 403, so that numbers and document ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ekseva.accounts.models import Posting, Role
from ekseva.accounts.permissions import can
from ekseva.catalog.rules import form_of
from ekseva.core import audit
from ekseva.geo.models import AdminUnit
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus

from . import documents as locker_documents
from . import receipts, selectors
from .hooks import ACT, VIEW
from .models import (
    NOT_CORRECTABLE,
    STATUS_TEXT,
    WITHDRAWABLE,
    Application,
    ApplicationDocument,
    ApplicationError,
    LockerDocument,
    Status,
    StatusChange,
)
from .views_journey import assisted_page
from .windows import Phase, window_of

PAGE_SIZE = 25
# A correction can be asked for in these states (services.correct refuses the others).
BADGES = {
    Status.DRAFT: "draft",
    Status.SUBMITTED: "submitted",
    Status.FEE_PENDING: "pending",
    Status.RECEIVED: "submitted",
    Status.IN_PROCESS: "submitted",
    Status.RETURNED: "warning",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.DELIVERED: "success",
    Status.WITHDRAWN: "withdrawn",
    Status.CLOSED: "muted",
}


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def _verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def _visible(request: HttpRequest, *, number: str | None = None, pk: int | None = None):
    """The application if this user may see it: the applicant, or staff allowed to
    view it on a verified (password + TOTP) session. 404 otherwise."""
    app = selectors.visible_or_404(request.user, number=number, pk=pk)
    if app.applicant_id != request.user.pk and not _verified(request.user):
        raise Http404("no such application")
    return app


# --------------------------------------------------------------------------- next step


@dataclass(frozen=True)
class NextStep:
    """What the applicant does next: ``kind`` names it (for tests and styling),
    ``text`` says it, ``url`` is where to do it ("" when there is nothing to do)."""

    kind: str
    text: str
    url: str = ""
    link_text: str = ""


def next_step(app: Application, *, paying: bool = False) -> NextStep:
    """The applicant's next step, in the active language. ``paying``: a payment of
    the fee is being confirmed."""
    status = app.status
    if status == Status.DRAFT:
        last = window_of(app.version).last_moment
        if window_of(app.version).phase() == Phase.CLOSED:
            return NextStep(
                "closed", _("Applications have closed: this draft can no longer be submitted.")
            )
        text = _("Finish and submit your application.")
        if last:
            when = timezone.localtime(last).strftime("%d-%m-%Y %H:%M:%S")
            text = _("Finish and submit your application before %(when)s.") % {"when": when}
        return NextStep("resume", text, reverse("applications:draft", args=[app.pk]), _("Resume"))
    detail = reverse("applications:detail", args=[app.number]) if app.number else ""
    if status in (Status.SUBMITTED, Status.FEE_PENDING) and app.fee_total and not app.paid_at:
        if paying:
            return NextStep(
                "confirming",
                _("We are confirming your payment with the bank. Do not pay again."),
                detail + "#payments",
                _("See the payment"),
            )
        return NextStep(
            "pay", _("Pay the fee to complete your application."), detail + "#pay", _("Pay the fee")
        )
    if status in (Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS):
        if app.due_date:
            return NextStep(
                "wait",
                _("Nothing to do now. The department decides by %(day)s.")
                % {"day": app.due_date.strftime("%d-%m-%Y")},
            )
        return NextStep("wait", _("Nothing to do now: the department is processing it."))
    if status == Status.RETURNED:
        return NextStep(
            "correct",
            _("The department has returned it to you: correct it and send it back."),
            detail + "#actions",
            _("Correct it"),
        )
    if status == Status.APPROVED:
        return NextStep("wait", _("Approved. What you applied for will be issued to you soon."))
    if status == Status.DELIVERED:
        return NextStep(
            "delivered",
            _("Delivered: %(what)s has been issued to you.")
            % {"what": app.version.get_deliverable_display().lower()},
        )
    if status == Status.REJECTED:
        return NextStep("none", _("Rejected. The reason is in the history below."))
    if status == Status.WITHDRAWN:
        return NextStep("none", _("You withdrew this application."))
    return NextStep("none", _("This application is closed."))


# --------------------------------------------------------------------------- deliverables

# Apps above register what the applicant can download once it is issued (the
# certificates app: "Download certificate"): fn(app, user) -> (label_en, label_hi,
# url) or None. Applications knows them only through this list.
_deliverable_links: list[Any] = []


def register_deliverable_link(fn: Any) -> None:
    if fn not in _deliverable_links:
        _deliverable_links.append(fn)


def deliverable_links(app: Application, user: Any, language: str) -> list[dict[str, str]]:
    links = []
    for fn in _deliverable_links:
        found = fn(app, user)
        if found:
            label_en, label_hi, url = found
            links.append({"label": label_hi if language == "hi" else label_en, "url": url})
    return links


# Apps above register where the applicant goes next when they, not applications,
# hold the step (the back office: a returned application's "what to correct"):
# fn(app, user) -> (label_en, label_hi, url) or None. Shown on the application's page.
_next_steps: list[Any] = []


def register_next_step(fn: Any) -> None:
    if fn not in _next_steps:
        _next_steps.append(fn)


def next_step_links(app: Application, user: Any, language: str) -> list[dict[str, str]]:
    links = []
    for fn in _next_steps:
        found = fn(app, user)
        if found:
            label_en, label_hi, url = found
            links.append({"label": label_hi if language == "hi" else label_en, "url": url})
    return links


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Row:
    app: Application
    service: str
    status: str
    badge: str
    step: NextStep
    receipt_url: str


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    language = _language()
    drafts_first = Case(
        When(status=Status.DRAFT, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    apps = selectors.my_applications(request.user).order_by(drafts_first, "-updated_at", "-id")
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    numbers = [app.number for app in page if app.number]
    paying = set(
        Payment.objects.filter(
            purpose="application_fee", target__in=numbers, status=PaymentStatus.PENDING
        ).values_list("target", flat=True)
    )
    rows = [
        Row(
            app=app,
            service=app.service.name(language),
            status=app.status_text(language),
            badge=BADGES.get(app.status, "muted"),
            step=next_step(app, paying=app.number in paying),
            receipt_url=(
                reverse("applications:receipt", args=[app.number])
                if app.number and app.paid_at and app.paid_payment
                else ""
            ),
        )
        for app in page
    ]
    return render(request, "applications/mine/list.html", {"rows": rows, "page": page})


# --------------------------------------------------------------------------- one application


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    status: str
    badge: str
    remark: str
    who: str


def _who(change: StatusChange, app: Application, kiosk_people: set[int], viewer: Any) -> str:
    """Who made a change, as the applicant is told: never a staff member's name."""
    if change.actor_id is None:
        return _("Portal")
    if change.actor_id == app.applicant_id:
        return _("You") if viewer.pk == app.applicant_id else _("Applicant")
    if change.actor_id in kiosk_people:
        return _("Kiosk")
    return _("Department")


def timeline(app: Application, viewer: Any, language: str) -> list[Event]:
    changes = list(app.history.all())
    actors = {c.actor_id for c in changes if c.actor_id and c.actor_id != app.applicant_id}
    kiosk_people = set(
        Posting.objects.filter(
            user_id__in=actors, role__in=[Role.KIOSK_OPERATOR, Role.FRANCHISEE]
        ).values_list("user_id", flat=True)
    )
    events = []
    for change in changes:
        text, hindi = STATUS_TEXT.get(change.to_status, (change.to_status, change.to_status))
        events.append(
            Event(
                at=change.at,
                status=hindi if language == "hi" else text,
                badge=BADGES.get(change.to_status, "muted"),
                remark=change.remark(language),
                who=_who(change, app, kiosk_people, viewer),
            )
        )
    return events


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)


def _unit_names(defn: Any, answers: dict[str, Any], language: str) -> dict[str, str]:
    codes = [
        answers.get(f.id)
        for f in defn.all_fields()
        if f.type in ("district", "tehsil", "village") and isinstance(answers.get(f.id), str)
    ]
    if not codes:
        return {}
    return {unit.code: unit.name(language) for unit in AdminUnit.objects.filter(code__in=codes)}


def _shown(f: Any, value: Any, language: str, units: dict[str, str]) -> str:
    """An answer as the applicant reads it (labels of choices, dates as dd-mm-yyyy)."""
    if value is None or value == "" or value == []:
        return ""
    if f.type == "yesno":
        return _("Yes") if value is True or str(value).lower() in ("yes", "true", "1") else _("No")
    if f.type in ("choice", "multichoice"):
        labels = {o.value: o.label.get(language) for o in f.options}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if f.type == "date":
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d-%m-%Y")
        except ValueError:
            return str(value)
    if f.type in ("district", "tehsil", "village"):
        return units.get(str(value), str(value))
    if f.type == "aadhaar":
        last4 = value.get("last4", "") if isinstance(value, dict) else ""
        return f"XXXX XXXX {last4}" if last4 else ""
    if f.type == "file":
        return str(value.get("name", "")) if isinstance(value, dict) else ""
    if f.type == "group":
        rows = value if isinstance(value, list) else []
        parts = []
        for row in rows:
            cells = [
                f"{sub.label.get(language)}: {_shown(sub, row.get(sub.id), language, units)}"
                for sub in f.fields
                if isinstance(row, dict) and _shown(sub, row.get(sub.id), language, units)
            ]
            parts.append("; ".join(cells))
        return " | ".join(p for p in parts if p)
    return str(value)


def answers_summary(app: Application, language: str) -> list[Section]:
    """The answers by step, with the form's labels in ``language``; unanswered
    (and hidden) fields are left out."""
    defn = form_of(app.version)
    answers = app.answers or {}
    units = _unit_names(defn, answers, language)
    sections = []
    for step in defn.steps:
        section = Section(title=step.title.get(language))
        for f in step.fields():
            shown = _shown(f, answers.get(f.id), language, units)
            if shown:
                section.rows.append((f.label.get(language), shown))
        if section.rows:
            sections.append(section)
    return sections


def _document_labels(app: Application, language: str) -> dict[str, str]:
    labels = {}
    for doc in app.version.definition.get("documents", []):
        label = doc.get("label") or {}
        labels[doc["id"]] = label.get(language) or label.get("en") or doc["id"]
    return labels


def _fee_lines(app: Application, language: str) -> list[dict[str, Any]]:
    key = "label_hi" if language == "hi" else "label_en"
    return [
        {
            "label": line.get(key) or line.get("label_en") or line.get("code", ""),
            "rule": line.get("rule", ""),
            "amount": int(line.get("amount_paise", 0)),
        }
        for line in app.fee_lines
    ]


def _payments(app: Application) -> list[Payment]:
    if not app.number:
        return []
    return list(
        Payment.objects.filter(
            Q(purpose="application_fee", target=app.number)
            | Q(purpose="correction_fee", target__startswith=f"{app.number}-C")
        ).order_by("created_at", "id")
    )


def actions(app: Application, user: Any) -> dict[str, bool]:
    """What this user may do to the application now (the services decide again)."""
    acting = can(user, ACT, app) and (app.applicant_id == user.pk or _verified(user))
    unpaid = app.status == Status.FEE_PENDING and not app.paid_at
    return {
        "pay": acting and unpaid and window_of(app.version).phase() != Phase.CLOSED,
        "withdraw": acting and app.status in WITHDRAWABLE,
        "correct": acting
        and app.status not in NOT_CORRECTABLE
        and window_of(app.version).correction_open(),
    }


@never_cache
@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    app = _visible(request, number=number)
    language = _language()
    payments = _payments(app)
    paying = any(
        p.purpose == "application_fee" and p.status == PaymentStatus.PENDING for p in payments
    )
    attached = list(
        ApplicationDocument.objects.filter(application=app)
        .select_related("locker_document")
        .order_by("id")
    )
    labels = _document_labels(app, language)
    assisted_url = assisted_page(app, request.user)  # e.g. the kiosk console's page of it
    allowed = actions(app, request.user)
    if assisted_url:
        allowed["pay"] = False  # paid through the channel's own page (a kiosk's wallet)
    context = {
        "app": app,
        "service": app.service.name(language),
        "department": app.service.department.name(language),
        "status": app.status_text(language),
        "badge": BADGES.get(app.status, "muted"),
        "own": app.applicant_id == request.user.pk,
        "assisted_url": assisted_url,
        "events": timeline(app, request.user, language),
        "step": next_step(app, paying=paying),
        "sections": answers_summary(app, language),
        "documents": [(labels.get(d.document_id, d.document_id), d) for d in attached],
        "fee_lines": _fee_lines(app, language),
        "payments": payments,
        "receipt": bool(app.paid_at and app.paid_payment),
        "actions": allowed,
        "deliverables": deliverable_links(app, request.user, language),
        "next_links": next_step_links(app, request.user, language),
    }
    return render(request, "applications/mine/detail.html", context)


# --------------------------------------------------------------------------- a draft


@never_cache
@login_required
@require_GET
def draft(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.visible_or_404(request.user, pk=pk)
    if app.applicant_id != request.user.pk:
        raise Http404("no such draft")
    if app.status != Status.DRAFT:
        if app.number:
            return redirect("applications:detail", number=app.number)
        raise Http404("no such draft")
    language = _language()
    defn = form_of(app.version)
    step_ids = [s.id for s in defn.steps]
    resume_at = app.step if app.step in step_ids or app.step == "preview" else ""
    if not resume_at:
        resume_at = step_ids[0] if step_ids else "preview"
    if resume_at == "preview":
        resume_url = reverse("applications:preview", args=[app.pk])
    else:
        resume_url = reverse("applications:step", args=[app.pk, resume_at])
    done = step_ids.index(resume_at) if resume_at in step_ids else len(step_ids)
    window = window_of(app.version)
    labels = _document_labels(app, language)
    attached = ApplicationDocument.objects.filter(application=app).select_related("locker_document")
    context = {
        "app": app,
        "service": app.service.name(language),
        "department": app.service.department.name(language),
        "status": app.status_text(language),
        "steps": [
            {"title": s.title.get(language), "done": i < done, "current": s.id == resume_at}
            for i, s in enumerate(defn.steps)
        ],
        "resume_url": resume_url,
        "step": next_step(app),
        "closed": window.phase() == Phase.CLOSED,
        "last_moment": window.last_moment,
        "sections": answers_summary(app, language),
        "documents": [(labels.get(d.document_id, d.document_id), d) for d in attached],
    }
    return render(request, "applications/mine/draft.html", context)


# --------------------------------------------------------------------------- the receipt


@never_cache
@login_required
@require_GET
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    app = _visible(request, number=number)
    if receipts.receipt_payment(app) is None:
        raise Http404("no receipt: the fee is not paid")
    asked = request.GET.get("lang", "")
    language = asked if asked in ("en", "hi") else _language()
    with translation.override(language):
        track = reverse("applications:track")
    track_url = request.build_absolute_uri(f"{track}?number={app.number}")
    data = receipts.receipt_pdf(app, language=language, track_url=track_url)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipts.filename(app)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- the locker


@never_cache
@login_required
@require_GET
def locker(request: HttpRequest) -> HttpResponse:
    documents = selectors.locker(request.user).prefetch_related("attachments__application")
    rows = []
    for document in documents:
        used = sorted({a.application for a in document.attachments.all()}, key=lambda app: app.pk)
        rows.append({"document": document, "used": used})
    return render(request, "applications/mine/locker.html", {"rows": rows})


@login_required
@require_POST
def locker_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = LockerDocument.objects.filter(pk=pk, owner=request.user).first()
    if document is None:
        raise Http404("no such document")
    try:
        locker_documents.remove(document, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message(_language()))
    else:
        messages.success(request, _("The document has been removed from your locker."))
    return redirect("applications:locker")


def may_see_document(user: Any, document: LockerDocument) -> bool:
    """The owner; or staff who may view an application it is attached to (verified)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if document.owner_id == user.pk:
        return True
    if not _verified(user):
        return False
    apps = Application.objects.filter(documents__locker_document=document).distinct()
    return any(can(user, VIEW, app) for app in apps)


@never_cache
@login_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    document = LockerDocument.objects.filter(pk=pk).first()
    if document is None or not may_see_document(request.user, document):
        raise Http404("no such document")
    if document.owner_id != request.user.pk:
        audit.record("applications.document.viewed", actor=request.user, obj=document)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing") from None
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=False,
        filename=_file_name(document),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response  # never_cache: private, no-store


def _file_name(document: LockerDocument) -> str:
    """The name the file was uploaded with, ending in the extension of what it really is."""
    stored = document.file.name.rsplit(".", 1)
    extension = stored[1].lower() if len(stored) == 2 else ""
    name = (document.original_name or f"document-{document.pk}").rsplit("/", 1)[-1]
    if extension and not name.lower().endswith(f".{extension}"):
        name = f"{name}.{extension}"
    return name
