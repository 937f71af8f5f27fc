"""``staff_required``: staff pages demand a password + TOTP sign-in and a current posting."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from . import selectors


def _check(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not user.is_authenticated or not user.is_verified():
        return redirect_to_login(request.get_full_path(), reverse("accounts:staff_signin"))
    if not selectors.is_staff_member(user):
        raise PermissionDenied("no current staff posting")
    return None


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in with a verified TOTP device (``request.user.is_verified()``) and holding a
    current staff posting; otherwise off to the staff sign-in (or 403 without a posting)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return _check(request) or view(request, *args, **kwargs)

    return wrapped


class StaffRequiredMixin:
    """``staff_required`` for class-based views."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return _check(request) or super().dispatch(request, *args, **kwargs)
