"""The shell's routes alone: the pages must render before any other app has URLs."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

urlpatterns = i18n_patterns(path("", include("ekseva.web.urls")), prefix_default_language=True)
handler404 = "ekseva.web.views.page_not_found"
