"""Forms of the wallet pages: they parse what people type (rupees into paise,
dates); the rules (ranges, who may) live in ``wallet``."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.core import money

from .models import WalletDeposit

_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"\d*\.\d{3,}")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def parse_rupees(value: str) -> int:
    """Rupees typed by a person ('500', '1,000.50', '₹250') → paise, exactly."""
    text = (value or "").replace(",", "").replace("₹", "").strip()
    if _TOO_PRECISE.fullmatch(text):
        raise forms.ValidationError(
            _("Give at most two digits after the decimal point (paise)."), code="precision"
        )
    if not _AMOUNT.fullmatch(text):
        raise forms.ValidationError(_("Enter an amount in rupees, for example 500 or 500.50."))
    try:
        return money.rupees(Decimal(text))
    except money.MoneyError:
        raise forms.ValidationError(
            _("Enter an amount in rupees, for example 500 or 500.50.")
        ) from None


class RupeesField(forms.CharField):
    """An amount in rupees (whole or with paise) → integer paise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "short"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        return parse_rupees(text)


class TopUpForm(AccessibleFormMixin, forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = RupeesField(
        label=gettext_lazy("Amount (₹)"),
        help_text=gettext_lazy("Between ₹100 and ₹2,00,000, in rupees or rupees and paise."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "topup")
        super().__init__(*args, **kwargs)

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN.match(token):
            raise forms.ValidationError(_("This page was out of date. Press Top up again."))
        return token

    def renew_token(self) -> None:
        self.data = self.data.copy()
        self.data[self.add_prefix("token")] = new_token()


class MarkForm(AccessibleFormMixin, forms.Form):
    mark = RupeesField(
        label=gettext_lazy("Alert me below (₹)"),
        help_text=gettext_lazy(
            "An SMS goes to the owner's mobile when a payment takes the balance below this. "
            "0 turns the alert off."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "mark")
        super().__init__(*args, **kwargs)


class DepositForm(AccessibleFormMixin, forms.Form):
    amount = RupeesField(label=gettext_lazy("Amount deposited (₹)"))
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference (UTR)"),
        max_length=60,
        help_text=gettext_lazy(
            "As printed on the bank's slip or in the transfer's confirmation, "
            "e.g. SBIN426123456789."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    deposited_on = forms.DateField(
        label=gettext_lazy("Date of the deposit"),
        help_text=gettext_lazy("Not in the future, and not more than 30 days ago."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "deposit")
        super().__init__(*args, **kwargs)


class StatementForm(AccessibleFormMixin, forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y"],
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y"],
    )


class KioskPickForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kiosk code"),
        max_length=20,
        help_text=gettext_lazy("For example K4250012X."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


STATUS_LABELS = {
    WalletDeposit.Status.SUBMITTED: gettext_lazy("Waiting for verification"),
    WalletDeposit.Status.VERIFIED: gettext_lazy("Verified and credited"),
    WalletDeposit.Status.REJECTED: gettext_lazy("Rejected"),
}
STATUS_BADGES = {
    WalletDeposit.Status.SUBMITTED: "badge-warning",
    WalletDeposit.Status.VERIFIED: "badge-success",
    WalletDeposit.Status.REJECTED: "badge-danger",
}


class DepositFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kiosk = forms.CharField(label=gettext_lazy("Kiosk code"), required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *STATUS_LABELS.items()]


class RejectForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        help_text=gettext_lazy("Sent to the franchisee by SMS, e.g. no such UTR in the statement."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
