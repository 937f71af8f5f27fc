"""The session engine: database sessions whose idle deadline is pushed on at most
once a minute, instead of a session row written on every request.

``SESSION_SAVE_EVERY_REQUEST`` wrote the session row on every signed-in request
(an UPDATE and a commit on each page view: a signed-in empty view ran at a quarter
of the anonymous one). Here a request marks the session modified only when its
deadline (``expire_date``, read with the row) is more than ``SESSION_REFRESH_SECONDS``
older than a fresh one, so ``SessionMiddleware`` saves it (and re-sends the cookie)
then and only then. A session left idle still ends ``SESSION_COOKIE_AGE`` after the
last request, give or take ``SESSION_REFRESH_SECONDS``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.backends import db
from django.utils import timezone


def refresh_seconds() -> int:
    return int(getattr(settings, "SESSION_REFRESH_SECONDS", 60))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = super()._get_session_from_db()
        if session is not None:
            fresh = dt.timedelta(seconds=self.get_session_cookie_age() - refresh_seconds())
            if session.expire_date - timezone.now() < fresh:
                self.modified = True  # the middleware saves it: the deadline moves on
        return session
