"""The staff data pages under /<lang>/office/data/ (see views_reports)."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("data/", views.data, name="data"),
    path("data/figures.csv", views.figures_csv, name="data_csv"),
    path("data/export", views.export, name="data_export"),
]
