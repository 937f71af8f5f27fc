"""The journey: eligibility first, the form step by step, documents, preview and
submit, then pay (included by ``ekseva.applications.urls``, namespace "applications")."""

from django.urls import path, re_path

from . import views_journey as views

NUMBER = r"(?P<number>[A-Z0-9]{8,24})"

urlpatterns = [
    path("start/<slug:service_code>/", views.start, name="start"),
    path("draft/<int:pk>/step/<slug:step_id>/", views.step, name="step"),
    path("draft/<int:pk>/documents/", views.documents, name="documents"),
    path("draft/<int:pk>/preview/", views.preview, name="preview"),
    path("draft/<int:pk>/saved/", views.saved, name="saved"),
    re_path(rf"^{NUMBER}/pay/$", views.pay, name="pay"),
]
