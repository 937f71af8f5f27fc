"""Pages of becoming a franchisee (docs/kiosks.md):

    apply/                                  who can apply, kinds, documents, fee; my applications
    apply/new/                              the application form (citizens, signed in by OTP)
    apply/<reference>/                      the applicant's page: status, history, pay, corrections
    apply/<reference>/pay/         (POST)   the registration fee, through the gateway
    apply/<reference>/correct/              the fields the reviewer named, and resubmit
    apply/<reference>/documents/<doc>/      a KYC file (the applicant)
    activate/<token>/                       a new login: password + authenticator
    operators/                              the franchisee's logins; add (POST operators/add/)
    operators/<pk>/deactivate/     (POST)   stop a login
    operators/<pk>/resend/         (POST)   a new activation link
    manage/applications/                    reviewers: the list (status, district, pages)
    manage/applications/<reference>/        reviewers: everything, approve / return / reject
    manage/applications/<reference>/documents/<doc>/   a KYC file (reviewers, audited)
    manage/applications/<reference>/resend/ (POST)     the owner's activation link again

Views are thin: they read the request, call one service (``onboarding``) and
render. Someone else's application is a 404, never a 403.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts import selectors as people
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can
from ekseva.accounts.services import mask_mobile
from ekseva.core import audit, qr
from ekseva.payments.models import PaymentError
from ekseva.payments.views_payer import to_checkout

from . import onboarding, services
from .forms_onboarding import (
    ActivationForm,
    ApplicationForm,
    OperatorForm,
    RejectForm,
    ReturnForm,
    ReviewFilterForm,
)
from .hooks import REVIEW
from .models import KioskApplication, KioskError, KioskOperator

Status = KioskApplication.Status
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PAGE_SIZE = 25


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def _refused(request: HttpRequest, error: KioskError | str, *, status: int = 403) -> HttpResponse:
    message = error.message(_language()) if isinstance(error, KioskError) else error
    return render(request, "kiosks/onboarding/refused.html", {"message": message}, status=status)


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``staff_required``, except that a signed-in person with no staff posting
    (a citizen) is refused outright rather than sent to the staff sign-in."""
    checked = staff_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not people.is_staff_member(user):
            raise PermissionDenied("no current staff posting")
        return checked(request, *args, **kwargs)

    return wrapped


# --------------------------------------------------------------------------- presentation


def _events(application: KioskApplication, language: str, *, staff: bool) -> list[dict]:
    rows = []
    for event in application.events.select_related("actor"):
        if event.actor_id is None:
            who = _("system")
        elif event.actor_id == application.applicant_id:
            who = _("applicant")
        elif staff:
            who = str(event.actor)  # the full name, else the username
        else:
            who = _("reviewer")
        rows.append(
            {
                "at": event.at,
                "status": onboarding.status_text(event.to_status, language),
                "badge": onboarding.STATUS_BADGE.get(event.to_status, "muted"),
                "who": who,
                "reason": event.reason,
            }
        )
    return rows


def _fee_rows(application: KioskApplication, language: str) -> list[dict]:
    return [
        {
            "label": line["label_hi"] if language == "hi" else line["label_en"],
            "amount": line["amount_paise"],
        }
        for line in onboarding.fee_lines(application)
    ]


def _documents(application: KioskApplication, language: str) -> list[dict]:
    stored = {doc.document_id: doc for doc in application.documents.all()}
    rows = []
    for rule in onboarding.DOCUMENTS:
        document = stored.get(rule.id)
        if document is not None:
            rows.append({"id": rule.id, "label": rule.label(language), "document": document})
    return rows


def _details(application: KioskApplication, language: str, *, full: bool) -> list[tuple[str, Any]]:
    """The application's fields as label/value rows (``full``: reviewers see the
    whole bank account number; the applicant sees it masked)."""
    kind = dict(onboarding_kinds())
    district = application.district.name(language) if application.district_id else ""
    tehsil = application.tehsil.name(language) if application.tehsil_id else "—"
    services_text = _("All services offered at kiosks")
    if application.services:
        names = {service.code: service.name(language) for service in onboarding.kiosk_services()}
        services_text = ", ".join(names.get(code, code) for code in application.services)
    location = "—"
    if application.latitude is not None and application.longitude is not None:
        location = f"{application.latitude}, {application.longitude}"
    return [
        (_("Kind of kiosk"), kind.get(application.kind, application.kind)),
        (_("Business name"), application.business_name),
        (_("Owner's name"), application.owner_name),
        (_("Owner's mobile number"), application.owner_mobile),
        (_("Owner's email"), application.owner_email or "—"),
        (_("PAN"), application.pan),
        (_("Aadhaar number"), f"XXXX XXXX {application.aadhaar_last4}"),
        (_("Name of the bank account holder"), application.bank_account_name),
        (
            _("Bank account number"),
            application.bank_account_number if full else application.bank_account_masked,
        ),
        (_("IFSC"), application.bank_ifsc),
        (_("Shop registration (Gumasta) number"), application.shop_registration),
        (_("District"), district),
        (_("Tehsil"), tehsil),
        (_("Address"), application.address),
        (_("PIN code"), application.pin_code),
        (_("Map location (latitude, longitude)"), location),
        (_("Opening hours"), application.opening_hours_en),
        (_("Opening hours (in Hindi)"), application.opening_hours_hi or "—"),
        (_("Services offered"), services_text),
    ]


def onboarding_kinds() -> list[tuple[str, str]]:
    from .forms_onboarding import KIND_CHOICES

    return [(value, str(label)) for value, label in KIND_CHOICES]


def _fix_items(application: KioskApplication, language: str) -> list[str]:
    return [
        onboarding.FIX_BY_KEY[key].label(language)
        for key in application.fix_fields or []
        if key in onboarding.FIX_BY_KEY
    ]


def _error_items(form: Any) -> list[dict[str, str]]:
    """The error summary's lines: each links to its field."""
    items = [{"anchor": "", "label": "", "message": str(e)} for e in form.non_field_errors()]
    for field in form:
        for error in field.errors:
            anchor = field.id_for_label or f"id_{field.html_name}"
            if field.widget_type in ("radioselect", "checkboxselectmultiple"):
                anchor = f"id_{field.html_name}_0"
            items.append({"anchor": anchor, "label": str(field.label), "message": error})
    return items


# --------------------------------------------------------------------------- applying


@require_GET
def apply_info(request: HttpRequest) -> HttpResponse:
    """Who can apply, the kinds of kiosk, the documents, the fee; then the way in."""
    language = _language()
    mine: list[KioskApplication] = []
    if request.user.is_authenticated and people.is_citizen(request.user):
        mine = list(onboarding.applications_of(request.user)[:20])
    return render(
        request,
        "kiosks/onboarding/info.html",
        {
            "documents": onboarding.DOCUMENTS,
            "documents_labels": [
                {
                    "label": rule.label(language),
                    "formats": rule.formats_text,
                    "max_kb": rule.max_kb,
                }
                for rule in onboarding.DOCUMENTS
            ],
            "fee_lines": [
                {
                    "label": line["label_hi"] if language == "hi" else line["label_en"],
                    "amount": line["amount_paise"],
                }
                for line in onboarding.fee_lines()
            ],
            "fee_total": onboarding.fee_total(),
            "mine": [
                {
                    "application": row,
                    "status": onboarding.status_text(row.status, language),
                    "badge": onboarding.STATUS_BADGE.get(row.status, "muted"),
                }
                for row in mine
            ],
            "open_application": next(
                (row for row in mine if row.status in onboarding.OPEN_STATUSES), None
            ),
        },
    )


@never_cache
@sensitive_post_parameters("aadhaar", "pan", "bank_account_number")
@require_http_methods(["GET", "POST"])
def apply_form(request: HttpRequest) -> HttpResponse:
    """The application form. Citizens only, signed in by OTP first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not people.is_citizen(request.user):
        return _refused(
            request,
            _(
                "Applications to run a kiosk are made by citizens. Sign out, then sign in "
                "with your mobile number and OTP."
            ),
        )
    existing = onboarding.open_application_of(request.user)
    if existing is not None:
        messages.info(
            request,
            _("You already have an application in progress: %(reference)s.")
            % {"reference": existing.reference},
        )
        return redirect("kiosks:application", existing.reference)
    language = _language()
    initial = {"owner_mobile": request.user.mobile, "owner_name": request.user.full_name}
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, language=language)
        if form.is_valid():
            try:
                application = onboarding.submit(request.user, form.values(), form.documents())
            except KioskError as exc:
                form.add_refusal(exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your application %(reference)s is saved. Pay the registration fee to "
                        "send it for review."
                    )
                    % {"reference": application.reference},
                )
                return redirect("kiosks:application", application.reference)
    else:
        form = ApplicationForm(initial=initial, language=language)
    return render(
        request,
        "kiosks/onboarding/form.html",
        {
            "form": form,
            "error_items": _error_items(form) if form.is_bound else [],
            "fee_total": onboarding.fee_total(),
            "correcting": None,
        },
        status=400 if form.is_bound else 200,
    )


def _own(request: HttpRequest, reference: str) -> KioskApplication:
    application = (
        KioskApplication.objects.select_related("district", "tehsil", "kiosk", "applicant")
        .filter(reference=reference.upper())
        .first()
    )
    if application is None or application.applicant_id != request.user.pk:
        raise Http404("no such application")
    return application


@never_cache
@require_GET
def application_page(request: HttpRequest, reference: str) -> HttpResponse:
    """The applicant's page of their application."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    application = _own(request, reference)
    language = _language()
    return render(
        request,
        "kiosks/onboarding/application.html",
        {
            "app": application,
            "status": onboarding.status_text(application.status, language),
            "badge": onboarding.STATUS_BADGE.get(application.status, "muted"),
            "events": _events(application, language, staff=False),
            "fee_lines": _fee_rows(application, language),
            "fee_total": onboarding.fee_total(application),
            "details": _details(application, language, full=False),
            "documents": _documents(application, language),
            "fix_items": _fix_items(application, language),
            "payments": list(onboarding.payments_of(application)[:10]),
            "owner_mobile_masked": mask_mobile(application.owner_mobile),
        },
    )


@require_POST
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay the registration fee: the hidden token of the Pay button (made when the
    page was shown) is the idempotency key, so pressing twice opens one payment."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("kiosks:application", args=[reference]))
    application = _own(request, reference)
    language = _language()
    token = request.POST.get("token", "")
    if not TOKEN.match(token):
        messages.error(request, _("This page was out of date. Press Pay again."))
        return redirect("kiosks:application", application.reference)
    try:
        payment = onboarding.start_fee_payment(
            application, idempotency_key=token, actor=request.user
        )
        response = to_checkout(request, payment, language=language)
    except (KioskError, PaymentError) as exc:
        messages.error(request, exc.message(language))
        return redirect("kiosks:application", application.reference)
    return response


@never_cache
@sensitive_post_parameters("aadhaar", "pan", "bank_account_number")
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, reference: str) -> HttpResponse:
    """The fields the reviewer asked to fix (and their documents), then back to review."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    application = _own(request, reference)
    if application.status != Status.RETURNED:
        messages.info(request, _("This application is not waiting for corrections."))
        return redirect("kiosks:application", application.reference)
    language = _language()
    only = onboarding.fix_fields_of(application)
    base = onboarding.current_values(application)
    initial = {
        name: value.code if hasattr(value, "code") else value
        for name, value in base.items()
        if name in only
    }
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, language=language, only=only, base=base)
        if form.is_valid():
            try:
                onboarding.resubmit(
                    application, form.values(), form.documents(), actor=request.user
                )
            except KioskError as exc:
                form.add_refusal(exc)
            else:
                messages.success(
                    request, _("Your corrections are sent. The application is under review again.")
                )
                return redirect("kiosks:application", application.reference)
    else:
        form = ApplicationForm(initial=initial, language=language, only=only, base=base)
    return render(
        request,
        "kiosks/onboarding/form.html",
        {
            "form": form,
            "error_items": _error_items(form) if form.is_bound else [],
            "correcting": application,
            "reason": application.review_reason,
            "fix_items": _fix_items(application, language),
        },
        status=400 if form.is_bound else 200,
    )


def _file(document: Any) -> HttpResponse:
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing") from None
    extension = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=False,
        filename=f"{document.application.reference}-{document.document_id}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@never_cache
@require_GET
def applicant_document(request: HttpRequest, reference: str, document_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    application = _own(request, reference)
    document = onboarding.document_of(application, document_id)
    if document is None:
        raise Http404("no such document")
    return _file(document)


# --------------------------------------------------------------------------- activation


def _qr_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr.png(text, scale=5)).decode()


@never_cache
@sensitive_post_parameters("password", "password_again", "code")
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password and enrol the authenticator app, from the SMS link."""
    operator = services.operator_for_activation(token)
    if operator is None:
        return render(request, "kiosks/onboarding/activation_gone.html", status=410)
    language = _language()
    form = ActivationForm(request.POST or None, language=language)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            onboarding.activate(
                token,
                password=data["password"],
                password_again=data["password_again"],
                code=data["code"],
            )
        except KioskError as exc:
            form.add_refusal(exc)
        else:
            return render(
                request,
                "kiosks/onboarding/activated.html",
                {"operator": operator, "username": operator.user.username},
            )
    device = onboarding.activation_device(operator)
    return render(
        request,
        "kiosks/onboarding/activate.html",
        {
            "form": form,
            "operator": operator,
            "username": operator.user.username,
            "qr": _qr_data_uri(device.config_url),
            "setup_key": onboarding.setup_key(device),
            "expires_at": operator.activation_expires_at,
            "error_items": _error_items(form) if form.is_bound else [],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --------------------------------------------------------------------- the franchisee's logins


def _is_franchisee(user: Any) -> bool:
    login = services.operator_of(user)
    return login is not None and login.role == KioskOperator.Role.FRANCHISEE


def _logins(kiosk: Any, language: str) -> list[dict[str, Any]]:
    return [
        {
            "login": login,
            "username": login.user.username,
            "mobile": mask_mobile(login.mobile),
            "is_owner": login.role == KioskOperator.Role.FRANCHISEE,
        }
        for login in onboarding.logins_of(kiosk)
    ]


def _operators_page(request: HttpRequest, form: OperatorForm | None = None, status: int = 200):
    try:
        kiosk = services.require_kiosk(request.user, active=False, franchisee=True)
    except KioskError as exc:
        return _refused(request, exc)
    language = _language()
    form = form or OperatorForm(language=language)
    return render(
        request,
        "kiosks/operators/list.html",
        {
            "kiosk": kiosk,
            "logins": _logins(kiosk, language),
            "form": form,
            "can_add": kiosk.is_active,
            "error_items": _error_items(form) if form.is_bound else [],
        },
        status=status,
    )


@never_cache
@staff_page
@require_GET
def operators(request: HttpRequest) -> HttpResponse:
    return _operators_page(request)


@staff_page
@require_POST
def operator_add(request: HttpRequest) -> HttpResponse:
    language = _language()
    form = OperatorForm(request.POST, language=language)
    if form.is_valid():
        try:
            login = onboarding.add_operator(
                request.user,
                name=form.cleaned_data["name"],
                mobile=form.cleaned_data["mobile"],
                language=language,
            )
        except KioskError as exc:
            if exc.field in ("name", "mobile") or getattr(exc, "errors", None):
                form.add_refusal(exc)
            else:
                return _refused(request, exc)
        else:
            messages.success(
                request,
                _(
                    "Login %(username)s is made for %(name)s. An SMS with the activation "
                    "link was sent to %(mobile)s."
                )
                % {
                    "username": login.user.username,
                    "name": login.name,
                    "mobile": mask_mobile(login.mobile),
                },
            )
            return redirect("kiosks:operators")
    return _operators_page(request, form, status=400)


@staff_page
@require_POST
def operator_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        login = onboarding.deactivate_login(request.user, pk)
    except KioskError as exc:
        if not _is_franchisee(request.user):
            return _refused(request, exc)
        messages.error(request, exc.message(_language()))
    else:
        messages.success(
            request,
            _("Login %(username)s is deactivated: it can no longer sign in.")
            % {"username": login.user.username},
        )
    return redirect("kiosks:operators")


@staff_page
@require_POST
def operator_resend(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        login = onboarding.resend_activation(request.user, pk, language=_language())
    except KioskError as exc:
        if not _is_franchisee(request.user):
            return _refused(request, exc)
        messages.error(request, exc.message(_language()))
    else:
        messages.success(
            request,
            _("A new activation link was sent to %(mobile)s. The old link no longer works.")
            % {"mobile": mask_mobile(login.mobile)},
        )
    return redirect("kiosks:operators")


# --------------------------------------------------------------------------- review


def _reviewable(request: HttpRequest, reference: str) -> KioskApplication:
    application = (
        KioskApplication.objects.select_related(
            "district", "tehsil", "kiosk", "applicant", "reviewed_by"
        )
        .filter(reference=reference.upper())
        .first()
    )
    if application is None or not onboarding.may_review(request.user, application):
        raise Http404("no such application")
    return application


@never_cache
@staff_page
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, REVIEW):
        raise PermissionDenied(REVIEW)
    language = _language()
    districts = onboarding.reviewer_districts(request.user)
    form = ReviewFilterForm(request.GET or None, language=language, districts=districts)
    status, district = "", None
    if form.is_bound and form.is_valid():
        status = form.cleaned_data.get("status") or ""
        district = form.cleaned_data.get("district")
    rows = onboarding.reviewable(request.user, status=status, district=district)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {
            key: value
            for key, value in {
                "status": status,
                "district": district.code if district else "",
            }.items()
            if value
        }
    )
    return render(
        request,
        "kiosks/manage/applications/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "rows": [
                {
                    "app": app,
                    "status": onboarding.status_text(app.status, language),
                    "badge": onboarding.STATUS_BADGE.get(app.status, "muted"),
                    "district": app.district.name(language),
                    "kind": dict(onboarding_kinds()).get(app.kind, app.kind),
                }
                for app in page.object_list
            ],
        },
    )


def _detail(
    request: HttpRequest,
    application: KioskApplication,
    *,
    return_form: ReturnForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = _language()
    owner_login = None
    if application.kiosk_id:
        owner_login = (
            KioskOperator.objects.filter(
                kiosk_id=application.kiosk_id, role=KioskOperator.Role.FRANCHISEE
            )
            .select_related("user")
            .first()
        )
    return render(
        request,
        "kiosks/manage/applications/detail.html",
        {
            "app": application,
            "status": onboarding.status_text(application.status, language),
            "badge": onboarding.STATUS_BADGE.get(application.status, "muted"),
            "events": _events(application, language, staff=True),
            "details": _details(application, language, full=True),
            "documents": _documents(application, language),
            "fee_lines": _fee_rows(application, language),
            "fee_total": onboarding.fee_total(application),
            "fix_items": _fix_items(application, language),
            "decidable": application.status == Status.UNDER_REVIEW,
            "return_form": return_form or ReturnForm(language=language),
            "reject_form": reject_form or RejectForm(language=language),
            "return_errors": _error_items(return_form) if return_form else [],
            "reject_errors": _error_items(reject_form) if reject_form else [],
            "owner_login": owner_login,
            "owner_mobile_masked": mask_mobile(application.owner_mobile),
        },
        status=status,
    )


@never_cache
@staff_page
@require_http_methods(["GET", "POST"])
def manage_detail(request: HttpRequest, reference: str) -> HttpResponse:
    application = _reviewable(request, reference)
    if request.method == "GET":
        return _detail(request, application)
    language = _language()
    action = request.POST.get("action", "")
    return_form = reject_form = None
    try:
        if action == "approve":
            application = onboarding.approve(application, actor=request.user)
            messages.success(
                request,
                _("Approved. Kiosk %(code)s is open; the owner gets an SMS with the login link.")
                % {"code": application.kiosk.code},
            )
            return redirect("kiosks:manage_application", application.reference)
        if action == "return":
            return_form = ReturnForm(request.POST, language=language)
            if return_form.is_valid():
                onboarding.return_for_correction(
                    application,
                    actor=request.user,
                    reason=return_form.cleaned_data["reason"],
                    fields=return_form.cleaned_data["fields"],
                )
                messages.success(request, _("Returned to the applicant for correction."))
                return redirect("kiosks:manage_application", application.reference)
        elif action == "reject":
            reject_form = RejectForm(request.POST, language=language)
            if reject_form.is_valid():
                onboarding.reject(
                    application, actor=request.user, reason=reject_form.cleaned_data["reason"]
                )
                messages.success(request, _("Rejected. The applicant is told by SMS."))
                return redirect("kiosks:manage_application", application.reference)
        else:
            messages.error(request, _("Choose what to do with the application."))
            return redirect("kiosks:manage_application", application.reference)
    except KioskError as exc:
        form = return_form if action == "return" else reject_form
        if form is not None and exc.field in form.fields:
            form.add_refusal(exc)
        else:
            messages.error(request, exc.message(language))
            return redirect("kiosks:manage_application", application.reference)
    application.refresh_from_db()
    return _detail(
        request, application, return_form=return_form, reject_form=reject_form, status=400
    )


@never_cache
@staff_page
@require_GET
def manage_document(request: HttpRequest, reference: str, document_id: str) -> HttpResponse:
    application = _reviewable(request, reference)
    document = onboarding.document_of(application, document_id)
    if document is None:
        raise Http404("no such document")
    audit.record(
        "kiosks.application.document_viewed",
        actor=request.user,
        obj=application,
        after={"document": document_id},
    )
    return _file(document)


@staff_page
@require_POST
def manage_resend(request: HttpRequest, reference: str) -> HttpResponse:
    """Operator staff or the district coordinator: the owner's activation link again."""
    application = _reviewable(request, reference)
    login = (
        KioskOperator.objects.filter(
            kiosk_id=application.kiosk_id, role=KioskOperator.Role.FRANCHISEE
        ).first()
        if application.kiosk_id
        else None
    )
    if login is None:
        raise Http404("no kiosk login")
    try:
        login = onboarding.resend_activation(request.user, login.pk, language=_language())
    except KioskError as exc:
        messages.error(request, exc.message(_language()))
    else:
        messages.success(
            request,
            _("A new activation link was sent to %(mobile)s. The old link no longer works.")
            % {"mobile": mask_mobile(login.mobile)},
        )
    return redirect("kiosks:manage_application", application.reference)
