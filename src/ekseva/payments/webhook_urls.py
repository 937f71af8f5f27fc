"""Gateway webhooks (being written)."""

urlpatterns: list = []
