"""The session engine pushes the idle deadline on at most once a minute: a request
on a session saved less than SESSION_REFRESH_SECONDS ago writes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.utils import timezone

from ekseva.core.sessions import SessionStore


def _fresh() -> str:
    store = SessionStore()
    store["k"] = "v"
    store.create()
    return store.session_key


def test_a_fresh_session_is_not_written_again(db, settings):
    key = _fresh()
    store = SessionStore(key)
    assert store["k"] == "v"
    assert store.modified is False  # nothing to save: the deadline is less than a minute old


def test_a_session_older_than_the_refresh_is_pushed_on(db, settings):
    key = _fresh()
    old = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 61)
    Session.objects.filter(pk=key).update(expire_date=old)
    store = SessionStore(key)
    assert store["k"] == "v"
    assert store.modified is True
    store.save()
    pushed = Session.objects.get(pk=key).expire_date
    assert pushed > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_a_signed_in_request_does_not_write_the_session_each_time(client, db, django_user_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = django_user_model.objects.create_citizen("9876500077")
    client.force_login(user)
    client.get("/livez")
    with CaptureQueriesContext(connection) as queries:
        client.get("/en/")
    assert not [q for q in queries.captured_queries if 'UPDATE "django_session"' in q["sql"]]
