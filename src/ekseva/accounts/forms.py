"""Forms: parse what people type; the rules themselves live in ``services``."""

from __future__ import annotations

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from ekseva.geo.models import AdminUnit
from ekseva.notifications.services import normalise_mobile

from .models import CitizenProfile


class AccessibleFormMixin:
    """Ties each field's hint and error text to its input (aria-describedby, aria-invalid),
    so screen readers announce them; templates render the matching ids."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_hint"

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                hint = f"id_{name}_hint" if self.fields[name].help_text else ""
                attrs["aria-describedby"] = " ".join(filter(None, [f"id_{name}_error", hint]))
                attrs["aria-invalid"] = "true"


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes its value back into the page (for Aadhaar)."""

    def format_value(self, value):
        return None


class MobileForm(AccessibleFormMixin, forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=16,
        help_text=_("10 digits. We will send a one-time password (OTP) by SMS."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel-national"}),
    )
    captcha = CaptchaField(label=_("Type the characters shown in the picture"))

    def clean_mobile(self) -> str:
        return normalise_mobile(self.cleaned_data["mobile"])


class OtpForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=_("OTP"),
        max_length=8,
        min_length=4,
        help_text=_("The 6-digit code in the SMS."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class StaffSigninForm(AccessibleFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    token = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ProfileForm(AccessibleFormMixin, forms.Form):
    name_en = forms.CharField(
        label=_("Name (in English letters)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    name_hi = forms.CharField(
        label=_("Name (in Hindi, Devanagari)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"lang": "hi"}),
    )
    guardian_name = forms.CharField(
        label=_("Father's / guardian's name"), max_length=150, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=CitizenProfile.Gender.choices, widget=forms.RadioSelect
    )
    social_category = forms.ChoiceField(
        label=_("Social category"),
        required=False,
        choices=[("", _("— choose —")), *CitizenProfile.SocialCategory.choices],
    )
    pwd = forms.BooleanField(label=_("Person with disability"), required=False)
    address_line = forms.CharField(
        label=_("Address"),
        max_length=250,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    district = forms.ModelChoiceField(
        label=_("District"), required=False, queryset=None, empty_label=_("— choose —")
    )
    tehsil = forms.ModelChoiceField(
        label=_("Tehsil"), required=False, queryset=None, empty_label=_("— choose —")
    )
    pincode = forms.CharField(
        label=_("PIN code"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    aadhaar = forms.CharField(
        label=_("Aadhaar number"),
        max_length=14,
        required=False,
        help_text=_(
            "12 digits. We keep only the last 4 digits; leave blank to keep the "
            "number already linked."
        ),
        widget=NoEchoTextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, language: str = "en", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        units = AdminUnit.objects.filter(active=True)
        self.fields["district"].queryset = units.filter(kind=AdminUnit.Kind.DISTRICT)
        district_id = self.data.get("district") if self.is_bound else self.initial.get("district")
        tehsils = units.filter(kind=AdminUnit.Kind.TEHSIL)
        if str(district_id or "").isdigit():
            tehsils = tehsils.filter(parent_id=district_id)
        self.fields["tehsil"].queryset = tehsils
        for name in ("district", "tehsil"):
            self.fields[name].label_from_instance = lambda unit: unit.name(language)
