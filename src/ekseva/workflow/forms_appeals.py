"""Forms of the appeal pages: they parse what people type; the rules (who may,
when, how much) live in ``appeals``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.kiosks.forms_wallet import RupeesField

from .appeals import MAX_ORDER, MAX_PLACE, MAX_STATEMENT


class AppealForm(AccessibleFormMixin, forms.Form):
    statement = forms.CharField(
        label=_("Why you are appealing"),
        max_length=MAX_STATEMENT,
        help_text=_(
            "Say what you asked for, what happened and what you want the appellate officer "
            "to order. The officer reads this before the hearing."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class HearingForm(AccessibleFormMixin, forms.Form):
    hearing_at = forms.DateTimeField(
        label=_("Date and time of the hearing"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "short"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    place = forms.CharField(
        label=_("Place of the hearing"),
        max_length=MAX_PLACE,
        help_text=_("The office and room: the appellant and the designated officer are told."),
    )


class OrderForm(AccessibleFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Order"),
        widget=forms.RadioSelect,
        choices=[
            ("allowed", _("Allow the appeal: direct the designated officer")),
            ("dismissed", _("Dismiss the appeal")),
        ],
    )
    order_text = forms.CharField(
        label=_("Text of the order"),
        max_length=MAX_ORDER,
        help_text=_(
            "What was heard, what is found and what is directed, with the time given to "
            "comply. The appellant and the designated officer read it as written."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    penalise = forms.BooleanField(
        label=_("The delay was without sufficient cause: impose the penalty"), required=False
    )
    penalty_officer = forms.TypedChoiceField(
        label=_("Officer responsible for the delay"), coerce=int, required=False
    )
    compensation = RupeesField(
        label=_("Compensation to the applicant (₹)"),
        required=False,
        help_text=_("Out of the penalty: not more than the penalty. Leave empty for none."),
    )

    def __init__(self, *args: Any, officers: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {officer.pk: officer for officer in officers}
        self.fields["penalty_officer"].choices = [
            (officer.pk, officer.full_name or officer.get_username()) for officer in officers
        ]
        if officers:
            self.fields["penalty_officer"].initial = officers[0].pk

    def decide_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        penalise = bool(data.get("penalise"))
        officer = self.officers.get(data.get("penalty_officer")) if penalise else None
        return {
            "outcome": data["outcome"],
            "order_text": data["order_text"],
            "penalise": penalise,
            "penalty_officer": officer,
            "compensation": data.get("compensation") or 0,
        }


class QueueFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Not decided yet")),
            ("filed", _("Awaiting a hearing")),
            ("hearing", _("Hearing fixed")),
            ("decided", _("Order passed")),
            ("all", _("All")),
        ],
    )
    level = forms.TypedChoiceField(
        label=_("Appeal"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("First and second")), (1, _("First appeals")), (2, _("Second appeals"))],
    )
    whose = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[("", _("Me")), ("all", _("Anyone in my area"))],
    )
