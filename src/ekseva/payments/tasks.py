"""Celery tasks: thin wrappers over the services."""

from celery import shared_task

from . import services


@shared_task(name="ekseva.payments.tasks.process_refund", ignore_result=True)
def process_refund(refund_pk: int) -> None:
    services.process_refund(refund_pk)


@shared_task(name="ekseva.payments.tasks.poll_due", ignore_result=True)
def poll_due() -> int:
    return services.poll_due()


@shared_task(name="ekseva.payments.tasks.sweep", ignore_result=True)
def sweep() -> None:
    services.sweep()


@shared_task(name="ekseva.payments.tasks.deliver_sandbox_webhooks", ignore_result=True)
def deliver_sandbox_webhooks() -> int:
    """Send the sandbox gateway's webhooks that are due (late, retried). Does nothing
    when none is due, e.g. wherever the sandbox is not used."""
    from . import sandbox

    return sandbox.deliver_due()


@shared_task(name="ekseva.payments.tasks.make_settlements", ignore_result=True)
def make_settlements() -> int:
    """Nightly (02:00): the department settlement batches of the period just ended
    (and of the days before it that have none yet). Returns how many batches."""
    from . import settlements

    return sum(len(report.batches) for report in settlements.make_scheduled())
