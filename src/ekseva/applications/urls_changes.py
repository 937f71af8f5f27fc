"""The applicant's changes to a submitted application: withdraw, correct, pay the
correction fee (included by ``ekseva.applications.urls``, namespace "applications")."""

from django.urls import re_path

from . import views_changes as views

NUMBER = r"(?P<number>[A-Z0-9]{8,24})"

urlpatterns = [
    re_path(rf"^{NUMBER}/withdraw/$", views.withdraw, name="withdraw"),
    re_path(rf"^{NUMBER}/correct/$", views.correct, name="correct"),
    re_path(
        rf"^{NUMBER}/correct/(?P<pk>[0-9]{{1,18}})/pay/$",
        views.correction_pay,
        name="correction_pay",
    ),
]
