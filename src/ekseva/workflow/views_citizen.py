"""The applicant's side of the back office: what to fix on a returned application
and sending it back (/<lang>/office/returned/<number>/, ``workflow:returned``).

Only the applicant reaches the page: anyone else gets 404, never 403, so that
numbers cannot be probed. The applicant first attaches the documents asked for
(each by upload or from the locker, through applications' own services), then
corrects the answers asked for and presses "Send back" (``services.resubmit``).
Invalid answers come back by their fields in the page's language, as typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ekseva.applications import forms as journey
from ekseva.applications import selectors as application_selectors
from ekseva.applications import services as applications
from ekseva.applications.models import Application, ApplicationError, Status
from ekseva.catalog.rules import context as rule_context
from ekseva.catalog.rules import form_of
from ekseva.forms.render import render_fields
from ekseva.notifications import templates

from . import forms_citizen, selectors, services
from .models import Case, WorkflowError


def register() -> None:
    """Message templates of the officers' actions, and the link from the applicant's
    page of a returned application to this one."""
    _templates()
    from ekseva.applications import views_mine

    views_mine.register_next_step(next_step)


def next_step(app: Application, user: Any) -> tuple[str, str, str] | None:
    """For applications' page: a returned application's applicant goes here."""
    if app.status != Status.RETURNED or not app.number or app.applicant_id != user.pk:
        return None
    if not Case.objects.filter(application_id=app.pk, state=Case.State.RETURNED).exists():
        return None
    return (
        "See what to correct and send it back",
        "देखें क्या सुधारना है और वापस भेजें",
        reverse("workflow:returned", args=[app.number]),
    )


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def _page(
    request: HttpRequest,
    case: Case,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    language = _language()
    app = case.application
    errors = errors or {}
    returned = selectors.returned_for(case, language)
    defn = form_of(app.version)
    context = rule_context(app.version.definition, {}, channel=app.channel, late=app.late)
    form_html = ""
    if returned.fields:
        form_html = render_fields(
            defn,
            returned.fields,
            {**app.answers, **(values or {})},
            errors,
            language,
            context=context,
        )
    cards = selectors.document_cards(returned, language, errors)
    field_errors = {key: value for key, value in errors.items() if key not in returned.documents}
    error_items = [
        {"anchor": item.anchor, "label": item.label, "message": item.message}
        for item in journey.error_items(defn, field_errors, language)
    ]
    error_items += [
        {"anchor": f"file-{card.id}", "label": card.label, "message": card.error}
        for card in cards
        if card.error
    ]
    if problem and not error_items:
        error_items = [{"anchor": "", "label": "", "message": problem}]
    page = {
        "app": app,
        "case": case,
        "service_name": app.service.name(language),
        "returned": returned,
        "returned_on": returned.action.at if returned.action else None,
        "form_html": form_html,
        "cards": cards,
        "missing": [card for card in cards if not card.provided],
        "error_items": error_items,
        "detail_url": reverse("applications:detail", args=[app.number]),
    }
    return render(request, "workflow/citizen/returned.html", page, status=status)


def _own_case(request: HttpRequest, number: str) -> Case:
    app = application_selectors.visible_or_404(request.user, number=number)
    if app.applicant_id != request.user.pk:
        raise Http404("no such application")
    case = selectors.case_of(app)
    if case is None:
        raise Http404("not with the department")
    case.application = app
    return case


@never_cache
@require_http_methods(["GET", "POST"])
def returned(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = _own_case(request, number)
    app = case.application
    if case.state != Case.State.RETURNED or app.status != Status.RETURNED:
        messages.info(request, _("This application is not waiting for your corrections."))
        return redirect("applications:detail", number=app.number)
    language = _language()
    if request.method == "GET":
        return _page(request, case)
    action = request.POST.get("action", "")
    if action in ("upload", "locker"):
        return _attach(request, case, language)
    data = forms_citizen.answers_from_post(app.version, request.POST)
    try:
        services.resubmit(app, data, actor=request.user, language=language)
    except services.InvalidAnswers as exc:
        return _page(request, case, values=data, errors=exc.errors, status=400)
    except WorkflowError as exc:
        errors = {exc.field: [exc.message(language)]} if exc.field else {}
        return _page(
            request,
            _own_case(request, number),
            values=data,
            errors=errors,
            problem=exc.message(language),
            status=exc.status,
        )
    messages.success(
        request,
        _("Application %(number)s has been sent back to the department with your corrections.")
        % {"number": app.number},
    )
    return redirect("applications:detail", number=app.number)


def _attach(request: HttpRequest, case: Case, language: str) -> HttpResponse:
    app = case.application
    returned = selectors.returned_for(case, language)
    try:
        posted = forms_citizen.document_from_post(
            app, request.POST, request.FILES, returned.documents
        )
        if posted.how == "locker":
            applications.attach_locker(
                app, posted.document_id, posted.locker_document, actor=request.user
            )
        else:
            applications.attach_upload(app, posted.document_id, posted.upload, actor=request.user)
    except (ApplicationError, WorkflowError) as exc:
        field = exc.field or request.POST.get("document", "")
        return _page(
            request,
            case,
            errors={field: [exc.message(language)]} if field else {},
            problem=exc.message(language),
            status=exc.status,
        )
    messages.success(request, _("The document is attached."))
    return redirect(reverse("workflow:returned", args=[app.number]) + f"#doc-{posted.document_id}")


# --------------------------------------------------------------------------- templates


def _templates() -> None:
    def both(en: str, hi: str) -> dict[str, str]:
        return {"en": en, "hi": hi}

    templates.register(
        "workflow.hearing",
        sms=both(
            "Application {number} ({service}): a hearing is fixed for {when} at {place}. "
            "Please attend with your documents.",
            "आवेदन {number} ({service}): सुनवाई {when} को {place} में तय है। "
            "कृपया अपने दस्तावेज़ों के साथ उपस्थित हों।",
        ),
        inapp=both(
            "Hearing on application {number}: {when} at {place}.",
            "आवेदन {number} की सुनवाई: {when}, {place}।",
        ),
    )
