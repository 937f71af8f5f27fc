"""The public catalogue: browse, search, and one page per service.

The content of these pages is the same for every visitor, so it is cached rendered
(Redis in production, shared by every worker), per language and query, keyed on
``selectors.catalogue_version()``: a digest of what the pages show, read in one
query, so a change to a service, a department or a district shows at once. Only the
content is cached, never the page around it: the header (signed in or not), the
CSRF token and the messages are rendered for each request.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from ekseva.core import clock

from . import presenters, selectors
from .models import Category

# How long a rendered page stays in the cache. A change does not wait for this (the
# key changes); it only bounds the memory that old versions and searches hold.
PAGE_SECONDS = 600
SEARCH_SECONDS = 60


def _key(kind: str, *parts: object) -> str:
    raw = "\x1f".join(str(p) for p in parts)
    return f"catalog:{kind}:" + hashlib.sha256(raw.encode()).hexdigest()


def _language() -> str:
    return translation.get_language() or "en"


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
    lang = _language()
    key = _key("index", lang, selectors.catalogue_version(), *vars(filters).values())
    body = cache.get(key)
    if body is None:
        services = list(
            selectors.search_services(filters).defer(
                # The list shows names and the category: not the definitions.
                "current_version__definition",
                "current_version__channels",
                "keywords_en",
                "keywords_hi",
            )[:200]
        )
        body = render_to_string(
            "catalog/_index_body.html",
            {
                "filters": filters,
                "services": services,
                "categories": selectors.category_counts(),
                "departments": selectors.departments_with_services(),
                "districts": selectors.districts(),
                "lang": lang,
            },
        )
        cache.set(key, str(body), SEARCH_SECONDS if filters.q else PAGE_SECONDS)
    return render(request, "catalog/index.html", {"body": mark_safe(body)})


@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    lang = _language()
    # The page says whether applications are open today: the day is in the key.
    key = _key("detail", lang, clock.today(), selectors.catalogue_version(), code)
    cached = cache.get(key)
    if cached is None:
        service = selectors.get_live_service(code)
        if service is None:
            raise Http404
        page = presenters.service_page(service, lang)
        body = render_to_string("catalog/_detail_body.html", {"service": service, "page": page})
        cached = (page["name"], str(body))
        cache.set(key, cached, PAGE_SECONDS)
    title, body = cached
    return render(
        request,
        "catalog/detail.html",
        {"title": title, "body": mark_safe(body)},
    )
