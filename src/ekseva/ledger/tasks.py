"""Celery tasks: thin wrappers over the services."""

from celery import shared_task

from . import services


@shared_task(name="ekseva.ledger.tasks.snapshot_balances", ignore_result=True)
def snapshot_balances() -> int:
    return services.snapshot_balances()
