"""The citizen's journey, page by page (docs/applications.md):

    start/<service>/                 what it needs, the window, eligibility first → a draft
    draft/<pk>/step/<step>/          the form, one step at a time, saved at every step
    draft/<pk>/documents/            upload a file or pick one from the locker
    draft/<pk>/preview/              everything entered, the fee, declaration, submit
    draft/<pk>/saved/                "saved: finish later from any device"
    <number>/pay/  (POST)            the application's fee, through the gateway

Views are thin: they read the request, call one service (``services``), and render.
Someone else's draft or application is a 404, never a 403. Every page works without
JavaScript; refusals come in the page's language, on the field they concern.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.catalog import eligibility, fees
from ekseva.catalog import selectors as catalog_selectors
from ekseva.catalog.rules import context as rule_context
from ekseva.catalog.rules import form_of
from ekseva.core.money import format_inr
from ekseva.forms import validation
from ekseva.forms.prefill import prefill
from ekseva.forms.render import render_step
from ekseva.payments.models import PaymentError
from ekseva.payments.views_payer import to_checkout

from . import documents as locker_rules
from . import forms as journey
from . import selectors, services
from .models import Application, ApplicationError, Status
from .windows import Phase, window_of

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ACCEPT = {
    "pdf": ".pdf,application/pdf",
    "jpg": ".jpg,.jpeg,image/jpeg",
    "jpeg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
}


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _sign_in(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path())


# --------------------------------------------------------------------------- acting for someone

# (application, user) -> the URL where ``user``, acting for the applicant through a
# channel, carries on with the application, or "". The app of that channel registers
# it (kiosks: its console's page), since applications cannot name a higher app's pages.
AssistedPage = Callable[[Application, Any], str]
_assisted_pages: dict[str, AssistedPage] = {}


def register_assisted_page(channel: str, page: AssistedPage) -> None:
    _assisted_pages[channel] = page


def assisted_page(app: Application, user: Any) -> str:
    """Where ``user``, who is not the applicant, carries on with ``app`` (submitted)
    through its channel's own pages; "" for the applicant or when none is registered."""
    page = _assisted_pages.get(app.channel)
    if page is None or not app.number or app.applicant_id == getattr(user, "pk", None):
        return ""
    return page(app, user)


# --------------------------------------------------------------------------- what pages show


def _moment(value: dt.datetime) -> str:
    """A deadline to the second, in the portal's time zone: 30-06-2026 23:59:59."""
    return timezone.localtime(value).strftime("%d-%m-%Y %H:%M:%S")


@dataclass(frozen=True)
class WindowNotice:
    phase: str
    text: str
    takes_applications: bool


def window_notice(version: Any) -> WindowNotice:
    """When the form takes applications, in plain words, with the moments to the second."""
    window = window_of(version)
    phase = window.phase()
    late_fee = (version.definition.get("fees") or {}).get("late_fee_paise", 0)
    if phase == Phase.NOT_YET_OPEN:
        text = _("Applications open at %(opens)s.") % {"opens": _moment(window.opens)}
    elif phase == Phase.OPEN and window.closes is None:
        text = _("Applications are open all year.")
    elif phase == Phase.OPEN:
        text = _("Applications are open until %(closes)s.") % {"closes": _moment(window.closes)}
        if window.late_until and late_fee:
            text += " " + _("After that, until %(until)s, only with a late fee of %(fee)s.") % {
                "until": _moment(window.late_until),
                "fee": format_inr(late_fee),
            }
        elif window.late_until:
            text += " " + _("After that, until %(until)s, as a late application.") % {
                "until": _moment(window.late_until)
            }
    elif phase == Phase.LATE:
        text = _("The last date has passed. Late applications are taken until %(until)s.") % {
            "until": _moment(window.late_until)
        }
        if late_fee:
            text += " " + _("A late fee of %(fee)s is added.") % {"fee": format_inr(late_fee)}
    else:
        text = _("Applications closed at %(last)s.") % {"last": _moment(window.last_moment)}
    return WindowNotice(phase.value, text, phase in (Phase.OPEN, Phase.LATE))


def _fee_schedule(version: Any, language: str) -> tuple[list[dict[str, str]], bool]:
    """The fee table of the start page: government fee rules under one label become
    one row "₹250.00 – ₹500.00" (the exact fee is shown before submitting); the
    kiosk's charge is left out (this journey is online). Returns (rows, ranged)."""
    rows = [row for row in fees.schedule(version) if row.code != "kiosk"]
    government = [row for row in rows if row.code == "government"]

    def label(row: fees.ScheduleRow) -> str:
        return row.label_hi if language == "hi" else row.label_en

    amounts = [row.amount_paise for row in government]
    ranged = (
        len(government) > 1 and None not in amounts and len({label(row) for row in government}) == 1
    )
    out = []
    for row in rows:
        if ranged and row.code == "government":
            if row is government[0]:
                low, high = min(amounts), max(amounts)
                out.append(
                    {"label": label(row), "amount": f"{format_inr(low)} – {format_inr(high)}"}
                )
            continue
        amount = (
            format_inr(row.amount_paise) if row.amount_paise is not None else _("as per your bill")
        )
        out.append({"label": label(row), "amount": amount})
    return out, ranged


def _dimensions(rule: dict[str, Any]) -> str:
    dims = rule.get("dims") or {}
    parts = []
    if dims.get("min_width") or dims.get("min_height"):
        parts.append(
            _("at least %(width)s×%(height)s pixels")
            % {"width": dims.get("min_width", "–"), "height": dims.get("min_height", "–")}
        )
    if dims.get("max_width") or dims.get("max_height"):
        parts.append(
            _("at most %(width)s×%(height)s pixels")
            % {"width": dims.get("max_width", "–"), "height": dims.get("max_height", "–")}
        )
    return ", ".join(parts)


def _needs(version: Any, language: str) -> list[dict[str, Any]]:
    """The version's documents as the start page lists them."""
    return [
        {
            "label": doc["label"]["hi"] if language == "hi" else doc["label"]["en"],
            "formats": ", ".join(f.upper() for f in doc.get("formats", [])),
            "max_kb": doc.get("max_kb"),
            "dimensions": _dimensions(doc),
            "mandatory": bool(doc.get("mandatory")),
            "conditional": "mandatory_if" in doc,
        }
        for doc in version.definition.get("documents") or []
    ]


def _has_documents(app: Application) -> bool:
    return bool(app.version.definition.get("documents"))


def _progress(app: Application, current: str, language: str) -> dict[str, Any]:
    """ "Step 2 of 4": the form's steps, then documents (if any), then the preview."""
    defn = form_of(app.version)
    items = [(s.id, s.title.get(language)) for s in defn.steps]
    if _has_documents(app):
        items.append(("documents", _("Documents")))
    items.append(("preview", _("Check and submit")))
    ids = [i for i, _title in items]
    index = ids.index(current)
    return {"n": index + 1, "of": len(items), "title": items[index][1]}


def _context(app: Application) -> dict[str, Any]:
    """The context names the version's rules read (what the service validates with)."""
    late = window_of(app.version).phase() == Phase.LATE
    return rule_context(app.version.definition, {}, channel=app.channel, late=late)


def resume_url(app: Application) -> str:
    """Where a draft goes on: its saved step; after the last one, the documents
    while a needed one is missing, else the preview."""
    steps = [s.id for s in form_of(app.version).steps]
    if app.step in steps:
        return reverse("applications:step", args=[app.pk, app.step])
    if _has_documents(app):
        attached = set(app.documents.values_list("document_id", flat=True))
        if any(d["needed"] and d["id"] not in attached for d in services.document_rules(app)):
            return reverse("applications:documents", args=[app.pk])
    return reverse("applications:preview", args=[app.pk])


def _after(app: Application, step_id: str) -> str:
    steps = [s.id for s in form_of(app.version).steps]
    index = steps.index(step_id)
    if index + 1 < len(steps):
        return reverse("applications:step", args=[app.pk, steps[index + 1]])
    if _has_documents(app):
        return reverse("applications:documents", args=[app.pk])
    return reverse("applications:preview", args=[app.pk])


def _before(app: Application, current: str) -> str:
    """The page before ``current`` (a step id, "documents" or "preview")."""
    steps = [s.id for s in form_of(app.version).steps]
    if current in steps:
        index = steps.index(current)
        if index == 0:
            return reverse("applications:start", args=[app.service.code])
        return reverse("applications:step", args=[app.pk, steps[index - 1]])
    if current == "preview" and _has_documents(app):
        return reverse("applications:documents", args=[app.pk])
    return reverse("applications:step", args=[app.pk, steps[-1]]) if steps else ""


def _draft(request: HttpRequest, pk: int) -> Application | HttpResponse:
    """The draft the user may act on, or where to send them: someone else's → 404;
    submitted → its page; closed before it was submitted → My applications."""
    app = selectors.actionable_or_404(request.user, pk=pk)
    if app.status == Status.DRAFT:
        return app
    return _moved_on(app)


def _moved_on(app: Application) -> HttpResponse:
    if app.number:
        return redirect("applications:detail", app.number)
    return redirect("applications:mine")  # closed unsubmitted: My applications says so


# --------------------------------------------------------------------------- start


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, service_code: str) -> HttpResponse:
    service = catalog_selectors.get_live_service(service_code)
    if service is None:
        raise Http404("no such service")
    if not request.user.is_authenticated:
        return _sign_in(request)
    language = _language()
    version = service.current_version
    existing = (
        selectors.my_applications(request.user).filter(service=service, status=Status.DRAFT).first()
    )
    if request.method == "POST" and existing is not None:
        return redirect(resume_url(existing))  # one draft per service: pressing twice makes one
    notice = window_notice(version)
    online = "online" in (version.channels or ["online"])
    fee_rows, fee_ranged = _fee_schedule(version, language)
    questions = journey.eligibility_form(version)
    values: dict[str, Any] = prefill(questions, request.user) if questions else {}
    errors: dict[str, list[str]] = {}
    reasons: list[str] = []
    problem = ""
    if request.method == "POST":
        data = validation.from_post(questions, request.POST) if questions else {}
        values = {**values, **data}
        cleaned: dict[str, Any] = {}
        if questions is not None:
            result = validation.validate(
                questions,
                data,
                language=language,
                context=rule_context(version.definition, {}, channel="online"),
                step=journey.ELIGIBILITY_STEP,
            )
            errors, cleaned = result.errors, result.cleaned
        if not errors:
            reasons = [
                r.hi if language == "hi" else r.en for r in eligibility.check(version, cleaned)
            ]
        if not errors and not reasons and online:
            try:
                app = _start_draft(request.user, service, data)
            except ApplicationError as exc:
                problem = exc.message(language)
            else:
                messages.success(
                    request,
                    _(
                        "Your draft is saved at every step. "
                        "You can finish it later from any device."
                    ),
                )
                return redirect(resume_url(app))
    return render(
        request,
        "applications/journey/start.html",
        {
            "service": service,
            "name": service.name(language),
            "notice": notice,
            "needs": _needs(version, language),
            "fee_rows": fee_rows,
            "fee_ranged": fee_ranged,
            "several_fee_rules": len(version.definition["fees"]["government"]) > 1,
            "online": online,
            "existing": existing,
            "existing_url": resume_url(existing) if existing else "",
            "questions": render_step(
                questions,
                journey.ELIGIBILITY_STEP,
                values,
                errors,
                language,
                context=rule_context(version.definition, {}, channel="online"),
            )
            if questions
            else "",
            "error_items": journey.error_items(questions, errors, language) if questions else [],
            "reasons": reasons,
            "problem": problem,
        },
    )


def _start_draft(user: Any, service: Any, eligibility_answers: dict[str, Any]) -> Application:
    """A draft with the eligibility answers saved in the steps that ask them. The
    first step is saved last, so the draft resumes at the first step not complete."""
    with transaction.atomic():
        app = services.start(user, service, actor=user)
        parts = journey.answers_by_step(app.version, eligibility_answers)
        steps = [s.id for s in form_of(app.version).steps]
        for step_id in reversed(steps):
            if step_id in parts or (step_id == steps[0] and parts):
                services.save_step(app, step_id, parts.get(step_id, {}), actor=user)
                app.refresh_from_db()
    return app


# --------------------------------------------------------------------------- a step


@never_cache
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    app = _draft(request, pk)
    if isinstance(app, HttpResponse):
        return app
    defn = form_of(app.version)
    if step_id not in {s.id for s in defn.steps}:
        raise Http404("no such step")
    language = _language()
    values: dict[str, Any] = dict(app.answers)
    errors: dict[str, list[str]] = {}
    later = request.POST.get("action") == "later"
    if request.method == "POST":
        data = journey.step_data(defn, step_id, request.POST, request.FILES)
        try:
            result = services.save_step(app, step_id, data, actor=request.user, language=language)
        except ApplicationError:
            app.refresh_from_db()
            return _moved_on(app)  # submitted meanwhile (another tab, another device)
        if result.ok:
            if later:
                return redirect("applications:saved", app.pk)
            return redirect(_after(app, step_id))
        app.refresh_from_db()
        values = {**app.answers, **data}  # what was typed stays on the page, wrong or not
        errors = result.errors
    return render(
        request,
        "applications/journey/step.html",
        {
            "app": app,
            "name": app.service.name(language),
            "progress": _progress(app, step_id, language),
            "step_title": defn.step(step_id).title.get(language),
            "step_id": step_id,
            "fields": render_step(defn, step_id, values, errors, language, context=_context(app)),
            "error_items": journey.error_items(defn, errors, language),
            "later": later and bool(errors),
            "notice": window_notice(app.version),
            "back_url": _before(app, step_id),
        },
    )


@never_cache
@require_GET
def saved(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    app = _draft(request, pk)
    if isinstance(app, HttpResponse):
        return app
    language = _language()
    return render(
        request,
        "applications/journey/saved.html",
        {
            "app": app,
            "name": app.service.name(language),
            "resume_url": resume_url(app),
            "notice": window_notice(app.version),
        },
    )


# --------------------------------------------------------------------------- documents


def _document_cards(
    app: Application, language: str, errors: dict[str, str]
) -> list[dict[str, Any]]:
    attached = {d.document_id: d for d in app.documents.select_related("locker_document")}
    mine = list(selectors.locker(app.applicant))
    cards = []
    for rule in services.document_rules(app):
        compatible = []
        for document in mine:
            try:
                locker_rules.check_against_rule(document, rule)
            except ApplicationError:
                continue
            compatible.append(document)
        current = attached.get(rule["id"])
        cards.append(
            {
                "id": rule["id"],
                "label": rule["label"]["hi"] if language == "hi" else rule["label"]["en"],
                "needed": rule["needed"],
                "formats": ", ".join(f.upper() for f in rule.get("formats", [])),
                "accept": ",".join(
                    dict.fromkeys(ACCEPT[f] for f in rule.get("formats", []) if f in ACCEPT)
                ),
                "max_kb": rule.get("max_kb"),
                "dimensions": _dimensions(rule),
                "attached": current.locker_document if current else None,
                "locker": [
                    d for d in compatible if current is None or d.pk != current.locker_document_id
                ],
                "error": errors.get(rule["id"], ""),
            }
        )
    return cards


@never_cache
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    app = _draft(request, pk)
    if isinstance(app, HttpResponse):
        return app
    if not _has_documents(app):
        return redirect("applications:preview", app.pk)
    language = _language()
    errors: dict[str, str] = {}
    if request.method == "POST":
        document_id = request.POST.get("document", "")[:60]
        try:
            if request.POST.get("action") == "locker":
                chosen = request.POST.get("locker", "")
                document = (
                    selectors.locker(app.applicant).filter(pk=int(chosen)).first()
                    if chosen.isdigit()
                    else None
                )
                if document is None:
                    raise ApplicationError(
                        _("Choose a document from your locker."), field=document_id
                    )
                services.attach_locker(app, document_id, document, actor=request.user)
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise ApplicationError(_("Choose a file to upload."), field=document_id)
                services.attach_upload(app, document_id, upload, actor=request.user)
        except ApplicationError as exc:
            app.refresh_from_db()
            if app.status != Status.DRAFT:
                return _moved_on(app)
            errors[document_id] = exc.message(language)
        else:
            messages.success(request, _("The document is attached."))
            return redirect(
                reverse("applications:documents", args=[app.pk]) + f"#doc-{document_id}"
            )
    cards = _document_cards(app, language, errors)
    return render(
        request,
        "applications/journey/documents.html",
        {
            "app": app,
            "name": app.service.name(language),
            "progress": _progress(app, "documents", language),
            "cards": cards,
            "error_items": [c for c in cards if c["error"]],
            "notice": window_notice(app.version),
            "back_url": _before(app, "documents"),
        },
    )


# --------------------------------------------------------------------------- preview, submit


def _problem_links(
    app: Application, problems: dict[str, list[str]], language: str
) -> list[dict[str, str]]:
    """check_complete's problems, each with a link to the page that fixes it."""
    defn = form_of(app.version)
    order = {f.id: i for i, f in enumerate(defn.all_fields())}
    items = []
    for key in sorted(problems, key=lambda k: (order.get(k.split(".")[0], len(order)), k)):
        head = key.split(".")[0]
        if key == "__documents__":
            label, url = _("Documents"), reverse("applications:documents", args=[app.pk])
        elif head in order:
            label = defn.field(head).label.get(language)
            url = reverse("applications:step", args=[app.pk, defn.step_of(head)])
            url += "#id_" + key.replace(".", "-")
        else:  # eligibility, or a rule across the whole form
            label = _("Who can apply") if key == "__eligibility__" else ""
            url = reverse("applications:step", args=[app.pk, defn.steps[0].id])
        for message in problems[key]:
            items.append({"label": label, "message": message, "url": url})
    return items


def _fee_quote(app: Application, language: str) -> tuple[list[dict[str, str]], str, str]:
    """The fee as it would be charged if submitted now: (lines, total, problem)."""
    late = window_of(app.version).phase() == Phase.LATE
    try:
        quote = fees.compute(
            app.version, services.rule_answers(app), channel=app.channel, late=late
        )
    except fees.FeeError as exc:
        return [], "", exc.hi if language == "hi" else exc.en
    lines = [
        {
            "label": line.label_hi if language == "hi" else line.label_en,
            "amount": format_inr(line.amount_paise),
        }
        for line in quote.lines
        if line.amount_paise or line.code == "government"
    ]
    return lines, format_inr(quote.total), ""


@never_cache
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    app = _draft(request, pk)
    if isinstance(app, HttpResponse):
        return app
    language = _language()
    declaration_error = problem = ""
    declared = False
    if request.method == "POST":
        declared = request.POST.get("declaration") == "yes"
        try:
            app = services.submit(app, declaration=declared, actor=request.user, language=language)
        except ApplicationError as exc:
            if exc.field == "declaration":
                declaration_error = exc.message(language)
            else:
                problem = exc.message(language)
            app.refresh_from_db()
            if app.status != Status.DRAFT:
                return _moved_on(app)
        else:
            messages.success(
                request,
                _(
                    "Your application is submitted. Its number is %(number)s: keep it. "
                    "It has also been sent to you by SMS and email."
                )
                % {"number": app.number},
            )
            return redirect(
                assisted_page(app, request.user)
                or reverse("applications:detail", args=[app.number])
            )
    problems = services.check_complete(app, language=language)
    fee_lines, fee_total, fee_problem = _fee_quote(app, language)
    rules = {d["id"]: d for d in services.document_rules(app)}
    attached = [
        {
            "label": rules[d.document_id]["label"]["hi" if language == "hi" else "en"]
            if d.document_id in rules
            else d.document_id,
            "document": d.locker_document,
        }
        for d in app.documents.select_related("locker_document")
    ]
    notice = window_notice(app.version)
    return render(
        request,
        "applications/journey/preview.html",
        {
            "app": app,
            "name": app.service.name(language),
            "progress": _progress(app, "preview", language),
            "answers": journey.read_back(app.version, app.answers, language, _context(app)),
            "has_documents": _has_documents(app),
            "attached": attached,
            "fee_lines": fee_lines,
            "fee_total": fee_total,
            "fee_problem": fee_problem,
            "late": notice.phase == Phase.LATE,
            "problems": _problem_links(app, problems, language),
            "declaration_error": declaration_error,
            "declared": declared,
            "problem": problem,
            "notice": notice,
            "can_submit": notice.takes_applications and not problems,
            "back_url": _before(app, "preview"),
        },
    )


# --------------------------------------------------------------------------- pay


@require_POST
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """Pay the application's fee: the hidden token of the Pay button (made when the
    page was shown) is the idempotency key, so pressing twice opens one payment."""
    if not request.user.is_authenticated:
        return _sign_in(request)
    app = selectors.actionable_or_404(request.user, number=number)
    language = _language()
    token = request.POST.get("token", "")
    if not TOKEN.match(token):
        messages.error(request, _("This page was out of date. Press Pay again."))
        return redirect("applications:detail", app.number)
    try:
        payment = services.start_payment(
            app, idempotency_key=f"app:{app.number}:{token}", actor=request.user
        )
        response = to_checkout(request, payment, language=language)
    except (ApplicationError, PaymentError) as exc:
        messages.error(request, exc.message(language))
        return redirect("applications:detail", app.number)
    return response
