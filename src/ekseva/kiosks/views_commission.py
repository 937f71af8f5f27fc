"""Commission pages (guide: docs/kiosks.md, "Commission").

At the kiosk, /<lang>/kiosks/commission/: the kiosk's monthly statements. Its
operators see each month's transactions and gross commission; only the
franchisee (the owner, who is paid) sees TDS, net, the payout and downloads the
statement PDF, which carries the owner's bank account.

Operator staff in finance (``kiosks.finance``), /<lang>/kiosks/manage/commission/
and /<lang>/kiosks/manage/payouts/: every kiosk's statements by month with
totals and a CSV export, any statement's PDF, making a month's statements, and
payout batches (made, bank file downloaded, marked paid). Every page needs a
TOTP-verified staff session (kiosk logins are staff accounts); the writes are
``commission.make_statements``, ``create_batch`` and ``mark_paid``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can, require
from ekseva.core.money import format_inr

from . import commission, services
from .forms_commission import CreateBatchForm, MakeStatementsForm, MarkPaidForm, MonthFilterForm
from .hooks import FINANCE, VIEW
from .models import CommissionStatement, Kiosk, KioskError, KioskOperator, PayoutBatch

PER_PAGE = 100
ITEMS_SHOWN = 500


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _say(exc: KioskError) -> str:
    return exc.message(_language())


def _pdf_language(request: HttpRequest) -> str:
    language = request.GET.get("lang") or _language()
    return language if language in ("en", "hi") else "en"


def _pdf_response(statement: CommissionStatement, language: str) -> HttpResponse:
    data = commission.statement_pdf(statement, language)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"commission-{statement.kiosk.code}-{commission.month_label(statement.month)}-{language}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _csv_response(text: str, filename: str) -> HttpResponse:
    # A byte-order mark, so that spreadsheet programs read names as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _month_or_404(text: str):
    try:
        return commission.parse_month(text)
    except KioskError:
        raise Http404("no such month") from None


# --------------------------------------------------------------------------- at the kiosk


def _kiosk_login(request: HttpRequest) -> tuple[Kiosk, bool]:
    """The user's kiosk (suspended or closed too: statements stay readable) and
    whether the user is its franchisee."""
    operator = services.operator_of(request.user)
    if operator is None or not can(request.user, VIEW, operator.kiosk):
        raise PermissionDenied("not a kiosk login")
    return operator.kiosk, operator.role == KioskOperator.Role.FRANCHISEE


@staff_required
@require_GET
def kiosk_statements(request: HttpRequest) -> HttpResponse:
    kiosk, owner = _kiosk_login(request)
    statements = list(commission.statements_of_kiosk(kiosk).order_by("-month"))
    return render(
        request,
        "kiosks/commission/list.html",
        {
            "kiosk": kiosk,
            "owner": owner,
            "rows": [
                (statement, commission.payout_text(statement) if owner else "")
                for statement in statements
            ],
        },
    )


@staff_required
@require_GET
def kiosk_statement_pdf(request: HttpRequest, month: str) -> HttpResponse:
    kiosk, owner = _kiosk_login(request)
    if not owner:
        raise PermissionDenied("the statement is the franchisee's")
    statement = get_object_or_404(
        CommissionStatement.objects.select_related("kiosk__district", "payout"),
        kiosk=kiosk,
        month=_month_or_404(month),
    )
    return _pdf_response(statement, _pdf_language(request))


# --------------------------------------------------------------------------- staff: statements


def _statements_page(
    request: HttpRequest, make_form: MakeStatementsForm | None = None, status: int = 200
) -> HttpResponse:
    months = commission.months_with_statements()
    data = request.GET.copy()
    if not data.get("month") and months:
        data["month"] = commission.month_label(months[0])
    filters = MonthFilterForm(data, months=months)
    month = filters.chosen()
    statements = (
        commission.statements_of_month(month) if month else CommissionStatement.objects.none()
    )
    if month and request.GET.get("format") == "csv" and status == 200:
        return _csv_response(
            _statements_csv(statements), f"commission-{commission.month_label(month)}.csv"
        )
    page = Paginator(statements, PER_PAGE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "kiosks/manage/commission/list.html",
        {
            "filters": filters,
            "month": month,
            "totals": commission.totals(statements),
            "page": page,
            "rows": [(s, commission.payout_text(s)) for s in page],
            "query": query.urlencode(),
            "make_form": make_form or MakeStatementsForm(),
        },
        status=status,
    )


def _statements_csv(statements: Any) -> str:
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    write(
        [
            "month",
            "kiosk",
            "business_name",
            "district",
            "kiosk_status",
            "transactions",
            "gross",
            "tds_rate_bp",
            "tds",
            "net",
            "payout",
            "payout_state",
            "paid_at",
        ]
    )
    for statement in statements.select_related("kiosk__district"):
        kiosk = statement.kiosk
        write(
            [
                commission.month_label(statement.month),
                kiosk.code,
                kiosk.business_name,
                kiosk.district.name_en if kiosk.district_id else "",
                kiosk.status,
                statement.transactions,
                commission.rupees_text(statement.gross),
                statement.tds_rate_bp,
                commission.rupees_text(statement.tds),
                commission.rupees_text(statement.net),
                statement.payout.reference if statement.payout_id else "",
                commission.payout_state(statement),
                statement.paid_at.date().isoformat() if statement.paid_at else "",
            ]
        )
    return out.getvalue()


@staff_required
@require_GET
def manage_statements(request: HttpRequest) -> HttpResponse:
    require(request.user, FINANCE)
    return _statements_page(request)


@staff_required
@require_POST
def manage_make_statements(request: HttpRequest) -> HttpResponse:
    require(request.user, FINANCE)
    form = MakeStatementsForm(request.POST)
    if form.is_valid():
        month = form.cleaned_data["month"]
        try:
            made = commission.make_statements(month, actor=request.user)
        except KioskError as exc:
            form.add_error("month", _say(exc))
        else:
            messages.success(
                request,
                _("%(month)s: %(count)s statement(s).")
                % {"month": commission.month_text(month), "count": len(made)},
            )
            url = redirect("kiosks:manage_commission").url
            return redirect(f"{url}?month={commission.month_label(month)}")
    return _statements_page(request, form, status=400)


@staff_required
@require_GET
def manage_statement_pdf(request: HttpRequest, code: str, month: str) -> HttpResponse:
    require(request.user, FINANCE)
    statement = get_object_or_404(
        CommissionStatement.objects.select_related("kiosk__district", "payout"),
        kiosk__code=code.upper(),
        month=_month_or_404(month),
    )
    return _pdf_response(statement, _pdf_language(request))


# --------------------------------------------------------------------------- staff: payouts


def _payouts_page(
    request: HttpRequest, form: CreateBatchForm | None = None, status: int = 200
) -> HttpResponse:
    preview = None
    if form is None:
        form = CreateBatchForm(request.GET or None)
        if request.GET and form.is_valid():
            try:
                preview = commission.batch_preview(form.cleaned_data["month"])
            except KioskError as exc:
                form.add_error("month", _say(exc))
                status = 400
        elif request.GET:
            status = 400
    elif form.is_valid():
        try:
            preview = commission.batch_preview(form.cleaned_data["month"])
        except KioskError:
            preview = None
    page = Paginator(PayoutBatch.objects.order_by("-created_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "kiosks/manage/payouts/list.html",
        {
            "form": form,
            "preview": preview,
            "held": [(held, _held_reason(held.reason)) for held in preview.held] if preview else [],
            "page": page,
        },
        status=status,
    )


def _held_reason(reason: str) -> str:
    return {
        commission.PayoutState.HELD: _("Held: the kiosk is suspended"),
        commission.PayoutState.EXCLUDED: _("Left out: the kiosk is closed (settled separately)"),
        commission.PayoutState.CARRIED: _(
            "Carried forward: refunds leave nothing to pay (set against later commission)"
        ),
    }.get(reason, reason)


@staff_required
@require_GET
def manage_payouts(request: HttpRequest) -> HttpResponse:
    require(request.user, FINANCE)
    return _payouts_page(request)


@staff_required
@require_POST
def manage_create_payout(request: HttpRequest) -> HttpResponse:
    require(request.user, FINANCE)
    form = CreateBatchForm(request.POST)
    if form.is_valid():
        try:
            batch = commission.create_batch(form.cleaned_data["month"], actor=request.user)
        except KioskError as exc:
            form.add_error("month", _say(exc))
        else:
            messages.success(
                request,
                _(
                    "Payout %(reference)s is made: %(count)s transfer(s), %(total)s. Download the "
                    "bank file, then mark it paid when the bank confirms."
                )
                % {
                    "reference": batch.reference,
                    "count": batch.count,
                    "total": format_inr(batch.total),
                },
            )
            return redirect("kiosks:manage_payout", reference=batch.reference)
    return _payouts_page(request, form, status=400)


def _batch(reference: str) -> PayoutBatch:
    return get_object_or_404(PayoutBatch, reference=reference.upper())


def _batch_page(
    request: HttpRequest,
    batch: PayoutBatch,
    form: MarkPaidForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    if batch.status == PayoutBatch.Status.CREATED and form is None:
        form = MarkPaidForm()
    return render(
        request,
        "kiosks/manage/payouts/detail.html",
        {
            "batch": batch,
            "lines": commission.batch_lines(batch),
            "form": form if batch.status == PayoutBatch.Status.CREATED else None,
            "error": error,
        },
        status=status,
    )


@staff_required
@require_GET
def manage_payout(request: HttpRequest, reference: str) -> HttpResponse:
    require(request.user, FINANCE)
    return _batch_page(request, _batch(reference))


@staff_required
@require_GET
def manage_payout_file(request: HttpRequest, reference: str) -> HttpResponse:
    require(request.user, FINANCE)
    batch = _batch(reference)
    return _csv_response(commission.bank_file_csv(batch), f"{batch.reference}-bank.csv")


@staff_required
@require_POST
def manage_payout_paid(request: HttpRequest, reference: str) -> HttpResponse:
    require(request.user, FINANCE)
    batch = _batch(reference)
    form = MarkPaidForm(request.POST)
    if form.is_valid():
        try:
            batch = commission.mark_paid(
                batch, form.cleaned_data["bank_reference"], actor=request.user
            )
        except KioskError as exc:
            batch.refresh_from_db()
            return _batch_page(request, batch, form, status=409, error=_say(exc))
        messages.success(
            request,
            _("Payout %(reference)s is marked paid; the franchisees are told by SMS.")
            % {"reference": batch.reference},
        )
        return redirect("kiosks:manage_payout", reference=batch.reference)
    return _batch_page(request, batch, form, status=400)
