"""Forms of the kiosk console: they parse what the operator types; the rules
themselves are in ``services`` and ``console``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ekseva.accounts.forms import AccessibleFormMixin, ProfileForm
from ekseva.core.phone import indian_mobile
from ekseva.notifications.services import normalise_mobile


def _numeric(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", **attrs})


class MobileForm(AccessibleFormMixin, forms.Form):
    mobile = forms.CharField(
        label=_("Citizen's mobile number"),
        max_length=16,
        help_text=_("10 digits. The citizen gets an SMS with a code on this phone."),
        widget=_numeric(),
    )

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data["mobile"])


class CodeForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from the citizen's SMS"),
        max_length=8,
        min_length=4,
        help_text=_("Ask the citizen to read out the 6-digit code sent to their phone."),
        widget=_numeric(pattern="[0-9 ]*"),
    )


class CitizenForm(AccessibleFormMixin, forms.Form):
    """A first-time citizen's name, date of birth and gender (their profile's own
    fields, as the citizen's profile page asks them)."""

    name_en = ProfileForm.base_fields["name_en"]
    name_hi = ProfileForm.base_fields["name_hi"]
    date_of_birth = ProfileForm.base_fields["date_of_birth"]
    gender = ProfileForm.base_fields["gender"]

    def add_errors(self, error: ValidationError) -> None:
        """The accounts service's refusal, field by field."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


class SearchForm(AccessibleFormMixin, forms.Form):
    number = forms.CharField(
        label=_("Application number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    mobile = forms.CharField(
        label=_("Citizen's mobile number"), max_length=16, required=False, widget=_numeric()
    )
    date_from = forms.DateField(
        label=_("Started on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("Started on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_mobile(self) -> str:
        raw = self.cleaned_data["mobile"].strip()
        if not raw:
            return ""
        mobile = indian_mobile(raw)
        if mobile is None:
            raise ValidationError(
                _("Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9.")
            )
        return mobile

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("This date is before the first date."))
        return data


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Find a service"), max_length=100, required=False)
