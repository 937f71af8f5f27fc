"""Celery tasks of the kiosks app: thin wrappers over the services."""

from celery import shared_task


@shared_task(name="ekseva.kiosks.tasks.make_commission_statements", ignore_result=True)
def make_commission_statements() -> int:
    """Monthly (the 1st, 03:00 IST): last month's commission statements. Returns
    how many statements the month has."""
    from . import commission

    return len(commission.make_statements(commission.last_month()))
