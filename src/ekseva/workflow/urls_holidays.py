"""Pages of the time-limits area (namespace "workflow", under /<lang>/office/):
the holidays page (operator staff) and the delay register (officers, staff)."""

from django.urls import path

from . import views_delays, views_holidays

urlpatterns: list = [
    path("holidays/", views_holidays.holidays, name="holidays"),
    path("holidays/<int:pk>/remove", views_holidays.holiday_remove, name="holiday_remove"),
    path("delays/", views_delays.delays, name="delays"),
]
