"""Signed-in browsers for the benchmarks, without the sign-in pages: a session is
written as the sign-in view would write it (``login`` then ``otp_login`` for staff
and kiosk logins), with a CSRF secret, so the load generator's requests go
through the same middleware, session lookup and permission checks as a person's.

Call after ``Bench.django()``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Browser:
    """What a signed-in browser sends: its cookies and its CSRF token."""

    user_id: int
    cookies: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookies}


def anonymous() -> Browser:
    csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked CSRF secret
    return Browser(user_id=0, cookies=f"csrftoken={csrf}", csrf=csrf)


def signed_in(user, *, verified: bool | None = None) -> Browser:
    """A session for ``user``. ``verified`` marks the second factor done (staff and
    kiosk logins sign in with an authenticator code): by default, for anyone with a
    password. Their confirmed authenticator is made if they have none."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if verified is None:
        verified = user.has_usable_password()  # citizens sign in by SMS code, no password
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        session["otp_device_id"] = device.persistent_id
    session.create()
    csrf = secrets.token_hex(16)
    return Browser(
        user_id=user.pk,
        cookies=f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        csrf=csrf,
    )
