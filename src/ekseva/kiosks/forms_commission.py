"""Forms of the commission pages: choosing a month, making statements, making a
payout batch and marking it paid. The services refuse what these let through."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import commission
from .models import KioskError


def _month_choices(months: list[dt.date], blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank is not None else []
    return choices + [(commission.month_label(m), commission.month_text(m)) for m in months]


class MonthFilterForm(forms.Form):
    """The staff list's month (default: the latest month with statements)."""

    month = forms.ChoiceField(label=gettext_lazy("Month"), required=False)

    def __init__(self, *args: Any, months: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = _month_choices(months)

    def chosen(self) -> dt.date | None:
        text = self.cleaned_data.get("month") if self.is_valid() else ""
        return commission.parse_month(text) if text else None


class MonthField(forms.CharField):
    """A month typed or picked as YYYY-MM (``<input type="month">``); cleans to its first day."""

    widget = forms.TextInput(
        attrs={"type": "month", "class": "short", "pattern": r"\d{4}-\d{2}", "inputmode": "numeric"}
    )

    def to_python(self, value: Any) -> dt.date | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return commission.parse_month(text)
        except KioskError:
            raise forms.ValidationError(
                _("Give the month as YYYY-MM, e.g. 2026-05."), code="invalid"
            ) from None


class MakeStatementsForm(forms.Form):
    """On the same page as the month filter: its ids are ``make_…``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "make_%s")
        super().__init__(*args, **kwargs)

    month = MonthField(
        label=gettext_lazy("Month"),
        help_text=gettext_lazy(
            "A month that has ended, as YYYY-MM. Statements already made are left as they are."
        ),
    )


class CreateBatchForm(forms.Form):
    month = MonthField(
        label=gettext_lazy("Month"),
        help_text=gettext_lazy(
            "The batch pays the statements of this month and of earlier months that are not in "
            "a batch yet."
        ),
    )


class MarkPaidForm(forms.Form):
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank's batch reference"),
        max_length=40,
        help_text=gettext_lazy(
            "The reference the bank gave for this bulk transfer, once every transfer is made."
        ),
    )
