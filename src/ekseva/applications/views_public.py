"""Public tracking: anyone with an application's number and the applicant's mobile
number or date of birth sees its service, status and timeline (dates and statuses
only) — never a name, an answer, a document or a remark.

A wrong number and a wrong mobile get the same answer, so neither can be probed;
the form is behind a captcha (``core.captcha``: signed, single use, nothing
written to the database), and an address that keeps missing is told to wait
(``MISSES_PER_HOUR`` per IP, counted in the cache: shared by every process when
the cache is Redis, as in production).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.core import captcha as signed_captcha
from ekseva.core import clock, counters
from ekseva.core.kept import Kept
from ekseva.core.middleware import client_ip

from . import selectors
from .models import FINAL, STATUS_TEXT, StatusChange

MISSES_PER_HOUR = 20
NO_MATCH = gettext_lazy("No application matches these details.")


class TrackForm(AccessibleFormMixin, forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Application number"),
        max_length=30,
        help_text=gettext_lazy("As on your receipt or in the SMS, for example MP26PEB0001234X."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    mobile = forms.CharField(
        label=gettext_lazy("Applicant's mobile number"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("or the applicant's date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    captcha = signed_captcha.SignedCaptchaField(
        label=gettext_lazy("Type the characters shown in the picture"),
        image_url_name="applications:track_captcha",
    )

    def clean(self):
        data = super().clean()
        given = (data.get("mobile") or "").strip() or data.get("date_of_birth")
        if not given and "mobile" not in self.errors and "date_of_birth" not in self.errors:
            self.add_error("mobile", _("Enter the applicant's mobile number or date of birth."))
        return data


@dataclass(frozen=True)
class PublicEvent:
    at: dt.datetime
    status: str


@dataclass(frozen=True)
class Found:
    """What the public may know of an application."""

    number: str
    service: str
    status: str
    events: list[PublicEvent]
    due_date: dt.date | None


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


# What the answer page shows, read in one query (selectors.track_row: loading the
# whole application, its service, applicant and profile was most of a lookup's CPU).
_COLUMNS = (
    "pk",
    "number",
    "status",
    "due_date",
    "service__name_en",
    "service__name_hi",
    "applicant__mobile",
    "applicant__profile__date_of_birth",
)


def _found(row: dict[str, Any], language: str) -> Found:
    hindi = language == "hi"
    events = [
        PublicEvent(at=at, status=STATUS_TEXT[to_status][1 if hindi else 0])
        for at, to_status in StatusChange.objects.filter(application_id=row["pk"])
        .order_by("id")
        .values_list("at", "to_status")
        if to_status in STATUS_TEXT
    ]
    name_en, name_hi = row["service__name_en"], row["service__name_hi"]
    return Found(
        number=row["number"],
        service=name_hi if hindi and name_hi else name_en,  # as BilingualName.name
        status=STATUS_TEXT[row["status"]][1 if hindi else 0],
        events=events,
        due_date=row["due_date"] if row["status"] not in FINAL else None,
    )


def _miss_key(ip: str) -> str:
    return f"applications:track:miss:{ip}:{clock.now():%Y%m%d%H}"


def _too_many(ip: str | None) -> bool:
    return bool(ip) and counters.peek(_miss_key(ip)) >= MISSES_PER_HOUR


def _count_miss(ip: str | None) -> None:
    if not ip:
        return
    counters.hit(_miss_key(ip), 3600)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    found, status = None, 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        ip = client_ip(request)
        if form.is_valid():
            if _too_many(ip):
                form.add_error(
                    None, _("Too many searches from your network. Try again in an hour.")
                )
                status = 429
            else:
                data = form.cleaned_data
                app = selectors.track_row(
                    data["number"],
                    mobile=(data.get("mobile") or "").strip(),
                    date_of_birth=data.get("date_of_birth"),
                    columns=_COLUMNS,
                )
                if app is None:
                    _count_miss(ip)
                    form.add_error(None, NO_MATCH)
                else:
                    found = _found(app, _language())
    else:
        number = request.GET.get("number", "")[:30]
        form = TrackForm(initial={"number": number} if number else None)
    context: dict[str, Any] = {"form": form, "found": found}
    if not form.is_bound:
        context["fields_html"] = _unbound_fields(form)
    return render(request, "applications/public/track.html", context, status=status)


# The empty form's fields but the captcha (the same for every visitor of one language
# and prefilled number), kept rendered per process.
_fields: Kept[str] = Kept(2048)


def _unbound_fields(form: TrackForm) -> str:
    key = (get_language() or "", str(form.initial.get("number", "")))
    return _fields.get(
        key, lambda: render_to_string("applications/public/_track_fields.html", {"form": form})
    )
