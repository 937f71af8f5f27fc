"""Pages of this area (see urls.py): the kiosk's statements under commission/,
operator staff's under manage/commission/ and manage/payouts/."""

from django.urls import path, re_path

from . import views_commission as views

MONTH = r"(?P<month>\d{4}-\d{2})"

urlpatterns: list = [
    path("commission/", views.kiosk_statements, name="commission"),
    re_path(rf"^commission/{MONTH}/pdf$", views.kiosk_statement_pdf, name="commission_pdf"),
    path("manage/commission/", views.manage_statements, name="manage_commission"),
    path("manage/commission/make", views.manage_make_statements, name="manage_commission_make"),
    re_path(
        rf"^manage/commission/(?P<code>[A-Za-z0-9]{{4,20}})/{MONTH}/pdf$",
        views.manage_statement_pdf,
        name="manage_commission_pdf",
    ),
    path("manage/payouts/", views.manage_payouts, name="manage_payouts"),
    path("manage/payouts/new", views.manage_create_payout, name="manage_payout_create"),
    path("manage/payouts/<str:reference>/", views.manage_payout, name="manage_payout"),
    path(
        "manage/payouts/<str:reference>/bank-file.csv",
        views.manage_payout_file,
        name="manage_payout_file",
    ),
    path(
        "manage/payouts/<str:reference>/paid", views.manage_payout_paid, name="manage_payout_paid"
    ),
]
