"""The kiosk console (see urls.py and views_console): serving walk-in citizens."""

from django.urls import path, re_path

from . import views_console as views

NUMBER = r"(?P<number>[A-Z0-9]{8,24})"

urlpatterns = [
    path("console/", views.home, name="console"),
    path("console/search/", views.search, name="console_search"),
    path("console/serve/", views.serve, name="console_serve"),
    path("console/serve/code/", views.code, name="console_code"),
    path("console/citizen/<int:citizen_id>/", views.citizen, name="console_citizen"),
    path("console/citizen/<int:citizen_id>/about/", views.about, name="console_about"),
    path(
        "console/citizen/<int:citizen_id>/start/<slug:service_code>/",
        views.start,
        name="console_start",
    ),
    path("console/citizen/<int:citizen_id>/end/", views.end, name="console_end"),
    re_path(rf"^console/app/{NUMBER}/$", views.application, name="console_app"),
    re_path(rf"^console/app/{NUMBER}/pay/$", views.pay, name="console_pay"),
]
