"""Razorpay: Standard Checkout, signed returns and webhooks, refunds, settlement recon.

What Razorpay documents, and how this plugin follows it:

- **Orders** (``POST /v1/orders``): every payment first gets an order for its
  amount in paise, with our payment reference as ``receipt``; Checkout is opened
  for that ``order_id``, which ties the citizen's payment to the amount we asked for.
- **Checkout return**: Standard Checkout hands the page ``razorpay_payment_id``,
  ``razorpay_order_id`` and ``razorpay_signature``, where the signature is the hex
  HMAC-SHA256 of ``order_id + "|" + payment_id`` keyed with the API key secret. We
  sign with the order id *we stored*, never the one the browser sent. A valid
  signature only proves the payer authorised the payment, so the payment is then
  fetched (``GET /v1/payments/{id}``) to learn whether it was captured.
- **Webhooks**: ``X-Razorpay-Signature`` is the hex HMAC-SHA256 of the raw request
  body keyed with the webhook secret; ``X-Razorpay-Event-Id`` is unique per event
  and is our deduplication key. ``payment.captured`` and ``order.paid`` mean
  succeeded, ``payment.failed`` failed; every other event is recorded, not acted on.
- **Polling**: ``GET /v1/orders/{id}/payments`` lists every attempt on the order.
- **Refunds**: ``POST /v1/payments/{id}/refund`` with the ``X-Refund-Idempotency``
  header (and our refund reference as ``receipt``), so a retry after a lost answer
  never refunds twice.
- **Settlement recon report** (CSV from the dashboard, amounts in rupees): read
  into ``SettlementRow`` in paise, exactly.

Every HTTP call goes through a ``Transport`` (``UrllibTransport`` by default: basic
auth with the key id and secret, JSON in and out). Tests give the gateway their own
transport that answers from recorded payloads. Failures to reach Razorpay, its 5xx
answers, 409 (a refund still in flight) and 429 (rate limited) raise
``GatewayUnavailable`` (try again); other 4xx answers raise ``RazorpayError`` (a
``PaymentError``) carrying Razorpay's own description.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import http.client
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from django.conf import settings as django_settings
from django.utils import timezone

from ..models import GatewayUnavailable, PaymentError, SignatureError
from .base import (
    Checkout,
    Gateway,
    GatewayResult,
    RefundResult,
    SettingSpec,
    SettlementRow,
    WebhookEvent,
)

if TYPE_CHECKING:
    from ..models import Payment, Refund

CHECKOUT_SCRIPT = "https://checkout.razorpay.com/v1/checkout.js"
KEY_ID_RE = re.compile(r"^rzp_(test|live)_[A-Za-z0-9]+$")
PAYMENT_ID_RE = re.compile(r"^pay_[A-Za-z0-9]+$")
ORDER_ID_RE = re.compile(r"^order_[A-Za-z0-9]+$")
REFUND_ID_RE = re.compile(r"^rfnd_[A-Za-z0-9]+$")
# Answers that mean "not now": a refund with the same idempotency key still being
# processed (409) and rate limiting (429). The caller tries again later.
RETRY_STATUSES = frozenset({409, 429})


def sign(message: bytes | str, secret: str) -> str:
    """Razorpay's signature: hex HMAC-SHA256 of ``message`` keyed with ``secret``."""
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    # compare_digest refuses non-ASCII str, so compare bytes.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


class RazorpayError(PaymentError):
    """Razorpay refused a request (a 4xx answer); ``description`` is its own words."""

    def __init__(self, http_status: int, description: str, code: str = "", field: str = ""):
        self.http_status = http_status
        self.description = description
        self.code = code
        self.field = field
        super().__init__(
            f"Razorpay refused the request: {description}",
            f"रेज़रपे ने अनुरोध अस्वीकार कर दिया: {description}",
        )

    @classmethod
    def from_answer(cls, http_status: int, raw: bytes) -> RazorpayError:
        """Read Razorpay's error body: ``{"error": {"code", "description", "field", …}}``."""
        try:
            error = json.loads(raw).get("error") or {}
        except (ValueError, AttributeError, UnicodeDecodeError):
            error = {}
        if not isinstance(error, dict):
            error = {}
        description = str(error.get("description") or f"HTTP {http_status}")
        code, field = str(error.get("code") or ""), str(error.get("field") or "")
        return cls(http_status, description, code, field)


def unavailable(detail: str) -> GatewayUnavailable:
    return GatewayUnavailable(
        f"Razorpay could not be reached ({detail}); try again in a few minutes.",
        "रेज़रपे से संपर्क नहीं हो सका; कुछ मिनट बाद फिर प्रयास करें।",
    )


# --------------------------------------------------------------------------- transport


class Transport(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one API call (``path`` below the API base, e.g. ``/orders``) and return
        the JSON object answered. Raises ``GatewayUnavailable`` or ``RazorpayError``."""
        ...


class UrllibTransport:
    """Razorpay's REST API over ``urllib``: basic auth (key id : key secret), JSON."""

    def __init__(self, base_url: str, key_id: str, key_secret: str, timeout: float) -> None:
        if not base_url.startswith(("https://", "http://")):
            # urlopen would also open file: and other schemes; only the web is meant.
            raise unavailable(f"the API address {base_url!r} is not an http(s) address")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        token = base64.b64encode(f"{key_id}:{key_secret}".encode()).decode("ascii")
        self._authorization = f"Basic {token}"

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        url = self.base_url + path  # http(s) only: checked in __init__
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Authorization", self._authorization)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read() or b""
            if exc.code >= 500 or exc.code in RETRY_STATUSES:
                raise unavailable(f"HTTP {exc.code} from {method} {path}") from exc
            raise RazorpayError.from_answer(exc.code, raw) from exc
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise unavailable(f"{method} {path}: {reason}") from exc
        try:
            answer = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise unavailable(f"{method} {path} answered with something other than JSON") from None
        if not isinstance(answer, dict):
            raise unavailable(f"{method} {path} answered with JSON that is not an object")
        return answer


# --------------------------------------------------------------------------- helpers


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header from a case-insensitive mapping (``request.headers``), a plain dict
    in any case, or ``request.META`` (``HTTP_X_…``)."""
    value = headers.get(name)
    if value is None:
        wanted = {name.lower(), "http_" + name.lower().replace("-", "_")}
        for key, candidate in headers.items():
            if str(key).lower() in wanted:
                value = candidate
                break
    return str(value).strip() if value is not None else ""


def _entity(event: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """``event["payload"][name]["entity"]`` if it is an object, else None."""
    payload = event.get("payload")
    wrapper = payload.get(name) if isinstance(payload, dict) else None
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else None


def _created(item: Mapping[str, Any]) -> int:
    value = item.get("created_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _amount(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_captured(entity: Mapping[str, Any]) -> bool:
    """Money was taken: ``captured``, or ``refunded`` after a capture (an authorised
    payment never captured is also refunded, automatically, with ``captured`` false)."""
    status = entity.get("status")
    return status == "captured" or (status == "refunded" and entity.get("captured") is True)


def result_from_payment(entity: Mapping[str, Any], order_id: str = "") -> GatewayResult:
    """What a Razorpay payment entity says: captured → succeeded, failed → failed,
    created/authorized → pending (auto-capture is expected to follow)."""
    status = entity.get("status")
    reason = ""
    if is_captured(entity):
        outcome = "succeeded"
    elif status == "failed":
        outcome = "failed"
        reason = str(
            entity.get("error_description")
            or entity.get("error_reason")
            or "Razorpay reports the payment failed"
        )
    elif status == "refunded":
        outcome = "failed"
        reason = "authorised but never captured; Razorpay gave the money back"
    else:
        outcome = "pending"
    return GatewayResult(
        status=outcome,
        order_id=str(entity.get("order_id") or order_id),
        payment_id=str(entity.get("id") or ""),
        amount=_amount(entity.get("amount")),
        method=str(entity.get("method") or ""),
        reason=reason[:200],
        raw=dict(entity),
    )


# --------------------------------------------------------------------------- gateway


class RazorpayGateway(Gateway):
    """Razorpay Standard Checkout.

    ``expected_fee`` assumes Razorpay's standard plan: ``FEE_RATE`` (2 %) of the
    amount for every method (cards, UPI, net banking, wallets), plus ``GST_RATE``
    (18 %) GST on that fee; each part rounded to the nearest paisa (half up). A
    negotiated plan changes ``FEE_RATE`` or, per method, ``FEE_RATE_BY_METHOD``
    (e.g. ``{"emi": Decimal("0.03")}``) in a subclass or at start-up.
    """

    name = "razorpay"
    label_en = "Razorpay (cards, UPI, net banking)"
    label_hi = "रेज़रपे (कार्ड, यूपीआई, नेट बैंकिंग)"
    settings = (
        SettingSpec("RAZORPAY_KEY_ID", "API key id, rzp_test_… or rzp_live_…"),
        SettingSpec("RAZORPAY_KEY_SECRET", "API key secret", secret=True),
        SettingSpec(
            "RAZORPAY_WEBHOOK_SECRET", "the secret set on the dashboard's webhook", secret=True
        ),
        # These two have defaults (settings.py); check_config checks their values.
        SettingSpec("RAZORPAY_API_BASE", "Razorpay API address", required=False),
        SettingSpec(
            "RAZORPAY_TIMEOUT_SECONDS", "timeout of each call to Razorpay, seconds", required=False
        ),
    )

    FEE_RATE: ClassVar[Decimal] = Decimal("0.02")
    GST_RATE: ClassVar[Decimal] = Decimal("0.18")
    FEE_RATE_BY_METHOD: ClassVar[dict[str, Decimal]] = {}
    CURRENCY: ClassVar[str] = "INR"

    def __init__(self, transport: Transport | None = None) -> None:
        # None: a UrllibTransport built from the settings at each call.
        self.transport = transport

    # ----- configuration -------------------------------------------------
    def check_config(self) -> list[str]:
        problems = super().check_config()
        key_id = self.setting("RAZORPAY_KEY_ID")
        if key_id and not KEY_ID_RE.match(str(key_id)):
            problems.append(
                "RAZORPAY_KEY_ID does not look like a Razorpay key id "
                "(it starts with rzp_test_ or rzp_live_)"
            )
        base = str(self.setting("RAZORPAY_API_BASE") or "")
        if base and not base.startswith("https://"):
            problems.append("RAZORPAY_API_BASE must be an https:// address")
        timeout = self.setting("RAZORPAY_TIMEOUT_SECONDS")
        if timeout not in ("", None) and not (
            isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0
        ):
            problems.append("RAZORPAY_TIMEOUT_SECONDS must be a number of seconds above zero")
        return problems

    @property
    def mode(self) -> str:
        """``test`` or ``live`` (from the key id), ``""`` if the key id is not set."""
        match = KEY_ID_RE.match(str(self.setting("RAZORPAY_KEY_ID") or ""))
        return match.group(1) if match else ""

    def client(self) -> Transport:
        if self.transport is not None:
            return self.transport
        return UrllibTransport(
            base_url=str(self.setting("RAZORPAY_API_BASE") or "https://api.razorpay.com/v1"),
            key_id=str(self.setting("RAZORPAY_KEY_ID")),
            key_secret=str(self.setting("RAZORPAY_KEY_SECRET")),
            timeout=float(self.setting("RAZORPAY_TIMEOUT_SECONDS") or 10),
        )

    def _secret(self, name: str) -> str:
        secret = self.setting(name)
        if not secret:
            # Never verify with an empty key: anyone could sign with it. 503, so
            # Razorpay retries its webhooks once the secret is set.
            raise GatewayUnavailable(
                f"{name} is not set, so Razorpay's signatures cannot be checked.",
                "रेज़रपे भुगतान अभी कॉन्फ़िगर नहीं है; बाद में प्रयास करें।",
            )
        return str(secret)

    # ----- the ledger ----------------------------------------------------
    def expected_fee(self, amount: int, method: str) -> int | None:
        rate = self.FEE_RATE_BY_METHOD.get(method, self.FEE_RATE)
        fee = (Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        tax = (fee * self.GST_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(fee + tax)

    # ----- the payment ---------------------------------------------------
    def create_order(self, payment: Payment) -> str:
        order = self.client().request(
            "POST",
            "/orders",
            {
                "amount": payment.amount,
                "currency": self.CURRENCY,
                "receipt": payment.reference,
                "notes": {"purpose": payment.purpose, "target": payment.target},
            },
        )
        order_id = order.get("id")
        if not isinstance(order_id, str) or not ORDER_ID_RE.match(order_id):
            raise unavailable("the new order has no order id")
        if order.get("amount") != payment.amount or order.get("currency") != self.CURRENCY:
            raise PaymentError(
                f"Razorpay made order {order_id} for {order.get('amount')} "
                f"{order.get('currency')}, not {payment.amount} paise INR",
                "रेज़रपे ने गलत राशि का ऑर्डर बनाया; भुगतान रोका गया।",
            )
        return order_id

    def checkout(self, payment: Payment, *, return_url: str, language: str) -> Checkout:
        description = payment.description(language)
        portal = (
            django_settings.EKSEVA_PORTAL_NAME_HI
            if language == "hi"
            else django_settings.EKSEVA_PORTAL_NAME
        )
        prefill = {
            "name": payment.payer_name,
            "contact": payment.payer_mobile,
            "email": payment.payer_email,
        }
        options = {
            "key": str(self.setting("RAZORPAY_KEY_ID")),
            "order_id": payment.gateway_order_id,
            "amount": payment.amount,
            "currency": self.CURRENCY,
            "name": portal,
            "description": description[:255],
            "prefill": {key: value for key, value in prefill.items() if value},
            "notes": {"reference": payment.reference},
            "theme": {"color": "#0b3d91"},
        }
        return Checkout(
            template="payments/razorpay/checkout.html",
            context={
                "payment": payment,
                "description": description,
                "return_url": return_url,
                "razorpay_options": options,
                "checkout_script": CHECKOUT_SCRIPT,
                "test_mode": self.mode == "test",
            },
        )

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> GatewayResult:
        payment_id = str(params.get("razorpay_payment_id") or "").strip()
        signature = str(params.get("razorpay_signature") or "").strip()
        sent_order = str(params.get("razorpay_order_id") or "").strip()
        order_id = payment.gateway_order_id or ""
        if not payment_id or not signature or not order_id:
            raise SignatureError(
                "Razorpay's answer is incomplete (no payment id or signature).",
                "रेज़रपे का उत्तर अधूरा है (भुगतान आईडी या हस्ताक्षर नहीं है)।",
            )
        if sent_order and sent_order != order_id:
            raise SignatureError(
                "The gateway's answer is for another payment.",
                "गेटवे का उत्तर किसी दूसरे भुगतान का है।",
            )
        expected = sign(f"{order_id}|{payment_id}", self._secret("RAZORPAY_KEY_SECRET"))
        if not _same(expected, signature):
            raise SignatureError(
                "Razorpay's signature does not match; the answer was not applied.",
                "रेज़रपे का हस्ताक्षर मेल नहीं खाता; उत्तर लागू नहीं किया गया।",
            )
        if not PAYMENT_ID_RE.match(payment_id):
            raise SignatureError("Razorpay's payment id is malformed.", "रेज़रपे की भुगतान आईडी गलत है।")
        # The signature proves the payer authorised it; whether the money was
        # captured, Razorpay tells us.
        try:
            entity = self.client().request("GET", f"/payments/{payment_id}")
        except GatewayUnavailable:
            # Signed but unconfirmed: the payment stays pending and the poll, a
            # webhook or the sweep learns the outcome.
            return GatewayResult(status="pending", order_id=order_id, payment_id=payment_id)
        if entity.get("id") != payment_id or entity.get("order_id") != order_id:
            raise SignatureError(
                "Razorpay's payment belongs to another order.",
                "रेज़रपे का भुगतान किसी दूसरे ऑर्डर का है।",
            )
        return result_from_payment(entity, order_id)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        secret = self._secret("RAZORPAY_WEBHOOK_SECRET")
        signature = _header(headers, "X-Razorpay-Signature")
        if not signature or not _same(sign(body, secret), signature):
            raise SignatureError(
                "The webhook's signature does not match.", "वेबहुक का हस्ताक्षर मेल नहीं खाता।"
            )
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise PaymentError("The webhook is not a Razorpay event.", "वेबहुक रेज़रपे घटना नहीं है।")
        kind = data["event"]
        # Razorpay sends a unique X-Razorpay-Event-Id with every event (and the same
        # one on a retry). Without it, the body's digest still catches a retry.
        event_id = _header(headers, "X-Razorpay-Event-Id")
        if not event_id:
            event_id = "sha256:" + hashlib.sha256(body).hexdigest()
        result = None
        if kind in ("payment.captured", "payment.failed", "order.paid"):
            entity = _entity(data, "payment")
            if entity is None:
                raise PaymentError(
                    f"The {kind} webhook carries no payment.", "वेबहुक में भुगतान का विवरण नहीं है।"
                )
            order_entity = _entity(data, "order") or {}
            order_id = str(entity.get("order_id") or order_entity.get("id") or "")
            base = result_from_payment(entity, order_id)
            # The event names what happened; the entity is a snapshot of that moment.
            if kind == "payment.failed":
                status, reason = "failed", base.reason or "Razorpay reports the payment failed"
            else:
                status, reason = "succeeded", ""
            result = GatewayResult(
                status=status,
                order_id=base.order_id,
                payment_id=base.payment_id,
                amount=base.amount,
                method=base.method,
                reason=reason,
                raw=base.raw,
            )
        return WebhookEvent(event_id=event_id[:120], kind=kind[:40], result=result)

    def fetch_status(self, payment: Payment) -> GatewayResult:
        order_id = payment.gateway_order_id or ""
        if not ORDER_ID_RE.match(order_id):
            return GatewayResult(status="pending", order_id=order_id)
        answer = self.client().request("GET", f"/orders/{order_id}/payments")
        items = [item for item in answer.get("items") or [] if isinstance(item, dict)]
        # Attempts in the order they were made (Razorpay lists the newest first).
        attempts = sorted(enumerate(items), key=lambda pair: (_created(pair[1]), -pair[0]))
        ordered = [item for _, item in attempts]
        captured = [item for item in ordered if is_captured(item)]
        if captured:
            return result_from_payment(captured[0], order_id)
        if ordered:
            # The latest attempt failed (or was given back uncaptured): failed, until
            # a later attempt or a late capture says otherwise.
            latest_result = result_from_payment(ordered[-1], order_id)
            if latest_result.status == "failed":
                return latest_result
        latest = ordered[-1] if ordered else {}
        return GatewayResult(
            status="pending",
            order_id=order_id,
            payment_id=str(latest.get("id") or ""),
            method=str(latest.get("method") or ""),
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        payment_id = payment.gateway_payment_id
        if not PAYMENT_ID_RE.match(payment_id or ""):
            return RefundResult(ok=False, error="no Razorpay payment id to refund against")
        try:
            answer = self.client().request(
                "POST",
                f"/payments/{payment_id}/refund",
                {
                    "amount": refund.amount,
                    "speed": "normal",
                    "receipt": refund.reference,
                    "notes": {"reference": refund.reference, "payment": payment.reference},
                },
                # Same key, same body → Razorpay returns the first refund, never a second.
                headers={"X-Refund-Idempotency": f"ekseva-{refund.reference}"},
            )
        except RazorpayError as exc:
            return RefundResult(ok=False, error=f"Razorpay: {exc.description}")
        except GatewayUnavailable as exc:
            return RefundResult(ok=False, error=exc.en)
        refund_id = answer.get("id")
        if not isinstance(refund_id, str) or not REFUND_ID_RE.match(refund_id):
            return RefundResult(ok=False, error="Razorpay answered without a refund id")
        if answer.get("status") == "failed":
            return RefundResult(ok=False, refund_id=refund_id, error="Razorpay: refund failed")
        return RefundResult(ok=True, refund_id=refund_id)

    # ----- settlement ----------------------------------------------------
    def parse_settlement(self, text: str) -> list[SettlementRow]:
        return parse_settlement_report(text)


# --------------------------------------------------------------------------- settlement report

# The columns we read from Razorpay's settlement recon report; the report has more
# (on_hold, settled, description, notes, method, card_*, dispute_id, …), left alone.
REQUIRED_COLUMNS = (
    "entity_id",
    "type",
    "debit",
    "credit",
    "amount",
    "currency",
    "fee",
    "tax",
    "settlement_id",
    "settled_at",
    "payment_id",
    "order_id",
)
# Rows of these types are not a payment or refund of ours: transfers to linked
# accounts and Razorpay's own adjustments. They are skipped.
SKIPPED_TYPES = frozenset({"adjustment", "transfer"})
RUPEES_RE = re.compile(r"^\d{1,13}(?:\.(\d+))?$")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y")


class SettlementFileError(PaymentError):
    """A settlement report that cannot be read; names the line and the column."""

    def __init__(self, line: int, column: str, en: str, hi: str) -> None:
        self.line, self.column = line, column
        super().__init__(f"Line {line}, column {column}: {en}", f"पंक्ति {line}, कॉलम {column}: {hi}")


def rupees_to_paise(value: str, *, line: int, column: str, required: bool = True) -> int:
    """``"123.60"`` → 12360, exactly (Decimal); more than two decimals is refused."""
    text = value.strip()
    if not text:
        if required:
            raise SettlementFileError(line, column, "the amount is missing", "राशि नहीं दी गई है")
        return 0
    match = RUPEES_RE.match(text)
    if not match:
        raise SettlementFileError(
            line,
            column,
            f"{text!r} is not an amount in rupees (like 123.45)",
            f"{text!r} रुपये में राशि नहीं है (जैसे 123.45)",
        )
    if match.group(1) is not None and len(match.group(1)) > 2:
        raise SettlementFileError(
            line,
            column,
            f"{text!r} has more than two decimals (paise)",
            f"{text!r} में दो से अधिक दशमलव अंक हैं",
        )
    return int(Decimal(text) * 100)


def _settled_on(value: str, *, line: int) -> str:
    """The settlement date (ISO, in the portal's time zone) from a Unix time or a date."""
    text = value.strip()
    if not text:
        return ""
    if text.isdigit():
        moment = dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
        return timezone.localtime(moment).date().isoformat()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise SettlementFileError(
        line,
        "settled_at",
        f"{text!r} is not a date and time",
        f"{text!r} तिथि और समय नहीं है",
    )


def parse_settlement_report(text: str) -> list[SettlementRow]:
    """Read Razorpay's settlement recon report (CSV, amounts in rupees).

    Payment rows (``entity_id`` pay_…) and refund rows (``entity_id`` rfnd_…, the
    refunded payment in ``payment_id``) become ``SettlementRow`` in paise; transfers
    and adjustments are skipped. The report's own arithmetic is checked, so a
    shifted column or paise read as rupees is caught: a payment credits
    ``amount − fee``, a refund debits ``amount + fee``, and ``tax`` is part of ``fee``.
    """
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise PaymentError("The settlement file is empty.", "निपटान फ़ाइल खाली है।")
    reader.fieldnames = header
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise SettlementFileError(
                1,
                column,
                "the column is missing: is this Razorpay's settlement recon report?",
                "यह कॉलम नहीं है: क्या यह रेज़रपे की सेटलमेंट रीकॉन रिपोर्ट है?",
            )
    rows: list[SettlementRow] = []
    for record in reader:
        # The line the record starts on: where it ends, less the line breaks inside
        # its quoted cells (notes may run over several lines).
        breaks = sum(value.count("\n") for value in record.values() if isinstance(value, str))
        line = reader.line_num - breaks
        if record.get(None):
            raise SettlementFileError(
                line, "-", "the row has more cells than the header", "पंक्ति में शीर्षक से अधिक कॉलम हैं"
            )
        cells = {key: (value or "").strip() for key, value in record.items()}
        if not any(cells.values()):
            continue
        kind = cells["type"].lower()
        if kind in SKIPPED_TYPES:
            continue
        if kind not in ("payment", "refund"):
            raise SettlementFileError(
                line,
                "type",
                f"unknown type {cells['type']!r} (payment, refund, transfer or adjustment)",
                f"अज्ञात प्रकार {cells['type']!r}",
            )
        if cells["currency"].upper() != "INR":
            raise SettlementFileError(
                line,
                "currency",
                f"{cells['currency']!r}: only INR is settled here",
                f"{cells['currency']!r}: केवल INR स्वीकार है",
            )
        entity_id = cells["entity_id"]
        expected_prefix = "pay_" if kind == "payment" else "rfnd_"
        if not entity_id.startswith(expected_prefix):
            raise SettlementFileError(
                line,
                "entity_id",
                f"a {kind} row needs an id starting {expected_prefix}, not {entity_id!r}",
                f"{kind} पंक्ति की आईडी {expected_prefix} से शुरू होनी चाहिए",
            )
        payment_id = entity_id if kind == "payment" else cells["payment_id"]
        if not PAYMENT_ID_RE.match(payment_id):
            raise SettlementFileError(
                line,
                "payment_id",
                f"a refund row needs the refunded payment's id (pay_…), not {payment_id!r}",
                "धनवापसी पंक्ति में भुगतान आईडी (pay_…) आवश्यक है",
            )
        amount = rupees_to_paise(cells["amount"], line=line, column="amount")
        fee = rupees_to_paise(cells["fee"], line=line, column="fee", required=False)
        tax = rupees_to_paise(cells["tax"], line=line, column="tax", required=False)
        debit = rupees_to_paise(cells["debit"], line=line, column="debit", required=False)
        credit = rupees_to_paise(cells["credit"], line=line, column="credit", required=False)
        if tax > fee:
            raise SettlementFileError(
                line, "tax", "the tax is more than the fee it is part of", "कर शुल्क से अधिक है"
            )
        if kind == "payment" and fee > amount:
            raise SettlementFileError(
                line, "fee", "the fee is more than the payment", "शुल्क भुगतान से अधिक है"
            )
        if kind == "payment" and credit != amount - fee:
            raise SettlementFileError(
                line,
                "credit",
                f"a payment should credit amount − fee = {amount - fee} paise, not {credit}",
                f"भुगतान का क्रेडिट राशि − शुल्क = {amount - fee} पैसे होना चाहिए, {credit} नहीं",
            )
        if kind == "refund" and debit != amount + fee:
            raise SettlementFileError(
                line,
                "debit",
                f"a refund should debit amount + fee = {amount + fee} paise, not {debit}",
                f"धनवापसी का डेबिट राशि + शुल्क = {amount + fee} पैसे होना चाहिए, {debit} नहीं",
            )
        rows.append(
            SettlementRow(
                line=line,
                kind=kind,
                payment_id=payment_id,
                order_id=cells["order_id"],
                amount=amount,
                fee=fee,
                tax=tax,
                settlement_id=cells["settlement_id"],
                settled_on=_settled_on(cells["settled_at"], line=line),
                refund_id=entity_id if kind == "refund" else "",
            )
        )
    return rows
