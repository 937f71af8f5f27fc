"""Pages of the inbox area (namespace "workflow", under /<lang>/office/): the
officer's inbox and bulk approval under inbox/, one case and its actions under
case/<application number>/ (see views_inbox)."""

from django.urls import path, re_path

from . import views_inbox as views

NUMBER = r"(?P<number>[A-Za-z0-9-]{8,30})"

urlpatterns: list = [
    path("inbox/", views.inbox_page, name="inbox"),
    path("inbox/approve", views.bulk_approve, name="inbox_approve"),
    path("inbox/approved/", views.bulk_approved, name="inbox_approved"),
    re_path(rf"^case/{NUMBER}/$", views.case_page, name="case"),
    re_path(rf"^case/{NUMBER}/document/(?P<pk>\d+)$", views.case_document, name="case_document"),
    re_path(rf"^case/{NUMBER}/act/(?P<kind>[a-z_]{{2,30}})$", views.case_act, name="case_act"),
    re_path(rf"^case/{NUMBER}/reassign$", views.case_reassign, name="case_reassign"),
    re_path(rf"^case/{NUMBER}/transfer$", views.case_transfer, name="case_transfer"),
]
