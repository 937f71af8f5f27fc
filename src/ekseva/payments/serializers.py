"""The payments API's shapes: what a payment and a refund look like, what a refund or
a test payment request must say, and the error body ({code, message_en, message_hi}).

Requests are checked twice, once in English and once in Hindi, so every refusal
carries both messages (``check``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import gateway_check
from .models import Payment, PaymentEvent, Refund

# --------------------------------------------------------------------------- errors


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="a stable name for the refusal, e.g. idempotency_conflict"
    )
    message_en = serializers.CharField()
    message_hi = serializers.CharField()
    field = serializers.CharField(required=False, help_text="the request field it concerns")


class ApiError(Exception):
    """A refusal the API answers with ``status`` and the error body."""

    def __init__(self, status: int, code: str, en: str, hi: str, field: str = "") -> None:
        super().__init__(en)
        self.status, self.code, self.en, self.hi, self.field = status, code, en, hi, field

    def body(self) -> dict[str, str]:
        body = {"code": self.code, "message_en": self.en, "message_hi": self.hi}
        if self.field:
            body["field"] = self.field
        return body


def check(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """``data`` validated by ``serializer_class``; else ``ApiError`` (400) naming the
    first field in error, with its message in English and in Hindi."""
    with translation.override("en"):
        english = serializer_class(data=data)
        if english.is_valid():
            return dict(english.validated_data)
        errors_en = english.errors
    with translation.override("hi"):
        hindi = serializer_class(data=data)
        hindi.is_valid()
        errors_hi = hindi.errors
    field = next(iter(errors_en))
    en, hi = _first(errors_en[field]), _first(errors_hi.get(field, errors_en[field]))
    return_field = "" if field == "non_field_errors" else field
    raise ApiError(400, "invalid", en, hi, return_field)


def _first(errors: Any) -> str:
    while isinstance(errors, (list, tuple)) and errors:
        errors = errors[0]
    if isinstance(errors, Mapping):
        return _first(next(iter(errors.values())))
    return str(errors)


# --------------------------------------------------------------------------- requests


class PaiseField(serializers.IntegerField):
    """Integer paise, and only that: a JSON number without a fraction (no text,
    no 100.0, no true)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class RequestSerializer(serializers.Serializer):
    default_error_messages = {"invalid": _("Send the request as a JSON object.")}


class RefundRequestSerializer(RequestSerializer):
    amount_paise = PaiseField(
        min_value=1,
        help_text="how much to give back, in paise (at most what is still refundable)",
        error_messages={
            "required": _("Give the amount to refund (amount_paise)."),
            "null": _("Give the amount to refund (amount_paise)."),
            "invalid": _("amount_paise must be a whole number of paise."),
            "min_value": _("The refund must be more than 0 paise."),
            "max_string_length": _("amount_paise must be a whole number of paise."),
        },
    )
    reason = serializers.CharField(
        max_length=300,
        help_text="why, in words (kept with the refund and in the audit log)",
        error_messages={
            "required": _("Give the reason for the refund."),
            "null": _("Give the reason for the refund."),
            "blank": _("Give the reason for the refund."),
            "invalid": _("Give the reason for the refund."),
            "max_length": _("The reason may be at most {max_length} characters."),
        },
    )


class GatewayTestRequestSerializer(RequestSerializer):
    gateway = serializers.CharField(
        max_length=30,
        help_text="an enabled gateway that leaves the portal, e.g. sandbox",
        error_messages={
            "required": _("Choose one of the enabled gateways."),
            "null": _("Choose one of the enabled gateways."),
            "blank": _("Choose one of the enabled gateways."),
            "invalid": _("Choose one of the enabled gateways."),
            "max_length": _("Choose one of the enabled gateways."),
        },
    )
    amount_paise = PaiseField(
        min_value=gateway_check.MIN_PAISE,
        max_value=gateway_check.MAX_PAISE,
        help_text="100 to 10000 (₹1 to ₹100)",
        error_messages={
            "required": _("A test payment is between ₹1 and ₹100."),
            "null": _("A test payment is between ₹1 and ₹100."),
            "invalid": _("amount_paise must be a whole number of paise."),
            "min_value": _("A test payment is between ₹1 and ₹100."),
            "max_value": _("A test payment is between ₹1 and ₹100."),
            "max_string_length": _("A test payment is between ₹1 and ₹100."),
        },
    )


# --------------------------------------------------------------------------- answers


class PaymentLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label_en = serializers.CharField()
    label_hi = serializers.CharField()
    amount_paise = serializers.IntegerField()
    rule = serializers.CharField()


class PaymentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentEvent
        fields = ["at", "from_status", "to_status", "source", "note"]


class RefundSerializer(serializers.ModelSerializer):
    payment = serializers.CharField(source="payment.reference")
    amount_paise = serializers.IntegerField(source="amount")

    class Meta:
        model = Refund
        fields = [
            "reference",
            "payment",
            "amount_paise",
            "kind",
            "reason",
            "status",
            "gateway_refund_id",
            "created_at",
            "processed_at",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    amount_paise = serializers.IntegerField(source="amount")
    refunded_paise = serializers.IntegerField(source="refunded_amount")
    refundable_paise = serializers.IntegerField(source="refundable")
    lines = PaymentLineSerializer(many=True)
    events = PaymentEventSerializer(many=True)
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Payment
        fields = [
            "reference",
            "purpose",
            "target",
            "description_en",
            "description_hi",
            "amount_paise",
            "refunded_paise",
            "refundable_paise",
            "lines",
            "status",
            "outcome",
            "failure_reason",
            "gateway",
            "method",
            "gateway_order_id",
            "gateway_payment_id",
            "channel",
            "department_code",
            "service_code",
            "kiosk_code",
            "created_at",
            "expires_at",
            "succeeded_at",
            "events",
            "refunds",
        ]
