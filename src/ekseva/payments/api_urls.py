"""Payments API (being written)."""

urlpatterns: list = []
