"""The applicant's pages of the back office (namespace "workflow", under
/<lang>/office/): what to correct on a returned application, and sending it back."""

from django.urls import re_path

from . import views_citizen as views

NUMBER = r"(?P<number>[A-Za-z0-9]{8,24})"

urlpatterns: list = [
    re_path(rf"^returned/{NUMBER}/$", views.returned, name="returned"),
]
