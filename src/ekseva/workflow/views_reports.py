"""The data pages:

- ``/<lang>/office/data/``               staff: the figures with filters (``workflow:data``)
- ``/<lang>/office/data/figures.csv``    the same figures as CSV (``?table=officers``: per officer)
- ``/<lang>/office/data/export``         POST: the applications as CSV or XLSX, masked by default
- ``/<lang>/performance/``               everybody: counts by service and district

Staff pages need the staff sign-in (password + TOTP) and ``reports.DATA_VIEW``
(officers, operator staff, auditors); what they count is limited to the person's
scope (``reports.scope_q``). Unmasked exports need ``hooks.DATA``.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can
from ekseva.core import clock

from . import exports, reports
from .forms_reports import ExportForm, FiguresFilterForm, PublicFilterForm, public_choices
from .hooks import DATA
from .models import NotAllowed, WorkflowError


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


def _require_viewer(request: HttpRequest) -> None:
    if not can(request.user, reports.DATA_VIEW):
        raise PermissionDenied(reports.DATA_VIEW)


def _filter_form(request: HttpRequest, data, language: str) -> FiguresFilterForm:
    return FiguresFilterForm(data, user=request.user, language=language)


def _export_form(request: HttpRequest, data, language: str, initial=None) -> ExportForm:
    form = ExportForm(
        data,
        user=request.user,
        language=language,
        may_unmask=can(request.user, DATA),
        initial=initial,
    )
    for name in ("department", "service", "district", "received_from", "received_to"):
        form.fields[name].widget = form.fields[name].hidden_widget()
    return form


def _page(
    request: HttpRequest,
    filter_form: FiguresFilterForm,
    export_form: ExportForm,
    *,
    status: int = 200,
) -> HttpResponse:
    language = _language()
    report = None
    if not filter_form.is_bound or filter_form.is_valid():
        report = reports.label(reports.figures(request.user, filter_form.filters()), language)
    query = request.GET.urlencode() if request.method == "GET" else ""
    context = {
        "form": filter_form,
        "export_form": export_form,
        "report": report,
        "query": query,
        "today": clock.today(),
        "several_departments": report is not None and len(report.by_department) > 1,
        "may_unmask": export_form.may_unmask,
    }
    return render(request, "workflow/data/index.html", context, status=status)


@never_cache
@staff_required
@require_GET
def data(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    language = _language()
    filter_form = _filter_form(request, request.GET or None, language)
    status = 400 if filter_form.is_bound and not filter_form.is_valid() else 200
    initial = dict(filter_form.cleaned_data) if status == 200 and filter_form.is_bound else {}
    export_form = _export_form(request, None, language, initial=initial)
    return _page(request, filter_form, export_form, status=status)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


FIGURE_HEADINGS = [
    ("level", "Level", "स्तर"),
    ("department", "Department", "विभाग"),
    ("service", "Service", "सेवा"),
    ("district", "District", "ज़िला"),
    ("received", "Received", "प्राप्त"),
    ("in_time", "Disposed in time", "समय-सीमा में निराकृत"),
    ("late", "Disposed late", "विलंब से निराकृत"),
    ("within", "Pending within time", "समय-सीमा में लंबित"),
    ("beyond", "Pending beyond time", "समय-सीमा के बाद लंबित"),
    ("approved", "Approved", "स्वीकृत"),
    ("rejected", "Rejected", "अस्वीकृत"),
    ("average_days", "Average days to dispose", "निराकरण में औसत दिन"),
    ("percent", "Share in time (%)", "समय-सीमा में (%)"),
]
OFFICER_HEADINGS = [
    ("officer", "Designated officer", "पदाभिहित अधिकारी"),
    ("department", "Department", "विभाग"),
    ("service", "Service", "सेवा"),
    ("received", "Received", "प्राप्त"),
    ("in_time", "Disposed in time", "समय-सीमा में निराकृत"),
    ("late", "Disposed late", "विलंब से निराकृत"),
    ("beyond", "Pending beyond time", "समय-सीमा के बाद लंबित"),
]
LEVELS = {
    "row": ("service and district", "सेवा और ज़िला"),
    "service": ("service", "सेवा"),
    "district": ("district", "ज़िला"),
    "department": ("department", "विभाग"),
    "total": ("total", "कुल"),
}


def _figures_csv(report: reports.Report, language: str, table: str) -> HttpResponse:
    hi = language == "hi"
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    if table == "officers":
        write([h if hi else e for _k, e, h in OFFICER_HEADINGS])
        for row in report.officers:
            write(
                [
                    exports.safe_cell(row.officer_name),
                    row.department_name,
                    row.service_name,
                    row.received,
                    row.in_time,
                    row.late,
                    row.beyond,
                ]
            )
    else:
        write([h if hi else e for _k, e, h in FIGURE_HEADINGS])
        levels = [
            ("row", report.rows),
            ("service", report.by_service),
            ("district", report.by_district),
            ("department", report.by_department),
            ("total", [report.total]),
        ]
        for level, rows in levels:
            name = LEVELS[level][1 if hi else 0]
            for row in rows:
                write(
                    [
                        name,
                        row.department_name if level in ("row", "service", "department") else "",
                        row.service_name if level in ("row", "service") else "",
                        row.district_name if level in ("row", "district") else "",
                        row.received,
                        row.in_time,
                        row.late,
                        row.within,
                        row.beyond,
                        row.approved,
                        row.rejected,
                        "" if row.average_days is None else f"{row.average_days:.1f}",
                        _percent(row.percent_in_time),
                    ]
                )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{'officers' if table == 'officers' else 'figures'}-{clock.today():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@staff_required
@require_GET
def figures_csv(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    language = _language()
    form = _filter_form(request, request.GET.copy() or None, language)
    if form.is_bound and not form.is_valid():
        return _page(request, form, _export_form(request, None, language), status=400)
    report = reports.label(reports.figures(request.user, form.filters()), language)
    table = "officers" if request.GET.get("table") == "officers" else "figures"
    return _figures_csv(report, language, table)


@never_cache
@staff_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    language = _language()
    form = _export_form(request, request.POST, language)
    filter_form = _filter_form(request, request.POST, language)
    if not form.is_valid():
        return _page(request, filter_form, form, status=400)
    job = exports.Export(
        user=request.user,
        filters=form.filters(),
        masked=form.cleaned_data["masked"],
        fmt=form.cleaned_data["format"],
        language=language,
    )
    try:
        exports.start(job)
    except WorkflowError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message(language))
        status = 403 if isinstance(error, NotAllowed) else 400
        return _page(request, filter_form, form, status=status)
    return exports.response(job)


# --------------------------------------------------------------------------- public


@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    """Counts only: no names, no officers, no applications."""
    language = _language()
    services, districts = public_choices(language)
    form = PublicFilterForm(request.GET or None, services=services, districts=districts)
    status = 400 if form.is_bound and not form.is_valid() else 200
    filters = form.filters()
    report = reports.public_figures(filters, language)
    context = {
        "form": form,
        "report": report,
        "detailed": bool(filters.service or filters.district_id),
        "appeal_days": settings.APPEAL_DAYS,
        "penalty_per_day": settings.PENALTY_PER_DAY_PAISE,
        "penalty_max": settings.PENALTY_MAX_PAISE,
    }
    return render(request, "workflow/public/performance.html", context, status=status)
