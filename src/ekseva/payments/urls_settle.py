"""Department settlements and the collections report, under
/<lang>/payments/manage/settlements/ (views_settle)."""

from django.urls import path

from . import views_settle

urlpatterns = [
    path("", views_settle.settlement_list, name="settlement_list"),
    path("make/", views_settle.settlement_make, name="settlement_make"),
    path("collections/", views_settle.collections, name="collections"),
    path("<str:reference>/", views_settle.settlement_detail, name="settlement_detail"),
    path("<str:reference>/post/", views_settle.settlement_post, name="settlement_post"),
    path("<str:reference>/csv/", views_settle.settlement_csv, name="settlement_csv"),
    path("<str:reference>/pdf/", views_settle.settlement_pdf, name="settlement_pdf"),
]
