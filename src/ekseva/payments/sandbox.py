"""The sandbox payment gateway's own side: what a real hosted checkout keeps and does
on its servers, run inside the portal so that development, demos and tests can pay
without real money (docs/payments.md#the-sandbox-gateway).

It keeps its own books (``SandboxOrder``, ``SandboxWebhook``, ``SandboxRefund``), and
talks to the portal only the way a gateway would:

- the payer's browser comes to its checkout page and is sent back to the portal's
  return URL with signed parameters (``return_params``);
- it "sends" webhooks by building the raw body and headers and handing them to
  ``services.handle_webhook`` exactly as the HTTP endpoint does (an HTTP POST to
  ourselves would deadlock the single-threaded development server);
- the portal's side of the protocol (``gateways/sandbox.py``) asks it about orders
  (``order_status``), refunds through it (``create_refund``) and reads its
  settlement file (``settlement_csv``).

The test value the payer enters picks a *scenario*: success, failure, timeout, late
success, duplicated webhooks, out-of-order webhooks. Returns and webhooks are signed
with HMAC-SHA256 under ``settings.SANDBOX_GATEWAY_SECRET``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from ekseva.core import clock
from ekseva.core.money import percent_of

from .models import SandboxOrder, SandboxRefund, SandboxWebhook

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- scenarios

SUCCESS = "success"
FAILURE = "failure"
TIMEOUT = "timeout"
LATE = "late"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "outoforder"
CANCELLED = "cancelled"
SCENARIOS = (SUCCESS, FAILURE, TIMEOUT, LATE, DUPLICATE, OUT_OF_ORDER)

# The test values the checkout page accepts, and the scenario each one plays.
TEST_CARDS: dict[str, str] = {
    "4111111111111111": SUCCESS,
    "4000000000000002": FAILURE,
}
TEST_UPI: dict[str, str] = {f"{scenario}@sandbox": scenario for scenario in SCENARIOS}


@dataclass(frozen=True)
class Bank:
    code: str
    name_en: str
    name_hi: str
    scenario: str

    def name(self, language: str) -> str:
        return self.name_hi if language == "hi" else self.name_en


TEST_BANKS: tuple[Bank, ...] = (
    Bank("SBXS", "Sandbox Bank (success)", "सैंडबॉक्स बैंक (सफल)", SUCCESS),
    Bank("SBXF", "Sandbox Bank (failure)", "सैंडबॉक्स बैंक (असफल)", FAILURE),
)

# A late success is captured this long after the payer was told it failed.
LATE_CAPTURE_AFTER = dt.timedelta(minutes=5)
# A webhook whose delivery raised is tried again after this (doubling, at most an hour).
RETRY_FIRST = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=1)

SIGNATURE_HEADER = "X-Sandbox-Signature"
RETURN_FIELDS = ("amount", "method", "order_id", "payment_id", "status")

# Fees the sandbox charges on a captured payment, in basis points of the amount,
# plus GST on the fee (docs/payments.md#fees). A refund costs nothing.
FEE_BASIS_POINTS = {"card": 180, "netbanking": 150, "upi": 0}
GST_BASIS_POINTS = 1800

SETTLEMENT_COLUMNS = (
    "settlement_id",
    "settled_on",
    "type",
    "order_id",
    "payment_id",
    "refund_id",
    "amount_paise",
    "fee_paise",
    "tax_paise",
)


class SandboxRefusal(Exception):
    """The sandbox says no (a refund larger than what is left, an unknown order …)."""


# --------------------------------------------------------------------------- ids, signing


def _random(length: int = 14) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_order_id() -> str:
    return f"sbx_order_{_random()}"


def _secret() -> bytes:
    return str(settings.SANDBOX_GATEWAY_SECRET).encode()


def hmac_hex(message: bytes) -> str:
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def canonical_return(params: Mapping[str, str]) -> str:
    """The string a return's signature covers: ``amount=…&method=…&order_id=…&payment_id=…
    &status=…`` (these five fields, in this order, values as sent). ``KeyError`` if one
    is missing."""
    return "&".join(f"{name}={params[name]}" for name in RETURN_FIELDS)


def sign_webhook(body: bytes) -> str:
    return hmac_hex(body)


def _return_signer() -> signing.Signer:
    return signing.Signer(key=str(settings.SANDBOX_GATEWAY_SECRET), salt="sandbox.return-url")


def sign_return_url(order_id: str, url: str) -> str:
    """The ``return`` parameter of the checkout page: the merchant's return URL, bound
    to the order, so the page cannot be used to send people anywhere else."""
    return _return_signer().sign_object({"o": order_id, "u": url}, compress=True)


def read_return_url(order_id: str, token: str) -> str | None:
    """The return URL from a checkout link, or None if it was not made for this order."""
    try:
        value = _return_signer().unsign_object(token or "")
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or value.get("o") != order_id or not value.get("u"):
        return None
    return str(value["u"])


# --------------------------------------------------------------------------- fees


def fee_parts(amount: int, method: str) -> tuple[int, int] | None:
    """(fee without tax, GST on it) in paise, each rounded half up; None for a method
    the sandbox does not price."""
    basis_points = FEE_BASIS_POINTS.get(method)
    if basis_points is None:
        return None
    fee = percent_of(amount, basis_points)
    return fee, percent_of(fee, GST_BASIS_POINTS)


# --------------------------------------------------------------------------- orders


def create_order(receipt: str, amount: int) -> SandboxOrder:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SandboxRefusal("the amount must be whole paise above zero")
    return SandboxOrder.objects.create(
        order_id=new_order_id(), receipt=receipt[:40], amount=amount, created_at=clock.now()
    )


def get_order(order_id: str) -> SandboxOrder | None:
    return SandboxOrder.objects.filter(order_id=order_id).first()


def _catch_up(order: SandboxOrder) -> None:
    """A late capture whose time has come: the order is paid from then on. The caller
    holds the order's row lock (or is about to save it)."""
    if order.status != "failed" or not order.attempts:
        return
    last = order.attempts[-1]
    captures_at = last.get("captures_at")
    if not captures_at or dt.datetime.fromisoformat(captures_at) > clock.now():
        return
    order.status = "paid"
    order.payment_id = last["payment_id"]
    order.method = last["method"]
    order.paid_at = dt.datetime.fromisoformat(captures_at)
    last["status"] = "captured"
    order.save()


def order_status(order_id: str) -> SandboxOrder | None:
    """The order as the sandbox's API reports it now (a due late capture applied)."""
    with transaction.atomic():
        order = SandboxOrder.objects.select_for_update().filter(order_id=order_id).first()
        if order is not None:
            _catch_up(order)
    return order


def refunded_amount(order: SandboxOrder) -> int:
    return sum(order.refunds.values_list("amount", flat=True))


# --------------------------------------------------------------------------- the payer


@dataclass(frozen=True)
class Instrument:
    """What the payer entered on the checkout page, as the sandbox keeps it."""

    method: str  # card, upi, netbanking
    scenario: str
    shown: str  # masked: card •••• 1111, the UPI handle, the bank code


def _attempt(method: str, shown: str, status: str, reason: str = "") -> dict[str, Any]:
    return {
        "payment_id": f"sbx_pay_{_random()}",
        "method": method,
        "instrument": shown,
        "status": status,
        "reason": reason,
        "at": clock.now().isoformat(),
    }


def _schedule(
    order: SandboxOrder, kind: str, attempt: dict, *, due: dt.datetime, event_id: str = ""
) -> SandboxWebhook:
    """A webhook the sandbox will send at ``due`` about ``attempt`` (the same
    ``event_id`` again is a redelivery of one event)."""
    payload = {
        "order_id": order.order_id,
        "payment_id": attempt["payment_id"],
        "amount": order.amount,
        "method": attempt["method"],
        "reason": attempt.get("reason", ""),
        "receipt": order.receipt,
    }
    return SandboxWebhook.objects.create(
        order=order,
        event_id=event_id or f"evt_{_random()}",
        kind=kind,
        payload=payload,
        due_at=due,
    )


def is_open(order: SandboxOrder) -> bool:
    """May the payer still try to pay this order on the checkout page?"""
    return order.status == "created"


def pay(order_id: str, instrument: Instrument) -> SandboxOrder:
    """The payer pressed Pay on the checkout page. Plays the scenario, schedules its
    webhooks (the immediate ones go out right after commit) and returns the order;
    ``return_params(order)`` says where the browser goes next."""
    now = clock.now()
    with transaction.atomic():
        order = SandboxOrder.objects.select_for_update().get(order_id=order_id)
        if not is_open(order):
            raise SandboxRefusal("this order is no longer open")
        scenario = instrument.scenario
        attempts = list(order.attempts)
        method, shown = instrument.method, instrument.shown
        order.scenario = scenario
        order.method = method
        if scenario == SUCCESS:
            attempt = _attempt(method, shown, "captured")
            _paid(order, attempt, now)
            _schedule(order, "payment.captured", attempt, due=now)
        elif scenario == FAILURE:
            attempt = _attempt(method, shown, "failed", "declined by the bank (sandbox)")
            order.status = "failed"
            _schedule(order, "payment.failed", attempt, due=now)
        elif scenario == TIMEOUT:
            # The bank never answers: the payer is sent back with nothing decided and
            # no webhook comes. The order stays "attempted".
            attempt = _attempt(method, shown, "pending")
            order.status = "attempted"
        elif scenario == LATE:
            # The payer is told it failed; the money is captured minutes later.
            attempt = _attempt(method, shown, "failed", "no answer from the bank (sandbox)")
            attempt["captures_at"] = (now + LATE_CAPTURE_AFTER).isoformat()
            order.status = "failed"
            late_attempt = {**attempt, "reason": ""}
            _schedule(order, "payment.captured", late_attempt, due=now + LATE_CAPTURE_AFTER)
        elif scenario == DUPLICATE:
            attempt = _attempt(method, shown, "captured")
            _paid(order, attempt, now)
            first = _schedule(order, "payment.captured", attempt, due=now)
            # The same event delivered twice, then the same news under a new event id.
            _schedule(order, "payment.captured", attempt, due=now, event_id=first.event_id)
            _schedule(order, "payment.captured", attempt, due=now)
        elif scenario == OUT_OF_ORDER:
            # An earlier attempt was declined, the retry was captured; the failure's
            # webhook is delivered after the capture's.
            earlier = _attempt(method, shown, "failed", "declined by the bank (sandbox)")
            attempts.append(earlier)
            attempt = _attempt(method, shown, "captured")
            _paid(order, attempt, now)
            _schedule(order, "payment.captured", attempt, due=now)
            _schedule(order, "payment.failed", earlier, due=now)
        else:
            raise SandboxRefusal(f"unknown scenario {scenario!r}")
        attempts.append(attempt)
        order.attempts = attempts
        order.save()
        order_pk = order.pk
        transaction.on_commit(lambda: deliver_due(order=order_pk), robust=True)
    return order


def _paid(order: SandboxOrder, attempt: dict, now: dt.datetime) -> None:
    order.status = "paid"
    order.payment_id = attempt["payment_id"]
    order.paid_at = now


def cancel(order_id: str) -> SandboxOrder:
    """The payer chose to go back to the portal without paying: the order fails."""
    with transaction.atomic():
        order = SandboxOrder.objects.select_for_update().get(order_id=order_id)
        if not is_open(order):
            return order
        attempt = _attempt("", "", "failed", "cancelled by the payer")
        order.status = "failed"
        order.scenario = CANCELLED
        order.attempts = [*order.attempts, attempt]
        order.save()
    return order


def _status_word(order: SandboxOrder) -> str:
    return {"paid": "paid", "failed": "failed"}.get(order.status, "pending")


def return_params(order: SandboxOrder) -> dict[str, str]:
    """The signed parameters the payer's browser takes back to the merchant: the
    order as it stands, with its last attempt's payment id and method."""
    last = order.attempts[-1] if order.attempts else {}
    params = {
        "amount": str(order.amount),
        "method": last.get("method", ""),
        "order_id": order.order_id,
        "payment_id": order.payment_id or last.get("payment_id", ""),
        "status": {"paid": "paid", "failed": "failed"}.get(order.status, "pending"),
    }
    params["signature"] = hmac_hex(canonical_return(params).encode())
    return params


# --------------------------------------------------------------------------- webhooks


def webhook_body(hook: SandboxWebhook) -> bytes:
    """The raw JSON body of a webhook: the same bytes every time it is delivered."""
    return json.dumps(
        {"id": hook.event_id, "event": hook.kind, "payload": hook.payload},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def webhook_headers(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: sign_webhook(body)}


def deliver_due(*, order: int | None = None, limit: int = 200) -> int:
    """Send every webhook that is due (of one order, or all), oldest first, by calling
    the portal's webhook handler as an HTTP POST would. A delivery that raises is
    kept, with ``attempts`` + 1, and tried again later. Returns how many were sent."""
    due = SandboxWebhook.objects.filter(delivered_at=None, due_at__lte=clock.now())
    if order is not None:
        due = due.filter(order_id=order)
    sent = 0
    for pk in list(due.order_by("due_at", "id").values_list("pk", flat=True)[:limit]):
        sent += _deliver(pk)
    return sent


def _deliver(pk: int) -> int:
    from . import services  # the merchant's side; imported late (it imports gateways)

    with transaction.atomic():
        hook = (
            SandboxWebhook.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, delivered_at=None)
            .first()
        )
        if hook is None:  # another worker has it, or it went out meanwhile
            return 0
        order = SandboxOrder.objects.select_for_update().get(pk=hook.order_id)
        _catch_up(order)
        body = webhook_body(hook)
        now = clock.now()
        hook.attempts += 1
        try:
            with transaction.atomic():
                outcome = services.handle_webhook("sandbox", body, webhook_headers(body))
        except Exception as exc:  # the merchant answered with an error: try again later
            log.warning("sandbox webhook %s (%s) failed: %s", hook.event_id, hook.kind, exc)
            hook.last_status = f"error: {type(exc).__name__}: {exc}"[:100]
            wait = min(RETRY_FIRST * 2 ** (hook.attempts - 1), RETRY_MAX)
            hook.due_at = now + wait
            hook.save()
            return 0
        hook.delivered_at = now
        hook.last_status = "duplicate" if outcome.duplicate else "ok"
        hook.save()
    return 1


# --------------------------------------------------------------------------- refunds


def create_refund(order_id: str, amount: int, merchant_reference: str) -> SandboxRefund:
    """Refund ``amount`` paise of a paid order. Idempotent by the merchant's reference:
    asking again returns the first refund. Refuses more than is left to refund."""
    with transaction.atomic():
        order = SandboxOrder.objects.select_for_update().filter(order_id=order_id).first()
        if order is None:
            raise SandboxRefusal(f"no order {order_id!r}")
        _catch_up(order)
        existing = SandboxRefund.objects.filter(merchant_reference=merchant_reference).first()
        if existing is not None:
            if existing.order_id != order.pk or existing.amount != amount:
                raise SandboxRefusal(
                    f"refund {merchant_reference} was already made for another amount or order"
                )
            return existing
        if order.status != "paid":
            raise SandboxRefusal(f"order {order_id} is not paid")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SandboxRefusal("the refund must be whole paise above zero")
        left = order.amount - refunded_amount(order)
        if amount > left:
            raise SandboxRefusal(f"only {left} paise of order {order_id} are left to refund")
        now = clock.now()
        refund = SandboxRefund.objects.create(
            refund_id=f"sbx_rfnd_{_random()}",
            order=order,
            merchant_reference=merchant_reference,
            amount=amount,
            created_at=now,
        )
        SandboxWebhook.objects.create(
            order=order,
            event_id=f"evt_{_random()}",
            kind="refund.processed",
            payload={
                "order_id": order.order_id,
                "payment_id": order.payment_id,
                "refund_id": refund.refund_id,
                "amount": amount,
                "receipt": merchant_reference,
            },
            due_at=now,
        )
        order_pk = order.pk
        transaction.on_commit(lambda: deliver_due(order=order_pk), robust=True)
    return refund


# --------------------------------------------------------------------------- settlement


def settlement_csv(day: dt.date) -> str:
    """The sandbox's settlement file for ``day`` (the portal's time zone): one row per
    order paid that day and per refund made that day, format in docs/payments.md."""
    for order_id in SandboxOrder.objects.filter(status="failed", scenario=LATE).values_list(
        "order_id", flat=True
    ):
        order_status(order_id)  # late captures that are due count as paid
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SETTLEMENT_COLUMNS)
    settlement_id = f"sbx_setl_{day:%Y%m%d}"
    rows: list[tuple[dt.datetime, list[Any]]] = []
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = start + dt.timedelta(days=1)
    for order in SandboxOrder.objects.filter(paid_at__gte=start, paid_at__lt=end).order_by("pk"):
        fee, tax = fee_parts(order.amount, order.method) or (0, 0)
        rows.append(
            (
                order.paid_at,
                [
                    settlement_id,
                    day.isoformat(),
                    "payment",
                    order.order_id,
                    order.payment_id,
                    "",
                    order.amount,
                    fee + tax,
                    tax,
                ],
            )
        )
    refunds = SandboxRefund.objects.filter(created_at__gte=start, created_at__lt=end)
    for refund in refunds.select_related("order").order_by("pk"):
        rows.append(
            (
                refund.created_at,
                [
                    settlement_id,
                    day.isoformat(),
                    "refund",
                    refund.order.order_id,
                    refund.order.payment_id,
                    refund.refund_id,
                    refund.amount,
                    0,
                    0,
                ],
            )
        )
    for _, row in sorted(rows, key=lambda item: item[0]):
        writer.writerow(row)
    return out.getvalue()
