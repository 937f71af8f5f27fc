"""Gateway webhooks: POST /payments/webhooks/<gateway>/ (no language prefix, no
session, no CSRF token: the gateway's signature is the check)."""

from django.urls import path

from . import views_webhook

urlpatterns = [
    path("<slug:gateway>/", views_webhook.receive, name="payments_webhook"),
]
