"""An application's row lock holds that row only (PostgreSQL). Locking the joined
catalogue rows too made every submit and payment of a service wait for one
another on the service's row: a deadline surge on one exam ran one at a time."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from ekseva.accounts.models import User
from ekseva.applications import services
from ekseva.workflow import services as workflow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _can_lock_elsewhere(table: str, pk: int) -> bool:
    """Whether another connection can lock the row at once (NOWAIT)."""
    params = connection.get_connection_params()
    conninfo = {k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")}
    with psycopg.connect(**conninfo, autocommit=False) as other:
        try:
            other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])
        except psycopg.errors.LockNotAvailable:
            return False
        finally:
            other.rollback()
    return True


@pytest.mark.parametrize("lock", [services._locked, workflow._lock_application])
def test_locking_an_application_leaves_its_service_and_version_free(service, lock):
    citizen = User.objects.create_citizen("9876500011")
    app = services.start(citizen, service)
    with transaction.atomic():
        locked = lock(app.pk)
        assert locked.service.pk == service.pk  # the joined rows are still read
        assert not _can_lock_elsewhere("applications_application", app.pk)
        assert _can_lock_elsewhere("catalog_service", service.pk)
        assert _can_lock_elsewhere("catalog_serviceversion", app.version_id)
