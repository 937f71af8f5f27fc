"""Forms of the inbox and the case page: the inbox's filters, each officer's
action, reassignment, transfer and bulk approval.

The forms only read what was typed; ``services`` decide (and refuse, in English
and Hindi, naming the field). Fields the service checks are not ``required``
here, so that its refusal is the one shown; ``needed`` marks them for the label.
Every form of the case page carries a hidden ``seen`` against a second press
and a stale page: the case's latest action and the application's revision when
the page was shown ("<action id>-<revision>"); ``services.act`` checks the action
again under the case's lock (``seen_action``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ekseva.core import ids

from .definition import REJECTION_REASONS
from .inbox import DUE_CHOICES

MAX_REMARK = 2000


def _needed(field: forms.Field) -> forms.Field:
    field.needed = True  # type: ignore[attr-defined]  # shown as required; the service checks
    return field


def _remark(label: Any, *, needed: bool = False, help_text: Any = "") -> forms.CharField:
    field = forms.CharField(
        label=label,
        required=False,
        max_length=MAX_REMARK,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    return _needed(field) if needed else field


class FilterForm(forms.Form):
    """The inbox's filters (GET). Choices of service and stage are those of the
    tab's queues."""

    q = forms.CharField(
        label=_("Application number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    due = forms.ChoiceField(label=_("Due"), required=False)

    def __init__(
        self,
        *args: Any,
        services: list[tuple[str, str]],
        stages: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("All services")), *services]
        self.fields["stage"].choices = [("", _("All stages")), *stages]
        self.fields["due"].choices = [("", _("Any time")), *DUE_CHOICES]

    def clean_q(self) -> str:
        return ids.normalise(self.cleaned_data.get("q") or "")[:24]

    def chosen(self) -> dict[str, str]:
        """The filters in effect ({} when none or invalid)."""
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class Refusing:
    """A form on which a service's refusal (``WorkflowError.field``) is shown."""

    # The service's name of a field → this form's.
    service_fields: dict[str, str] = {}

    def refuse(self, field: str, message: str) -> bool:
        """Show a service's refusal on the field it concerns; False if this form
        has no such field (the page shows it above everything instead)."""
        name = self.service_fields.get(field, field)
        if not name or name not in self.fields:  # type: ignore[attr-defined]
            return False
        self.add_error(name, message)  # type: ignore[attr-defined]
        return True


class ActionForm(Refusing, forms.Form):
    """What every officer's action form has: the guards against a stale page."""

    kind = ""
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args: Any, case: Any, language: str = "en", **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.kind)
        super().__init__(*args, **kwargs)
        self.case = case
        self.language = language

    def act_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``services.act`` from the cleaned data."""
        data = self.cleaned_data
        action = (data.get("seen") or "").partition("-")[0]
        return {
            "remark": data.get("remark", ""),
            "seen_action": int(action) if action.isdigit() and action != "0" else None,
        }


class ForwardForm(ActionForm):
    kind = "forward"
    remark = _remark(_("Note for the next officer (optional)"))


class ApproveForm(ActionForm):
    kind = "approve"
    remark = _remark(_("Remark (optional)"))


class RejectForm(ActionForm):
    kind = "reject"
    reason_code = _needed(forms.ChoiceField(label=_("Reason"), required=False))
    remark = _remark(
        _("Remark for the applicant"),
        needed=True,
        help_text=_("The applicant reads it with the reason."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hindi = self.language == "hi"
        self.fields["reason_code"].choices = [("", _("Choose a reason"))] + [
            (code, hi if hindi else en) for code, (en, hi) in REJECTION_REASONS.items()
        ]

    def act_kwargs(self) -> dict[str, Any]:
        return {**super().act_kwargs(), "reason_code": self.cleaned_data.get("reason_code", "")}


class ReturnForm(ActionForm):
    """Back to the applicant: what to correct (answers and documents) and why."""

    kind = "return"
    service_fields = {"fields": "fix"}
    fix = _needed(
        forms.MultipleChoiceField(
            label=_("What the applicant must correct"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    )
    remark = _remark(_("Remark for the applicant"), needed=True)

    def __init__(
        self,
        *args: Any,
        answers: list[tuple[str, str]],
        documents: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.answer_choices = answers
        self.document_choices = documents
        self.fields["fix"].choices = [*answers, *documents]

    def act_kwargs(self) -> dict[str, Any]:
        return {**super().act_kwargs(), "fields": self.cleaned_data.get("fix") or []}


class AskDocumentForm(ActionForm):
    """Ask the applicant for one document."""

    kind = "ask_document"
    service_fields = {"fields": "document"}
    document = _needed(
        forms.ChoiceField(label=_("Which document"), required=False, widget=forms.RadioSelect)
    )
    remark = _remark(_("Remark for the applicant (optional)"))

    def __init__(self, *args: Any, documents: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = documents

    def act_kwargs(self) -> dict[str, Any]:
        document = self.cleaned_data.get("document")
        return {**super().act_kwargs(), "fields": [document] if document else []}


class HearingForm(ActionForm):
    kind = "schedule_hearing"
    hearing_at = _needed(
        forms.DateTimeField(
            label=_("Date and time"),
            required=False,
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"],
            widget=forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": "short"}, format="%Y-%m-%dT%H:%M"
            ),
        )
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    remark = _remark(_("Remark (optional)"))

    def act_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().act_kwargs(),
            "hearing_at": data.get("hearing_at"),
            "place": data.get("place", ""),
        }


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.kind: form
    for form in (ForwardForm, ApproveForm, RejectForm, ReturnForm, AskDocumentForm, HearingForm)
}


class ReassignForm(Refusing, forms.Form):
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    to_officer = _needed(forms.ChoiceField(label=_("Give it to"), required=False))
    reason = _needed(forms.CharField(label=_("Why"), required=False, max_length=500))

    def __init__(self, *args: Any, officers: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reassign")
        super().__init__(*args, **kwargs)
        self.fields["to_officer"].choices = [("", _("Choose an officer")), *officers]


class TransferForm(Refusing, forms.Form):
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    district = _needed(forms.ChoiceField(label=_("To the district"), required=False))
    reason = _needed(forms.CharField(label=_("Why"), required=False, max_length=500))

    def __init__(self, *args: Any, districts: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "transfer")
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("Choose a district")), *districts]
