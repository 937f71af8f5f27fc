"""Every periodic task named in the Celery beat schedule exists (a typo would silently
stop the audit sealing, the outbox sweep or the ledger snapshots in production)."""

from django.conf import settings

from ekseva.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    missing = sorted(name for name in names if name not in app.tasks)
    assert not missing, f"beat schedule names unknown tasks: {missing}"
