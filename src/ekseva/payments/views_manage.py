"""The staff payments console: /<lang>/payments/manage/.

- the list (filters, counts by status, pages) and one payment's full history;
- on a payment: refund (``payments.refund``) and "Poll gateway now"
  (``payments.reconcile``), for operator staff;
- the test payment page (``payments.test_payment``).

Operator staff see every payment; department officers and auditors see the
payments their postings cover, read-only. Anonymous visitors and staff without the
TOTP step are sent to the staff sign-in; anyone else signed in (a citizen) gets 403.
Views validate, call one service and render; every form that moves money carries a
hidden token made when the form is shown, so a double submit acts once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts import selectors as people
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can, require
from ekseva.core import money

from . import gateway_check, gateways, permissions, purposes, selectors, services
from .models import (
    OPEN_STATUSES,
    IdempotencyConflict,
    Outcome,
    Payment,
    PaymentError,
    RefundKind,
    RefundStatus,
    Status,
)

PAGE_SIZE = 25

STATUS_LABELS = {
    Status.CREATED: pgettext_lazy("payment status", "Created"),
    Status.PENDING: pgettext_lazy("payment status", "Pending"),
    Status.SUCCEEDED: pgettext_lazy("payment status", "Succeeded"),
    Status.FAILED: pgettext_lazy("payment status", "Failed"),
    Status.EXPIRED: pgettext_lazy("payment status", "Expired"),
    Status.PARTLY_REFUNDED: pgettext_lazy("payment status", "Partly refunded"),
    Status.REFUNDED: pgettext_lazy("payment status", "Refunded"),
}
STATUS_BADGES = {
    Status.CREATED: "badge-muted",
    Status.PENDING: "badge-pending",
    Status.SUCCEEDED: "badge-success",
    Status.FAILED: "badge-failed",
    Status.EXPIRED: "badge-failed",
    Status.PARTLY_REFUNDED: "badge-warning",
    Status.REFUNDED: "badge-muted",
}
OUTCOME_LABELS = {
    Outcome.FULFILLED: gettext_lazy("Paid for its purpose"),
    Outcome.DUPLICATE: gettext_lazy("Refunded: the purpose was already paid"),
    Outcome.UNUSABLE: gettext_lazy("Refunded: the purpose could no longer use it"),
}
REFUND_STATUS_LABELS = {
    RefundStatus.PENDING: gettext_lazy("Owed, not yet paid back"),
    RefundStatus.PROCESSED: gettext_lazy("Paid back"),
    RefundStatus.FAILED: gettext_lazy("Gateway refused; will be retried"),
}
REFUND_KIND_LABELS = {
    RefundKind.MANUAL: gettext_lazy("By staff"),
    RefundKind.DUPLICATE: gettext_lazy("Paid twice"),
    RefundKind.UNUSABLE: gettext_lazy("The purpose could no longer use it"),
    RefundKind.WITHDRAWAL: gettext_lazy("The applicant withdrew"),
}
SOURCE_LABELS = {
    "citizen": gettext_lazy("payer"),
    "return": gettext_lazy("return from the gateway"),
    "webhook": gettext_lazy("gateway webhook"),
    "poll": gettext_lazy("status check"),
    "sweep": gettext_lazy("daily sweep"),
    "reconciliation": gettext_lazy("reconciliation"),
    "staff": gettext_lazy("staff"),
    "system": gettext_lazy("system"),
    "wallet": gettext_lazy("kiosk wallet"),
}


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


# --------------------------------------------------------------------------- access


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


def _payment(request: HttpRequest, reference: str, action: str) -> Payment:
    """The payment, if it exists (404) and the user may ``action`` it (403)."""
    payment = selectors.find(reference)
    if payment is None:
        raise Http404("no such payment")
    require(request.user, action, selectors.payment_scope(payment))
    return payment


def payer_status_url(reference: str) -> str:
    """The payer's status page of a payment (where a test payment is paid)."""
    return reverse("payments:status", args=[reference])


# --------------------------------------------------------------------------- presentation


def _decorate(payment: Payment, language: str) -> Payment:
    """Attach the labels a template shows (in the reader's language)."""
    payment.status_label = STATUS_LABELS.get(payment.status, payment.status)
    payment.badge = STATUS_BADGES.get(payment.status, "")
    try:
        payment.purpose_label = purposes.get(payment.purpose).label(language)
    except purposes.UnknownPurpose:
        payment.purpose_label = payment.purpose
    try:
        payment.gateway_label = gateways.get(payment.gateway).label(language)
    except gateways.UnknownGateway:
        payment.gateway_label = payment.gateway
    return payment


def _purpose_choices(language: str) -> list[tuple[str, str]]:
    return [(p.kind, p.label(language)) for p in purposes.registered()]


def _gateway_choices(language: str) -> list[tuple[str, str]]:
    return [(g.name, g.label(language)) for g in gateways.registered()]


# --------------------------------------------------------------------------- amounts

_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"\d*\.\d{3,}")


def parse_rupees(value: str) -> int:
    """Rupees typed by a person ('61.80', '1,000', '₹5') → paise, exactly.
    Refuses more than two decimals and anything that is not a plain amount."""
    text = (value or "").replace(",", "").replace("₹", "").strip()
    if _TOO_PRECISE.fullmatch(text):
        raise forms.ValidationError(
            _("Give at most two digits after the decimal point (paise)."), code="precision"
        )
    if not _AMOUNT.fullmatch(text):
        raise forms.ValidationError(
            _("Enter an amount in rupees, for example 61.80."), code="invalid"
        )
    try:
        return money.rupees(Decimal(text))
    except money.MoneyError:
        raise forms.ValidationError(
            _("Enter an amount in rupees, for example 61.80."), code="invalid"
        ) from None


def new_token() -> str:
    return secrets.token_urlsafe(18)


class TokenField(forms.CharField):
    """The hidden idempotency token of a form that moves money."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, min_length=16, **kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
            raise forms.ValidationError("bad token", code="token")


class MoneyForm(forms.Form):
    token = TokenField()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "token" in self.errors:
            del self.errors["token"]
            self.add_error(
                None, _("This form is out of date. Check the figures and send it again.")
            )
            self.renew_token()
        return data

    def renew_token(self) -> None:
        """Show the form again under a new token (the old one is spent or unusable)."""
        self.data = self.data.copy()
        self.data["token"] = new_token()

    def refuse_conflict(self) -> None:
        """The token was already used for other figures: say so, and renew it."""
        self.add_error(
            None, _("This form was already sent with other figures. Check them and send again.")
        )
        self.renew_token()


# --------------------------------------------------------------------------- the list


class FilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Reference, gateway id or target"), required=False, max_length=80
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), required=False)
    gateway = forms.ChoiceField(label=gettext_lazy("Gateway"), required=False)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Made on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("Made on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, language: str, departments: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["status"].choices = anything + [(s, STATUS_LABELS[s]) for s in Status.values]
        self.fields["purpose"].choices = anything + _purpose_choices(language)
        self.fields["gateway"].choices = anything + _gateway_choices(language)
        self.fields["department"].choices = anything + [(d, d) for d in departments]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("This date must not be before the first date."))
        return data

    def filters(self) -> selectors.Filters:
        data = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        return selectors.Filters(
            status=data.get("status") or "",
            purpose=data.get("purpose") or "",
            gateway=data.get("gateway") or "",
            department=data.get("department") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to") if "date_to" not in self.errors else None,
            q=data.get("q") or "",
        )


@staff_page
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    language = _language()
    form = FilterForm(
        request.GET or None,
        language=language,
        departments=selectors.departments_in_use(request.user),
    )
    filters = form.filters() if form.is_bound else selectors.Filters()
    page = Paginator(selectors.payments_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for payment in page.object_list:
        _decorate(payment, language)
    query = request.GET.copy()
    query.pop("page", None)
    without_status = query.copy()
    without_status.pop("status", None)
    counts = [
        {
            "status": status,
            "label": STATUS_LABELS[status],
            "count": count,
            "badge": STATUS_BADGES[status],
            "current": status == filters.status,
        }
        for status, count in selectors.counts_by_status(request.user, filters)
    ]
    return render(
        request,
        "payments/manage/list.html",
        {
            "form": form,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
            "without_status": without_status.urlencode(),
            "can_test": can(request.user, permissions.TEST_PAYMENT),
            "lang": language,
        },
    )


# --------------------------------------------------------------------------- one payment


class RefundForm(MoneyForm):
    amount = forms.CharField(
        label=gettext_lazy("Amount to refund (₹)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "short"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded with the refund and shown in the audit log."),
    )

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment

    def clean_amount(self) -> int:
        paise = parse_rupees(self.cleaned_data["amount"])
        if paise <= 0:
            raise forms.ValidationError(_("The refund must be more than ₹0."), code="zero")
        if paise > self.payment.refundable:
            raise forms.ValidationError(
                _("At most %(amount)s of this payment can still be refunded.")
                % {"amount": money.format_inr(self.payment.refundable)},
                code="too_much",
            )
        return paise

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the refund."), code="required")
        return reason


def _render_detail(
    request: HttpRequest, payment: Payment, refund_form: RefundForm | None, status: int = 200
) -> HttpResponse:
    language = _language()
    _decorate(payment, language)
    story = selectors.history(payment)
    scope = selectors.payment_scope(payment)
    may_refund = can(request.user, permissions.REFUND, scope)
    may_refund = may_refund and selectors.unknown_purpose(payment) is None
    if may_refund and refund_form is None and payment.refundable > 0:
        refund_form = RefundForm(payment=payment, initial={"token": new_token()})
    for event in story.events:
        event.from_label = STATUS_LABELS.get(event.from_status, event.from_status)
        event.to_label = STATUS_LABELS.get(event.to_status, event.to_status)
        event.source_label = SOURCE_LABELS.get(event.source, event.source)
    for refund in story.refunds:
        refund.status_label = REFUND_STATUS_LABELS.get(refund.status, refund.status)
        refund.kind_label = REFUND_KIND_LABELS.get(refund.kind, refund.kind)
    for entry in story.entries:
        entry.lines = [
            {
                "account": posting.account.code,
                "debit": posting.amount if posting.amount > 0 else None,
                "credit": -posting.amount if posting.amount < 0 else None,
            }
            for posting in entry.postings.all()
        ]
    pollable = not gateways.get(payment.gateway).immediate and payment.status in (
        OPEN_STATUSES | {Status.FAILED, Status.EXPIRED}
    )
    return render(
        request,
        "payments/manage/detail.html",
        {
            "payment": payment,
            "lines": [
                {
                    "label": line.get("label_hi") if language == "hi" else line.get("label_en"),
                    "code": line.get("code"),
                    "rule": line.get("rule"),
                    "amount": line.get("amount_paise"),
                }
                for line in payment.lines
            ],
            "description": payment.description(language),
            "outcome_label": OUTCOME_LABELS.get(payment.outcome, ""),
            "history": story,
            "refund_form": refund_form if may_refund and payment.refundable > 0 else None,
            "may_poll": pollable and can(request.user, permissions.RECONCILE, scope),
            "status_url": payer_status_url(payment.reference),
            "lang": language,
        },
        status=status,
    )


@staff_page
@require_GET
def manage_detail(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment(request, reference, permissions.VIEW)
    return _render_detail(request, payment, None)


@staff_page
@require_POST
def manage_refund(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment(request, reference, permissions.REFUND)
    form = RefundForm(request.POST, payment=payment)
    refusal = selectors.unknown_purpose(payment)
    if refusal is not None:
        messages.error(request, refusal.message(_language()))
        return redirect("payments:manage_detail", reference=payment.reference)
    if not form.is_valid():
        return _render_detail(request, payment, form, status=400)
    try:
        refund = services.refund(
            payment,
            form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            idempotency_key=f"form:{form.cleaned_data['token']}",
            actor=request.user,
        )
    except IdempotencyConflict as exc:
        form.refuse_conflict()
        payment.refresh_from_db()
        return _render_detail(request, payment, form, status=exc.status)
    except PaymentError as exc:
        form.add_error(None, exc.message(_language()))
        payment.refresh_from_db()
        return _render_detail(request, payment, form, status=exc.status)
    args = {"reference": refund.reference, "amount": money.format_inr(refund.amount)}
    if getattr(refund, "replayed", False):
        messages.info(request, _("Refund %(reference)s of %(amount)s was already recorded.") % args)
    else:
        messages.success(
            request,
            _("Refund %(reference)s of %(amount)s recorded: the payer is owed it now.") % args,
        )
    return redirect("payments:manage_detail", reference=payment.reference)


@staff_page
@require_POST
def manage_poll(request: HttpRequest, reference: str) -> HttpResponse:
    payment = _payment(request, reference, permissions.RECONCILE)
    before = payment.status
    try:
        payment = services.poll(payment)
    except PaymentError as exc:
        messages.error(request, exc.message(_language()))
    else:
        label = STATUS_LABELS.get(payment.status, payment.status)
        if payment.status == before:
            messages.info(
                request,
                _("Asked the gateway: the payment is still %(status)s.") % {"status": label},
            )
        else:
            messages.success(
                request, _("Asked the gateway: the payment is now %(status)s.") % {"status": label}
            )
    return redirect("payments:manage_detail", reference=payment.reference)


# --------------------------------------------------------------------------- test payment


class TestPaymentForm(MoneyForm):
    gateway = forms.ChoiceField(label=gettext_lazy("Gateway"), widget=forms.RadioSelect)
    amount = forms.CharField(
        label=gettext_lazy("Amount (₹)"),
        max_length=20,
        help_text=gettext_lazy("Between ₹1 and ₹100."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "short"}),
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = [
            (g.name, g.label(language)) for g in gateway_check.choices()
        ]
        self.fields["gateway"].error_messages["invalid_choice"] = _(
            "Choose one of the enabled gateways."
        )

    def clean_amount(self) -> int:
        paise = parse_rupees(self.cleaned_data["amount"])
        if not gateway_check.MIN_PAISE <= paise <= gateway_check.MAX_PAISE:
            raise forms.ValidationError(_("A test payment is between ₹1 and ₹100."), code="range")
        return paise


@staff_page
@require_http_methods(["GET", "POST"])
def test_payment(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.TEST_PAYMENT)
    language = _language()
    status = 200
    if request.method == "POST":
        form = TestPaymentForm(request.POST, language=language)
        if form.is_valid():
            try:
                payment = gateway_check.create(
                    gateway=form.cleaned_data["gateway"],
                    amount=form.cleaned_data["amount"],
                    payer=request.user,
                    idempotency_key=f"form:{form.cleaned_data['token']}",
                )
            except gateway_check.FieldError as exc:
                form.add_error(exc.field, exc.message(language))
                status = 400
            except IdempotencyConflict:
                form.refuse_conflict()
                status = 409
            except PaymentError as exc:
                form.add_error(None, exc.message(language))
                status = exc.status
            else:
                return redirect(payer_status_url(payment.reference))
        else:
            status = 400
    else:
        initial = {"token": new_token(), "amount": "1.00"}
        choices = gateway_check.choices()
        if choices:
            initial["gateway"] = choices[0].name
        form = TestPaymentForm(initial=initial, language=language)
    return render(
        request,
        "payments/manage/test_payment.html",
        {"form": form, "has_gateways": bool(gateway_check.choices()), "lang": language},
        status=status,
    )
