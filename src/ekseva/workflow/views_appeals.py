"""Appeal pages (guide: docs/workflow.md, "Appeals"), namespace "workflow" under
/<lang>/office/:

- ``appeals/new/<application number>/``  the applicant: may I appeal now, until
                                          when; the form (``workflow:appeal_new``)
- ``appeals/mine/``                       the applicant's appeals
- ``appeals/``                            an appellate officer's queue (filters)
- ``appeals/<reference>/``                one appeal: the applicant sees its status,
                                          hearing, order, penalty; the appellate
                                          officer also the case's history and the
                                          hearing and order forms
- ``appeals/<reference>/hearing/``        POST: fix the hearing
- ``appeals/<reference>/order/``          POST: pass the order

An application or appeal that is not the applicant's own, or out of the officer's
department and district, is 404 (references cannot be probed). Staff pages need
the staff sign-in (password + TOTP).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts import selectors as people
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.models import Role
from ekseva.applications.models import Application
from ekseva.core import ids

from . import appeals
from .definition import REJECTION_REASONS, stage_of
from .forms_appeals import AppealForm, HearingForm, OrderForm, QueueFilterForm
from .models import Appeal, Case, DelayRecord, Penalty, WorkflowError

PAGE_SIZE = 25
BADGES = {
    Appeal.Status.FILED: "badge-pending",
    Appeal.Status.HEARING: "badge-warning",
    Appeal.Status.DECIDED: "badge-success",
}
# The case's history as the appellate officer reads it.
ACTION_TEXT = {
    "assign": pgettext_lazy("case action", "Assigned"),
    "reassign": pgettext_lazy("case action", "Reassigned"),
    "transfer": pgettext_lazy("case action", "Transferred"),
    "escalate": pgettext_lazy("case action", "Escalated: time limit passed"),
    "forward": pgettext_lazy("case action", "Forwarded"),
    "approve": pgettext_lazy("case action", "Approved"),
    "reject": pgettext_lazy("case action", "Rejected"),
    "return": pgettext_lazy("case action", "Returned to the applicant"),
    "ask_document": pgettext_lazy("case action", "Document asked for"),
    "schedule_hearing": pgettext_lazy("case action", "Hearing fixed"),
    "resubmit": pgettext_lazy("case action", "Resubmitted by the applicant"),
}


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def _is_staff(user: Any) -> bool:
    return people.is_staff_member(user)


def _verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def appellate(view: Any) -> Any:
    """Staff sign-in (password + TOTP) and a current appellate officer's posting;
    anyone signed in without one is refused (403)."""
    checked = staff_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not any(
            p.role == Role.APPELLATE_OFFICER for p in people.postings_of(user)
        ):
            raise PermissionDenied("no appellate officer's posting")
        return checked(request, *args, **kwargs)

    return wrapped


def _decorate(appeal: Appeal, language: str) -> Appeal:
    appeal.level_label = appeals.text(appeals.LEVEL_TEXT, appeal.level, language)
    appeal.ground_label = appeals.text(appeals.GROUND_TEXT, appeal.ground, language)
    appeal.status_label = appeals.text(appeals.STATUS_TEXT, appeal.status, language)
    appeal.outcome_label = (
        appeals.text(appeals.OUTCOME_TEXT, appeal.outcome, language) if appeal.outcome else ""
    )
    appeal.badge = BADGES.get(appeal.status, "")
    app = appeal.case.application
    appeal.service_name = app.service.name(language)
    appeal.number = app.number
    district = appeal.case.district
    appeal.district_name = (
        (district.name_hi if language == "hi" and district.name_hi else district.name_en)
        if district is not None
        else ""
    )
    return appeal


def _query(request: HttpRequest) -> str:
    keep = request.GET.copy()
    keep.pop("page", None)
    return keep.urlencode()


# --------------------------------------------------------------------------- the applicant


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, number: str) -> HttpResponse:
    language = _language()
    app = (
        Application.objects.filter(number=ids.normalise(number), applicant_id=request.user.pk)
        .select_related("service")
        .first()
    )
    case = Case.objects.filter(application=app).first() if app is not None else None
    if case is None:
        raise Http404("no such application of yours in the back office")
    case.application = app
    window = appeals.appeal_window(case)
    form = AppealForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if not window.open:
            form.add_error(None, window.why(language))
        elif form.is_valid():
            try:
                appeal = appeals.file_appeal(
                    case,
                    appellant=request.user,
                    statement=form.cleaned_data["statement"],
                    level=window.level,
                )
            except WorkflowError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message(language))
            else:
                messages.success(
                    request,
                    _("Your appeal is filed: %(reference)s. You will be told the hearing date.")
                    % {"reference": appeal.reference},
                )
                return redirect("workflow:appeal", reference=appeal.reference)
        window = appeals.appeal_window(case)
    filed = [
        _decorate(appeal, language) for appeal in appeals.appeals_of(request.user).filter(case=case)
    ]
    context = {
        "app": app,
        "service": app.service.name(language),
        "window": window,
        "why": window.why(language),
        "level_label": appeals.text(appeals.LEVEL_TEXT, window.level, language)
        if window.open
        else "",
        "ground_label": appeals.text(appeals.GROUND_TEXT, window.ground, language)
        if window.ground
        else "",
        "form": form,
        "filed": filed,
        "appeal_days": appeals.appeal_days(),
    }
    return render(request, "workflow/appeals/new.html", context, status=status)


@never_cache
@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    language = _language()
    page = Paginator(appeals.appeals_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for appeal in page.object_list:
        _decorate(appeal, language)
    return render(request, "workflow/appeals/mine.html", {"page": page})


# --------------------------------------------------------------------------- one appeal


def _find(request: HttpRequest, reference: str) -> tuple[Appeal | None, HttpResponse | None]:
    """The appeal if the user is its appellant or staff who may see it; a redirect to
    the staff sign-in for staff not signed in with TOTP; otherwise 404."""
    user = request.user
    appeal = appeals.appeal_for(user, reference)
    if appeal is not None and appeals.is_appellant(user, appeal):
        return appeal, None
    if not _is_staff(user):
        raise Http404("no such appeal of yours")
    if not _verified(user):
        return None, redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
    if appeal is None:
        raise Http404("no such appeal in your area")
    return appeal, None


def _history(case: Case, language: str) -> list[dict[str, Any]]:
    version = case.application.version
    rows = []
    for action in case.actions.select_related("actor", "assignee"):
        try:
            stage = stage_of(version, action.stage).name(language)
        except KeyError:
            stage = action.stage
        reason = REJECTION_REASONS.get(action.reason_code)
        rows.append(
            {
                "at": action.at,
                "kind": action.kind,
                "label": ACTION_TEXT.get(action.kind, action.kind),
                "stage": stage,
                "actor": action.actor,
                "assignee": action.assignee,
                "reason": (reason[1] if language == "hi" else reason[0]) if reason else "",
                "remark": action.remark,
                "hearing_at": action.hearing_at,
                "place": action.place,
            }
        )
    return rows


def _page(
    request: HttpRequest,
    appeal: Appeal,
    *,
    hearing_form: HearingForm | None = None,
    order_form: OrderForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = _language()
    user = request.user
    _decorate(appeal, language)
    case = appeal.case
    own = appeals.is_appellant(user, appeal)
    context: dict[str, Any] = {
        "appeal": appeal,
        "case": case,
        "own": own,
        "staff": not own,
        "penalty": Penalty.objects.filter(appeal=appeal).select_related("officer").first(),
    }
    if own:
        second = None
        if appeal.level == Appeal.Level.FIRST and appeal.status == Appeal.Status.DECIDED:
            second = appeals.appeal_window(case, Appeal.Level.SECOND)
        context["second"] = second
        context["second_why"] = second.why(language) if second is not None else ""
    else:
        may_hear = appeals.may_hear(user, appeal)
        open_ = appeal.status != Appeal.Status.DECIDED
        preview = appeals.penalty_preview(appeal)
        officers = appeals.penalty_candidates(case)
        context.update(
            {
                "history": _history(case, language),
                "delay": DelayRecord.objects.filter(case=case)
                .select_related("officer", "escalated_to")
                .first(),
                "preview": preview,
                "days_unit": case.limit_kind or "calendar",
                "per_day": int(settings.PENALTY_PER_DAY_PAISE),
                "cap": int(settings.PENALTY_MAX_PAISE),
                "may_hear": may_hear and open_,
                "hearing_form": hearing_form
                or HearingForm(
                    initial={"hearing_at": appeal.hearing_at, "place": appeal.hearing_place}
                ),
                "order_form": order_form or OrderForm(officers=officers),
                "outcome_app": case.outcome,
                "siblings": [
                    _decorate(other, language)
                    for other in appeals.appeals_of(appeal.appellant)
                    .filter(case=case)
                    .exclude(pk=appeal.pk)
                ],
            }
        )
    return render(request, "workflow/appeals/detail.html", context, status=status)


@never_cache
@login_required
@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    appeal, response = _find(request, reference)
    if response is not None:
        return response
    return _page(request, appeal)


def _staff_appeal(request: HttpRequest, reference: str) -> Appeal:
    appeal = appeals.appeal_for(request.user, reference)
    if appeal is None or not appeals.may_view(request.user, appeal):
        raise Http404("no such appeal in your area")
    if not appeals.may_hear(request.user, appeal):
        raise PermissionDenied("not the hearer of this appeal")
    return appeal


@never_cache
@appellate
@require_POST
def hearing(request: HttpRequest, reference: str) -> HttpResponse:
    language = _language()
    appeal = _staff_appeal(request, reference)
    form = HearingForm(request.POST)
    if form.is_valid():
        try:
            appeals.schedule_hearing(
                appeal,
                at=form.cleaned_data["hearing_at"],
                place=form.cleaned_data["place"],
                actor=request.user,
            )
        except WorkflowError as error:
            field = {"at": "hearing_at"}.get(error.field, error.field)
            form.add_error(field if field in form.fields else None, error.message(language))
        else:
            messages.success(
                request,
                _("The hearing is fixed; the appellant and the designated officer are told."),
            )
            return redirect("workflow:appeal", reference=appeal.reference)
    return _page(request, appeal, hearing_form=form, status=400)


@never_cache
@appellate
@require_POST
def order(request: HttpRequest, reference: str) -> HttpResponse:
    language = _language()
    appeal = _staff_appeal(request, reference)
    form = OrderForm(request.POST, officers=appeals.penalty_candidates(appeal.case))
    if form.is_valid():
        try:
            appeals.decide(appeal, actor=request.user, **form.decide_kwargs())
        except WorkflowError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message(language))
        else:
            messages.success(request, _("The order is passed; the appellant is told."))
            return redirect("workflow:appeal", reference=appeal.reference)
    return _page(request, appeal, order_form=form, status=400)


# --------------------------------------------------------------------------- the queue


@never_cache
@appellate
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    language = _language()
    user = request.user
    form = QueueFilterForm(request.GET or None)
    status, level, mine_only = "open", None, True
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        status = data["status"] or "open"
        level = data["level"]
        mine_only = data["whose"] != "all"
    queryset = appeals.queue_for(user, status=status, level=level, mine=mine_only)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for appeal in page.object_list:
        _decorate(appeal, language)
    in_scope = appeals.queue_for(user, status="all", level=level, mine=mine_only)
    counts = dict(in_scope.order_by().values_list("status").annotate(n=Count("pk")))
    context = {
        "form": form,
        "page": page,
        "query": _query(request),
        "counts": [
            (
                code,
                appeals.text(appeals.STATUS_TEXT, code, language),
                BADGES[code],
                counts.get(code, 0),
            )
            for code in Appeal.Status.values
        ],
        "showing_open": status == "open",
    }
    return render(request, "workflow/appeals/queue.html", context)
