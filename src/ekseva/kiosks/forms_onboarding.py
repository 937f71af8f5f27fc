"""Forms of the onboarding pages: they parse what people type and show each
refusal on its field; the rules themselves are ``onboarding.check_application``
and the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ekseva.accounts.forms import AccessibleFormMixin, NoEchoTextInput
from ekseva.geo import selectors as geo_selectors
from ekseva.geo.models import AdminUnit

from . import onboarding
from .models import KioskApplication, KioskError

# Replace the placeholder in the geo children URL with the chosen district's code
# (the same snippet the form engine's address pickers use).
SWAP_CODE = (
    "if (!this.value) { event.preventDefault(); return; } event.detail.path = "
    "event.detail.path.replace('__code__', encodeURIComponent(this.value))"
)

KIND_CHOICES = [
    ("portal_kiosk", _("Portal kiosk")),
    ("csc", _("Common Service Centre (CSC)")),
    ("cyber_cafe", _("Cyber cafe")),
]


class KioskFormMixin(AccessibleFormMixin):
    """Adds a ``KioskError`` to the field it names, in the page's language."""

    language = "en"

    def add_refusal(self, error: KioskError) -> None:
        errors = getattr(error, "errors", None) or {error.field: error}
        for name, item in errors.items():
            field = name if name in self.fields else None
            if field is not None and field in self.errors:
                continue  # the form already says what is wrong there
            self.add_error(field, item.message(self.language))


class ApplicationForm(KioskFormMixin, forms.Form):
    """The application to run a kiosk; ``only`` keeps some fields (the correction
    of a returned application), the others then come from ``base``."""

    kind = forms.ChoiceField(
        label=_("Kind of kiosk"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    business_name = forms.CharField(
        label=_("Business name"),
        max_length=150,
        help_text=_("As written on the shop's board."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    owner_name = forms.CharField(
        label=_("Owner's name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    owner_mobile = forms.CharField(
        label=_("Owner's mobile number"),
        max_length=16,
        help_text=_("10 digits. The owner's login link will be sent to this number by SMS."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "tel-national", "type": "tel"}
        ),
    )
    owner_email = forms.CharField(
        label=_("Owner's email (optional)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    pan = forms.CharField(
        label=_("PAN"),
        max_length=12,
        help_text=_("10 characters, e.g. ABCPE1234F."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    aadhaar = forms.CharField(
        label=_("Owner's Aadhaar number"),
        max_length=14,
        help_text=_(
            "12 digits. We keep only the last 4 digits, and the number is never shown "
            "again on this page: if the form has a problem, type it again."
        ),
        widget=NoEchoTextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bank_account_name = forms.CharField(label=_("Name of the bank account holder"), max_length=150)
    bank_account_number = forms.CharField(
        label=_("Bank account number"),
        max_length=24,
        help_text=_("9 to 18 digits. Commission is paid into this account."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bank_ifsc = forms.CharField(
        label=_("IFSC of the branch"),
        max_length=11,
        help_text=_("11 characters, printed on the cheque book, e.g. SBIN0001234."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    shop_registration = forms.CharField(
        label=_("Shop registration (Gumasta) number"), max_length=60
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=AdminUnit.objects.none(), to_field_name="code"
    )
    tehsil = forms.ModelChoiceField(
        label=_("Tehsil (optional)"),
        queryset=AdminUnit.objects.none(),
        to_field_name="code",
        required=False,
        help_text=_("Choose the district first."),
    )
    address = forms.CharField(
        label=_("Address of the kiosk"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    pin_code = forms.CharField(
        label=_("PIN code"),
        max_length=7,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    latitude = forms.CharField(
        label=_("Latitude (optional)"),
        max_length=20,
        required=False,
        help_text=_(
            "Decimal degrees, e.g. 23.2599. Leave latitude and longitude blank to use "
            "the location of the PIN code's post office."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.CharField(
        label=_("Longitude (optional)"),
        max_length=20,
        required=False,
        help_text=_("Decimal degrees, e.g. 77.4126."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    opening_hours_en = forms.CharField(
        label=_("Opening hours (in English)"),
        max_length=120,
        help_text=_("E.g. Mon–Sat 09:00–19:00."),
        widget=forms.TextInput(attrs={"lang": "en"}),
    )
    opening_hours_hi = forms.CharField(
        label=_("Opening hours (in Hindi, optional)"),
        max_length=120,
        required=False,
        help_text=_("E.g. सोम–शनि 09:00–19:00."),
        widget=forms.TextInput(attrs={"lang": "hi"}),
    )
    services = forms.MultipleChoiceField(
        label=_("Services the kiosk will offer"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to offer every service available at kiosks."),
    )

    def __init__(
        self,
        *args: Any,
        language: str = "en",
        only: list[str] | None = None,
        base: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.language = language
        self.base = base or {}
        super().__init__(*args, **kwargs)
        for rule in onboarding.DOCUMENTS:
            self.fields[rule.field] = forms.FileField(
                label=rule.label(language),
                help_text=_("%(formats)s, at most %(size)s KB.")
                % {"formats": rule.formats_text, "size": rule.max_kb},
                widget=forms.ClearableFileInput(
                    attrs={"accept": ",".join(_ACCEPT[f] for f in rule.formats)}
                ),
            )
        if only is not None:
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]
        if "district" in self.fields:
            self._pickers(language)
        if "services" in self.fields:
            self.fields["services"].choices = [
                (service.code, service.name(language)) for service in onboarding.kiosk_services()
            ]
            if not self.fields["services"].choices:
                del self.fields["services"]

    def _pickers(self, language: str) -> None:
        district_field = self.fields["district"]
        district_field.queryset = geo_selectors.districts()
        district_field.label_from_instance = lambda unit: unit.name(language)
        district_field.empty_label = _("Select")
        code = self.data.get("district") if self.is_bound else None
        if code is None:
            initial = self.initial.get("district") or self.base.get("district")
            code = initial.code if isinstance(initial, AdminUnit) else initial
        tehsils = AdminUnit.objects.none()
        district = geo_selectors.unit_by_code(code or "") if code else None
        if district is not None:
            tehsils = geo_selectors.children(district, AdminUnit.Kind.TEHSIL)
        tehsil_field = self.fields.get("tehsil")
        if tehsil_field is not None:
            tehsil_field.queryset = tehsils
            tehsil_field.label_from_instance = lambda unit: unit.name(language)
            tehsil_field.empty_label = _("Select")
            url = reverse("geo:children", kwargs={"code": "__code__"})
            district_field.widget.attrs.update(
                {
                    "hx-get": f"{url}?kind=tehsil",
                    "hx-trigger": "change",
                    "hx-target": "#id_tehsil",
                    "hx-swap": "innerHTML",
                    "hx-on::config-request": SWAP_CODE,
                    "aria-controls": "id_tehsil",
                }
            )

    SECTIONS = (
        (_("The kiosk"), ("kind", "business_name", "shop_registration", "services")),
        (_("The owner"), ("owner_name", "owner_mobile", "owner_email", "pan", "aadhaar")),
        (
            _("Bank account for commission"),
            ("bank_account_name", "bank_account_number", "bank_ifsc"),
        ),
        (
            _("Where the kiosk is"),
            (
                "district",
                "tehsil",
                "address",
                "pin_code",
                "latitude",
                "longitude",
                "opening_hours_en",
                "opening_hours_hi",
            ),
        ),
    )

    def sections(self) -> list[tuple[str, list[Any]]]:
        """The fields in groups, as the page shows them (groups left empty dropped)."""
        out = []
        for title, names in self.SECTIONS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                out.append((title, fields))
        return out

    @property
    def document_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("doc_")]

    @property
    def detail_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if not name.startswith("doc_")]

    def values(self) -> dict[str, Any]:
        """What the service checks: the base, with what was typed on top."""
        values = dict(self.base)
        for name in self.fields:
            if not name.startswith("doc_") and name in self.cleaned_data:
                values[name] = self.cleaned_data[name]
        return values

    def documents(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name) for name in self.fields if name.startswith("doc_")
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values = dict(self.base)
        for name in self.fields:
            if not name.startswith("doc_"):
                values[name] = cleaned.get(name)
        _clean, errors = onboarding.check_application(
            values, aadhaar_required="aadhaar" in self.fields
        )
        for name, error in errors.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, error.message(self.language))
        for rule in onboarding.DOCUMENTS:
            upload = cleaned.get(rule.field)
            if upload and rule.field not in self.errors:
                try:
                    onboarding.check_document(rule, upload)
                except KioskError as exc:
                    self.add_error(rule.field, exc.message(self.language))
        return cleaned


_ACCEPT = {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png"}


class ReturnForm(KioskFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("What is wrong (the applicant sees this)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    fields = forms.MultipleChoiceField(
        label=_("What the applicant must fix"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, prefix="return", **kwargs)
        self.fields["fields"].choices = [
            (item.key, item.label(language)) for item in onboarding.FIX_ITEMS
        ]


class RejectForm(KioskFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the application is rejected (the applicant sees this)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, prefix="reject", **kwargs)


class ReviewFilterForm(KioskFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[])
    district = forms.ModelChoiceField(
        label=_("District"),
        required=False,
        queryset=AdminUnit.objects.none(),
        to_field_name="code",
    )

    def __init__(self, *args: Any, language: str = "en", districts: Any = None, **kwargs):
        self.language = language
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All")),
            *[
                (status, onboarding.status_text(status, language))
                for status in KioskApplication.Status.values
            ],
        ]
        field = self.fields["district"]
        field.queryset = districts if districts is not None else geo_selectors.districts()
        field.label_from_instance = lambda unit: unit.name(language)
        field.empty_label = _("All")


class OperatorForm(KioskFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=16,
        help_text=_("10 digits. The login link is sent to this number by SMS."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "type": "tel"}),
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, **kwargs)


class ActivationForm(KioskFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        help_text=_("At least 10 characters; not a common password and not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        help_text=_("The 6-digit code the app shows now, after you add the key."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, **kwargs)
