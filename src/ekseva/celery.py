"""Celery application.

With ``REDIS_URL`` set, tasks go to a Celery worker through Redis. Without it (the
embedded default) ``task_always_eager`` runs each task in-process, right where it
is queued (services queue tasks in ``transaction.on_commit``, so after commit).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekseva.settings")

app = Celery("ekseva")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
