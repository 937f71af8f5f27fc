"""The kiosk console: a kiosk login (its owner or an operator, signed in with
password and authenticator code) serves walk-in citizens and sees its day.

    console/                              the kiosk, its wallet, today's work, citizens being served
    console/search/                       this kiosk's past applications (number, mobile, dates)
    console/serve/                        the citizen's mobile → an OTP to their phone
    console/serve/code/                   the code the citizen reads out → their consent
    console/citizen/<id>/                 the citizen's panel (while the consent lasts)
    console/citizen/<id>/about/           a first-time citizen's name
    console/citizen/<id>/start/<service>/ (POST) a draft → the journey's pages
    console/citizen/<id>/end/             (POST) end the session (the consent)
    console/app/<number>/                 the fee, pay from the wallet, the receipt
    console/app/<number>/pay/             (POST) pay from the wallet, once per token

After the journey's preview the operator comes back to ``console/app/<number>/``
(``console.register`` tells the journey where). Views are thin: the services decide
and refuse (in the page's language); another kiosk's application or a login of no
kiosk gets 404.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ekseva.accounts.models import User
from ekseva.accounts.permissions import can
from ekseva.applications.models import ApplicationError, Status
from ekseva.applications.views_journey import resume_url
from ekseva.applications.views_mine import BADGES
from ekseva.catalog import selectors as catalog_selectors
from ekseva.core.errors import BilingualError
from ekseva.core.middleware import client_ip
from ekseva.core.money import format_inr

from . import console, services
from .forms_console import CitizenForm, CodeForm, MobileForm, SearchForm, ServiceFilterForm
from .hooks import VIEW
from .models import ConsentRequired, Kiosk, KioskError, KioskSuspended

PAGE_SIZE = 20
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SESSION_MOBILE = "kiosks.console.mobile"


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def kiosk_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A kiosk's login on a verified (password + authenticator) session: the view
    gets the kiosk. Not signed in → the staff sign-in (and back); anyone else → 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
        operator = services.operator_of(user)
        if operator is None or not can(user, VIEW, operator.kiosk):
            raise Http404("not a kiosk login")
        verified = getattr(user, "is_verified", None)
        if not (verified and verified()):
            return redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
        return view(request, operator.kiosk, *args, **kwargs)

    return wrapped


def _refused(request: HttpRequest, exc: BilingualError, to: str, *args: Any) -> HttpResponse:
    messages.error(request, exc.message(_language()))
    return redirect(to, *args)


def _consent_needed(request: HttpRequest, exc: BilingualError) -> HttpResponse:
    return _refused(request, exc, "kiosks:console_serve")


def _wallet(kiosk: Kiosk) -> dict[str, Any]:
    balance = services.wallet_balance(kiosk)
    return {"balance": balance, "low": balance < kiosk.low_balance_paise}


def _kiosk_context(kiosk: Kiosk) -> dict[str, Any]:
    return {
        "kiosk": kiosk,
        "since": console.status_since(kiosk) if not kiosk.is_active else None,
        **_wallet(kiosk),
    }


def _row(app: Any, language: str, *, drafts: bool = False) -> dict[str, Any]:
    """An application as the console lists it, with where the operator goes next:
    a draft's form (only from the citizen's panel, under their consent), else its
    console page."""
    if app.status == Status.DRAFT:
        url = resume_url(app) if drafts else ""
    else:
        url = reverse("kiosks:console_app", args=[app.number]) if app.number else ""
    return {
        "app": app,
        "service": app.service.name(language),
        "status": app.status_text(language),
        "badge": BADGES.get(app.status, "muted"),
        "url": url,
        "to_pay": app.status == Status.FEE_PENDING and not app.paid_at,
    }


# --------------------------------------------------------------------------- the console


@never_cache
@require_http_methods(["GET"])
@kiosk_login
def home(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    language = _language()
    today = console.today_work(kiosk)
    return render(
        request,
        "kiosks/console/home.html",
        {
            **_kiosk_context(kiosk),
            "today": today,
            "rows": [_row(app, language) for app in today.applications],
            "serving": console.serving_now(kiosk) if kiosk.is_active else [],
            "search_form": SearchForm(),
        },
    )


@never_cache
@require_http_methods(["GET"])
@kiosk_login
def search(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    language = _language()
    form = SearchForm(request.GET or None)
    rows: list[dict[str, Any]] = []
    page = None
    query = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        found = console.search(
            kiosk,
            number=data["number"],
            mobile=data["mobile"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [_row(app, language) for app in page]
        query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "kiosks/console/search.html",
        {**_kiosk_context(kiosk), "form": form, "rows": rows, "page": page, "query": query},
    )


# --------------------------------------------------------------------------- consent


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_login
def serve(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """The citizen's mobile: the portal sends the OTP to that phone."""
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mobile = services.request_consent(
                request.user,
                form.cleaned_data["mobile"],
                ip=client_ip(request),
                language=_language(),
            )
        except KioskError as exc:
            form.add_error(
                exc.field if exc.field in form.fields else None, exc.message(_language())
            )
        except ValidationError as exc:  # too many OTPs for this number or this kiosk's network
            form.add_error("mobile", exc)
        else:
            request.session[SESSION_MOBILE] = mobile
            return redirect("kiosks:console_code")
    return render(request, "kiosks/console/serve.html", {**_kiosk_context(kiosk), "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_login
def code(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """The code the citizen reads out from their SMS: their consent to this kiosk."""
    mobile = request.session.get(SESSION_MOBILE, "")
    if not mobile:
        return redirect("kiosks:console_serve")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.grant_consent(
                request.user, mobile, form.cleaned_data["code"], language=_language()
            )
        except KioskError as exc:
            form.add_error(None, exc.message(_language()))
        except ValidationError as exc:  # a wrong, used or expired code; not a citizen's number
            form.add_error("code", exc)
        else:
            request.session.pop(SESSION_MOBILE, None)
            citizen = consent.citizen
            if console.needs_name(citizen):
                return redirect("kiosks:console_about", citizen.pk)
            messages.success(request, _("The citizen has given consent."))
            return redirect("kiosks:console_citizen", citizen.pk)
    return render(
        request,
        "kiosks/console/code.html",
        {
            **_kiosk_context(kiosk),
            "form": form,
            "masked": "******" + mobile[-4:],
            "mobile": mobile,
            "resend": MobileForm(initial={"mobile": mobile}),
        },
    )


def _citizen(pk: int) -> User:
    citizen = User.objects.filter(pk=pk, is_active=True).first()
    if citizen is None:
        raise Http404("no such citizen")
    return citizen


def _consent(request: HttpRequest, citizen: User):
    """The citizen's consent to this login's kiosk (raises KioskError if none)."""
    kiosk = services.require_kiosk(request.user)
    return services.require_consent(kiosk, citizen)


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_login
def about(request: HttpRequest, kiosk: Kiosk, citizen_id: int) -> HttpResponse:
    """A first-time citizen's name, date of birth and gender (forms prefill them)."""
    citizen = _citizen(citizen_id)
    try:
        consent = _consent(request, citizen)
    except ConsentRequired as exc:
        return _consent_needed(request, exc)
    except KioskError as exc:
        return _refused(request, exc, "kiosks:console")
    form = CitizenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            console.name_citizen(request.user, citizen, form.cleaned_data)
        except KioskError as exc:
            form.add_error(None, exc.message(_language()))
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, _("The citizen is registered."))
            return redirect("kiosks:console_citizen", citizen.pk)
    return render(
        request,
        "kiosks/console/about.html",
        {**_kiosk_context(kiosk), "form": form, "citizen": citizen, "consent": consent},
    )


# --------------------------------------------------------------------------- the citizen's panel


@never_cache
@require_http_methods(["GET"])
@kiosk_login
def citizen(request: HttpRequest, kiosk: Kiosk, citizen_id: int) -> HttpResponse:
    language = _language()
    person = _citizen(citizen_id)
    try:
        consent = _consent(request, person)
    except ConsentRequired as exc:
        return _consent_needed(request, exc)
    except KioskError as exc:
        return _refused(request, exc, "kiosks:console")
    if console.needs_name(person):
        return redirect("kiosks:console_about", person.pk)
    filter_form = ServiceFilterForm(request.GET or None)
    q = filter_form.cleaned_data["q"] if filter_form.is_valid() else ""
    return render(
        request,
        "kiosks/console/citizen.html",
        {
            **_kiosk_context(kiosk),
            "citizen": person,
            "name": console.citizen_name(person, language),
            "masked": "******" + person.mobile[-4:],
            "consent": consent,
            "rows": [
                _row(app, language, drafts=True)
                for app in console.citizen_applications(kiosk, person)
            ],
            "offers": console.offers(kiosk, language, q),
            "filter_form": filter_form,
            "q": q,
        },
    )


@require_POST
@kiosk_login
def start(request: HttpRequest, kiosk: Kiosk, citizen_id: int, service_code: str) -> HttpResponse:
    """A draft for the citizen (one per service at this kiosk: pressing twice makes
    one), then the journey's own pages, filled in by the operator."""
    person = _citizen(citizen_id)
    service = catalog_selectors.get_live_service(service_code)
    if service is None:
        raise Http404("no such service")
    try:
        _consent(request, person)
        existing = (
            console.citizen_applications(kiosk, person)
            .filter(service=service, status=Status.DRAFT)
            .first()
        )
        app = existing or services.start_assisted(request.user, person, service)
    except ConsentRequired as exc:
        return _consent_needed(request, exc)
    except KioskSuspended as exc:
        return _refused(request, exc, "kiosks:console")
    except (KioskError, ApplicationError) as exc:
        return _refused(request, exc, "kiosks:console_citizen", person.pk)
    return redirect(resume_url(app))


@require_POST
@kiosk_login
def end(request: HttpRequest, kiosk: Kiosk, citizen_id: int) -> HttpResponse:
    """The citizen is done: the kiosk stops acting for them now."""
    person = _citizen(citizen_id)
    try:
        services.end_consent(request.user, person)
    except KioskError as exc:
        return _refused(request, exc, "kiosks:console")
    messages.success(request, _("Session ended: the kiosk can no longer act for this citizen."))
    return redirect("kiosks:console")


# --------------------------------------------------------------------------- one application


def _fee_lines(app: Any, language: str) -> list[dict[str, Any]]:
    key = "label_hi" if language == "hi" else "label_en"
    return [
        {
            "label": line.get(key) or line.get("label_en") or line.get("code", ""),
            "amount": int(line.get("amount_paise", 0)),
            "kiosk": line.get("code") == "kiosk",
        }
        for line in app.fee_lines
    ]


@never_cache
@require_http_methods(["GET"])
@kiosk_login
def application(request: HttpRequest, kiosk: Kiosk, number: str) -> HttpResponse:
    language = _language()
    app = console.application_at(request.user, kiosk, number)
    wallet = _wallet(kiosk)
    unpaid = app.status == Status.FEE_PENDING and not app.paid_at
    consent = services.active_consent(kiosk, app.applicant) if kiosk.is_active else None
    return render(
        request,
        "kiosks/console/application.html",
        {
            **_kiosk_context(kiosk),
            "app": app,
            "service": app.service.name(language),
            "status": app.status_text(language),
            "badge": BADGES.get(app.status, "muted"),
            "fee_lines": _fee_lines(app, language),
            "kiosk_charge": console.kiosk_charge(app),
            "unpaid": unpaid,
            "can_pay": unpaid and kiosk.is_active,
            "shortfall": max(0, app.fee_total - wallet["balance"]) if unpaid else 0,
            "token": secrets.token_urlsafe(24),
            "paid": bool(app.paid_at and app.paid_payment),
            "consent": consent,
            "name": console.citizen_name(app.applicant, language),
            "masked": "******" + app.applicant.mobile[-4:],
        },
    )


@require_POST
@kiosk_login
def pay(request: HttpRequest, kiosk: Kiosk, number: str) -> HttpResponse:
    """Pay the fee from the wallet. The hidden token (made when the page was shown)
    is the idempotency key: pressing twice debits the wallet once."""
    app = console.application_at(request.user, kiosk, number)
    token = request.POST.get("token", "")
    if not TOKEN.match(token):
        messages.error(request, _("This page was out of date. Check the fee and press Pay again."))
        return redirect("kiosks:console_app", app.number)
    try:
        payment = services.pay_assisted(request.user, app, idempotency_key=token, kiosk=kiosk)
    except BilingualError as exc:  # suspended, window closed, already paid, ...
        return _refused(request, exc, "kiosks:console_app", app.number)
    if payment.is_paid:
        messages.success(
            request,
            _("Paid %(amount)s from the wallet. Print the receipt for the citizen.")
            % {"amount": format_inr(payment.amount)},
        )
    else:
        balance = services.wallet_balance(kiosk)
        if balance < payment.amount:
            messages.error(
                request,
                _(
                    "The wallet has %(balance)s: %(short)s short of the fee. "
                    "Nothing was taken. Top up the wallet, then pay."
                )
                % {
                    "balance": format_inr(balance),
                    "short": format_inr(payment.amount - balance),
                },
            )
        else:
            messages.error(
                request, _("The payment from the wallet did not go through. Nothing was taken.")
            )
    return redirect("kiosks:console_app", app.number)
