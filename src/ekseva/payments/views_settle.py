"""Staff screens for department settlements and the collections report, under
/<lang>/payments/manage/settlements/.

Operator staff see every department, make batches and post them; a department
officer sees only their own department's settlements and collections
(``payments.view`` on the settlement's scope). Every page needs a TOTP-verified
staff session; the writes are ``settlements.make_batch`` and ``settlements.post``
(one transaction and one audit event each).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ekseva.accounts import selectors as account_selectors
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can, require
from ekseva.accounts.scope import Scope
from ekseva.catalog.models import Department
from ekseva.core import clock
from ekseva.core.money import format_inr

from . import permissions, settlements, statements
from .models import Channel, PaymentError, Settlement, SettlementStatus

PER_PAGE = 50
ITEMS_SHOWN = 200
COLLECTION_ROWS_SHOWN = 1000
# A department code no posting can hold: a posting that covers it covers them all.
_ANY_DEPARTMENT = "\x00any"


def _say(exc: PaymentError) -> str:
    return exc.message(translation.get_language() or "en")


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def visible_departments(user: Any) -> set[str] | None:
    """The departments whose settlements ``user`` may see: None for all of them.
    Asked of the permission rules with each department the user's postings name."""
    if can(user, permissions.VIEW, Scope(department_code=_ANY_DEPARTMENT)):
        return None
    codes = {p.department_code for p in account_selectors.postings_of(user) if p.department_code}
    return {code for code in codes if can(user, permissions.VIEW, Scope(department_code=code))}


def _department_choices(visible: set[str] | None, blank: str) -> list[tuple[str, str]]:
    departments = Department.objects.order_by("code")
    if visible is not None:
        departments = departments.filter(code__in=visible)
    language = _language()
    return [("", blank)] + [(d.code, f"{d.name(language)} ({d.code})") for d in departments]


def _settlement(request: HttpRequest, reference: str, action: str) -> Settlement:
    settlement = get_object_or_404(Settlement, reference=reference)
    require(request.user, action, settlement)
    return settlement


# --------------------------------------------------------------------------- forms


class FilterForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: Any, visible: set[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(visible, _("All departments"))
        self.fields["status"].choices = [
            ("", _("Any status")),
            (SettlementStatus.DRAFT, statements.status_label(SettlementStatus.DRAFT)),
            (SettlementStatus.POSTED, statements.status_label(SettlementStatus.POSTED)),
        ]


class MakeBatchForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department"))
    frequency = forms.ChoiceField(label=gettext_lazy("Frequency"))
    day = forms.DateField(
        label=gettext_lazy("A day of the period"),
        help_text=gettext_lazy("Daily: that day. Weekly: the Monday to Sunday week holding it."),
        widget=forms.DateInput(attrs={"type": "date", "class": "short"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(None, _("Choose a department"))
        self.fields["frequency"].choices = [
            (settlements.DAILY, statements.frequency_label(settlements.DAILY)),
            (settlements.WEEKLY, statements.frequency_label(settlements.WEEKLY)),
        ]

    def period(self) -> tuple[dt.date, dt.date]:
        day = self.cleaned_data["day"]
        if self.cleaned_data["frequency"] == settlements.WEEKLY:
            start = day - dt.timedelta(days=day.weekday())
            return start, start + dt.timedelta(days=6)
        return day, day


class PostForm(forms.Form):
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank transfer reference (UTR)"),
        max_length=60,
        help_text=gettext_lazy("The reference of the transfer to the department's bank account."),
    )


class CollectionsForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date", "class": "short"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date", "class": "short"})
    )
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    service = forms.CharField(label=gettext_lazy("Service code"), required=False, max_length=60)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    district = forms.CharField(label=gettext_lazy("District code"), required=False, max_length=20)

    def __init__(self, *args: Any, visible: set[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(visible, _("All departments"))
        self.fields["channel"].choices = [
            ("", _("Any channel")),
            (Channel.ONLINE, _("Online")),
            (Channel.KIOSK, _("Kiosk")),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The last day must not be before the first."))
            elif (end - start).days >= settlements.COLLECTIONS_MAX_DAYS:
                self.add_error(
                    "end",
                    _("Choose at most %(days)s days.") % {"days": settlements.COLLECTIONS_MAX_DAYS},
                )
        return data


# --------------------------------------------------------------------------- list, make


def _list_page(
    request: HttpRequest, make_form: MakeBatchForm | None, status: int = 200
) -> HttpResponse:
    visible = visible_departments(request.user)
    filters = FilterForm(request.GET or None, visible=visible)
    batches = Settlement.objects.order_by("-period_end", "department_code")
    if visible is not None:
        batches = batches.filter(department_code__in=visible)
    if filters.is_valid():
        if filters.cleaned_data["department"]:
            batches = batches.filter(department_code=filters.cleaned_data["department"])
        if filters.cleaned_data["status"]:
            batches = batches.filter(status=filters.cleaned_data["status"])
    page = Paginator(batches, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    language = _language()
    names = {d.code: d.name(language) for d in Department.objects.all()}
    return render(
        request,
        "payments/settle/list.html",
        {
            "page": page,
            "rows": [(batch, names.get(batch.department_code, "")) for batch in page],
            "filters": filters,
            "query": query.urlencode(),
            "make_form": make_form,
        },
        status=status,
    )


@staff_required
@require_GET
def settlement_list(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    make_form = MakeBatchForm() if can(request.user, permissions.SETTLE) else None
    return _list_page(request, make_form)


@staff_required
@require_POST
def settlement_make(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.SETTLE)
    form = MakeBatchForm(request.POST)
    if form.is_valid():
        start, end = form.period()
        try:
            batch = settlements.make_batch(
                form.cleaned_data["department"],
                start,
                end,
                form.cleaned_data["frequency"],
                actor=request.user,
            )
        except PaymentError as exc:
            form.add_error(None, _say(exc))
        else:
            messages.success(
                request,
                _("Settlement %(reference)s is ready: check it, then post it.")
                % {"reference": batch.reference}
                if batch.status == SettlementStatus.DRAFT
                else _("Settlement %(reference)s was already posted.")
                % {"reference": batch.reference},
            )
            return redirect("payments:settlement_detail", reference=batch.reference)
    return _list_page(request, form, status=400)


# --------------------------------------------------------------------------- one settlement


def _detail_page(
    request: HttpRequest,
    settlement: Settlement,
    post_form: PostForm | None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    language = _language()
    listed = statements.items(settlement)
    names = statements.service_names([row["service"] for row in settlement.by_service], language)
    carried = settlements.carried_into(settlement)
    may_post = (
        settlement.status == SettlementStatus.DRAFT
        and settlement.period_end < clock.today()
        and can(request.user, permissions.SETTLE, settlement)
    )
    if may_post and post_form is None:
        post_form = PostForm()
    return render(
        request,
        "payments/settle/detail.html",
        {
            "settlement": settlement,
            "department_name": statements.department_name(settlement.department_code, language),
            "period": statements.period_text(settlement),
            "frequency": statements.frequency_label(settlement.frequency),
            "status_label": statements.status_label(settlement.status),
            "services": [(row, names[row["service"]]) for row in settlement.by_service],
            "items": [(item, statements.kind_label(item.kind)) for item in listed[:ITEMS_SHOWN]],
            "items_total": len(listed),
            "items_shown": min(len(listed), ITEMS_SHOWN),
            "carried": carried,
            "transfer": max(settlements.transfer_of(settlement), 0),
            "owed_back": max(-settlement.owed, 0),
            "set_against": settlements.set_against_reference(settlement),
            "post_form": post_form if may_post else None,
            "error": error,
        },
        status=status,
    )


@staff_required
@require_GET
def settlement_detail(request: HttpRequest, reference: str) -> HttpResponse:
    settlement = _settlement(request, reference, permissions.VIEW)
    return _detail_page(request, settlement, None)


@staff_required
@require_POST
def settlement_post(request: HttpRequest, reference: str) -> HttpResponse:
    settlement = _settlement(request, reference, permissions.SETTLE)
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            settlement = settlements.post(
                settlement, form.cleaned_data["bank_reference"], actor=request.user
            )
        except PaymentError as exc:
            settlement.refresh_from_db()
            return _detail_page(request, settlement, form, status=exc.status, error=_say(exc))
        messages.success(
            request,
            _(
                "Settlement %(reference)s is posted: %(amount)s from the department's payable to "
                "the bank."
            )
            % {
                "reference": settlement.reference,
                "amount": format_inr(max(settlements.transfer_of(settlement), 0)),
            },
        )
        return redirect("payments:settlement_detail", reference=settlement.reference)
    return _detail_page(request, settlement, form, status=400)


@staff_required
@require_GET
def settlement_csv(request: HttpRequest, reference: str) -> HttpResponse:
    settlement = _settlement(request, reference, permissions.VIEW)
    # A byte-order mark, so that spreadsheet programs read the Hindi names as UTF-8.
    response = HttpResponse(
        "\ufeff" + statements.settlement_csv(settlement), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{settlement.reference}.csv"'
    return response


@staff_required
@require_GET
def settlement_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    settlement = _settlement(request, reference, permissions.VIEW)
    language = request.GET.get("lang") or _language()
    language = language if language in ("en", "hi") else "en"
    data = statements.settlement_pdf(settlement, language)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{settlement.reference}-{language}.pdf"'
    return response


# --------------------------------------------------------------------------- collections


@staff_required
@require_GET
def collections(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    visible = visible_departments(request.user)
    today = clock.today()
    data = request.GET.copy()
    data.setdefault("start", (today - dt.timedelta(days=6)).isoformat())
    data.setdefault("end", today.isoformat())
    form = CollectionsForm(data, visible=visible)
    report = None
    status = 200
    if form.is_valid():
        chosen = form.cleaned_data["department"]
        departments: str | set[str] | None = chosen or visible
        report = settlements.collections(
            form.cleaned_data["start"],
            form.cleaned_data["end"],
            departments=departments,
            service=form.cleaned_data["service"].strip(),
            channel=form.cleaned_data["channel"],
            district=form.cleaned_data["district"].strip(),
        )
        if request.GET.get("format") == "csv":
            return _collections_csv(report)
    else:
        status = 400
    query = data.copy()
    query.pop("format", None)
    language = _language()
    names = {d.code: d.name(language) for d in Department.objects.all()}
    return render(
        request,
        "payments/settle/collections.html",
        {
            "form": form,
            "report": report,
            "rows": [
                (row, names.get(row.department, ""))
                for row in (report.rows[:COLLECTION_ROWS_SHOWN] if report else [])
            ],
            "rows_total": len(report.rows) if report else 0,
            "rows_shown": min(len(report.rows), COLLECTION_ROWS_SHOWN) if report else 0,
            "query": query.urlencode(),
        },
        status=status,
    )


def _collections_csv(report: settlements.Collections) -> HttpResponse:
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    columns = [name for name, _ in settlements.COLLECTION_COLUMNS]
    write(["day", *settlements.COLLECTION_KEYS, *columns, "total", "refunded"])
    for row in [*report.rows, report.totals]:
        write(
            [
                row.day.isoformat() if row.day else "total",
                *(getattr(row, key) for key in settlements.COLLECTION_KEYS),
                *(statements.rupees_text(row.amounts[name]) for name in columns),
                statements.rupees_text(row.total),
                statements.rupees_text(row.refunded),
            ]
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"collections-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
