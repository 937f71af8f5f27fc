"""The staff payments console under /<lang>/payments/manage/ (names in the
``payments`` namespace: ``payments:manage_list`` …; see views_manage)."""

from django.urls import path, re_path

from . import views_manage

# A payment reference: PY, two digits of the year, eight of the number, a check
# character. Strict, so the sibling screens mounted under manage/ (reconciliation,
# settlements) are never taken for a payment.
REFERENCE = r"(?P<reference>PY[0-9]{10}[0-9A-Z])"

urlpatterns = [
    path("", views_manage.manage_list, name="manage_list"),
    path("test/", views_manage.test_payment, name="test_payment"),
    re_path(rf"^{REFERENCE}/$", views_manage.manage_detail, name="manage_detail"),
    re_path(rf"^{REFERENCE}/refund/$", views_manage.manage_refund, name="manage_refund"),
    re_path(rf"^{REFERENCE}/poll/$", views_manage.manage_poll, name="manage_poll"),
]
