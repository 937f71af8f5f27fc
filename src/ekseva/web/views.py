from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - report, don't crash the probe
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def home(request):
    return render(request, "web/home.html")


def page_not_found(request, exception=None):
    return render(request, "web/404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the database may be why we're here.
    return HttpResponse(render(request, "web/500.html").content, status=500)
