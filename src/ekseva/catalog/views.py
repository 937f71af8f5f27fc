"""The public catalogue: browse, search, and one page per service."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from . import presenters, selectors
from .models import Category


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    filters = selectors.Filters(
        category=request.GET.get("category", "")
        if request.GET.get("category", "") in Category.values
        else "",
        department=request.GET.get("department", "")[:20],
        district=request.GET.get("district", "")[:40],
        q=request.GET.get("q", "")[:100],
    )
    services = list(selectors.search_services(filters)[:200])
    return render(
        request,
        "catalog/index.html",
        {
            "filters": filters,
            "services": services,
            "categories": selectors.category_counts(),
            "departments": selectors.departments_with_services(),
            "districts": selectors.districts(),
            "lang": translation.get_language(),
        },
    )


@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    service = selectors.get_live_service(code)
    if service is None:
        raise Http404
    page = presenters.service_page(service, translation.get_language() or "en")
    return render(request, "catalog/detail.html", {"service": service, "page": page})
