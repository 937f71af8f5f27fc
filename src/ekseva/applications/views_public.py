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

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.core import captcha as signed_captcha
from ekseva.core import clock
from ekseva.core.middleware import client_ip

from . import selectors
from .models import STATUS_TEXT, Application

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


def _found(app: Application, language: str) -> Found:
    events = [
        PublicEvent(at=at, status=STATUS_TEXT[to_status][1 if language == "hi" else 0])
        for at, to_status in app.history.order_by("id").values_list("at", "to_status")
        if to_status in STATUS_TEXT
    ]
    return Found(
        number=app.number,
        service=app.service.name(language),
        status=app.status_text(language),
        events=events,
        due_date=app.due_date if not app.is_final else None,
    )


def _miss_key(ip: str) -> str:
    return f"applications:track:miss:{ip}:{clock.now():%Y%m%d%H}"


def _too_many(ip: str | None) -> bool:
    return bool(ip) and int(cache.get(_miss_key(ip), 0)) >= MISSES_PER_HOUR


def _count_miss(ip: str | None) -> None:
    if not ip:
        return
    key = _miss_key(ip)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)


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
                app = selectors.track(
                    data["number"],
                    mobile=(data.get("mobile") or "").strip(),
                    date_of_birth=data.get("date_of_birth"),
                )
                if app is None:
                    _count_miss(ip)
                    form.add_error(None, NO_MATCH)
                else:
                    found = _found(app, _language())
    else:
        number = request.GET.get("number", "")[:30]
        form = TrackForm(initial={"number": number} if number else None)
    return render(
        request, "applications/public/track.html", {"form": form, "found": found}, status=status
    )
