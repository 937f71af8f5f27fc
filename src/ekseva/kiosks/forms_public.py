"""Forms of the public side: the locator's search, complaints and ratings. They
parse what people type; the rules live in ``feedback`` (a ``KioskError`` it
raises is put back on its field by the view)."""

from __future__ import annotations

from decimal import Decimal

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.core import money
from ekseva.geo import selectors as geo
from ekseva.geo.models import AdminUnit

from .feedback import kind_text
from .models import Complaint


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


class DistrictChoice(forms.ModelChoiceField):
    """Districts by their stable code (``district:425``), named in the page's language."""

    def label_from_instance(self, obj: AdminUnit) -> str:
        return obj.name(_language())


class LocatorForm(AccessibleFormMixin, forms.Form):
    pin = forms.CharField(
        label=gettext_lazy("PIN code"),
        required=False,
        max_length=6,
        help_text=gettext_lazy("Six digits, for example 462003."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code", "class": "short"}
        ),
    )
    district = DistrictChoice(
        label=gettext_lazy("or district"),
        queryset=AdminUnit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("Choose a district"),
    )
    # Filled by the "use my location" button (the browser's geolocation).
    lat = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = geo.districts()

    def clean_lat(self) -> Decimal | None:
        return self._rounded("lat")

    def clean_lon(self) -> Decimal | None:
        return self._rounded("lon")

    def _rounded(self, name: str) -> Decimal | None:
        # A browser gives 15 decimals; 6 (about 10 cm) are plenty.
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw).quantize(Decimal("0.000001"))
        except ArithmeticError:
            raise forms.ValidationError(_("Your location could not be read.")) from None
        limit = 90 if name == "lat" else 180
        if not value.is_finite() or abs(value) > limit:
            raise forms.ValidationError(_("Your location could not be read."))
        return value

    def clean_pin(self) -> str:
        pin = "".join((self.cleaned_data.get("pin") or "").split())
        if pin and not geo.is_pincode(pin):
            raise forms.ValidationError(_("Enter a PIN code of six digits, for example 462003."))
        return pin

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        has_point = data.get("lat") is not None and data.get("lon") is not None
        if not (data.get("pin") or data.get("district") or has_point):
            self.add_error("pin", _("Enter a PIN code, choose a district or use your location."))
        return data


class AmountField(forms.CharField):
    """Rupees as people write them ('600', '₹1,200.50') → integer paise."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "short"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            paise = money.rupees(text)
        except money.MoneyError:
            raise forms.ValidationError(
                _("Enter an amount in rupees, for example 600 or 620.50.")
            ) from None
        if paise <= 0:
            raise forms.ValidationError(_("Enter an amount more than zero."))
        return paise


class _Complaint(AccessibleFormMixin, forms.Form):
    mobile = forms.CharField(
        label=gettext_lazy("Your mobile number (optional)"),
        required=False,
        max_length=16,
        help_text=gettext_lazy(
            "We send the complaint's reference and its outcome here by SMS. Leave it "
            "empty to complain without giving it."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel-national"}),
    )
    captcha = CaptchaField(label=gettext_lazy("Type the characters shown in the picture"))


class OverchargeForm(_Complaint):
    """'I was charged more' on the charges page of one application."""

    amount_charged = AmountField(
        label=gettext_lazy("How much did the kiosk take from you, in rupees?"),
        help_text=gettext_lazy("Everything you paid at the kiosk for this application."),
    )
    description = forms.CharField(
        label=gettext_lazy("Anything else we should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field_order = ["amount_charged", "description", "mobile", "captcha"]


class ComplaintForm(_Complaint):
    """A complaint against a kiosk from its page."""

    kind = forms.ChoiceField(
        label=gettext_lazy("What is the complaint about?"), widget=forms.RadioSelect
    )
    amount_charged = AmountField(
        label=gettext_lazy("If you were overcharged: how much did the kiosk take, in rupees?"),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("What happened?"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("When it happened, what was said or done, and for which service."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    field_order = ["kind", "description", "amount_charged", "mobile", "captcha"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        self.fields["kind"].choices = [
            (kind, kind_text(kind, language)) for kind in Complaint.Kind.values
        ]


class RatingForm(AccessibleFormMixin, forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("How was the service at the kiosk?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, gettext_lazy("5 stars: excellent")),
            (4, gettext_lazy("4 stars: good")),
            (3, gettext_lazy("3 stars: fair")),
            (2, gettext_lazy("2 stars: poor")),
            (1, gettext_lazy("1 star: very poor")),
        ],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
