"""Per-request context for the audit log: client IP, request id, user."""

from __future__ import annotations

import re
import uuid

from django.conf import settings

from . import audit

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,40}$")


def client_ip(request) -> str | None:
    """The client's address, or None if it is not a well-formed one.

    Behind a trusted proxy (the operator sets BEHIND_TLS_PROXY) the proxy appends
    the address it saw to X-Forwarded-For: we take that last entry, never one the
    client could have written itself.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.SECURE_PROXY_SSL_HEADER:
        return audit.clean_ip(forwarded.split(",")[-1])
    return audit.clean_ip(request.META.get("REMOTE_ADDR"))


def request_id(request) -> str:
    """The id an upstream proxy gave the request (if sane), else a fresh one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Makes ip, request id and user available to ``audit.record()`` for the
    length of one request, and echoes the request id in ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id(request)
        audit.set_request_context(
            ip=client_ip(request),
            request_id=request.request_id,
            user=getattr(request, "user", None),
        )
        try:
            response = self.get_response(request)
        finally:
            audit.clear_request_context()
        response["X-Request-ID"] = request.request_id
        return response
