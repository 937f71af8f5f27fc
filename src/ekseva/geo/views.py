"""Public fragments for address pickers: the units under a unit as ``<option>``s
(htmx swaps them into the next select) and what a PIN code tells about a place.
No sign-in: citizens fill addresses before they have an account."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors
from .models import AdminUnit


@require_GET
def children(request: HttpRequest, code: str) -> HttpResponse:
    """``<option>`` elements for the units under ``code``, labelled in the
    current language; ``?kind=tehsil`` keeps one kind."""
    kind = request.GET.get("kind") or None
    if kind is not None and kind not in AdminUnit.Kind.values:
        return HttpResponseBadRequest(_("Unknown kind of administrative unit."))
    unit = selectors.unit_by_code(code)
    if unit is None:
        raise Http404(_("No such administrative unit."))
    language = get_language() or "en"
    options = [(child.code, child.name(language)) for child in selectors.children(unit, kind)]
    return render(request, "geo/options.html", {"options": options})


@require_GET
def pincode(request: HttpRequest, pin: str) -> JsonResponse:
    """``{pincode, offices: [...], district: {code, name}}`` for a PIN code."""
    if not selectors.is_pincode(pin):
        return JsonResponse({"pincode": pin, "error": _("A PIN code is six digits.")}, status=400)
    offices = list(selectors.offices_for_pin(pin))
    if not offices:
        return JsonResponse({"pincode": pin, "error": _("This PIN code is not known.")}, status=404)
    district = selectors.district_for_pin(pin)
    language = get_language() or "en"
    return JsonResponse(
        {
            "pincode": pin,
            "offices": [
                {
                    "name": office.name,
                    "type": office.office_type,
                    "delivery": office.delivery,
                    "district": office.district.code,
                    "latitude": float(office.latitude) if office.latitude is not None else None,
                    "longitude": float(office.longitude) if office.longitude is not None else None,
                }
                for office in offices
            ],
            "district": {"code": district.code, "name": district.name(language)}
            if district
            else None,
        }
    )
