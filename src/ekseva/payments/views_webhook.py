"""The webhook endpoint every gateway calls (docs/payments.md#webhooks).

Answers 200 ``{"status": "ok"}`` (applied or recorded), 200 ``{"status": "duplicate"}``
(seen before, nothing changed), 400 when the signature does not verify or the body
cannot be read (nothing recorded), 404 for an unknown gateway. Anything else is a
500, and the gateway delivers again later."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import gateways, services
from .models import PaymentError, SignatureError

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024


@csrf_exempt
@require_POST
def receive(request: HttpRequest, gateway: str) -> JsonResponse:
    try:
        gateway_obj = gateways.get(gateway)
    except gateways.UnknownGateway:
        return JsonResponse({"status": "error", "error": "unknown gateway"}, status=404)
    if gateway_obj.immediate:
        return JsonResponse({"status": "error", "error": "unknown gateway"}, status=404)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"status": "error", "error": "body too large"}, status=400)
    try:
        outcome = services.handle_webhook(gateway_obj.name, body, request.headers)
    except SignatureError as exc:
        log.warning("webhook for %s refused: %s", gateway_obj.name, exc.en)
        return JsonResponse({"status": "error", "error": "signature"}, status=400)
    except PaymentError as exc:
        log.warning("webhook for %s not readable: %s", gateway_obj.name, exc.en)
        return JsonResponse({"status": "error", "error": exc.en}, status=exc.status)
    return JsonResponse({"status": "duplicate" if outcome.duplicate else "ok"})
