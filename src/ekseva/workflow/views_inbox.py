"""The officer's pages (guide: docs/workflow.md, "The inbox and the case page").

    /<lang>/office/inbox/                              my cases; ?tab=scope: all of my scope
    /<lang>/office/inbox/approve            (POST)     approve the ticked clean cases
    /<lang>/office/inbox/approved/                     what that bulk approval did
    /<lang>/office/case/<number>/                      one case: answers, documents, fee,
                                                       stage, time left, history, actions
    /<lang>/office/case/<number>/document/<id>         an attached file, for the viewer
    /<lang>/office/case/<number>/act/<kind> (POST)     forward, approve, reject, return,
                                                       ask_document, schedule_hearing
    /<lang>/office/case/<number>/reassign   (POST)     to another officer of the stage
    /<lang>/office/case/<number>/transfer   (POST)     to another district's office

Every page needs a TOTP-verified staff session; signed-in people without a staff
posting (citizens) get 404. A case is shown only to those its department and
district allow ``workflow.view`` through a posting (an applicant's own case is
not theirs to see here): anyone else gets 404, never 403, so that numbers
cannot be probed. The action forms shown are those the stage map allows now and
the user's posting takes (``services.may_act``); the services decide again.

Against a second press and a stale page every form carries ``seen`` (the case's
latest action and the application's revision when the page was shown): if the
case has moved since, nothing is done and the officer is told. ``services.act``
checks the action once more under the case's lock (two presses at once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from ekseva.accounts import selectors as accounts
from ekseva.accounts.models import User
from ekseva.accounts.permissions import can
from ekseva.accounts.scope import Scope
from ekseva.applications import forms as journey
from ekseva.applications.models import ApplicationDocument, Status
from ekseva.applications.views_mine import deliverable_links, document_file
from ekseva.catalog.rules import context as rule_context
from ekseva.core import clock, ids
from ekseva.geo.models import AdminUnit

from . import inbox, services
from .definition import (
    OFFICER_ACTIONS,
    REJECTION_REASONS,
    Stage,
    allowed_actions,
    stage_of,
    stages_of,
)
from .forms_inbox import (
    ACTION_FORMS,
    ActionForm,
    AskDocumentForm,
    FilterForm,
    ReassignForm,
    ReturnForm,
    TransferForm,
)
from .hooks import ASSIGN, VIEW
from .models import Action, Case, NotAllowed, WorkflowError

# The application's statuses as an officer reads them (the applicant's own words,
# "Returned to you for correction", are on the applicant's pages).
STATUS_WORDS = {
    Status.DRAFT: gettext_lazy("Draft"),
    Status.SUBMITTED: gettext_lazy("Submitted"),
    Status.FEE_PENDING: gettext_lazy("Submitted, fee not paid"),
    Status.RECEIVED: gettext_lazy("Received"),
    Status.IN_PROCESS: gettext_lazy("In process"),
    Status.RETURNED: gettext_lazy("Returned to the applicant"),
    Status.APPROVED: gettext_lazy("Approved"),
    Status.REJECTED: gettext_lazy("Rejected"),
    Status.DELIVERED: gettext_lazy("Delivered"),
    Status.WITHDRAWN: gettext_lazy("Withdrawn by the applicant"),
    Status.CLOSED: gettext_lazy("Closed"),
}
PER_PAGE = 50
BULK_MAX = 200
BULK_SESSION_KEY = "workflow.bulk_approval"


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def office(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff pages of the back office: signed in with password and TOTP, holding a
    current staff posting. A signed-in person without one (a citizen) gets 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
        if not accounts.is_staff_member(user):
            raise Http404("not a staff page for this user")
        if not user.is_verified():
            return redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
        return view(request, *args, **kwargs)

    return wrapped


# --------------------------------------------------------------------------- the inbox


@dataclass(frozen=True)
class Row:
    case: Case
    number: str
    applicant: str
    service: str
    stage: str
    district: str
    assignee: str
    countdown: inbox.Countdown
    bulk: bool


def _name(user: User | None) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def _rows(cases: list[Case], names: inbox.StageNames, roles: set[str], language: str) -> list[Row]:
    today = clock.today()
    rows = []
    for case in cases:
        app = case.application
        stage = names.stage(app.version, case.stage)
        rows.append(
            Row(
                case=case,
                number=app.number or "",
                applicant=_name(app.applicant),
                service=app.service.name(language),
                stage=stage.name(language) if stage else case.stage,
                district=case.district.name(language) if case.district else "",
                assignee=_name(case.assignee),
                countdown=inbox.countdown(case, today),
                bulk=bool(
                    stage
                    and stage.last
                    and case.clean
                    and case.state == Case.State.OPEN
                    and stage.role in roles
                ),
            )
        )
    return rows


def _query(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    return urlencode({key: value for key, value in merged.items() if value})


@never_cache
@office
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, VIEW):
        raise PermissionDenied("workflow.view")
    language = _language()
    today = clock.today()
    has_scope = inbox.sees_scope(user)
    tab = inbox.SCOPE if has_scope and request.GET.get("tab") == inbox.SCOPE else inbox.MINE
    base = inbox.cases_for(user, tab)
    names = inbox.StageNames()
    queues = inbox.queues(base, language, names)
    services_seen = sorted({(q.service_code, q.service) for q in queues}, key=lambda s: s[1])
    stage_names: dict[str, list[str]] = {}
    for queue in queues:
        stage_names.setdefault(queue.stage, [])
        if queue.stage_name not in stage_names[queue.stage]:
            stage_names[queue.stage].append(queue.stage_name)
    form = FilterForm(
        request.GET,
        services=services_seen,
        stages=sorted(((sid, " / ".join(n)) for sid, n in stage_names.items()), key=lambda s: s[1]),
    )
    chosen = form.chosen()
    qs = base
    if chosen.get("q"):
        qs = qs.filter(application__number__contains=chosen["q"])
    if chosen.get("service"):
        qs = qs.filter(service_code=chosen["service"])
    if chosen.get("stage"):
        qs = qs.filter(stage=chosen["stage"])
    if chosen.get("due"):
        qs = qs.filter(inbox.due_filter(chosen["due"], today))
    page = Paginator(inbox.in_order(qs), PER_PAGE).get_page(request.GET.get("page"))
    roles = {p.role for p in accounts.postings_of(user)}
    rows = _rows(list(page.object_list), names, roles, language)
    params = {key: request.GET.get(key, "") for key in ("q", "service", "stage", "due")}
    params["tab"] = tab if tab != inbox.MINE else ""
    counts = inbox.due_counts(base, today)
    return render(
        request,
        "workflow/inbox/list.html",
        {
            "tab": tab,
            "has_scope": has_scope,
            "form": form,
            "filtered": bool(chosen),
            "page": page,
            "rows": rows,
            "bulk": any(row.bulk for row in rows),
            "queues": [
                (
                    queue,
                    _query({"tab": params["tab"]}, service=queue.service_code, stage=queue.stage),
                )
                for queue in queues
            ],
            "due_links": [
                (key, label, counts.get(key, 0), _query({"tab": params["tab"]}, due=key))
                for key, label in inbox.DUE_CHOICES
            ],
            "query": _query(params),
            "tab_query": _query({}, tab=params["tab"]),
            "remind_days": settings.WORKFLOW_REMIND_DAYS,
            "today": today,
        },
    )


# --------------------------------------------------------------------------- bulk approval


def _office_scope(case: Case) -> Scope:
    """The case's department and district, without its applicant: the applicant
    sees their application on their own pages, not here."""
    return Scope(department_code=case.department_code, admin_unit=case.district_id)


def _cases() -> Any:
    return Case.objects.select_related(
        "application",
        "application__service",
        "application__service__department",
        "application__version",
        "application__applicant",
        "assignee",
        "designated_officer",
        "district",
    )


@office
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    user = request.user
    numbers = [ids.normalise(n) for n in request.POST.getlist("cases")][:BULK_MAX]
    found = {
        case.application.number: case
        for case in _cases().filter(application__number__in=numbers)
        if can(user, VIEW, _office_scope(case))
    }
    if not numbers:
        messages.error(request, _("Tick the cases to approve."))
        return redirect("workflow:inbox")
    cases = [found[n] for n in dict.fromkeys(numbers) if n in found]
    missing = [n for n in dict.fromkeys(numbers) if n not in found]
    approved, refused = services.bulk_approve(cases, actor=user) if cases else ([], [])
    result = {
        "approved": [case.application.number for case in approved],
        "refused": [[case.application.number, exc.en, exc.hi] for case, exc in refused]
        + [
            [
                number,
                "No such case in your inbox.",
                "आपके इनबॉक्स में ऐसा कोई प्रकरण नहीं है।",
            ]
            for number in missing
        ],
    }
    request.session[BULK_SESSION_KEY] = result
    if approved:
        messages.success(
            request,
            translation.ngettext(
                "%(n)s application approved.", "%(n)s applications approved.", len(approved)
            )
            % {"n": len(approved)},
        )
    return redirect("workflow:inbox_approved")


@never_cache
@office
@require_GET
def bulk_approved(request: HttpRequest) -> HttpResponse:
    result = request.session.get(BULK_SESSION_KEY)
    if not result:
        return redirect("workflow:inbox")
    hindi = _language() == "hi"
    return render(
        request,
        "workflow/inbox/approved.html",
        {
            "approved": result["approved"],
            "refused": [(number, hi if hindi else en) for number, en, hi in result["refused"]],
        },
    )


# --------------------------------------------------------------------------- one case


def _case_or_404(request: HttpRequest, number: str) -> Case:
    case = _cases().filter(application__number=ids.normalise(number)).first()
    if case is None or not can(request.user, VIEW, _office_scope(case)):
        raise Http404("no such case")
    return case


def _seen(case: Case) -> str:
    """The page's token: the case's latest action and the application's revision."""
    latest = Action.objects.filter(case=case).aggregate(last=Max("id"))["last"] or 0
    return f"{latest}-{case.application.revision}"


def _stage(case: Case) -> Stage | None:
    try:
        return stage_of(case.application.version, case.stage)
    except KeyError:
        return None


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    what: str
    who: str
    remark: str
    badge: str
    kind: str


def _what(action: Action, case: Case, language: str, stages: dict[str, Stage]) -> str:
    version = case.application.version
    who = _name(action.assignee)
    kind = action.kind
    if kind == "assign":
        return _("Assigned to %(who)s") % {"who": who} if who else _("Waiting for an officer")
    if kind == "forward":
        to = stages.get(action.to_stage)
        return _("Forwarded to %(stage)s") % {"stage": to.name(language) if to else action.to_stage}
    if kind == "approve":
        return _("Approved")
    if kind == "reject":
        en, hi = REJECTION_REASONS.get(action.reason_code, (action.reason_code, action.reason_code))
        return _("Rejected: %(reason)s") % {"reason": hi if language == "hi" else en}
    if kind == "return":
        what = ", ".join(services.fix_labels(version, action.fields, language))
        return _("Returned to the applicant to correct: %(what)s") % {"what": what}
    if kind == "ask_document":
        what = ", ".join(services.fix_labels(version, action.fields, language))
        return _("Asked the applicant for: %(what)s") % {"what": what}
    if kind == "schedule_hearing":
        when = (
            timezone.localtime(action.hearing_at).strftime("%d-%m-%Y %H:%M")
            if action.hearing_at
            else ""
        )
        if action.place:
            return _("Hearing fixed for %(when)s at %(place)s") % {
                "when": when,
                "place": action.place,
            }
        return _("Hearing fixed for %(when)s") % {"when": when}
    if kind == "reassign":
        return _("Reassigned to %(who)s") % {"who": who}
    if kind == "transfer":
        return _("Transferred to another district; now with %(who)s") % {"who": who or "—"}
    if kind == "escalate":
        return _("Escalated to %(who)s (time limit passed)") % {"who": who or "—"}
    if kind == "resubmit":
        return _("Corrected and sent back by the applicant")
    return kind


def history(case: Case, language: str) -> list[Event]:
    """The case's actions and the application's status changes, newest first."""
    app = case.application
    stages = {stage.id: stage for stage in stages_of(app.version)}
    events = []
    for action in Action.objects.filter(case=case).select_related("actor", "assignee"):
        events.append(
            (
                (action.at, 1, action.pk),
                Event(
                    at=action.at,
                    what=_what(action, case, language, stages),
                    who=_who(action.actor, app),
                    remark=action.remark,
                    badge="muted" if action.kind in ("assign", "reassign") else action.kind,
                    kind=action.kind,
                ),
            )
        )
    for change in app.history.select_related("actor"):
        events.append(
            (
                (change.at, 0, change.pk),
                Event(
                    at=change.at,
                    what=_("Application: %(status)s")
                    % {"status": STATUS_WORDS.get(change.to_status, change.to_status)},
                    who=_who(change.actor, app) if change.actor_id else _("Portal"),
                    remark=change.remark(language),
                    badge="status",
                    kind="status",
                ),
            )
        )
    events.sort(key=lambda item: item[0], reverse=True)
    return [event for _key, event in events]


def _who(actor: User | None, app: Any) -> str:
    if actor is None:
        return _("Portal")
    if actor.pk == app.applicant_id:
        return _("Applicant")
    return _name(actor)


def _documents(case: Case, language: str) -> list[dict[str, Any]]:
    app = case.application
    labels = {}
    for doc in (app.version.definition or {}).get("documents", []):
        label = doc.get("label") or {}
        labels[doc["id"]] = label.get(language) or label.get("en") or doc["id"]
    shown = []
    attached = ApplicationDocument.objects.filter(application=app).select_related("locker_document")
    for item in attached.order_by("id"):
        document = item.locker_document
        shown.append(
            {
                "id": item.document_id,
                "label": labels.get(item.document_id, item.document_id),
                "document": document,
                "pdf": document.kind == "pdf",
                "url": reverse("workflow:case_document", args=[app.number, document.pk]),
            }
        )
    return shown


def _fee_lines(app: Any, language: str) -> list[dict[str, Any]]:
    key = "label_hi" if language == "hi" else "label_en"
    return [
        {
            "label": line.get(key) or line.get("label_en") or line.get("code", ""),
            "amount": int(line.get("amount_paise", 0)),
        }
        for line in app.fee_lines or []
    ]


def _fix_choices(case: Case, language: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    version = case.application.version
    fields, docs = services.fixable_ids(version)
    return (
        list(zip(fields, services.fix_labels(version, fields, language), strict=True)),
        list(zip(docs, services.fix_labels(version, docs, language), strict=True)),
    )


def _action_form(
    kind: str, case: Case, language: str, data: Any = None, initial: dict[str, str] | None = None
) -> ActionForm:
    form_class = ACTION_FORMS[kind]
    extra: dict[str, Any] = {}
    if form_class is ReturnForm:
        answers, documents = _fix_choices(case, language)
        extra = {"answers": answers, "documents": documents}
    elif form_class is AskDocumentForm:
        extra = {"documents": _fix_choices(case, language)[1]}
    return form_class(data, case=case, language=language, initial=initial, **extra)


def _officer_choices(case: Case, stage: Stage | None) -> list[tuple[str, str]]:
    if stage is None:
        return []
    return [
        (str(user.pk), _name(user))
        for user in services.officers_for(case.department_code, case.district, stage.role)
        if user.pk != case.assignee_id
    ]


def _district_choices(case: Case, language: str) -> list[tuple[str, str]]:
    districts = AdminUnit.objects.filter(kind="district").exclude(pk=case.district_id)
    return sorted(((str(d.pk), d.name(language)) for d in districts), key=lambda c: c[1])


def _reassign_form(
    case: Case, stage: Stage | None, data: Any = None, seen: str = ""
) -> ReassignForm:
    return ReassignForm(data, officers=_officer_choices(case, stage), initial={"seen": seen})


def _transfer_form(case: Case, language: str, data: Any = None, seen: str = "") -> TransferForm:
    return TransferForm(data, districts=_district_choices(case, language), initial={"seen": seen})


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: ActionForm | None = None,
    reassign: ReassignForm | None = None,
    transfer: TransferForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    language = _language()
    app = case.application
    stage = _stage(case)
    seen = _seen(case)
    initial = {"seen": seen}
    forms = []
    if stage is not None and services.may_act(user, case, stage):
        for kind in allowed_actions(case, stage):
            if bound is not None and bound.kind == kind:
                forms.append(bound)
            else:
                forms.append(_action_form(kind, case, language, initial=initial))
    assigning = case.state != Case.State.DISPOSED and can(user, ASSIGN, case)
    if assigning:
        reassign = reassign or _reassign_form(case, stage, seen=seen)
        transfer = transfer or _transfer_form(case, language, seen=seen)
    next_stage = None
    if stage is not None and not stage.last:
        next_stage = stages_of(app.version)[stage.index + 1]
    context = {
        "case": case,
        "app": app,
        "number": app.number,
        "service": app.service.name(language),
        "department": app.service.department.name(language),
        "district": case.district.name(language) if case.district else "",
        "applicant": app.applicant,
        "status": STATUS_WORDS.get(app.status, app.status),
        "stage": stage,
        "stage_name": stage.name(language) if stage else case.stage,
        "next_stage": next_stage.name(language) if next_stage else "",
        "assignee": _name(case.assignee),
        "designated_officer": _name(case.designated_officer),
        "countdown": inbox.countdown(case),
        "answers": journey.read_back(
            app.version,
            app.answers,
            language,
            rule_context(app.version.definition, {}, channel=app.channel, late=app.late),
        ),
        "documents": _documents(case, language),
        "fee_lines": _fee_lines(app, language),
        "events": history(case, language),
        # what was issued on approval (the certificate), for those who may download it
        "deliverables": deliverable_links(app, user, language) if case.outcome else [],
        "forms": forms,
        "reassign": reassign if assigning else None,
        "transfer": transfer if assigning else None,
        "problem": problem,
        "mine": case.assignee_id == user.pk,
    }
    return render(request, "workflow/inbox/case.html", context, status=status)


@never_cache
@office
@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if ids.normalise(number) != number:
        return redirect("workflow:case", number=case.application.number)
    return _case_page(request, case)


@office
@require_GET
@xframe_options_sameorigin
def case_document(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """An attached document, served by the applications' own file view (which
    checks again who may see it and records a staff member's viewing), framable by
    this site's pages so that the case page can show a PDF in place."""
    case = _case_or_404(request, number)
    attached = ApplicationDocument.objects.filter(
        application_id=case.application_id, locker_document_id=pk
    ).exists()
    if not attached:
        raise Http404("no such document on this case")
    return document_file(request, pk)


def _stale() -> str:
    return _(
        "This case has changed since you opened it (another action was taken). "
        "Nothing was done: look at it again below."
    )


def _done(kind: str, case: Case, form: ActionForm, language: str) -> str:
    number = case.application.number
    if kind == "forward":
        stage = _stage(case)
        return _("Application %(number)s forwarded to %(stage)s.") % {
            "number": number,
            "stage": stage.name(language) if stage else case.stage,
        }
    if kind == "approve":
        return _("Application %(number)s approved.") % {"number": number}
    if kind == "reject":
        return _("Application %(number)s rejected.") % {"number": number}
    if kind == "return":
        return _("Application %(number)s returned to the applicant.") % {"number": number}
    if kind == "ask_document":
        return _("The applicant of %(number)s has been asked for the document.") % {
            "number": number
        }
    when = form.cleaned_data.get("hearing_at")
    return _("Hearing on application %(number)s fixed for %(when)s.") % {
        "number": number,
        "when": timezone.localtime(when).strftime("%d-%m-%Y %H:%M") if when else "",
    }


def _refused(
    request: HttpRequest, case: Case, exc: WorkflowError, form: Any, **page: Any
) -> HttpResponse:
    """A service's refusal: on the form's field it concerns, else above the page."""
    case = _cases().get(pk=case.pk)  # as it is now
    status = 403 if isinstance(exc, NotAllowed) else 409
    message = exc.message(_language())
    if form.refuse(exc.field, message):
        return _case_page(request, case, status=status, **page)
    return _case_page(request, case, problem=message, status=status, **page)


@office
@require_POST
def case_act(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if kind not in OFFICER_ACTIONS:
        raise Http404("no such action")
    language = _language()
    if request.POST.get(f"{kind}-seen") != _seen(case):
        return _case_page(request, case, problem=_stale(), status=409)
    form = _action_form(kind, case, language, data=request.POST)
    if not form.is_valid():
        return _case_page(request, case, bound=form, status=400)
    try:
        services.act(case, kind, actor=request.user, **form.act_kwargs())
    except WorkflowError as exc:
        return _refused(request, case, exc, form, bound=form)
    messages.success(request, _done(kind, case, form, language))
    return redirect("workflow:inbox")


def _back_to_inbox(user: Any) -> HttpResponse:
    url = reverse("workflow:inbox")
    if inbox.sees_scope(user):
        url += "?tab=" + inbox.SCOPE
    return redirect(url)


@office
@require_POST
def case_reassign(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if not can(request.user, ASSIGN, case):
        raise PermissionDenied(ASSIGN)
    if request.POST.get("reassign-seen") != _seen(case):
        return _case_page(request, case, problem=_stale(), status=409)
    form = _reassign_form(case, _stage(case), data=request.POST)
    if not form.is_valid():
        return _case_page(request, case, reassign=form, status=400)
    officer = User.objects.filter(pk=form.cleaned_data.get("to_officer") or 0).first()
    try:
        case = services.reassign(
            case, officer, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except WorkflowError as exc:
        return _refused(request, case, exc, form, reassign=form)
    messages.success(
        request,
        _("Application %(number)s is now with %(who)s.")
        % {"number": case.application.number, "who": _name(officer)},
    )
    return _back_to_inbox(request.user)


@office
@require_POST
def case_transfer(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if not can(request.user, ASSIGN, case):
        raise PermissionDenied(ASSIGN)
    language = _language()
    if request.POST.get("transfer-seen") != _seen(case):
        return _case_page(request, case, problem=_stale(), status=409)
    form = _transfer_form(case, language, data=request.POST)
    if not form.is_valid():
        return _case_page(request, case, transfer=form, status=400)
    district = AdminUnit.objects.filter(pk=form.cleaned_data.get("district") or 0).first()
    try:
        services.transfer(
            case, district, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except WorkflowError as exc:
        return _refused(request, case, exc, form, transfer=form)
    messages.success(
        request,
        _("Application %(number)s transferred to %(district)s.")
        % {
            "number": case.application.number,
            "district": district.name(language) if district else "",
        },
    )
    return _back_to_inbox(request.user)
