"""ekseva: one-stop public service delivery platform."""

from .celery import app as celery_app

__all__ = ["celery_app"]
