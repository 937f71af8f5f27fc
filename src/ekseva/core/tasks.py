from celery import shared_task

from . import audit


@shared_task(name="ekseva.core.tasks.seal_audit_log", ignore_result=True)
def seal_audit_log(full: bool = False) -> int:
    return audit.seal_pending(full=full)
