"""The applicant changes a submitted application: withdraws it (before processing
starts, with the version's refund rule) or corrects the answers the version allows
in its correction window, paying the correction fee when there is one
(guide: docs/applications.md).

Only the applicant (or their kiosk) reaches these pages: anyone else gets 404,
never 403, so that numbers cannot be probed (``selectors.actionable_or_404``).
Every rule is the services'; these views ask, show and pass the answer on.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ekseva.catalog.rules import context as rule_context
from ekseva.catalog.rules import form_of
from ekseva.core.money import format_inr
from ekseva.forms import validation
from ekseva.forms.definition import Field, FormDefinition
from ekseva.forms.messages import word
from ekseva.forms.render import render_fields
from ekseva.payments.models import Payment, PaymentError
from ekseva.payments.models import Status as PaymentStatus
from ekseva.payments.views_payer import to_checkout

from . import selectors, services
from .models import (
    NOT_CORRECTABLE,
    WITHDRAWABLE,
    Application,
    ApplicationError,
    Correction,
)
from .windows import window_of

# The statuses ``services.correct`` refuses (a correction needs a live application).
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_REASON = 300


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _detail_url(app: Application) -> str:
    return reverse("applications:detail", kwargs={"number": app.number})


def _date(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%d-%m-%Y}" if moment else ""


# --------------------------------------------------------------------------- withdraw


def _refund_text(app: Application, amount: int) -> str:
    """What happens to the fee, in words, from what the service says it gives back."""
    if not app.paid_payment:
        return _("You have not paid the fee, so there is nothing to refund.")
    if amount <= 0:
        return _("The fee you paid (%(total)s) is not refunded for this service.") % {
            "total": format_inr(app.fee_total)
        }
    if amount >= app.fee_total:
        return _(
            "The whole fee you paid, %(amount)s, is refunded to the account you paid from "
            "(it reaches you within 5 to 7 working days)."
        ) % {"amount": format_inr(amount)}
    return _(
        "%(amount)s of the %(total)s you paid is refunded to the account you paid from "
        "(it reaches you within 5 to 7 working days); the rest is not refundable."
    ) % {"amount": format_inr(amount), "total": format_inr(app.fee_total)}


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    app = selectors.actionable_or_404(request.user, number=number)
    language = _language()
    allowed = app.status in WITHDRAWABLE
    reason = request.POST.get("reason", "").strip()[:MAX_REASON]
    error = ""
    status = 200
    if request.method == "POST":
        if not allowed:
            messages.error(
                request,
                _("This application can no longer be withdrawn: it is %(status)s.")
                % {"status": app.status_text(language).lower()},
            )
            return redirect(_detail_url(app))
        try:
            app = services.withdraw(app, reason=reason, actor=request.user)
        except ApplicationError as exc:
            error, status = exc.message(language), exc.status
        else:
            amount = services.refund_on_withdrawal(app)
            if amount:
                messages.success(
                    request,
                    _(
                        "Application %(number)s has been withdrawn. %(amount)s is being "
                        "refunded to the account you paid from."
                    )
                    % {"number": app.number, "amount": format_inr(amount)},
                )
            else:
                messages.success(
                    request,
                    _("Application %(number)s has been withdrawn.") % {"number": app.number},
                )
            return redirect(_detail_url(app))
    amount = services.refund_on_withdrawal(app)
    context = {
        "app": app,
        "service_name": app.service.name(language),
        "status_text": app.status_text(language),
        "allowed": allowed,
        "refund_amount": amount,
        "refund_text": _refund_text(app, amount),
        "reason": reason,
        "error": error,
        "max_reason": MAX_REASON,
        "detail_url": _detail_url(app),
    }
    return render(request, "applications/changes/withdraw.html", context, status=status)


# --------------------------------------------------------------------------- correct


def _shown(f: Field | None, value: Any, language: str) -> str:
    """An answer as the applicant reads it (an option's label, yes/no, a date)."""
    if value is None or value == "" or value == []:
        return "—"
    if f is None:
        return str(value)
    if f.type == "yesno" or isinstance(value, bool):
        truth = value if isinstance(value, bool) else str(value).lower() in ("yes", "true")
        return word("yes" if truth else "no", language)
    if f.options:
        labels = {o.value: o.label.get(language) for o in f.options}
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if f.type == "date":
        try:
            return f"{dt.date.fromisoformat(str(value)):%d-%m-%Y}"
        except ValueError:
            return str(value)
    if isinstance(value, dict):  # an Aadhaar token: never shown
        return "••••"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field(defn: FormDefinition, field_id: str) -> Field | None:
    try:
        return defn.field(field_id)
    except KeyError:
        return None


def _label(defn: FormDefinition, field_id: str, language: str) -> str:
    f = _field(defn, field_id)
    return f.label.get(language) if f is not None else field_id


def _payment_of(app: Application, correction: Correction) -> Payment | None:
    """The latest payment started for a correction's fee, if any."""
    return (
        Payment.objects.filter(purpose="correction_fee", target=f"{app.number}-C{correction.pk}")
        .order_by("-id")
        .first()
    )


def _history(app: Application, defn: FormDefinition, language: str) -> list[dict[str, Any]]:
    rows = []
    for correction in app.corrections.order_by("-id"):
        payment = None if correction.applied else _payment_of(app, correction)
        lines = (
            []
            if correction.applied
            else [
                {
                    "label": line["label_hi"] if language == "hi" else line["label_en"],
                    "amount": line["amount_paise"],
                }
                for line in services.correction_fee_lines(correction)
            ]
        )
        rows.append(
            {
                "correction": correction,
                "at": correction.at,
                "applied": correction.applied,
                "payment": payment,
                "paying": payment is not None and payment.status == PaymentStatus.PENDING,
                "lines": lines,
                "total": sum(line["amount"] for line in lines),
                "changes": [
                    {
                        "label": _label(defn, key, language),
                        "before": _shown(_field(defn, key), before, language),
                        "after": _shown(_field(defn, key), after, language),
                    }
                    for key, (before, after) in correction.changes.items()
                ],
            }
        )
    return rows


def _correction_page(
    request: HttpRequest,
    app: Application,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    language = _language()
    defn = form_of(app.version)
    window = window_of(app.version)
    fields = [fid for fid in services.correctable_fields(app) if _field(defn, fid) is not None]
    is_open = window.correction_open()
    live = app.status not in NOT_CORRECTABLE
    context = rule_context(app.version.definition, {}, channel=app.channel, late=app.late)
    history = _history(app, defn, language)
    form_html = ""
    if is_open and live and fields:
        form_html = render_fields(
            defn,
            fields,
            {**app.answers, **(values or {})},
            errors or {},
            language,
            context=context,
        )
    page = {
        "app": app,
        "service_name": app.service.name(language),
        "status_text": app.status_text(language),
        "has_window": bool(window.correction_opens and window.correction_closes),
        "is_open": is_open,
        "live": live,
        "opens": _date(window.correction_opens),
        "closes": _date(window.correction_closes),
        "fields": [
            {
                "label": _label(defn, fid, language),
                "value": _shown(_field(defn, fid), app.answers.get(fid), language),
            }
            for fid in fields
        ],
        "form_html": form_html,
        "fee": (app.version.definition.get("fees") or {}).get("correction_fee_paise", 0),
        "problem": problem,
        "history": history,
        "unpaid": [row for row in history if not row["applied"]],
        "token": secrets.token_urlsafe(18),
        "detail_url": _detail_url(app),
    }
    return render(request, "applications/changes/correct.html", page, status=status)


@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, number: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    app = selectors.actionable_or_404(request.user, number=number)
    if request.method == "GET":
        return _correction_page(request, app)
    language = _language()
    defn = form_of(app.version)
    data = validation.from_post(defn, request.POST)
    try:
        correction = services.correct(
            app, services.changed_answers(app, data), actor=request.user, language=language
        )
    except ApplicationError as exc:
        errors = {exc.field: [exc.message(language)]} if exc.field else {}
        return _correction_page(
            request,
            app,
            values=data,
            errors=errors,
            problem=exc.message(language),
            status=exc.status,
        )
    if correction.applied:
        messages.success(request, _("Your correction has been made and kept in the history."))
    else:
        messages.info(
            request,
            _(
                "Pay the correction fee to complete your correction: it is made once the fee "
                "is paid."
            ),
        )
    return redirect("applications:correct", number=app.number)


@require_POST
def correction_pay(request: HttpRequest, number: str, pk: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("applications:correct", kwargs={"number": number}))
    app = selectors.actionable_or_404(request.user, number=number)
    correction = Correction.objects.filter(pk=pk, application=app).first()
    if correction is None:
        raise Http404("no such correction")
    language = _language()
    back = redirect("applications:correct", number=app.number)
    token = request.POST.get("token", "")
    if not TOKEN.match(token):
        messages.error(request, _("The form had expired; press Pay again."))
        return back
    if not window_of(app.version).correction_open():
        # The fee of a correction can only be used inside its window: don't take it.
        messages.error(request, _("The correction window has closed, so the fee cannot be paid."))
        return back
    try:
        payment = services.start_correction_payment(
            correction, idempotency_key=f"correction:{correction.pk}:{token}", actor=request.user
        )
        response = to_checkout(request, payment, language=language)
    except (ApplicationError, PaymentError) as exc:
        messages.error(request, exc.message(language))
        return back
    return response
