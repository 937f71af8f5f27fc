"""Per-request context for the audit log: client IP, request id, user."""

from __future__ import annotations

import uuid

from . import audit


def client_ip(request) -> str | None:
    # Behind a trusted proxy the operator sets BEHIND_TLS_PROXY and the proxy
    # writes X-Forwarded-For; we take the address the proxy saw.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    from django.conf import settings  # noqa: PLC0415

    if forwarded and settings.SECURE_PROXY_SSL_HEADER:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        audit.set_request_context(
            ip=client_ip(request), request_id=request.request_id[:40],
            user=getattr(request, "user", None),
        )
        try:
            response = self.get_response(request)
        finally:
            audit.clear_request_context()
        response["X-Request-ID"] = request.request_id
        return response
