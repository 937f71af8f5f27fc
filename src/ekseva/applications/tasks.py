"""Celery tasks of applications: thin wrappers over the services, run by beat
(CELERY_BEAT_SCHEDULE in settings.py) or by hand (``ekseva applications ...``)."""

from celery import shared_task

from . import services


@shared_task(name="ekseva.applications.tasks.close_lapsed", ignore_result=True)
def close_lapsed() -> int:
    """Daily just after midnight: close the drafts whose window ended yesterday and
    the applications whose fee was not paid by the last date (after the grace)."""
    return services.close_lapsed()


@shared_task(name="ekseva.applications.tasks.remind_closing_drafts", ignore_result=True)
def remind_closing_drafts() -> int:
    """Daily in the morning: tell applicants whose drafts are unfinished that the
    window closes soon (once per draft)."""
    return services.remind_closing_drafts()
