"""The payer's pages under /<lang>/payments/ (names in the "payments" namespace), and
the sandbox gateway's checkout page. A reference is matched by its shape (``PY…``),
so the staff sections (manage/ …) are never taken for a payment."""

from django.urls import path, re_path

from . import views_payer

REFERENCE = r"(?P<reference>PY[0-9A-Z]{6,20})"

urlpatterns = [
    path(
        "sandbox/checkout/<slug:order_id>/",
        views_payer.sandbox_checkout,
        name="sandbox_checkout",
    ),
    re_path(rf"^{REFERENCE}/$", views_payer.status, name="status"),
    re_path(rf"^{REFERENCE}/pay/$", views_payer.pay, name="pay"),
    re_path(rf"^{REFERENCE}/return/$", views_payer.return_view, name="return"),
]
