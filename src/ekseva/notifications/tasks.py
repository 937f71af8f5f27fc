"""Celery tasks: thin wrappers over the services."""

from celery import shared_task

from . import services


@shared_task(name="ekseva.notifications.tasks.deliver_message", ignore_result=True)
def deliver_message(message_id: int) -> None:
    services.deliver(message_id)


@shared_task(name="ekseva.notifications.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return services.sweep()
