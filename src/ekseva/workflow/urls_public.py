"""The public performance page at /<lang>/performance/ (``performance:index``): no
sign-in, counts only (see views_reports.performance)."""

from django.urls import path

from . import views_reports as views

app_name = "performance"

urlpatterns = [
    path("", views.performance, name="index"),
]
