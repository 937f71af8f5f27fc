"""The payer's pages: a payment's status, pay, the return from the gateway; and the
sandbox gateway's own checkout page (docs/payments.md#the-payers-pages).

Who may see a payment: its payer, or staff allowed ``payments.view`` (TOTP-verified).
Anyone else gets 404, never 403, so that references cannot be probed; a visitor who
is not signed in is sent to sign in first.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from stdnum import luhn

from ekseva.core import clock

from . import payer, sandbox, services
from .models import Payment, PaymentError, SignatureError, Status

# The status page asks the server again this often while a payment is pending.
REFRESH_SECONDS = 4


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _sign_in(request: HttpRequest) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(reverse("accounts:signin"))
    return redirect_to_login(request.get_full_path())


def _payment_for(request: HttpRequest, reference: str) -> Payment:
    """The payment if this user may see it; 404 otherwise (also when it does not exist)."""
    payment = Payment.objects.filter(reference=reference).first()
    if payment is None or not payer.may_see(request.user, payment):
        raise Http404("no such payment")
    return payment


def _return_url(request: HttpRequest, payment: Payment) -> str:
    return request.build_absolute_uri(reverse("payments:return", args=[payment.reference]))


def hand_over(request: HttpRequest, start: services.CheckoutStart) -> HttpResponse:
    """The answer that takes the payer to the gateway: a redirect, or our page
    that hands over to the gateway's script."""
    checkout = start.checkout
    if checkout.redirect_url:
        return redirect(checkout.redirect_url)
    return render(request, checkout.template, {**checkout.context, "payment": start.payment})


def to_checkout(request: HttpRequest, payment: Payment, *, language: str) -> HttpResponse:
    """Open ``payment``'s checkout and send the payer there; the gateway returns
    them to ``payments:return``. For the pages of any app that charges for
    something. Raises ``PaymentError`` (the caller says why in its own page)."""
    start = services.start_checkout(
        payment, return_url=_return_url(request, payment), language=language, actor=request.user
    )
    return hand_over(request, start)


# --------------------------------------------------------------------------- status


@never_cache
@require_GET
def status(request: HttpRequest, reference: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    payment = _payment_for(request, reference)
    if (
        payment.status == Status.PENDING
        and payment.next_poll_at is not None
        and payment.next_poll_at <= clock.now()
    ):
        payment = services.poll(payment)  # a poll is due: ask the gateway now
    view = payer.status_view(payment, language=_language(), user=request.user)
    context = {
        "view": view,
        "payment": payment,
        "refresh_seconds": REFRESH_SECONDS,
        "purpose_link": payer.purpose_link(payment),
    }
    if getattr(request, "htmx", False):
        return render(request, "payments/payer/_status.html", context)
    return render(request, "payments/payer/status.html", context)


@require_POST
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _sign_in(request)
    payment = _payment_for(request, reference)
    if not payer.may_pay(request.user, payment):
        raise Http404("no such payment")
    language = _language()
    try:
        if payment.status in payer.GIVEN_UP:
            start = payer.pay_again(
                payment,
                return_url_for=lambda p: _return_url(request, p),
                language=language,
                actor=request.user,
            )
        else:
            start = services.start_checkout(
                payment,
                return_url=_return_url(request, payment),
                language=language,
                actor=request.user,
            )
    except PaymentError as exc:
        messages.error(request, exc.message(language))
        return redirect("payments:status", reference=payment.reference)
    return hand_over(request, start)


@csrf_exempt  # gateways POST back from their own site; the signature is the check
@require_http_methods(["GET", "POST"])
def return_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The payer's browser comes back from the gateway. The signed parameters are
    applied (or refused), then the payer sees the status page."""
    params = dict((request.POST or request.GET).items())
    payment = Payment.objects.filter(reference=reference).first()
    problem = ""
    if payment is None:
        # The same answer as a bad signature: a reference cannot be probed here.
        problem = _("The payment gateway's answer could not be checked, so it was not used.")
    else:
        try:
            services.handle_return(payment, params)
        except SignatureError:
            problem = _("The payment gateway's answer could not be checked, so it was not used.")
        except PaymentError as exc:
            problem = exc.message(_language())
    if problem:
        return render(
            request,
            "payments/payer/return_error.html",
            {"problem": problem, "reference": reference},
            status=400,
        )
    return redirect("payments:status", reference=reference)


# --------------------------------------------------------------------------- the sandbox

UPI_HANDLE = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z]{2,64}$")
EXPIRY = re.compile(r"^(\d{1,2})\s*/?\s*(\d{2}|\d{4})$")


class CardForm(forms.Form):
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    card_expiry = forms.CharField(
        label=gettext_lazy("Expiry (MM/YY)"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "short"}
        ),
    )
    card_cvv = forms.CharField(
        label=gettext_lazy("CVV"),
        max_length=4,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "short"}
        ),
    )

    def clean_card_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise forms.ValidationError(_("Enter the card number: 12 to 19 digits."))
        if not luhn.is_valid(digits):
            raise forms.ValidationError(_("This card number is not valid; check the digits."))
        if digits not in sandbox.TEST_CARDS:
            raise forms.ValidationError(
                _("This is a test gateway: use one of the test cards listed on this page.")
            )
        return digits

    def clean_card_expiry(self) -> tuple[int, int]:
        match = EXPIRY.match(self.cleaned_data["card_expiry"].strip())
        month = int(match.group(1)) if match else 0
        if not match or not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter the expiry as MM/YY, for example 08/29."))
        year = int(match.group(2))
        year = year + 2000 if year < 100 else year
        today = clock.local_now()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("This card has expired."))
        if year > today.year + 20:
            raise forms.ValidationError(_("Enter the expiry as MM/YY, for example 08/29."))
        return (month, year)

    def clean_card_cvv(self) -> str:
        cvv = self.cleaned_data["card_cvv"].strip()
        if not cvv.isascii() or not cvv.isdigit() or len(cvv) not in (3, 4):
            raise forms.ValidationError(_("Enter the 3 or 4 digit CVV from the back of the card."))
        return cvv

    def instrument(self) -> sandbox.Instrument:
        number = self.cleaned_data["card_number"]
        return sandbox.Instrument(
            method="card", scenario=sandbox.TEST_CARDS[number], shown=f"card •••• {number[-4:]}"
        )


class UpiForm(forms.Form):
    upi_handle = forms.CharField(
        label=gettext_lazy("UPI ID"),
        max_length=300,
        help_text=gettext_lazy("For example name@bank"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean_upi_handle(self) -> str:
        handle = self.cleaned_data["upi_handle"].strip()
        if not UPI_HANDLE.match(handle):
            raise forms.ValidationError(
                _("Enter a UPI ID like name@bank (letters, digits, dot, dash, underscore).")
            )
        handle = handle.lower()
        if handle not in sandbox.TEST_UPI:
            raise forms.ValidationError(
                _("This is a test gateway: use one of the test UPI IDs listed on this page.")
            )
        return handle

    def instrument(self) -> sandbox.Instrument:
        handle = self.cleaned_data["upi_handle"]
        return sandbox.Instrument(method="upi", scenario=sandbox.TEST_UPI[handle], shown=handle)


class NetbankingForm(forms.Form):
    bank = forms.ChoiceField(label=gettext_lazy("Your bank"), choices=())

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [("", _("Choose your bank"))] + [
            (bank.code, bank.name(language)) for bank in sandbox.TEST_BANKS
        ]
        self.fields["bank"].error_messages["required"] = _("Choose your bank.")

    def instrument(self) -> sandbox.Instrument:
        code = self.cleaned_data["bank"]
        bank = next(bank for bank in sandbox.TEST_BANKS if bank.code == code)
        return sandbox.Instrument(method="netbanking", scenario=bank.scenario, shown=bank.code)


METHOD_FORMS = {"card": CardForm, "upi": UpiForm, "netbanking": NetbankingForm}


def _back_url(return_url: str, order: Any) -> str:
    joiner = "&" if "?" in return_url else "?"
    return f"{return_url}{joiner}{urlencode(sandbox.return_params(order))}"


def _mark_errors(form: forms.Form) -> forms.Form:
    """Point each control in error at its message (aria-invalid, aria-describedby)."""
    for bound in form:
        if bound.errors:
            bound.field.widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"{bound.id_for_label}-error"}
            )
    return form


def _test_values() -> list[dict[str, str]]:
    """The box of test values on the checkout page, in the page language."""
    effects = {
        sandbox.SUCCESS: _("Paid at once."),
        sandbox.FAILURE: _("Declined by the bank."),
        sandbox.TIMEOUT: _(
            "No answer from the bank: the payment stays pending until its time runs out."
        ),
        sandbox.LATE: _(
            "You are told it failed; the money is taken %(minutes)s minutes later (a late success)."
        )
        % {"minutes": int(sandbox.LATE_CAPTURE_AFTER.total_seconds() // 60)},
        sandbox.DUPLICATE: _("Paid; the gateway's notice of it arrives three times."),
        sandbox.OUT_OF_ORDER: _(
            "Paid; the failure notice of an earlier try arrives after the success."
        ),
    }
    rows = [
        {
            "kind": _("Card"),
            "value": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            "effect": effects[scenario],
        }
        for number, scenario in sandbox.TEST_CARDS.items()
    ]
    rows += [
        {"kind": _("UPI"), "value": handle, "effect": effects[scenario]}
        for handle, scenario in sandbox.TEST_UPI.items()
    ]
    language = _language()
    rows += [
        {"kind": _("Net banking"), "value": bank.name(language), "effect": effects[bank.scenario]}
        for bank in sandbox.TEST_BANKS
    ]
    return rows


def _method_form(method: str, data: Any, language: str) -> forms.Form:
    form_class = METHOD_FORMS[method]
    kwargs = {"language": language} if form_class is NetbankingForm else {}
    return form_class(data, prefix=method, **kwargs)


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest, order_id: str) -> HttpResponse:
    """The sandbox gateway's hosted checkout page (a separate 'site': its own header).
    Anyone holding the link may pay, as on a real gateway's page; the return URL comes
    signed in the link, so the page sends people nowhere else. Where the sandbox is not
    enabled (PAYMENT_GATEWAYS), the page does not exist: no test value can pay anything."""
    if "sandbox" not in settings.PAYMENT_GATEWAYS:
        raise Http404("the sandbox gateway is not enabled")
    order = sandbox.get_order(order_id)
    if order is None:
        raise Http404("no such order")
    return_url = sandbox.read_return_url(order_id, request.GET.get("return", ""))
    if return_url is None:
        return render(request, "payments/sandbox/invalid.html", status=400)
    language = _language()
    chosen = request.POST.get("method", "") if request.method == "POST" else ""
    if chosen not in METHOD_FORMS:
        chosen = ""
    posted = None
    if request.method == "POST" and sandbox.is_open(order):
        if request.POST.get("action") == "cancel":
            order = sandbox.cancel(order_id)
            return redirect(_back_url(return_url, order))
        if chosen:
            posted = _method_form(chosen, request.POST, language)
            if posted.is_valid():
                try:
                    order = sandbox.pay(order_id, posted.instrument())
                except sandbox.SandboxRefusal:  # paid or closed meanwhile (another tab)
                    order = sandbox.get_order(order_id)
                return redirect(_back_url(return_url, order))
            _mark_errors(posted)
    forms_by_method = {
        method: posted
        if posted is not None and method == chosen
        else _method_form(method, None, language)
        for method in METHOD_FORMS
    }
    context = {
        "order": order,
        "open": sandbox.is_open(order),
        "chosen": chosen or "card",
        "card_form": forms_by_method["card"],
        "upi_form": forms_by_method["upi"],
        "netbanking_form": forms_by_method["netbanking"],
        "back_url": _back_url(return_url, order),
        "test_values": _test_values(),
    }
    return render(request, "payments/sandbox/checkout.html", context)
