"""Payment pages under /<lang>/payments/. Each part has its own URL module."""

from django.urls import include, path

app_name = "payments"

urlpatterns = [
    # the payer: status page, pay, return from the gateway; the sandbox's checkout
    path("", include("ekseva.payments.urls_payer")),
    # operator staff: payments, refunds, test payments
    path("manage/", include("ekseva.payments.urls_manage")),
    path("manage/reconciliation/", include("ekseva.payments.urls_reconcile")),
    path("manage/settlements/", include("ekseva.payments.urls_settle")),
]
