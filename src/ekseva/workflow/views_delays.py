"""The delay register (guide: docs/workflow.md, "Time limits"): applications not
decided within the time limit of the Public Services Guarantee Act, for officers
(their department and district) and operator staff (all), with a CSV download.

/<lang>/office/delays/             the register (?show=all|open|disposed, ?page=)
/<lang>/office/delays/?format=csv  the same rows as a CSV file
"""

from __future__ import annotations

import csv
import io

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import require
from ekseva.core import clock

from . import sla
from .forms_holidays import DelayFilterForm
from .hooks import DATA
from .models import Case

PER_PAGE = 100


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _csv(rows: list[dict]) -> HttpResponse:
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    write(
        [
            "application",
            "service",
            "stage",
            "officer_at_breach",
            "due_date",
            "breached_on",
            "days_late",
            "days_counted",
            "escalated_to",
            "decided_on",
        ]
    )
    for row in rows:
        write(
            [
                row["number"],
                row["service"],
                row["stage"],
                row["officer"],
                row["due_date"].isoformat(),
                row["breached_on"].isoformat(),
                row["days_late"],
                row["unit"],
                row["escalated_to"],
                row["disposed_on"].isoformat() if row["disposed_on"] else "",
            ]
        )
    # A byte-order mark, so that spreadsheet programs read names as UTF-8.
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="delay-register-{clock.today().isoformat()}.csv"'
    )
    return response


@staff_required
@require_GET
def delays(request: HttpRequest) -> HttpResponse:
    require(request.user, DATA)
    records = sla.delays_for(request.user)
    filters = DelayFilterForm(request.GET or None)
    show = filters.chosen()
    if show == "open":
        records = records.exclude(case__state=Case.State.DISPOSED)
    elif show == "disposed":
        records = records.filter(case__state=Case.State.DISPOSED)
    language = _language()
    today = clock.today()
    if request.GET.get("format") == "csv":
        return _csv([sla.register_row(record, language, today) for record in records])
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "workflow/delays/list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [sla.register_row(record, language, today) for record in page],
            "count": page.paginator.count,
            "query": query.urlencode(),
        },
    )
