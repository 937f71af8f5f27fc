"""Forms of the data pages: the filters of the figures (staff and public) and the
export of applications. Choices are limited to what the person may see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.geo.models import AdminUnit

from . import reports


def _district_choices(units: set[int] | None, language: str, blank: str) -> list[tuple[str, str]]:
    districts = AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT)
    if units is not None:
        districts = districts.filter(pk__in=units) | districts.filter(parent_id__in=units)
    return [("", blank)] + [
        (str(unit.pk), unit.name(language))
        for unit in sorted(districts, key=lambda unit: unit.name(language).casefold())
    ]


def _service_choices(
    departments: set[str] | None, language: str, blank: str
) -> list[tuple[str, str]]:
    from ekseva.catalog.models import Service

    services = Service.objects.all()
    if departments is not None:
        services = services.filter(department__code__in=departments)
    return [("", blank)] + [
        (service.code, service.name(language))
        for service in sorted(services, key=lambda s: s.name(language).casefold())
    ]


def _department_choices(
    departments: set[str] | None, language: str, blank: str
) -> list[tuple[str, str]]:
    from ekseva.catalog.models import Department

    rows = Department.objects.all()
    if departments is not None:
        rows = rows.filter(code__in=departments)
    return [("", blank)] + [
        (d.code, d.name(language)) for d in sorted(rows, key=lambda d: d.name(language).casefold())
    ]


class FiguresFilterForm(AccessibleFormMixin, forms.Form):
    """Staff filters: department, service, district, received between two dates."""

    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    service = forms.ChoiceField(label=gettext_lazy("Service"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    received_from = forms.DateField(
        label=gettext_lazy("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_to = forms.DateField(
        label=gettext_lazy("Received up to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, user: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = reports.visible_departments(user)
        units = reports.visible_district_ids(user)
        self.fields["department"].choices = _department_choices(
            departments, language, _("All departments")
        )
        self.fields["service"].choices = _service_choices(departments, language, _("All services"))
        self.fields["district"].choices = _district_choices(units, language, _("All districts"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end of the period cannot be before its start."))
        return data

    def filters(self) -> reports.Filters:
        """The cleaned filters (call after ``is_valid()``; an invalid form filters nothing)."""
        data = self.cleaned_data if self.is_bound and not self.errors else {}
        district = data.get("district")
        return reports.Filters(
            department=data.get("department") or "",
            service=data.get("service") or "",
            district_id=int(district) if district else None,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
        )


class ExportForm(FiguresFilterForm):
    """The filters, the file format, and whether personal data is masked."""

    format = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[("csv", gettext_lazy("CSV")), ("xlsx", gettext_lazy("Excel (XLSX)"))],
        initial="csv",
        widget=forms.RadioSelect,
    )
    masked = forms.BooleanField(
        label=gettext_lazy("Mask personal data"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Names become initials and mobiles show only their last four digits; email, "
            "date of birth and answers are left out. An unmasked export is recorded in "
            "the audit log."
        ),
    )

    def __init__(self, *args: Any, may_unmask: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_unmask = may_unmask
        if not may_unmask:
            self.fields["masked"].disabled = True
            self.fields["masked"].help_text = _(
                "Your role may export masked data only: names as initials, mobiles as "
                "their last four digits."
            )
            self.fields["masked"].widget.attrs["aria-describedby"] = "id_masked_hint"

    def clean_masked(self) -> bool:
        # A disabled box keeps its initial value (ticked) whatever is posted.
        return bool(self.cleaned_data.get("masked")) or not self.may_unmask


class PublicFilterForm(AccessibleFormMixin, forms.Form):
    """The public page's filters: a service and a district."""

    service = forms.ChoiceField(label=gettext_lazy("Service"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)

    def __init__(self, *args: Any, services: list, districts: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = services
        self.fields["district"].choices = districts

    def filters(self) -> reports.Filters:
        data = self.cleaned_data if self.is_bound and not self.errors else {}
        district = data.get("district")
        return reports.Filters(
            service=data.get("service") or "", district_id=int(district) if district else None
        )


def public_choices(language: str) -> tuple[list, list]:
    """The public filters' choices: every service and district (kept in the cache
    with the figures, so the page's queries do not grow with the catalogue)."""
    from django.core.cache import cache

    key = f"{reports.PUBLIC_CACHE_PREFIX}:choices:{language}"
    found = cache.get(key)
    if found is None:
        found = (
            _service_choices(None, language, _("All services")),
            _district_choices(None, language, _("All districts")),
        )
        cache.set(key, found, reports.PUBLIC_CACHE_SECONDS)
    return found
