"""Forms of the certificate pages: the public check (by number, by the PDF file),
the department's search, revocation and key rotation."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.core import files

PDF_MAX_BYTES = 5 * 1024 * 1024
NUMBER_RE = re.compile(r"^[A-Z0-9]{4,24}$")


def normalise_number(text: str) -> str:
    """What a person typed ("mp26 cer-0000012 k") → the printed form (letters and
    digits, upper case); "" when it cannot be a certificate number."""
    number = re.sub(r"[\s\-/.]", "", text or "").upper()
    return number if NUMBER_RE.match(number) else ""


class NumberForm(AccessibleFormMixin, forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Certificate number"),
        max_length=40,
        help_text=gettext_lazy("As printed on the certificate, next to the QR code."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def clean_number(self) -> str:
        number = normalise_number(self.cleaned_data["number"])
        if not number:
            raise forms.ValidationError(
                _("A certificate number has 4 to 24 letters and digits. Check what you typed."),
                code="format",
            )
        return number


class PdfForm(AccessibleFormMixin, forms.Form):
    pdf = forms.FileField(
        label=gettext_lazy("The certificate's PDF file"),
        help_text=gettext_lazy("The file as you received it, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def clean_pdf(self) -> bytes:
        """The file's bytes, checked by what it is (a PDF, at most 5 MB)."""
        upload = self.cleaned_data["pdf"]
        try:
            files.check_upload(upload, allowed={"pdf"}, max_bytes=PDF_MAX_BYTES)
        except files.UploadRefused as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        upload.seek(0)
        return upload.read(PDF_MAX_BYTES + 1)


class SearchForm(AccessibleFormMixin, forms.Form):
    STATES = (
        ("", gettext_lazy("All")),
        ("valid", gettext_lazy("In force")),
        ("revoked", gettext_lazy("Revoked")),
    )

    q = forms.CharField(
        label=gettext_lazy("Certificate or application number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    state = forms.ChoiceField(label=gettext_lazy("Show"), choices=STATES, required=False)

    def clean_q(self) -> str:
        return re.sub(r"[\s\-/.]", "", self.cleaned_data.get("q") or "").upper()


class RevokeForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Shown to anyone who checks the certificate, and recorded in the audit log."
        ),
        error_messages={"required": gettext_lazy("Give the reason for revoking.")},
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < 5:
            raise forms.ValidationError(_("Give the reason for revoking."), code="required")
        return reason


class RotateForm(AccessibleFormMixin, forms.Form):
    # The key shown on the confirmation page: a second press (or a rotation by
    # someone else meanwhile) does not rotate again.
    current = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "Sign new certificates with a new key. Certificates already issued stay valid."
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )
