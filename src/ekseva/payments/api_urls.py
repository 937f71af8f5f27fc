"""Payments API under /api/v1/payments/ (names in the ``api`` namespace; see api.py)."""

from django.urls import path, re_path

from . import api

REFERENCE = r"(?P<reference>PY[0-9]{10}[0-9A-Z])"

urlpatterns = [
    path("test/", api.GatewayTestAPI.as_view(), name="payment-test"),
    re_path(rf"^{REFERENCE}/$", api.PaymentDetailAPI.as_view(), name="payment-detail"),
    re_path(rf"^{REFERENCE}/refunds/$", api.RefundsAPI.as_view(), name="payment-refunds"),
]
