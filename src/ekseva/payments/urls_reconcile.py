"""Reconciliation screens for operator staff, under /<lang>/payments/manage/reconciliation/."""

from django.urls import path

from . import views_reconcile

urlpatterns = [
    path("", views_reconcile.run_list, name="reconcile_list"),
    path("<int:pk>/", views_reconcile.run_detail, name="reconcile_run"),
    path("<int:pk>/items.csv", views_reconcile.run_csv, name="reconcile_run_csv"),
]
