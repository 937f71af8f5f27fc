"""The payments API under /api/v1/payments/ (session authentication).

- ``GET  <reference>/``          one payment: its payer, or staff who may view it (else 404);
- ``POST <reference>/refunds/``  give money back (operator staff, ``payments.refund``);
- ``POST test/``                 a gateway test payment (``payments.test_payment``).

Both POSTs need an ``Idempotency-Key`` header (1–64 characters: letters, digits,
``. _ : -``). The same key with the same body answers the first result with 200; the
same key with another body is refused with 409; a new key that makes something
answers 201. Keys belong to the user who sent them. Staff actions need a staff
session that passed the TOTP step. Every refusal is
``{"code", "message_en", "message_hi"}`` (plus ``"field"`` when one field is wrong).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ekseva.accounts import selectors as people
from ekseva.accounts.permissions import can

from . import gateway_check, permissions, selectors, services
from .models import (
    AlreadyPaid,
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidTransition,
    Payment,
    PaymentError,
)
from .serializers import (
    ApiError,
    ErrorSerializer,
    GatewayTestRequestSerializer,
    PaymentSerializer,
    RefundRequestSerializer,
    RefundSerializer,
    check,
)

KEY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    KEY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="1–64 characters (letters, digits, . _ : -). The same key and body answer "
    "the first result (200); the same key with another body is refused (409).",
)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="the payment reference, e.g. PY2600000012X"
)


def _error(exc: ApiError) -> Response:
    return Response(exc.body(), status=exc.status)


_CODES: list[tuple[type[PaymentError], str]] = [
    (gateway_check.FieldError, "invalid"),
    (IdempotencyConflict, "idempotency_conflict"),
    (AlreadyPaid, "already_paid"),
    (InvalidTransition, "invalid_transition"),
    (GatewayUnavailable, "gateway_unavailable"),
    (selectors.UnknownPurpose, "unknown_purpose"),
]


def _refusal(exc: PaymentError) -> ApiError:
    code = next((name for kind, name in _CODES if isinstance(exc, kind)), "refused")
    return ApiError(exc.status, code, exc.en, exc.hi, getattr(exc, "field", ""))


NOT_FOUND = ApiError(404, "not_found", "There is no such payment.", "ऐसा कोई भुगतान नहीं है।")
FORBIDDEN = ApiError(
    403,
    "forbidden",
    "You may not do this.",
    "आपको यह करने की अनुमति नहीं है।",
)
NOT_VERIFIED = ApiError(
    403,
    "staff_verification_required",
    "Sign in as staff with your authenticator code first.",
    "पहले अपने ऑथेंटिकेटर कोड से स्टाफ़ के रूप में साइन इन करें।",
)


class PaymentsAPIView(APIView):
    """Refusals in the payments API's own shape, in English and Hindi."""

    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ApiError):
            return _error(exc)
        if isinstance(exc, PaymentError):
            return _error(_refusal(exc))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return _error(ApiError(403, "not_signed_in", "Sign in first.", "पहले साइन इन करें।"))
        if isinstance(exc, exceptions.PermissionDenied) and "CSRF" in str(exc.detail):
            return _error(
                ApiError(
                    403,
                    "csrf_failed",
                    "Send the CSRF token of your session (header X-CSRFToken).",
                    "अपने सत्र का CSRF टोकन भेजें (हेडर X-CSRFToken)।",
                )
            )
        if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
            return _error(FORBIDDEN)
        if isinstance(exc, Http404 | exceptions.NotFound):
            return _error(NOT_FOUND)
        if isinstance(exc, exceptions.ParseError):
            return _error(
                ApiError(
                    400,
                    "parse_error",
                    "The body is not valid JSON.",
                    "अनुरोध का मुख्य भाग मान्य JSON नहीं है।",
                )
            )
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return _error(
                ApiError(
                    415,
                    "unsupported_media_type",
                    "Send the body as JSON (Content-Type: application/json).",
                    "मुख्य भाग JSON के रूप में भेजें (Content-Type: application/json)।",
                )
            )
        if isinstance(exc, exceptions.MethodNotAllowed):
            return _error(
                ApiError(
                    405,
                    "method_not_allowed",
                    f"{exc.detail}",
                    "यह अनुरोध विधि यहाँ स्वीकार नहीं है।",
                )
            )
        return super().handle_exception(exc)

    # ----- helpers -----------------------------------------------------------

    def staff_user(self, request: Request) -> Any:
        """The user, if a verified staff session (else ``ApiError`` 403)."""
        user = request.user
        if not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if not people.is_staff_member(user):
            raise FORBIDDEN
        if not user.is_verified():
            raise NOT_VERIFIED
        return user

    def idempotency_key(self, request: Request) -> str:
        """The request's key, in the user's own key space (ids of internal keys
        such as ``auto:…`` or the forms' ``form:…`` can never be hit)."""
        key = request.headers.get(KEY_HEADER, "").strip()
        if not key:
            raise ApiError(
                400,
                "idempotency_key_required",
                f"Send an {KEY_HEADER} header: the same key makes a repeated request safe.",
                f"{KEY_HEADER} हेडर भेजें: एक ही कुंजी से दोहराया गया अनुरोध सुरक्षित रहता है।",
            )
        if not _KEY.fullmatch(key):
            raise ApiError(
                400,
                "idempotency_key_invalid",
                f"The {KEY_HEADER} must be 1–64 letters, digits or . _ : -",
                f"{KEY_HEADER} में 1–64 अक्षर, अंक या . _ : - ही हों।",
            )
        return f"api:{request.user.pk}:{key}"

    def visible_payment(self, request: Request, reference: str) -> Payment:
        """The payment if the user is its payer or staff who may view it; else 404."""
        payment = selectors.find(reference)
        user = request.user
        if payment is None or not user.is_authenticated:
            raise NOT_FOUND
        if payment.payer_id is not None and payment.payer_id == user.pk:
            return payment
        if (
            people.is_staff_member(user)
            and user.is_verified()
            and selectors.can_view(user, payment)
        ):
            return payment
        raise NOT_FOUND


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="bad request: missing key, bad body"),
    403: OpenApiResponse(ErrorSerializer, description="not allowed"),
    404: OpenApiResponse(ErrorSerializer, description="no such payment (or not yours to see)"),
    409: OpenApiResponse(ErrorSerializer, description="the key was used for another request"),
}


class PaymentDetailAPI(PaymentsAPIView):
    @extend_schema(
        operation_id="payments_retrieve",
        summary="One payment: lines, status history, refunds",
        parameters=[REFERENCE_PARAMETER],
        responses={200: PaymentSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, reference: str) -> Response:
        payment = self.visible_payment(request, reference)
        return Response(PaymentSerializer(payment).data)


class RefundsAPI(PaymentsAPIView):
    @extend_schema(
        operation_id="payments_refunds_create",
        summary="Refund all or part of a paid payment",
        parameters=[REFERENCE_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=RefundRequestSerializer,
        responses={
            201: OpenApiResponse(RefundSerializer, description="refund recorded"),
            200: OpenApiResponse(RefundSerializer, description="the first refund under this key"),
            **ERRORS,
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        user = self.staff_user(request)
        payment = self.visible_payment(request, reference)
        if not can(user, permissions.REFUND, selectors.payment_scope(payment)):
            raise FORBIDDEN
        key = self.idempotency_key(request)
        data = check(RefundRequestSerializer, request.data)
        refusal = selectors.unknown_purpose(payment)
        if refusal is not None:
            raise refusal
        refund = services.refund(
            payment, data["amount_paise"], reason=data["reason"], idempotency_key=key, actor=user
        )
        answer = (
            status.HTTP_200_OK if getattr(refund, "replayed", False) else status.HTTP_201_CREATED
        )
        return Response(RefundSerializer(refund).data, status=answer)


class GatewayTestAPI(PaymentsAPIView):
    @extend_schema(
        operation_id="payments_test_create",
        summary="Make a gateway test payment (₹1–₹100, paid by you)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=GatewayTestRequestSerializer,
        responses={
            201: OpenApiResponse(PaymentSerializer, description="payment created"),
            200: OpenApiResponse(PaymentSerializer, description="the first payment under this key"),
            400: ERRORS[400],
            403: ERRORS[403],
            409: ERRORS[409],
        },
    )
    def post(self, request: Request) -> Response:
        user = self.staff_user(request)
        if not can(user, permissions.TEST_PAYMENT):
            raise FORBIDDEN
        key = self.idempotency_key(request)
        data = check(GatewayTestRequestSerializer, request.data)
        payment = gateway_check.create(
            gateway=data["gateway"], amount=data["amount_paise"], payer=user, idempotency_key=key
        )
        answer = (
            status.HTTP_200_OK if getattr(payment, "replayed", False) else status.HTTP_201_CREATED
        )
        return Response(PaymentSerializer(payment).data, status=answer)
