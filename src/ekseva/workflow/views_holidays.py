"""The holidays page (guide: docs/workflow.md, "Time limits"): operator staff
(``workflow.holidays``) see a year's public holidays, the package's and the ones
staff added, add a local holiday and remove one they added (today or later).
Either moves the due dates of undecided cases (``sla.recompute_due_dates``).

/<lang>/office/holidays/            the year's list (?year=YYYY) and the add form (POST)
/<lang>/office/holidays/<id>/remove remove a staff-added holiday (POST)
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import require
from ekseva.core import clock

from . import sla
from .forms_holidays import HolidayForm
from .hooks import HOLIDAYS
from .models import Holiday, WorkflowError


def _language() -> str:
    return "hi" if translation.get_language() == "hi" else "en"


def _years() -> list[int]:
    this = clock.today().year
    return [this - 1, this, this + 1, this + 2]


def _year(request: HttpRequest, default: int | None = None) -> int:
    years = _years()
    try:
        year = int(request.GET.get("year") or default or years[1])
    except ValueError:
        year = years[1]
    return year if year in years else years[1]


def _list_url(year: int) -> str:
    return f"{reverse('workflow:holidays')}?year={year}"


@staff_required
@require_http_methods(["GET", "POST"])
def holidays(request: HttpRequest) -> HttpResponse:
    require(request.user, HOLIDAYS)
    status = 200
    year = _year(request)
    if request.method == "POST":
        form = HolidayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                holiday, moved = sla.declare_holiday(
                    data["date"], data["name_en"], data["name_hi"], actor=request.user
                )
            except WorkflowError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message(_language()))
            else:
                messages.success(
                    request,
                    _("%(date)s is a holiday now: %(name)s. Due dates moved: %(moved)s.")
                    % {
                        "date": date_format(holiday.date, "DATE_FORMAT"),
                        "name": holiday.name_en,
                        "moved": moved,
                    },
                )
                return redirect(_list_url(holiday.date.year))
        status = 400
        if form.is_bound and "date" in form.cleaned_data:
            year = _year(request, form.cleaned_data["date"].year)
    else:
        form = HolidayForm()
    return render(
        request,
        "workflow/holidays/list.html",
        {
            "form": form,
            "year": year,
            "years": _years(),
            "entries": sla.holidays_of_year(year, _language()),
            "today": clock.today(),
        },
        status=status,
    )


@staff_required
@require_POST
def holiday_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, HOLIDAYS)
    holiday = get_object_or_404(Holiday, pk=pk)
    try:
        moved = sla.remove_holiday(holiday, actor=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message(_language()))
    else:
        messages.success(
            request,
            _("%(date)s is a working day again. Due dates moved: %(moved)s.")
            % {"date": date_format(holiday.date, "DATE_FORMAT"), "moved": moved},
        )
    return redirect(_list_url(holiday.date.year))
