"""The wallet pages (see urls_wallet.py): the kiosk's wallet, top-up, the
low-balance mark, bank deposit slips, the statement (page, CSV, PDF); operator
staff's view of any kiosk's wallet; and the deposit verification queue.

Kiosk logins (franchisee and operators) see their own kiosk's wallet at
``wallet/``; top-ups, deposits and the mark are the franchisee's. Staff allowed
``kiosks.view`` on a kiosk see it at ``wallet/<code>/``; a kiosk they may not see
is a 404. Deposits are decided by staff allowed ``kiosks.finance``. Views parse
the request, call one function of ``wallet`` and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can
from ekseva.core.money import format_inr
from ekseva.payments.models import (
    OPEN_STATUSES,
    IdempotencyConflict,
    Payment,
    PaymentError,
    Status,
)
from ekseva.payments.views_payer import to_checkout

from . import selectors, services, wallet
from .forms_wallet import (
    STATUS_BADGES,
    STATUS_LABELS,
    DepositFilterForm,
    DepositForm,
    KioskPickForm,
    MarkForm,
    RejectForm,
    StatementForm,
    TopUpForm,
    new_token,
)
from .hooks import FINANCE, VIEW
from .models import Kiosk, KioskError, KioskOperator, WalletDeposit

STATEMENT_PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 25

PAYMENT_STATUS = {
    Status.CREATED: ("badge-muted", "Created"),
    Status.PENDING: ("badge-warning", "Pending"),
    Status.SUCCEEDED: ("badge-success", "Succeeded"),
    Status.FAILED: ("badge-danger", "Failed"),
    Status.EXPIRED: ("badge-danger", "Expired"),
    Status.PARTLY_REFUNDED: ("badge-warning", "Partly refunded"),
    Status.REFUNDED: ("badge-muted", "Refunded"),
}


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _own_kiosk(request: HttpRequest) -> Kiosk:
    """The kiosk the signed-in login works at (suspended or not); 404 if none."""
    try:
        return services.require_kiosk(request.user, active=False)
    except KioskError:
        raise Http404("not a kiosk login") from None


def _is_franchisee(user: Any) -> bool:
    operator = services.operator_of(user)
    return operator is not None and operator.role == KioskOperator.Role.FRANCHISEE


def _refuse(request: HttpRequest, exc: KioskError | PaymentError) -> HttpResponse:
    messages.error(request, exc.message(_language()))
    return redirect("kiosks:wallet")


def _field_error(form: Any, exc: KioskError | PaymentError) -> None:
    field = getattr(exc, "field", "")
    form.add_error(field if field in form.fields else None, exc.message(_language()))


# --------------------------------------------------------------------------- the wallet page


def _payment_rows(topups: list[Payment]) -> list[dict[str, Any]]:
    rows = []
    for payment in topups:
        badge, label = PAYMENT_STATUS.get(payment.status, ("badge-muted", payment.status))
        rows.append(
            {
                "payment": payment,
                "badge": badge,
                "status": translation.pgettext("payment status", label),
            }
        )
    return rows


def _deposit_rows(deposits: list[WalletDeposit]) -> list[dict[str, Any]]:
    return [
        {"deposit": d, "status": STATUS_LABELS[d.status], "badge": STATUS_BADGES[d.status]}
        for d in deposits
    ]


def _wallet_page(
    request: HttpRequest,
    kiosk: Kiosk,
    *,
    own: bool,
    topup_form: TopUpForm | None = None,
    mark_form: MarkForm | None = None,
    deposit_form: DepositForm | None = None,
    status: int = 200,
) -> HttpResponse:
    balance = services.wallet_balance(kiosk)
    franchisee = own and _is_franchisee(request.user)
    can_move_money = franchisee and kiosk.is_active
    context = {
        "kiosk": kiosk,
        "own": own,
        "district": kiosk.district.name(_language()),
        "balance": balance,
        "below_mark": wallet.below_mark(kiosk, balance),
        "franchisee": franchisee,
        "can_move_money": can_move_money,
        "deposits": _deposit_rows(wallet.deposits_of(kiosk)),
        "topups": _payment_rows(wallet.recent_topups(kiosk)),
        "statement_url": reverse("kiosks:wallet_statement")
        if own
        else reverse("kiosks:wallet_statement_of", args=[kiosk.code]),
        "deposit_max_age": wallet.DEPOSIT_MAX_AGE_DAYS,
    }
    if can_move_money:
        context["topup_form"] = topup_form or TopUpForm(initial={"token": new_token()})
        context["deposit_form"] = deposit_form or DepositForm()
    if franchisee:
        context["mark_form"] = mark_form or MarkForm(
            initial={"mark": wallet.rupees_text(kiosk.low_balance_paise)}
        )
    return render(request, "kiosks/wallet/wallet.html", context, status=status)


@staff_required
@never_cache
@require_GET
def wallet_page(request: HttpRequest) -> HttpResponse:
    """The kiosk's own wallet; for staff who work at no kiosk, a box to pick one."""
    if services.operator_of(request.user) is None:
        if not can(request.user, VIEW):
            raise Http404("not a kiosk login")
        form = KioskPickForm(request.GET or None)
        if form.is_bound and form.is_valid():
            return redirect("kiosks:wallet_of", form.cleaned_data["code"])
        return render(
            request,
            "kiosks/wallet/pick.html",
            {"form": form, "can_finance": can(request.user, FINANCE)},
        )
    return _wallet_page(request, _own_kiosk(request), own=True)


@staff_required
@never_cache
@require_GET
def wallet_of(request: HttpRequest, code: str) -> HttpResponse:
    kiosk = selectors.kiosk_or_404(request.user, code, VIEW)
    return _wallet_page(request, kiosk, own=False)


@staff_required
@require_POST
def topup(request: HttpRequest) -> HttpResponse:
    """Start a top-up: the hidden token is the idempotency key (pressing twice
    opens one payment), then off to the gateway's checkout."""
    kiosk = _own_kiosk(request)
    language = _language()
    form = TopUpForm(request.POST)
    if not form.is_valid():
        if "token" in form.errors:
            form.renew_token()
        return _wallet_page(request, kiosk, own=True, topup_form=form, status=400)
    try:
        payment = wallet.start_topup(
            request.user, form.cleaned_data["amount"], token=form.cleaned_data["token"]
        )
    except IdempotencyConflict:
        form.add_error(
            None, _("This form was already sent with another amount. Check it and send again.")
        )
        form.renew_token()
        return _wallet_page(request, kiosk, own=True, topup_form=form, status=409)
    except KioskError as exc:
        if exc.field not in form.fields:
            return _refuse(request, exc)
        _field_error(form, exc)
        return _wallet_page(request, kiosk, own=True, topup_form=form, status=400)
    except PaymentError as exc:
        return _refuse(request, exc)
    if payment.status not in OPEN_STATUSES:  # the same form sent again after paying
        return redirect("payments:status", reference=payment.reference)
    try:
        response = to_checkout(request, payment, language=language)
    except PaymentError as exc:
        return _refuse(request, exc)
    return response


@staff_required
@require_POST
def mark(request: HttpRequest) -> HttpResponse:
    kiosk = _own_kiosk(request)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _wallet_page(request, kiosk, own=True, mark_form=form, status=400)
    try:
        kiosk = wallet.set_low_balance_mark(request.user, form.cleaned_data["mark"])
    except KioskError as exc:
        if exc.field not in form.fields:
            return _refuse(request, exc)
        _field_error(form, exc)
        return _wallet_page(request, kiosk, own=True, mark_form=form, status=400)
    mark_text = format_inr(kiosk.low_balance_paise)
    if kiosk.low_balance_paise == 0:
        messages.success(request, _("The low-balance alert is off."))
    else:
        messages.success(
            request,
            _("You will get an SMS when the balance falls below %(mark)s.") % {"mark": mark_text},
        )
        if wallet.below_mark(kiosk, services.wallet_balance(kiosk)):
            messages.warning(
                request, _("The balance is already below %(mark)s.") % {"mark": mark_text}
            )
    return redirect(reverse("kiosks:wallet") + "#alert")


@staff_required
@require_POST
def deposit(request: HttpRequest) -> HttpResponse:
    kiosk = _own_kiosk(request)
    form = DepositForm(request.POST)
    if form.is_valid():
        for problem in wallet.deposit_problems(**form.cleaned_data):
            _field_error(form, problem)
    if not form.is_valid():
        return _wallet_page(request, kiosk, own=True, deposit_form=form, status=400)
    try:
        slip = wallet.submit_deposit(request.user, **form.cleaned_data)
    except KioskError as exc:
        if exc.field not in form.fields:
            return _refuse(request, exc)
        _field_error(form, exc)
        return _wallet_page(request, kiosk, own=True, deposit_form=form, status=400)
    messages.success(
        request,
        _(
            "Deposit %(reference)s of %(amount)s recorded. It will be credited to the wallet "
            "once operator staff find it in the bank statement."
        )
        % {"reference": slip.bank_reference, "amount": format_inr(slip.amount)},
    )
    return redirect(reverse("kiosks:wallet") + "#deposits")


# --------------------------------------------------------------------------- the statement


def _statement_range(request: HttpRequest) -> tuple[StatementForm, tuple[Any, Any]]:
    start, end = wallet.this_month()
    data = request.GET if ("start" in request.GET or "end" in request.GET) else None
    form = StatementForm(data, initial={"start": start, "end": end})
    return form, (start, end)


def _statement_of(
    request: HttpRequest, kiosk: Kiosk
) -> tuple[StatementForm, wallet.WalletStatement | None]:
    """The form of the date range and the statement (None if the range is bad)."""
    form, (start, end) = _statement_range(request)
    if form.is_bound:
        if not form.is_valid():
            return form, None
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        return form, wallet.statement(kiosk, start, end)
    except KioskError as exc:
        _field_error(form, exc)
        return form, None


def _statement_page(request: HttpRequest, kiosk: Kiosk, *, own: bool) -> HttpResponse:
    form, found = _statement_of(request, kiosk)
    names = (
        ("kiosks:wallet_statement", "kiosks:wallet_statement_csv", "kiosks:wallet_statement_pdf")
        if own
        else (
            "kiosks:wallet_statement_of",
            "kiosks:wallet_statement_of_csv",
            "kiosks:wallet_statement_of_pdf",
        )
    )
    args = [] if own else [kiosk.code]
    context: dict[str, Any] = {
        "kiosk": kiosk,
        "own": own,
        "form": form,
        "found": found,
        "page_url": reverse(names[0], args=args),
        "wallet_url": reverse("kiosks:wallet") if own else reverse("kiosks:wallet_of", args=args),
    }
    if found is None:
        return render(request, "kiosks/wallet/statement.html", context, status=400)
    query = urlencode({"start": found.start.isoformat(), "end": found.end.isoformat()})
    page = Paginator(found.entries, STATEMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        {
            "page": page,
            "lines": found.lines(page.object_list),
            "query": query,
            "csv_url": f"{reverse(names[1], args=args)}?{query}",
            "pdf_url": f"{reverse(names[2], args=args)}?{query}",
        }
    )
    return render(request, "kiosks/wallet/statement.html", context)


def _download(request: HttpRequest, kiosk: Kiosk, kind: str, *, own: bool) -> HttpResponse:
    _form, found = _statement_of(request, kiosk)
    if found is None:
        return _statement_page(request, kiosk, own=own)
    if kind == "csv":
        response = HttpResponse(wallet.statement_csv(found), content_type="text/csv; charset=utf-8")
        name = wallet.filename(found, "csv")
    else:
        language = request.GET.get("lang") or _language()
        response = HttpResponse(
            wallet.statement_pdf(found, language), content_type="application/pdf"
        )
        name = wallet.filename(found, "pdf").replace(
            ".pdf", f"-{'hi' if language == 'hi' else 'en'}.pdf"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@never_cache
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    return _statement_page(request, _own_kiosk(request), own=True)


@staff_required
@never_cache
@require_GET
def statement_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, _own_kiosk(request), "csv", own=True)


@staff_required
@never_cache
@require_GET
def statement_pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, _own_kiosk(request), "pdf", own=True)


@staff_required
@never_cache
@require_GET
def statement_of(request: HttpRequest, code: str) -> HttpResponse:
    return _statement_page(request, selectors.kiosk_or_404(request.user, code, VIEW), own=False)


@staff_required
@never_cache
@require_GET
def statement_of_csv(request: HttpRequest, code: str) -> HttpResponse:
    kiosk = selectors.kiosk_or_404(request.user, code, VIEW)
    return _download(request, kiosk, "csv", own=False)


@staff_required
@never_cache
@require_GET
def statement_of_pdf(request: HttpRequest, code: str) -> HttpResponse:
    kiosk = selectors.kiosk_or_404(request.user, code, VIEW)
    return _download(request, kiosk, "pdf", own=False)


# --------------------------------------------------------------------------- staff: deposits


def _deposit_or_404(request: HttpRequest, pk: int) -> WalletDeposit:
    deposit = (
        WalletDeposit.objects.select_related(
            "kiosk", "kiosk__district", "submitted_by", "decided_by"
        )
        .filter(pk=pk)
        .first()
    )
    if deposit is None or not can(request.user, FINANCE, deposit):
        raise Http404("no such deposit")
    return deposit


@staff_required
@never_cache
@require_GET
def manage_deposits(request: HttpRequest) -> HttpResponse:
    if not can(request.user, FINANCE):
        raise PermissionDenied("kiosks.finance")
    form = DepositFilterForm(request.GET or None)
    status, kiosk_code = "", ""
    if form.is_bound and form.is_valid():
        status, kiosk_code = form.cleaned_data["status"], form.cleaned_data["kiosk"]
    rows = wallet.deposit_queue(status, kiosk_code)
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {key: value for key, value in (("status", status), ("kiosk", kiosk_code)) if value}
    )
    return render(
        request,
        "kiosks/manage/deposits/list.html",
        {
            "form": form,
            "page": page,
            "rows": _deposit_rows(list(page.object_list)),
            "query": query,
            "waiting": WalletDeposit.objects.filter(status=WalletDeposit.Status.SUBMITTED).count(),
        },
    )


def _deposit_page(
    request: HttpRequest,
    deposit: WalletDeposit,
    *,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    same_reference = WalletDeposit.objects.filter(bank_reference=deposit.bank_reference).exclude(
        pk=deposit.pk
    )
    return render(
        request,
        "kiosks/manage/deposits/detail.html",
        {
            "deposit": deposit,
            "kiosk": deposit.kiosk,
            "status": STATUS_LABELS[deposit.status],
            "badge": STATUS_BADGES[deposit.status],
            "balance": services.wallet_balance(deposit.kiosk),
            "others": _deposit_rows(list(same_reference.select_related("kiosk"))),
            "waiting": deposit.status == WalletDeposit.Status.SUBMITTED,
            "reject_form": reject_form or RejectForm(),
        },
        status=status,
    )


@staff_required
@never_cache
@require_GET
def manage_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    return _deposit_page(request, _deposit_or_404(request, pk))


@staff_required
@require_POST
def verify_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    slip = _deposit_or_404(request, pk)
    try:
        slip = wallet.verify_deposit(request.user, slip)
    except KioskError as exc:
        messages.error(request, exc.message(_language()))
        return redirect("kiosks:manage_deposit", slip.pk)
    messages.success(
        request,
        _("Deposit %(reference)s verified: %(amount)s credited to the wallet of kiosk %(kiosk)s.")
        % {
            "reference": slip.bank_reference,
            "amount": format_inr(slip.amount),
            "kiosk": slip.kiosk.code,
        },
    )
    return redirect("kiosks:manage_deposits")


@staff_required
@require_http_methods(["POST"])
def reject_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    slip = _deposit_or_404(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _deposit_page(request, slip, reject_form=form, status=400)
    try:
        slip = wallet.reject_deposit(request.user, slip, reason=form.cleaned_data["reason"])
    except KioskError as exc:
        if exc.field in form.fields:
            _field_error(form, exc)
            return _deposit_page(request, slip, reject_form=form, status=400)
        messages.error(request, exc.message(_language()))
        return redirect("kiosks:manage_deposit", slip.pk)
    messages.success(
        request,
        _("Deposit %(reference)s rejected; the franchisee has been told.")
        % {"reference": slip.bank_reference},
    )
    return redirect("kiosks:manage_deposits")
