"""Application pages under /<lang>/applications/ (namespace "applications").
Each part of the journey has its own URL module (docs/applications.md)."""

from django.urls import include, path

app_name = "applications"

urlpatterns = [
    # start, the form's steps, documents, preview and submit, pay
    path("", include("ekseva.applications.urls_journey")),
    # my applications, one application, a draft, receipt, locker, documents
    path("", include("ekseva.applications.urls_mine")),
    # withdraw, correct, pay a correction fee
    path("", include("ekseva.applications.urls_changes")),
]
