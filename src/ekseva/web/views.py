"""The shell's own pages: home, health probe and the error pages."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import Context, loader
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .context_processors import language_links, portal_names

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: 200 only if the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # The probe reports; the detail (which may name hosts) goes to the log only.
        logger.exception("healthz: database check failed")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@never_cache
@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database, no template). Load balancers use it
    to tell a live worker, and the benchmarks as their floor: a request through the
    whole middleware stack that does no work of its own."""
    return HttpResponse(b"ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, rendered from a plain Context.

    The database may be the reason we are here, so no context processor runs
    (they could touch the session or the user); the language comes from the URL.
    """
    lang = translation.get_language_from_path(request.path_info) or "en"
    with translation.override(lang):
        context = {
            **portal_names(lang),
            "LANGUAGE_LINKS": language_links(request),
            "home_url": reverse("web:home"),
            "request_id": getattr(request, "request_id", ""),
        }
        content = loader.get_template("web/500.html").template.render(Context(context))
    return HttpResponse(content, status=500)
