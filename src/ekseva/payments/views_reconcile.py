"""Operator staff screens for reconciliation: the runs with an upload form, one
run's report (totals, counts, items by category) and its items as CSV.

Every page needs a TOTP-verified staff session and ``payments.reconcile``. The
import itself is ``reconcile.import_file`` (one transaction, audit-logged); this
module only checks the upload (size, UTF-8 text) and shows the result.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import require

from . import permissions, reconcile
from .models import ItemCategory, Payment, PaymentError, ReconciliationItem, ReconciliationRun

MAX_FILE_BYTES = 10 * 1024 * 1024
RUNS_PER_PAGE = 25
ITEMS_PER_PAGE = 100

# Category names for people, in both languages (the model's labels are English only).
CATEGORY_LABELS = {
    ItemCategory.MATCHED: gettext_lazy("Matched"),
    ItemCategory.LATE_SUCCESS: gettext_lazy("Late success resolved"),
    ItemCategory.FEE_DIFFERS: gettext_lazy("Fee differs"),
    ItemCategory.AMOUNT_DIFFERS: gettext_lazy("Amount differs"),
    ItemCategory.NOT_IN_LEDGER: gettext_lazy("In the file, not in our books"),
    ItemCategory.NOT_IN_FILE: gettext_lazy("In our books, not in the file"),
    ItemCategory.REFUND_MATCHED: gettext_lazy("Refund matched"),
    ItemCategory.REFUND_UNKNOWN: gettext_lazy("Refund we do not know"),
}


def _say(exc: PaymentError) -> str:
    return exc.message(translation.get_language() or "en")


class UploadForm(forms.Form):
    gateway = forms.ChoiceField(label=gettext_lazy("Gateway"))
    file = forms.FileField(
        label=gettext_lazy("Settlement file (CSV)"),
        help_text=gettext_lazy("The gateway's settlement report as CSV, UTF-8, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    period_from = forms.DateField(
        label=gettext_lazy("First day covered (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_to = forms.DateField(
        label=gettext_lazy("Last day covered (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = translation.get_language() or "en"
        self.fields["gateway"].choices = [
            (gateway.name, gateway.label(language)) for gateway in reconcile.settlement_gateways()
        ]
        self.text = ""

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 10 MB. Split it by date and upload each part."),
                code="size",
            )
        data = upload.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise forms.ValidationError(
                _(
                    "Line %(line)s: the file is not UTF-8 text. Save it from the spreadsheet "
                    "as “CSV UTF-8” and upload it again."
                )
                % {"line": line},
                code="encoding",
            ) from None
        if "\x00" in text:
            raise forms.ValidationError(
                _("This is not a text (CSV) file. Upload the settlement report as CSV."),
                code="binary",
            )
        self.text = text
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            self.add_error("period_to", _("The last day cannot be before the first day."))
        return data


def _run(request: HttpRequest, pk: int) -> ReconciliationRun:
    require(request.user, permissions.RECONCILE)
    return get_object_or_404(ReconciliationRun.objects.select_related("imported_by"), pk=pk)


def payment_url(payment: Payment | None) -> str:
    """Where staff open a payment (the payments console), or "" if it is not mounted."""
    if payment is None:
        return ""
    try:
        return reverse("payments:manage_detail", kwargs={"reference": payment.reference})
    except NoReverseMatch:
        return ""


def _counts(run: ReconciliationRun) -> list[dict[str, Any]]:
    return [
        {
            "code": str(category),
            "label": CATEGORY_LABELS[category],
            "count": run.summary.get(str(category), 0),
            "attention": category in reconcile.ATTENTION,
        }
        for category in reconcile.CATEGORY_ORDER
    ]


def _shown_items(page_items: list[ReconciliationItem]) -> list[dict[str, Any]]:
    return [
        {
            "item": item,
            "label": CATEGORY_LABELS[ItemCategory(item.category)],
            "attention": item.category in reconcile.ATTENTION,
            "payment_url": payment_url(item.payment),
        }
        for item in page_items
    ]


@staff_required
@require_http_methods(["GET", "POST"])
def run_list(request: HttpRequest) -> HttpResponse:
    """GET: the runs and the upload form; POST: import the uploaded file."""
    require(request.user, permissions.RECONCILE)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = reconcile.import_file(
                    form.cleaned_data["gateway"],
                    upload.name,
                    form.text,
                    actor=request.user,
                    period_start=form.cleaned_data["period_from"],
                    period_end=form.cleaned_data["period_to"],
                )
            except PaymentError as exc:
                form.add_error("file", _say(exc))
                status = 400
            else:
                if run.replayed:
                    messages.info(
                        request,
                        _(
                            "This file was already imported on %(when)s (run %(run)s); "
                            "nothing was posted again."
                        )
                        % {
                            "when": f"{timezone.localtime(run.imported_at):%d-%m-%Y %H:%M}",
                            "run": run.pk,
                        },
                    )
                else:
                    messages.success(
                        request,
                        _("Imported %(rows)s row(s) as run %(run)s.")
                        % {"rows": run.rows, "run": run.pk},
                    )
                return redirect("payments:reconcile_run", pk=run.pk)
        else:
            status = 400
    else:
        form = UploadForm()
    page = Paginator(reconcile.runs(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "run": run,
            "attention": reconcile.attention_count(run),
            "matched": run.summary.get(str(ItemCategory.MATCHED), 0)
            + run.summary.get(str(ItemCategory.REFUND_MATCHED), 0)
            + run.summary.get(str(ItemCategory.LATE_SUCCESS), 0),
        }
        for run in page.object_list
    ]
    return render(
        request,
        "payments/reconcile/list.html",
        {"form": form, "page": page, "rows": rows, "max_mb": MAX_FILE_BYTES // (1024 * 1024)},
        status=status,
    )


@staff_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: totals, counts per category (filter links), the items. An htmx
    request for another category gets the item table alone."""
    run = _run(request, pk)
    category = request.GET.get("category", "")
    if category not in ItemCategory.values:
        category = ""
    page = Paginator(reconcile.items(run, category), ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "run": run,
        "category": category,
        "category_label": CATEGORY_LABELS[ItemCategory(category)] if category else "",
        "counts": _counts(run),
        "attention": reconcile.attention_count(run),
        "page": page,
        "items": _shown_items(list(page.object_list)),
    }
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "payments/reconcile/_items.html" if partial else "payments/reconcile/run.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


CSV_COLUMNS = (
    "line",
    "category",
    "category_label",
    "payment_reference",
    "gateway_payment_id",
    "order_id",
    "file_amount_paise",
    "ledger_amount_paise",
    "file_fee_paise",
    "expected_fee_paise",
    "note",
)


@staff_required
@require_GET
def run_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's items as CSV (UTF-8 with a byte-order mark, so spreadsheets read the
    Hindi labels), amounts in paise."""
    run = _run(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="reconciliation-{run.pk}-{run.gateway}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for item in reconcile.items(run).iterator(chunk_size=500):
        writer.writerow(
            [
                _cell(value)
                for value in (
                    item.line,
                    item.category,
                    str(CATEGORY_LABELS[ItemCategory(item.category)]),
                    item.payment.reference if item.payment else "",
                    item.gateway_payment_id,
                    item.order_id,
                    item.file_amount,
                    item.ledger_amount,
                    item.file_fee,
                    item.expected_fee,
                    item.note,
                )
            ]
        )
    return response
