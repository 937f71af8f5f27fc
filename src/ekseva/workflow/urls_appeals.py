"""Pages of the appeals area (namespace "workflow", under /<lang>/office/; see
views_appeals): the applicant's appeal form and appeals, the appellate officer's
queue, one appeal with its hearing and order."""

from django.urls import path, re_path

from . import views_appeals as views

NUMBER = r"(?P<number>[A-Za-z0-9]{8,24})"
REFERENCE = r"(?P<reference>[A-Za-z0-9]{6,20})"

urlpatterns: list = [
    path("appeals/", views.queue, name="appeals"),
    path("appeals/mine/", views.mine, name="appeals_mine"),
    re_path(rf"^appeals/new/{NUMBER}/$", views.new, name="appeal_new"),
    re_path(rf"^appeals/{REFERENCE}/$", views.detail, name="appeal"),
    re_path(rf"^appeals/{REFERENCE}/hearing/$", views.hearing, name="appeal_hearing"),
    re_path(rf"^appeals/{REFERENCE}/order/$", views.order, name="appeal_order"),
]
