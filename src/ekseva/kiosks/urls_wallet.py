"""Pages of this area (see urls.py)."""

urlpatterns: list = []
