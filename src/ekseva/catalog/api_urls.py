from django.urls import path

from . import api

urlpatterns = [
    path("services/", api.ServiceListAPI.as_view(), name="service-list"),
    path("services/<slug:code>/", api.ServiceDetailAPI.as_view(), name="service-detail"),
]
