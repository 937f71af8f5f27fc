"""Operator staff screens: /<lang>/services/manage/ (see manage_views)."""

from django.urls import path

from . import manage_views

app_name = "manage"
urlpatterns = [
    path("", manage_views.index, name="index"),
    path("<slug:code>/", manage_views.service_page, name="service"),
    path("<slug:code>/v<int:number>/", manage_views.version_page, name="version"),
    path("<slug:code>/v<int:number>/edit/", manage_views.edit, name="edit"),
    path("<slug:code>/draft/", manage_views.draft_page, name="draft"),
    path("<slug:code>/v<int:number>/publish/", manage_views.publish, name="publish"),
    path("<slug:code>/v<int:number>/discard/", manage_views.discard, name="discard"),
]
