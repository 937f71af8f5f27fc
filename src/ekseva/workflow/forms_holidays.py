"""Forms of the time-limits pages: a holiday staff add, and the delay register's
filter. The services (``sla.declare_holiday``) refuse what these let through."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HolidayForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        help_text=_("Today or a later day, as YYYY-MM-DD."),
        widget=forms.DateInput(attrs={"type": "date", "class": "short"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Give the date of the holiday."),
            "invalid": _("Give the date as YYYY-MM-DD, e.g. 2026-11-12."),
        },
    )
    name_en = forms.CharField(
        label=_("Name in English"),
        max_length=120,
        error_messages={"required": _("Name the holiday in English.")},
    )
    name_hi = forms.CharField(
        label=_("Name in Hindi"),
        max_length=120,
        required=False,
        help_text=_("Optional; the English name is shown in Hindi when left empty."),
        widget=forms.TextInput(attrs={"lang": "hi"}),
    )

    def clean_name_en(self) -> str:
        return self.cleaned_data["name_en"].strip()

    def clean_name_hi(self) -> str:
        return self.cleaned_data["name_hi"].strip()


class DelayFilterForm(forms.Form):
    SHOW = (("all", _("All")), ("open", _("Not decided yet")), ("disposed", _("Decided late")))

    show = forms.ChoiceField(label=_("Show"), choices=SHOW, required=False)

    def chosen(self) -> str:
        if self.is_valid():
            return self.cleaned_data.get("show") or "all"
        return "all"
