"""Every change to a payment: create, check out, apply what the gateway says,
refund, poll, expire, sweep (guide: docs/payments.md).

Rules kept here:

- **One effect.** A success is applied under the payment's row lock, in the
  transaction that writes its ledger entry and sets its outcome; a second
  callback finds the outcome set and changes nothing.
- **Idempotency.** ``create_payment`` and ``refund`` take a key: the same key and
  the same request return the first result; a different request raises
  ``IdempotencyConflict`` (HTTP 409). Gateway callbacks are deduplicated by
  (gateway, event id) in ``GatewayEvent``.
- **Nothing lost.** Every row is written before a task moves it on; ``poll_due``
  and ``sweep`` find payments and refunds left behind.
- **No network call inside a lock** except ``create_order`` at checkout, which
  holds only that payment's own row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from ekseva.core import audit, clock, ids
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import services as ledger
from ekseva.ledger.models import JournalEntry

from . import gateways, purposes, split
from .gateways import GatewayResult
from .gateways.wallet import guard_refusal as wallet_guard_refusal
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    AlreadyPaid,
    GatewayEvent,
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidTransition,
    Outcome,
    Payment,
    PaymentError,
    PaymentEvent,
    Refund,
    RefundKind,
    RefundStatus,
    SignatureError,
    Status,
)

log = logging.getLogger(__name__)

LINE_FIELDS = ("code", "label_en", "label_hi", "amount_paise", "rule")


# --------------------------------------------------------------------------- helpers


def _digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _year_prefix(letters: str) -> str:
    return f"{letters}{clock.local_now():%y}"


def success_key(payment: Payment) -> str:
    return f"payment:{payment.reference}:success"


def _normal_lines(lines: Sequence[Any]) -> list[dict[str, Any]]:
    """Fee lines (``FeeLine`` objects or dicts) as plain dicts, checked."""
    out = []
    for line in lines:
        item = line if isinstance(line, Mapping) else line.__dict__
        try:
            data = {key: item[key] for key in LINE_FIELDS}
        except KeyError as exc:
            raise PaymentError(f"fee line lacks {exc}", "शुल्क पंक्ति अधूरी है") from None
        amount = data["amount_paise"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise PaymentError(
                f"fee line {data['code']!r}: amount must be whole paise, not {amount!r}",
                "शुल्क राशि पूर्ण पैसे में होनी चाहिए",
            )
        if amount:
            out.append(data)
    if not out:
        raise PaymentError("There is nothing to pay.", "भुगतान के लिए कोई राशि नहीं है।")
    return out


def _transition(
    payment: Payment, to: str, *, source: str, note: str = "", detail: dict | None = None
) -> None:
    """Move ``payment`` (whose row the caller holds locked) to ``to`` and append the event."""
    if to not in TRANSITIONS[payment.status]:
        raise InvalidTransition(
            f"payment {payment.reference} cannot go from {payment.status} to {to}",
            f"भुगतान {payment.reference} की स्थिति {payment.status} से {to} नहीं बदली जा सकती",
        )
    now = clock.now()
    PaymentEvent.objects.create(
        payment=payment,
        at=now,
        from_status=payment.status,
        to_status=to,
        source=source,
        note=note[:300],
        detail=detail or {},
    )
    payment.status = to
    payment.updated_at = now


def _note(payment: Payment, *, source: str, note: str, detail: dict | None = None) -> None:
    """An event that changes nothing (a duplicate callback, a failure after success)."""
    PaymentEvent.objects.create(
        payment=payment,
        at=clock.now(),
        from_status=payment.status,
        to_status=payment.status,
        source=source,
        note=note[:300],
        detail=detail or {},
    )


def _locked(payment: Payment | int) -> Payment:
    pk = payment.pk if isinstance(payment, Payment) else payment
    return Payment.objects.select_for_update().get(pk=pk)


# --------------------------------------------------------------------------- create


def create_payment(
    *,
    purpose: str,
    target: str,
    lines: Sequence[Any],
    description_en: str,
    description_hi: str,
    idempotency_key: str,
    gateway: str | None = None,
    department_code: str = "",
    service_code: str = "",
    channel: str = "online",
    district_code: str = "",
    kiosk_code: str = "",
    payer: Any = None,
    payer_name: str = "",
    payer_mobile: str = "",
    payer_email: str = "",
    actor: Any = None,
) -> Payment:
    """Ask for money for ``purpose``/``target``. Returns the payment (status created).

    The same key with the same request returns the first payment; a different
    request under the key raises ``IdempotencyConflict``. Refuses with
    ``AlreadyPaid`` if the purpose is once per target and already took effect."""
    try:
        the_purpose = purposes.get(purpose)
    except purposes.UnknownPurpose:
        raise PaymentError(f"unknown payment purpose {purpose!r}", "अज्ञात भुगतान उद्देश्य") from None
    if not idempotency_key or len(idempotency_key) > 100:
        raise PaymentError("an idempotency key (1–100 characters) is required", "अनुरोध कुंजी आवश्यक है")
    if not target or len(target) > 60:
        raise PaymentError("a payment needs a target", "भुगतान किसके लिए है, यह आवश्यक है")
    fee_lines = _normal_lines(lines)
    gateway_obj = gateways.get(gateway) if gateway else gateways.default()
    if gateway_obj.immediate:
        allowed = gateway_obj.name in the_purpose.gateways or the_purpose.kiosk_wallet
    else:
        allowed = not the_purpose.gateways or gateway_obj.name in the_purpose.gateways
    if not allowed:
        raise PaymentError(
            f"{the_purpose.label_en} cannot be paid through {gateway_obj.label_en}",
            f"{the_purpose.label_hi} का भुगतान {gateway_obj.label_hi} से नहीं हो सकता",
        )
    if not gateway_obj.immediate and gateway_obj.name not in settings.PAYMENT_GATEWAYS:
        raise PaymentError(
            f"the gateway {gateway_obj.name!r} is not enabled", "यह भुगतान गेटवे सक्रिय नहीं है"
        )
    body = {
        "purpose": purpose,
        "target": target,
        "lines": fee_lines,
        "gateway": gateway_obj.name,
        "department": department_code,
        "service": service_code,
        "channel": channel,
        "district": district_code,
        "kiosk": kiosk_code,
        "payer": getattr(payer, "pk", None),
    }
    digest = _digest(body)
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, digest)
    if (
        the_purpose.once_per_target
        and Payment.objects.filter(effect_key=_effect_key(purpose, target, "")).exists()
    ):
        raise AlreadyPaid(
            f"{the_purpose.label_en} for {target} has already been paid.",
            f"{target} का {the_purpose.label_hi} पहले ही जमा हो चुका है।",
        )
    now = clock.now()
    payment = Payment(
        purpose=purpose,
        target=target,
        description_en=description_en[:200],
        description_hi=description_hi[:200],
        amount=sum(line["amount_paise"] for line in fee_lines),
        lines=fee_lines,
        department_code=department_code,
        service_code=service_code,
        channel=channel,
        district_code=district_code,
        kiosk_code=kiosk_code,
        payer=payer if getattr(payer, "pk", None) else None,
        payer_name=payer_name[:120],
        payer_mobile=payer_mobile,
        payer_email=payer_email,
        gateway=gateway_obj.name,
        gateway_options=gateway_obj.options_snapshot(),
        idempotency_key=idempotency_key,
        request_digest=digest,
        created_at=now,
        updated_at=now,
        expires_at=now + dt.timedelta(minutes=settings.PAYMENT_CHECKOUT_MINUTES),
    )
    # Where the money would go must be known before anyone pays.
    _credits(payment)
    try:
        with transaction.atomic():
            payment.reference = ids.issue(_year_prefix("PY"), width=8)
            payment.save(force_insert=True)
            PaymentEvent.objects.create(
                payment=payment, at=now, to_status=Status.CREATED, source="citizen"
            )
            audit.record(
                "payments.payment.created",
                actor=actor,
                obj=payment,
                after={
                    "reference": payment.reference,
                    "amount": payment.amount,
                    "purpose": purpose,
                },
            )
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return payment


def _replay(existing: Payment, digest: str) -> Payment:
    if existing.request_digest != digest:
        raise IdempotencyConflict(
            "This request key was already used for a different payment.",
            "यह अनुरोध कुंजी पहले ही किसी दूसरे भुगतान के लिए उपयोग हो चुकी है।",
        )
    existing.replayed = True  # not made by this call: the API answers 200, not 201
    return existing


def _effect_key(purpose: str, target: str, reference: str) -> str:
    return f"{purpose}:{target}" + (f":{reference}" if reference else "")


def _credits(payment: Payment) -> list[purposes.Credit]:
    the_purpose = purposes.get(payment.purpose)
    credits = (
        the_purpose.credits(payment) if the_purpose.credits else split.default_credits(payment)
    )
    if sum(amount for _, _, amount in credits) != payment.amount:
        raise PaymentError(
            f"the split of {payment.purpose} does not add up to the amount",
            "भुगतान का बँटवारा कुल राशि के बराबर नहीं है",
        )
    return credits


# --------------------------------------------------------------------------- checkout


@dataclass(frozen=True)
class CheckoutStart:
    payment: Payment
    checkout: gateways.Checkout


def start_checkout(
    payment: Payment, *, return_url: str, language: str = "en", actor: Any = None
) -> CheckoutStart:
    """Open (or reopen) the gateway's checkout for an open payment."""
    gateway = gateways.get(payment.gateway)
    if gateway.immediate:
        raise PaymentError(
            "This payment is made from the kiosk wallet.", "यह भुगतान कियोस्क वॉलेट से होता है।"
        )
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status not in OPEN_STATUSES:
            raise InvalidTransition(
                "This payment is no longer open; start a new one.",
                "यह भुगतान अब खुला नहीं है; नया भुगतान शुरू करें।",
            )
        now = clock.now()
        expired = now >= payment.expires_at
        if expired:
            _transition(payment, Status.EXPIRED, source="citizen", note="checkout window closed")
            payment.next_poll_at = None
            payment.save()
    if expired:
        raise InvalidTransition(
            "The time to pay this has run out; start a new payment.",
            "इस भुगतान का समय समाप्त हो गया है; नया भुगतान शुरू करें।",
        )
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status not in OPEN_STATUSES:  # moved on since the check above
            raise InvalidTransition(
                "This payment is no longer open; start a new one.",
                "यह भुगतान अब खुला नहीं है; नया भुगतान शुरू करें।",
            )
        if not payment.gateway_order_id:
            payment.gateway_order_id = gateway.create_order(payment)
        if payment.status == Status.CREATED:
            _transition(payment, Status.PENDING, source="citizen", note="sent to the gateway")
            payment.next_poll_at = now + dt.timedelta(seconds=settings.PAYMENT_POLL_FIRST_SECONDS)
        payment.save()
        audit.record("payments.payment.checkout", actor=actor, obj=payment)
    return CheckoutStart(
        payment, gateway.checkout(payment, return_url=return_url, language=language)
    )


def pay_from_wallet(payment: Payment, *, actor: Any = None) -> Payment:
    """Take a wallet payment at once: succeeded, or failed if the wallet is short."""
    gateway = gateways.get(payment.gateway)
    if not gateway.immediate:
        raise PaymentError("This payment is not a wallet payment.", "यह वॉलेट भुगतान नहीं है।")
    with transaction.atomic():
        payment = _locked(payment)
        if payment.is_paid or payment.status == Status.FAILED:
            return payment
        if not payment.gateway_order_id:
            payment.gateway_order_id = gateway.create_order(payment)
        refusal = wallet_guard_refusal(payment)
        if refusal is not None:
            _transition(payment, Status.FAILED, source="wallet", note=refusal.en)
            payment.failure_reason = refusal.en[:200]
            payment.save()
            audit.record(
                "payments.payment.failed", actor=actor, obj=payment, after={"reason": refusal.en}
            )
            return payment
        result = GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id=payment.gateway_order_id,
            amount=payment.amount,
            method="wallet",
        )
        try:
            _short_of_money(payment, gateway)
            with transaction.atomic():
                _succeed(payment, result, source="wallet")
        except ledger.InsufficientFunds as exc:
            payment.refresh_from_db()
            _transition(payment, Status.FAILED, source="wallet", note=exc.en)
            payment.failure_reason = exc.en[:200]
            payment.save()
            audit.record(
                "payments.payment.failed", actor=actor, obj=payment, after={"reason": exc.en}
            )
    return payment


def _short_of_money(payment: Payment, gateway: Any) -> None:
    """Refuse at once (``InsufficientFunds``) when the wallet's committed balance is
    already below the amount: debits in flight only lower it, so the payment would
    fail anyway, after the purpose's work had been done and undone. The debit
    itself decides (``ledger.post``, under the balance row's lock)."""
    account = ledger_accounts.get_or_open(*gateway.funding_account(payment))
    if account.may_go_negative:
        return
    available = ledger_selectors.wallet_balance(account)
    if available < payment.amount:
        raise ledger.InsufficientFunds(account, available, payment.amount)


# --------------------------------------------------------------------------- results


def apply_result(
    payment: Payment, result: GatewayResult, *, source: str, actor: Any = None
) -> Payment:
    """Apply what the gateway says (a return, a webhook, a poll, a settlement file).

    A success applies once; a failure or pending after a success changes nothing
    (callbacks arrive out of order); a success after failure or expiry is the late
    success, which takes effect or is refunded."""
    with transaction.atomic():
        payment = _locked(payment)
        if result.status == "succeeded":
            _succeed(payment, result, source=source, actor=actor)
        elif result.status == "failed":
            if payment.status in OPEN_STATUSES:
                _transition(payment, Status.FAILED, source=source, note=result.reason)
                payment.failure_reason = result.reason[:200]
                payment.next_poll_at = None
                payment.save()
                audit.record(
                    "payments.payment.failed",
                    actor=actor,
                    obj=payment,
                    after={"reason": result.reason},
                )
            else:
                _note(payment, source=source, note=f"gateway says failed; already {payment.status}")
        elif payment.status == Status.CREATED:
            _transition(payment, Status.PENDING, source=source)
            payment.save()
    return payment


def _succeed(payment: Payment, result: GatewayResult, *, source: str, actor: Any = None) -> None:
    """Caller holds the payment row lock inside a transaction."""
    if payment.is_paid:
        if result.payment_id and result.payment_id != payment.gateway_payment_id:
            # A second capture on the same order: money taken twice. Staff see it in
            # the reconciliation report (in the file, not in the ledger) and the audit log.
            _note(
                payment,
                source=source,
                note=f"second capture {result.payment_id} on the same order",
                detail={"payment_id": result.payment_id},
            )
            audit.record(
                "payments.payment.second_capture",
                obj=payment,
                after={"payment_id": result.payment_id},
            )
        else:
            _note(payment, source=source, note="success reported again")
        return
    if result.amount is not None and result.amount != payment.amount:
        _note(
            payment,
            source=source,
            note=f"gateway reports {result.amount} paise, payment is {payment.amount}",
            detail={"amount": result.amount, "payment_id": result.payment_id},
        )
        payment.failure_reason = "amount differs at the gateway; held for reconciliation"
        payment.save(update_fields=["failure_reason"])
        audit.record(
            "payments.payment.amount_mismatch", obj=payment, after={"amount": result.amount}
        )
        return
    late = payment.status in (Status.FAILED, Status.EXPIRED)
    _transition(
        payment,
        Status.SUCCEEDED,
        source=source,
        note="late success" if late else "",
        detail={"payment_id": result.payment_id, "method": result.method},
    )
    now = clock.now()
    payment.gateway_payment_id = result.payment_id or payment.gateway_payment_id
    payment.method = result.method or payment.method
    payment.succeeded_at = now
    payment.next_poll_at = None
    payment.failure_reason = ""
    gateway = gateways.get(payment.gateway)
    funding = ledger_accounts.get_or_open(*gateway.funding_account(payment))
    lines = [(funding, payment.amount)]
    for kind, owner, amount in _credits(payment):
        lines.append((ledger_accounts.get_or_open(kind, owner), -amount))

    def post() -> None:
        ledger.post(
            "payment.success",
            lines,
            idempotency_key=success_key(payment),
            memo=payment.description_en[:200],
            reference=f"payment:{payment.reference}",
            dimensions=payment.dimensions(),
            actor=actor,
        )

    # A wallet payment debits the kiosk's wallet, whose balance row every payment
    # of that kiosk queues on: its entry is posted last, after the purpose's effect
    # and the payment's own rows, so the row is locked only for the ledger's last
    # statements and the commit (a short wallet rolls everything back). Other
    # payments post first: a purpose may read the money it was given (a top-up).
    wallet_last = gateway.immediate
    if not wallet_last:
        post()
    the_purpose = purposes.get(payment.purpose)
    refusal: purposes.Refusal | None = None
    key = _effect_key(
        payment.purpose, payment.target, "" if the_purpose.once_per_target else payment.reference
    )
    if the_purpose.once_per_target and Payment.objects.filter(effect_key=key).exists():
        payment.outcome = Outcome.DUPLICATE
    else:
        refusal = the_purpose.usable(payment)
        if refusal is not None:
            payment.outcome = Outcome.UNUSABLE
        else:
            try:
                with transaction.atomic():
                    Payment.objects.filter(pk=payment.pk).update(effect_key=key)
            except IntegrityError:
                payment.outcome = Outcome.DUPLICATE  # a concurrent payment took effect first
            else:
                payment.effect_key = key
                the_purpose.fulfil(payment)
                payment.outcome = Outcome.FULFILLED
    payment.save()
    audit.record(
        "payments.payment.succeeded",
        actor=actor,
        obj=payment,
        after={"outcome": payment.outcome, "late": late, "source": source},
    )
    if wallet_last:
        post()  # a refund below reads this entry
    if payment.outcome == Outcome.DUPLICATE:
        _refund_locked(
            payment,
            payment.amount,
            kind=RefundKind.DUPLICATE,
            reason=f"{the_purpose.label_en} for {payment.target} was already paid",
            idempotency_key=f"auto:{payment.reference}",
            actor=None,
        )
    elif payment.outcome == Outcome.UNUSABLE:
        _refund_locked(
            payment,
            payment.amount,
            kind=RefundKind.UNUSABLE,
            reason=refusal.en if refusal else "",
            idempotency_key=f"auto:{payment.reference}",
            actor=None,
        )


def expire(payment: Payment, *, source: str = "sweep") -> Payment:
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status in OPEN_STATUSES:
            _transition(payment, Status.EXPIRED, source=source, note="no answer in time")
            payment.next_poll_at = None
            payment.save()
            audit.record("payments.payment.expired", obj=payment)
    return payment


# --------------------------------------------------------------------------- callbacks


def handle_return(payment: Payment, params: Mapping[str, str]) -> Payment:
    """The payer's browser came back from the gateway with signed parameters."""
    gateway = gateways.get(payment.gateway)
    result = gateway.verify_return(payment, params)  # SignatureError: nothing applied
    if result.order_id != payment.gateway_order_id:
        raise SignatureError(
            "The gateway's answer is for another payment.", "गेटवे का उत्तर किसी दूसरे भुगतान का है।"
        )
    return apply_result(payment, result, source="return")


@dataclass(frozen=True)
class WebhookOutcome:
    event: GatewayEvent
    duplicate: bool


def handle_webhook(gateway_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    """Verify, record once by (gateway, event id), apply. A duplicate delivery
    returns the first record and changes nothing."""
    gateway = gateways.get(gateway_name)
    parsed = gateway.parse_webhook(body, headers)  # SignatureError: nothing recorded
    existing = GatewayEvent.objects.filter(gateway=gateway.name, event_id=parsed.event_id).first()
    if existing is not None:
        return WebhookOutcome(existing, True)
    payment = None
    if parsed.result is not None and parsed.result.order_id:
        payment = Payment.objects.filter(
            gateway=gateway.name, gateway_order_id=parsed.result.order_id
        ).first()
    try:
        with transaction.atomic():
            event = GatewayEvent.objects.create(
                gateway=gateway.name,
                event_id=parsed.event_id,
                kind=parsed.kind,
                payment=payment,
                received_at=clock.now(),
                payload=_json_payload(body),
                result="applied"
                if payment
                else ("unknown payment" if parsed.result else "ignored"),
            )
            if payment is not None and parsed.result is not None:
                apply_result(payment, parsed.result, source="webhook")
    except IntegrityError:
        existing = GatewayEvent.objects.filter(
            gateway=gateway.name, event_id=parsed.event_id
        ).first()
        if existing is None:
            raise
        return WebhookOutcome(existing, True)
    return WebhookOutcome(event, False)


def _json_payload(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"raw": body[:2000].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


# --------------------------------------------------------------------------- polling


def poll(payment: Payment) -> Payment:
    """Ask the gateway about an open (or recently given-up) payment and apply the answer."""
    gateway = gateways.get(payment.gateway)
    now = clock.now()
    if not payment.gateway_order_id:
        if payment.status in OPEN_STATUSES and now >= payment.expires_at:
            return expire(payment, source="poll")
        return payment
    try:
        result = gateway.fetch_status(payment)
    except GatewayUnavailable as exc:
        log.warning("poll of %s failed: %s", payment.reference, exc)
        result = None
    if result is not None and result.status != "pending":
        payment = apply_result(payment, result, source="poll")
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status in OPEN_STATUSES:
            if now >= payment.expires_at + dt.timedelta(
                seconds=settings.PAYMENT_EXPIRY_GRACE_SECONDS
            ):
                _transition(payment, Status.EXPIRED, source="poll", note="no answer in time")
                payment.next_poll_at = None
                audit.record("payments.payment.expired", obj=payment)
            else:
                payment.poll_count += 1
                wait = min(
                    settings.PAYMENT_POLL_FIRST_SECONDS * 2 ** min(payment.poll_count, 10),
                    settings.PAYMENT_POLL_MAX_SECONDS,
                )
                payment.next_poll_at = now + dt.timedelta(seconds=wait)
            payment.save()
    return payment


def poll_due(limit: int = 500) -> int:
    """Poll open payments whose next poll is due (the short cycle, every minute)."""
    due = list(
        Payment.objects.filter(status__in=OPEN_STATUSES, next_poll_at__lte=clock.now())
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        poll(Payment.objects.get(pk=pk))
    return len(due)


@dataclass
class SweepReport:
    expired: int = 0
    late_checked: int = 0
    late_succeeded: int = 0
    refunds_retried: int = 0


def sweep() -> SweepReport:
    """The daily cycle: expire open payments past their window (after one last
    poll), ask again about payments given up in the last few days (a late
    success), and retry refunds the gateway has not yet accepted."""
    report = SweepReport()
    now = clock.now()
    stale = Payment.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now)
    for payment in stale.iterator():
        if poll(payment).status == Status.EXPIRED:
            report.expired += 1
        payment.refresh_from_db()
        if payment.status in OPEN_STATUSES:
            expire(payment)
            report.expired += 1
    since = now - dt.timedelta(days=settings.PAYMENT_LATE_SUCCESS_DAYS)
    given_up = Payment.objects.filter(
        status__in=[Status.FAILED, Status.EXPIRED], updated_at__gte=since
    ).exclude(gateway_order_id=None)
    for payment in given_up.iterator():
        if gateways.get(payment.gateway).immediate:
            continue
        report.late_checked += 1
        try:
            result = gateways.get(payment.gateway).fetch_status(payment)
        except GatewayUnavailable:
            continue
        if result.status == "succeeded":
            apply_result(payment, result, source="sweep")
            report.late_succeeded += 1
    # Pending refunds are handed to a task at commit; one still pending after ten
    # minutes lost its task (a worker died), so the sweep takes it over.
    retry = Refund.objects.filter(
        Q(status=RefundStatus.FAILED)
        | Q(status=RefundStatus.PENDING, created_at__lte=now - dt.timedelta(minutes=10))
    ).values_list("pk", flat=True)
    for pk in list(retry):
        process_refund(pk)
        report.refunds_retried += 1
    return report


# --------------------------------------------------------------------------- refunds


def refund(
    payment: Payment,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    kind: str = RefundKind.MANUAL,
    actor: Any = None,
) -> Refund:
    """Give back ``amount`` paise of a paid payment (all or part). The money is
    owed to the payer at once (ledger: the fee's accounts → refunds payable); the
    gateway is asked after commit and the sweep retries if it says no."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Give the reason for the refund.", "धनवापसी का कारण लिखें।")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise PaymentError(
            "The refund must be a whole number of paise above zero.",
            "धनवापसी की राशि शून्य से अधिक पूर्ण पैसे में होनी चाहिए।",
        )
    with transaction.atomic():
        payment = _locked(payment)
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.request_digest != _refund_digest(payment, amount, kind, reason):
                raise IdempotencyConflict(
                    "This request key was already used for a different refund.",
                    "यह अनुरोध कुंजी पहले ही किसी दूसरी धनवापसी के लिए उपयोग हो चुकी है।",
                )
            existing.replayed = True  # not made by this call: the API answers 200, not 201
            return existing
        try:
            with transaction.atomic():
                return _refund_locked(
                    payment,
                    amount,
                    kind=kind,
                    reason=reason,
                    idempotency_key=idempotency_key,
                    actor=actor,
                )
        except ledger.InsufficientFunds as exc:
            # A top-up whose money the kiosk has already spent cannot be taken back.
            raise PaymentError(
                f"The money has already been spent from the wallet: {exc.en}",
                f"राशि वॉलेट से पहले ही खर्च हो चुकी है: {exc.hi}",
            ) from exc


def _refund_digest(payment: Payment, amount: int, kind: str, reason: str) -> str:
    return _digest({"payment": payment.pk, "amount": amount, "kind": kind, "reason": reason})


def _refund_locked(
    payment: Payment,
    amount: int,
    *,
    kind: str,
    reason: str,
    idempotency_key: str,
    actor: Any,
) -> Refund:
    if not payment.is_paid:
        raise InvalidTransition(
            "Only a paid payment can be refunded.", "केवल सफल भुगतान की ही धनवापसी हो सकती है।"
        )
    if amount > payment.refundable:
        raise PaymentError(
            f"At most {payment.refundable} paise of this payment can still be refunded.",
            f"इस भुगतान में से अधिकतम {payment.refundable} पैसे ही वापस किए जा सकते हैं।",
        )
    remaining = _refundable_by_account(payment)
    shares = split.allocate(amount, remaining)
    refunds_payable = ledger_accounts.get_or_open("refunds_payable")
    by_code = {
        account.code: account for account in ledger_accounts_for([code for code, _ in shares])
    }
    now = clock.now()
    refund = Refund.objects.create(
        reference=ids.issue(_year_prefix("RF"), width=8),
        payment=payment,
        amount=amount,
        lines=[{"account": code, "amount": paise} for code, paise in shares],
        kind=kind,
        reason=reason[:300],
        idempotency_key=idempotency_key,
        request_digest=_refund_digest(payment, amount, kind, reason),
        requested_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    ledger.post(
        "refund.owed",
        [(by_code[code], paise) for code, paise in shares] + [(refunds_payable, -amount)],
        idempotency_key=f"refund:{refund.reference}:owed",
        memo=f"refund of {payment.reference}: {reason}"[:200],
        reference=f"payment:{payment.reference}",
        dimensions=payment.dimensions(),
        actor=actor,
    )
    payment.refunded_amount += amount
    to = Status.REFUNDED if payment.refunded_amount == payment.amount else Status.PARTLY_REFUNDED
    _transition(payment, to, source="staff" if actor else "system", note=reason)
    payment.save()
    the_purpose = purposes.get(payment.purpose)
    if the_purpose.refunded is not None:
        the_purpose.refunded(payment, amount)
    audit.record(
        "payments.refund.created",
        actor=actor,
        obj=refund,
        after={"payment": payment.reference, "amount": amount, "kind": kind},
    )
    refund_pk = refund.pk
    transaction.on_commit(lambda: _queue_refund(refund_pk))
    return refund


def ledger_accounts_for(codes: list[str]):
    from ekseva.ledger.models import Account

    return Account.objects.filter(code__in=codes)


def _refundable_by_account(payment: Payment) -> list[tuple[str, int]]:
    """What each credited account still holds of this payment: its credit in the
    success entry less what refunds have taken back. In the entry's posting order."""
    entry = JournalEntry.objects.get(idempotency_key=success_key(payment))
    held: dict[str, int] = {}
    for posting in entry.postings.select_related("account").order_by("pk"):
        if posting.amount < 0:
            held[posting.account.code] = held.get(posting.account.code, 0) - posting.amount
    taken: dict[str, int] = defaultdict(int)
    for lines in payment.refunds.values_list("lines", flat=True):
        for line in lines:
            taken[line["account"]] += line["amount"]
    return [(code, paise - taken[code]) for code, paise in held.items() if paise > taken[code]]


def _queue_refund(refund_pk: int) -> None:
    from . import tasks

    tasks.process_refund.delay(refund_pk)


def process_refund(refund: Refund | int) -> Refund:
    """Ask the gateway to pay a refund back; on success the money leaves refunds
    payable for the gateway (or the wallet). Safe to call again: a processed
    refund is left alone."""
    pk = refund.pk if isinstance(refund, Refund) else refund
    refund = Refund.objects.select_related("payment").get(pk=pk)
    if refund.status == RefundStatus.PROCESSED:
        return refund
    gateway = gateways.get(refund.payment.gateway)
    try:
        result = gateway.refund(refund.payment, refund)
    except GatewayUnavailable as exc:
        result = gateways.RefundResult(ok=False, error=exc.en)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=pk)
        if refund.status == RefundStatus.PROCESSED:
            return refund
        refund.attempts += 1
        if not result.ok:
            refund.status = RefundStatus.FAILED
            refund.last_error = result.error[:300]
            refund.save()
            audit.record("payments.refund.failed", obj=refund, after={"error": result.error})
            return refund
        _mark_processed(refund, gateway, result.refund_id, source="gateway")
    return refund


def _mark_processed(refund: Refund, gateway: Any, refund_id: str, *, source: str) -> None:
    """The gateway has paid the refund back (caller holds the refund row lock)."""
    payment = refund.payment
    funding = ledger_accounts.get_or_open(*gateway.funding_account(payment))
    ledger.post(
        "refund.paid",
        [
            (ledger_accounts.get_or_open("refunds_payable"), refund.amount),
            (funding, -refund.amount),
        ],
        idempotency_key=f"refund:{refund.reference}:paid",
        memo=f"refund {refund.reference} of {payment.reference}",
        reference=f"payment:{payment.reference}",
        dimensions=payment.dimensions(),
    )
    refund.status = RefundStatus.PROCESSED
    refund.gateway_refund_id = refund_id or refund.gateway_refund_id
    refund.processed_at = clock.now()
    refund.last_error = ""
    refund.save()
    audit.record("payments.refund.processed", obj=refund, after={"id": refund_id, "source": source})


def record_refund_paid(refund: Refund, *, gateway_refund_id: str, source: str) -> Refund:
    """The gateway reports (e.g. in its settlement file) that it paid a refund back
    that we still hold as pending or failed: mark it processed, so the sweep does
    not ask for it again. A processed refund is left alone."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
        if refund.status != RefundStatus.PROCESSED:
            _mark_processed(
                refund, gateways.get(refund.payment.gateway), gateway_refund_id, source=source
            )
    return refund


def succeeded_effects(payment: Payment) -> int:
    """How many journal entries took this payment's money (0 or 1): for checks."""
    return JournalEntry.objects.filter(idempotency_key=success_key(payment)).count()


def balance_of(kind: str, owner: str = "") -> int:
    """Convenience for reports and tests: a ledger account's balance (0 if unopened)."""
    from ekseva.ledger.models import Account

    account = Account.objects.filter(code=ledger_accounts.code_for(kind, owner)).first()
    return ledger_selectors.balance(account) if account else 0
