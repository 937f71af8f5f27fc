"""Celery tasks of the back office: thin wrappers over the services, run daily by
beat (CELERY_BEAT_SCHEDULE in settings.py) or by hand (``ekseva workflow ...``)."""

from celery import shared_task


@shared_task(name="ekseva.workflow.tasks.remind_due", ignore_result=True)
def remind_due() -> int:
    """Daily at 08:00 IST: remind officers of cases due within
    ``WORKFLOW_REMIND_DAYS`` working days (once per case)."""
    from . import sla

    return sla.remind_due()


@shared_task(name="ekseva.workflow.tasks.escalate_breaches", ignore_result=True)
def escalate_breaches() -> int:
    """Daily at 00:30 IST: cases whose due date was yesterday or before go into the
    delay register and to the next officer (once per case)."""
    from . import sla

    return sla.escalate_breaches()
