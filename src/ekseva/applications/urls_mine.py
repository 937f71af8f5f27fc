"""The applicant's own pages (included by ``ekseva.applications.urls``, namespace
"applications"): my applications, one application, a draft, the receipt, the
document locker and the files in it."""

from django.urls import path, re_path

from . import views_mine as views

NUMBER = r"(?P<number>[A-Z0-9]{8,24})"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("draft/<int:pk>/", views.draft, name="draft"),
    path("locker/", views.locker, name="locker"),
    path("locker/<int:pk>/remove/", views.locker_delete, name="locker_delete"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    re_path(rf"^{NUMBER}/$", views.detail, name="detail"),
    re_path(rf"^{NUMBER}/receipt\.pdf$", views.receipt, name="receipt"),
]
