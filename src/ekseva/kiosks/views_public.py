"""The public side of the kiosk network (no sign-in, except to rate):

- ``/<lang>/kiosks/``                 the locator: by PIN code, district or the browser's location
- ``/<lang>/kiosks/k/<code>/``         a kiosk's page: address, map link, hours, services and fees
- ``/<lang>/kiosks/charges/<token>/``  an application's official charges (the receipt's QR code)
                                       and "I was charged more"
- ``/<lang>/kiosks/complain/<code>/``  a complaint against a kiosk
- ``/<lang>/kiosks/complain/received/`` its acknowledgement
- ``/<lang>/kiosks/rate/<number>/``    the applicant rates the kiosk (signed in)

Complaint forms carry a captcha; an address is also limited in the cache to
``COMPLAINTS_PER_IP`` a day (the exact per-application and per-mobile limits are
counted in the database by ``feedback.complain``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ekseva.core import clock
from ekseva.core.middleware import client_ip

from . import feedback, locator
from .forms_public import ComplaintForm, LocatorForm, OverchargeForm, RatingForm
from .models import Complaint, Kiosk, KioskError

COMPLAINTS_PER_IP = 20  # a day, from one address (a kiosk's street may share one)
SESSION_KEY = "kiosks_complaint"


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


def _refused(form: Any, error: KioskError, language: str) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message(language))


# --------------------------------------------------------------------------- presentation


def stars_text(avg: float | None, count: int) -> str:
    """'4.3 of 5 (12 ratings)' or 'Not rated yet', in the active language."""
    if not count or avg is None:
        return _("Not rated yet")
    text = ngettext("%(avg)s of 5 (%(count)s rating)", "%(avg)s of 5 (%(count)s ratings)", count)
    return text % {"avg": f"{avg:.1f}", "count": count}


def _card(found: locator.Found, language: str) -> dict[str, Any]:
    kiosk = found.kiosk
    return {
        "kiosk": kiosk,
        "name": kiosk.business_name,
        "distance": "" if found.distance_km is None else f"{found.distance_km:.1f}",
        "kind": kiosk.kind_text(language),
        "hours": kiosk.opening_hours(language),
        "district": kiosk.district.name(language),
        "services": [s.name(language) for s in found.services],
        "all_services": not kiosk.services,
        "rating": stars_text(kiosk.rating_avg, kiosk.rating_count),
    }


# --------------------------------------------------------------------------- the locator


@require_GET
def locator_page(request: HttpRequest) -> HttpResponse:
    language = _language()
    asked = any(request.GET.get(k) for k in ("pin", "district", "lat", "lon"))
    form = LocatorForm(request.GET if asked else None)
    search, query = None, ""
    if asked and form.is_valid():
        data = form.cleaned_data
        origin = None
        if data["lat"] is not None and data["lon"] is not None:
            origin = locator.Origin(float(data["lat"]), float(data["lon"]))
        search = locator.search(
            pin=data["pin"],
            district=data["district"],
            origin=origin,
            page=request.GET.get("page", 1),
        )
        keep = request.GET.copy()
        keep.pop("page", None)
        query = keep.urlencode()
    context = {
        "form": form,
        "search": search,
        "cards": [_card(found, language) for found in search.results] if search else [],
        "query": query,
        "radius": f"{search.radius_km:g}" if search and search.radius_km else "",
        "district_name": search.district.name(language) if search and search.district else "",
        "used_location": bool(
            search and search.origin and form.cleaned_data.get("lat") is not None
        ),
    }
    return render(request, "kiosks/public/locator.html", context)


@require_GET
def kiosk_page(request: HttpRequest, code: str) -> HttpResponse:
    language = _language()
    kiosk = locator.public_kiosk(code)
    if kiosk is None:
        raise Http404("no such kiosk")
    context = {
        "kiosk": kiosk,
        "kind": kiosk.kind_text(language),
        "hours": kiosk.opening_hours(language),
        "district": kiosk.district.name(language),
        "tehsil": kiosk.tehsil.name(language) if kiosk.tehsil else "",
        "map_url": locator.map_url(kiosk),
        "rating": stars_text(kiosk.rating_avg, kiosk.rating_count),
        "services": locator.offered_services(kiosk, language),
        "all_services": not kiosk.services,
    }
    return render(request, "kiosks/public/kiosk.html", context)


# --------------------------------------------------------------------------- charges and complaints


def _too_many(request: HttpRequest) -> bool:
    ip = client_ip(request)
    return bool(ip) and int(cache.get(_ip_key(ip), 0)) >= COMPLAINTS_PER_IP


def _ip_key(ip: str) -> str:
    return f"kiosks:complaints:{ip}:{clock.today():%Y%m%d}"


def _count_ip(request: HttpRequest) -> None:
    ip = client_ip(request)
    if not ip:
        return
    key = _ip_key(ip)
    cache.add(key, 0, timeout=86400)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=86400)


def _received(request: HttpRequest, complaint: Complaint) -> HttpResponse:
    _count_ip(request)
    request.session[SESSION_KEY] = complaint.reference
    return redirect("kiosks:complaint_received")


def _citizen(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


@never_cache
@require_http_methods(["GET", "POST"])
def charges(request: HttpRequest, token: str) -> HttpResponse:
    language = _language()
    app = feedback.application_for_token(token)
    if app is None:
        raise Http404("no such charges page")
    found = feedback.official_charges(app, language)
    form = OverchargeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and found.kiosk is not None and form.is_valid():
        if _too_many(request):
            form.add_error(
                None, _("Too many complaints from your network today. Try again tomorrow.")
            )
            status = 429
        else:
            data = form.cleaned_data
            try:
                complaint = feedback.complain(
                    kiosk=found.kiosk,
                    kind=Complaint.Kind.OVERCHARGING,
                    app=app,
                    amount_charged=data["amount_charged"],
                    description=data["description"],
                    mobile=data["mobile"],
                    citizen=_citizen(request),
                    language=language,
                )
            except KioskError as error:
                _refused(form, error, language)
            else:
                return _received(request, complaint)
    applicant = request.user.is_authenticated and app.applicant_id == request.user.pk
    rating = feedback.rating_of(app) if applicant else None
    context = {
        "charges": found,
        "form": form,
        "applicant": applicant,
        "rating": rating,
        "may_rate": applicant and app.paid_at and rating is None,
        "number": app.number,
    }
    return render(request, "kiosks/public/charges.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest, code: str) -> HttpResponse:
    language = _language()
    kiosk = locator.public_kiosk(code)
    if kiosk is None:
        raise Http404("no such kiosk")
    form = ComplaintForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _too_many(request):
            form.add_error(
                None, _("Too many complaints from your network today. Try again tomorrow.")
            )
            status = 429
        else:
            data = form.cleaned_data
            try:
                complaint = feedback.complain(
                    kiosk=kiosk,
                    kind=data["kind"],
                    amount_charged=data["amount_charged"],
                    description=data["description"],
                    mobile=data["mobile"],
                    citizen=_citizen(request),
                    language=language,
                )
            except KioskError as error:
                _refused(form, error, language)
            else:
                return _received(request, complaint)
    return render(
        request, "kiosks/public/complain.html", {"kiosk": kiosk, "form": form}, status=status
    )


@never_cache
@require_GET
def complaint_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_KEY)
    complaint = (
        Complaint.objects.select_related("kiosk").filter(reference=reference).first()
        if reference
        else None
    )
    if complaint is None:
        return redirect("kiosks:locator")
    context = {
        "complaint": complaint,
        "kind": feedback.kind_text(complaint.kind, _language()),
        "sms": bool(complaint.mobile),
    }
    return render(request, "kiosks/public/received.html", context)


# --------------------------------------------------------------------------- ratings


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, number: str) -> HttpResponse:
    language = _language()
    app = feedback.rateable_or_404(request.user, number)
    rating = feedback.rating_of(app)
    kiosk = Kiosk.objects.filter(code=app.kiosk_code).first()
    form = RatingForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST":
        if not app.paid_at:
            error, status = _("You can rate the kiosk once the fee has been paid there."), 400
        elif rating is not None:
            error, status = _("You have already rated the kiosk for this application."), 409
        elif form.is_valid():
            try:
                feedback.rate(
                    request.user,
                    app,
                    stars=form.cleaned_data["stars"],
                    comment=form.cleaned_data["comment"],
                )
            except KioskError as refused:
                _refused(form, refused, language)
                rating = feedback.rating_of(app)
                status = 409 if rating is not None else 400
            else:
                messages.success(request, _("Thank you. Your rating of the kiosk is recorded."))
                return redirect(reverse("kiosks:rate", args=[app.number]))
    context = {
        "app": app,
        "service": app.service.name(language),
        "kiosk": kiosk,
        "rating": rating,
        "error": error,
        "form": form,
    }
    return render(request, "kiosks/public/rate.html", context, status=status)
