"""The sandbox gateway, the merchant's side (docs/payments.md#the-sandbox-gateway).

The portal talks to the sandbox (``payments/sandbox.py``) as it would talk to a real
hosted checkout: it creates an order, sends the payer to the sandbox's checkout page,
verifies the signed return and the signed webhooks, asks about an order, refunds, and
reads the settlement file.

Signatures (HMAC-SHA256 under ``SANDBOX_GATEWAY_SECRET``, hex):

- return: over ``amount=…&method=…&order_id=…&payment_id=…&status=…`` (these
  fields in this order), in the parameter ``signature``;
- webhook: over the raw request body, in the header ``X-Sandbox-Signature``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import json
from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from .. import sandbox
from ..models import GatewayUnavailable, Payment, PaymentError, Refund, SignatureError
from .base import (
    Checkout,
    Gateway,
    GatewayResult,
    RefundResult,
    SettingSpec,
    SettlementRow,
    WebhookEvent,
)

MIN_SECRET_LENGTH = 16
MAX_WEBHOOK_BYTES = 64 * 1024
RETURN_STATUS = {"paid": "succeeded", "failed": "failed", "pending": "pending"}


class SettlementFileError(PaymentError):
    """A settlement file that cannot be read; ``problems`` lists every bad line
    as (line number, English, Hindi)."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        shown = problems[:20]
        more_en = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        more_hi = f" (और {len(problems) - 20} अन्य)" if len(problems) > 20 else ""
        super().__init__(
            "The settlement file has mistakes: "
            + "; ".join(f"line {line}: {en}" for line, en, _ in shown)
            + more_en,
            "निपटान फ़ाइल में त्रुटियाँ हैं: "
            + "; ".join(f"पंक्ति {line}: {hi}" for line, _, hi in shown)
            + more_hi,
        )


class SandboxGateway(Gateway):
    name = "sandbox"
    label_en = "Sandbox gateway (test money)"
    label_hi = "सैंडबॉक्स गेटवे (परीक्षण राशि)"
    settings = (SettingSpec("SANDBOX_GATEWAY_SECRET", "HMAC key of returns and webhooks", True),)

    # ----- configuration -------------------------------------------------
    def check_config(self) -> list[str]:
        secret = str(self.setting("SANDBOX_GATEWAY_SECRET") or "")
        if not secret:
            return ["SANDBOX_GATEWAY_SECRET is not set (HMAC key of returns and webhooks)"]
        if len(secret) < MIN_SECRET_LENGTH:
            return [
                f"SANDBOX_GATEWAY_SECRET is too short ({len(secret)} characters; "
                f"use at least {MIN_SECRET_LENGTH})"
            ]
        return []

    # ----- the ledger ----------------------------------------------------
    def expected_fee(self, amount: int, method: str) -> int | None:
        """Card 1.8 %, net banking 1.5 %, UPI nothing; plus 18 % GST on the fee; each
        rounded half up to the paisa. None for a method the sandbox does not price."""
        parts = sandbox.fee_parts(amount, method)
        return None if parts is None else parts[0] + parts[1]

    # ----- the payment ---------------------------------------------------
    def create_order(self, payment: Payment) -> str:
        try:
            return sandbox.create_order(payment.reference, payment.amount).order_id
        except sandbox.SandboxRefusal as exc:
            raise GatewayUnavailable(
                f"the sandbox refused the order: {exc}", "सैंडबॉक्स ने ऑर्डर अस्वीकार किया।"
            ) from exc

    def checkout(self, payment: Payment, *, return_url: str, language: str) -> Checkout:
        order_id = payment.gateway_order_id or ""
        with translation.override(language if language in ("en", "hi") else "en"):
            page = reverse("payments:sandbox_checkout", kwargs={"order_id": order_id})
        token = sandbox.sign_return_url(order_id, return_url)
        return Checkout(redirect_url=f"{page}?{urlencode({'return': token})}")

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> GatewayResult:
        fields = {}
        for name in (*sandbox.RETURN_FIELDS, "signature"):
            value = params.get(name)
            if value is None:
                raise SignatureError(
                    f"The gateway's answer lacks {name}; it was not applied.",
                    "गेटवे के उत्तर में आवश्यक जानकारी नहीं है; इसे लागू नहीं किया गया।",
                )
            fields[name] = str(value)
        expected = sandbox.hmac_hex(sandbox.canonical_return(fields).encode())
        if not hmac.compare_digest(expected, fields["signature"].strip().lower()):
            raise SignatureError(
                "The gateway's answer is not signed correctly; it was not applied.",
                "गेटवे के उत्तर का हस्ताक्षर सही नहीं है; इसे लागू नहीं किया गया।",
            )
        status = RETURN_STATUS.get(fields["status"])
        if status is None:
            raise PaymentError(
                f"the gateway sent an unknown status {fields['status']!r}",
                "गेटवे ने अज्ञात स्थिति भेजी",
            )
        try:
            amount = int(fields["amount"])
        except ValueError:
            raise PaymentError(
                "the gateway sent an amount that is no number", "गेटवे ने गलत राशि भेजी"
            ) from None
        return GatewayResult(
            status=status,  # type: ignore[arg-type]
            order_id=fields["order_id"],
            payment_id=fields["payment_id"],
            amount=amount,
            method=fields["method"],
            reason="declined at the gateway" if status == "failed" else "",
            raw={key: value for key, value in fields.items() if key != "signature"},
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = ""
        for key, value in headers.items():
            if key.lower() == sandbox.SIGNATURE_HEADER.lower():
                signature = str(value).strip().lower()
        if not signature or len(body) > MAX_WEBHOOK_BYTES:
            raise SignatureError("The webhook is not signed.", "वेबहुक पर हस्ताक्षर नहीं है।")
        if not hmac.compare_digest(sandbox.sign_webhook(body), signature):
            raise SignatureError(
                "The webhook's signature does not verify.", "वेबहुक का हस्ताक्षर सत्यापित नहीं हुआ।"
            )
        try:
            data = json.loads(body)
            event_id = str(data["id"])
            kind = str(data["event"])
            payload = data["payload"]
            if not isinstance(payload, dict) or not event_id:
                raise ValueError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise PaymentError(
                "The webhook body is not a sandbox event.", "वेबहुक का विषय सही नहीं है।"
            ) from None
        if kind not in ("payment.captured", "payment.failed"):
            return WebhookEvent(event_id=event_id, kind=kind, result=None)
        try:
            order_id = str(payload["order_id"])
            amount = payload.get("amount")
            if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
                raise ValueError
        except (KeyError, ValueError):
            raise PaymentError(
                "The webhook names no order or a wrong amount.", "वेबहुक में ऑर्डर या राशि सही नहीं है।"
            ) from None
        return WebhookEvent(
            event_id=event_id,
            kind=kind,
            result=GatewayResult(
                status="succeeded" if kind == "payment.captured" else "failed",
                order_id=order_id,
                payment_id=str(payload.get("payment_id") or ""),
                amount=amount,
                method=str(payload.get("method") or ""),
                reason=str(payload.get("reason") or ""),
                raw=payload,
            ),
        )

    def fetch_status(self, payment: Payment) -> GatewayResult:
        order_id = payment.gateway_order_id or ""
        order = sandbox.order_status(order_id)
        if order is None:
            raise GatewayUnavailable(
                f"the sandbox knows no order {order_id!r}", "सैंडबॉक्स में यह ऑर्डर नहीं है।"
            )
        last: dict[str, Any] = order.attempts[-1] if order.attempts else {}
        if order.status == "paid":
            return GatewayResult(
                status="succeeded",
                order_id=order.order_id,
                payment_id=order.payment_id,
                amount=order.amount,
                method=order.method,
            )
        if order.status == "failed":
            return GatewayResult(
                status="failed",
                order_id=order.order_id,
                payment_id=last.get("payment_id", ""),
                amount=order.amount,
                method=last.get("method", ""),
                reason=last.get("reason", "") or "failed at the gateway",
            )
        return GatewayResult(status="pending", order_id=order.order_id)

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        try:
            made = sandbox.create_refund(
                payment.gateway_order_id or "", refund.amount, refund.reference
            )
        except sandbox.SandboxRefusal as exc:
            return RefundResult(ok=False, error=str(exc))
        return RefundResult(ok=True, refund_id=made.refund_id)

    # ----- settlement ----------------------------------------------------
    def parse_settlement(self, text: str) -> list[SettlementRow]:
        """Read the sandbox settlement CSV (header row required; columns in
        ``sandbox.SETTLEMENT_COLUMNS``, in any order). Every bad line is reported."""
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header_line = 0
        header: list[str] | None = None
        for raw in reader:
            if any(cell.strip() for cell in raw):
                header = [cell.strip().lower() for cell in raw]
                header_line = reader.line_num
                break
        if header is None:
            raise SettlementFileError([(1, "the file is empty", "फ़ाइल खाली है")])
        problems: list[tuple[int, str, str]] = []
        missing = [name for name in sandbox.SETTLEMENT_COLUMNS if name not in header]
        unknown = [name for name in header if name not in sandbox.SETTLEMENT_COLUMNS]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if missing or unknown or repeated:
            parts_en, parts_hi = [], []
            if missing:
                parts_en.append("missing column(s) " + ", ".join(missing))
                parts_hi.append("कॉलम नहीं हैं: " + ", ".join(missing))
            if unknown:
                parts_en.append("unknown column(s) " + ", ".join(unknown))
                parts_hi.append("अज्ञात कॉलम: " + ", ".join(unknown))
            if repeated:
                parts_en.append("repeated column(s) " + ", ".join(repeated))
                parts_hi.append("दोहराए गए कॉलम: " + ", ".join(repeated))
            raise SettlementFileError(
                [(header_line, "the header row has " + "; ".join(parts_en), "; ".join(parts_hi))]
            )
        index = {name: header.index(name) for name in sandbox.SETTLEMENT_COLUMNS}
        rows: list[SettlementRow] = []
        seen: dict[tuple[str, str], int] = {}
        for raw in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) != len(header):
                problems.append(
                    (
                        line,
                        f"{len(raw)} fields, the header has {len(header)}",
                        f"{len(raw)} मान हैं, शीर्ष पंक्ति में {len(header)}",
                    )
                )
                continue
            cell = {name: raw[position].strip() for name, position in index.items()}
            row, bad = _settlement_row(line, cell)
            if bad:
                problems.extend((line, en, hi) for en, hi in bad)
                continue
            assert row is not None
            key = (row.kind, row.refund_id if row.kind == "refund" else row.payment_id)
            if key in seen:
                problems.append(
                    (
                        line,
                        f"{row.kind} {key[1]} is listed again (first on line {seen[key]})",
                        f"{key[1]} दोबारा सूचीबद्ध है (पहली बार पंक्ति {seen[key]} पर)",
                    )
                )
                continue
            seen[key] = line
            rows.append(row)
        if problems:
            raise SettlementFileError(problems)
        return rows


def _paise(cell: dict[str, str], name: str, bad: list[tuple[str, str]]) -> int:
    text = cell[name]
    if not text.isascii() or not text.isdigit():
        bad.append(
            (
                f"{name} must be a whole number of paise (0 or more), not {text!r}",
                f"{name} पैसे में पूर्ण संख्या (0 या अधिक) होनी चाहिए, {text!r} नहीं",
            )
        )
        return 0
    return int(text)


def _settlement_row(
    line: int, cell: dict[str, str]
) -> tuple[SettlementRow | None, list[tuple[str, str]]]:
    bad: list[tuple[str, str]] = []
    kind = cell["type"].lower()
    if kind not in ("payment", "refund"):
        bad.append(
            (
                f"type must be payment or refund, not {cell['type']!r}",
                f"type payment या refund होना चाहिए, {cell['type']!r} नहीं",
            )
        )
    try:
        settled_on = dt.date.fromisoformat(cell["settled_on"])
    except ValueError:
        settled_on = None
    if settled_on is None or len(cell["settled_on"]) != 10:
        bad.append(
            (
                f"settled_on must be a date like 2026-06-15, not {cell['settled_on']!r}",
                f"settled_on 2026-06-15 जैसी तिथि होनी चाहिए, {cell['settled_on']!r} नहीं",
            )
        )
    amount = _paise(cell, "amount_paise", bad)
    fee = _paise(cell, "fee_paise", bad)
    tax = _paise(cell, "tax_paise", bad)
    if not cell["order_id"]:
        bad.append(("order_id is empty", "order_id खाली है"))
    if not cell["payment_id"]:
        bad.append(("payment_id is empty", "payment_id खाली है"))
    if kind == "refund" and not cell["refund_id"]:
        bad.append(("a refund row needs its refund_id", "धनवापसी पंक्ति में refund_id आवश्यक है"))
    if kind == "payment" and cell["refund_id"]:
        bad.append(("a payment row has no refund_id", "भुगतान पंक्ति में refund_id नहीं होना चाहिए"))
    if not bad:
        if amount == 0:
            bad.append(("amount_paise must be above zero", "amount_paise शून्य से अधिक होना चाहिए"))
        if tax > fee:
            bad.append(
                (
                    f"tax_paise ({tax}) is more than fee_paise ({fee}), which includes it",
                    f"tax_paise ({tax}) fee_paise ({fee}) से अधिक है",
                )
            )
        if fee > amount:
            bad.append(
                (
                    f"fee_paise ({fee}) is more than amount_paise ({amount})",
                    f"fee_paise ({fee}) amount_paise ({amount}) से अधिक है",
                )
            )
    if bad:
        return None, bad
    return (
        SettlementRow(
            line=line,
            kind=kind,  # type: ignore[arg-type]
            payment_id=cell["payment_id"],
            order_id=cell["order_id"],
            amount=amount,
            fee=fee,
            tax=tax,
            settlement_id=cell["settlement_id"],
            settled_on=settled_on.isoformat() if settled_on else "",
            refund_id=cell["refund_id"],
        ),
        [],
    )
