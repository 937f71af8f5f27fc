"""The kiosk network's core writes: kiosk codes, suspension, the citizen's consent,
and the assisted application paid from the wallet.

Other writes live beside this module, one area each: ``onboarding`` (applying to
run a kiosk, review, logins), ``wallet`` (top-ups, deposits, statements),
``commission`` (monthly statements, TDS, payouts) and ``feedback`` (complaints,
ratings). Guide: docs/kiosks.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction

from ekseva.accounts import services as accounts
from ekseva.accounts.models import User
from ekseva.accounts.permissions import can
from ekseva.applications import services as applications
from ekseva.applications.hooks import ACT
from ekseva.applications.models import Application, Channel
from ekseva.catalog.models import Service
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr
from ekseva.geo.models import AdminUnit
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.notifications.services import queue as queue_message
from ekseva.payments import services as payments
from ekseva.payments.models import Payment

from .models import (
    Consent,
    ConsentRequired,
    Kiosk,
    KioskError,
    KioskOperator,
    KioskStatusChange,
    KioskSuspended,
)

CONSENT_TEMPLATE = "kiosks.consent_otp"
LOW_BALANCE_TEMPLATE = "kiosks.low_balance"
ACTIVATION_TEMPLATE = "kiosks.activation"


# --------------------------------------------------------------------------- codes


def code_prefix(district: AdminUnit) -> str:
    """``K`` + the district's LGD code (3 digits): a kiosk's code says its district."""
    lgd = "".join(ch for ch in (district.lgd_code or "") if ch.isdigit())
    return f"K{int(lgd or 0):03d}"


def issue_code(district: AdminUnit) -> str:
    """The next kiosk code of ``district``: e.g. ``K4250012X`` (check character last)."""
    return ids.issue(code_prefix(district), width=4)


def wallet_account(kiosk: Kiosk | str):
    code = kiosk.code if isinstance(kiosk, Kiosk) else kiosk
    return ledger_accounts.get_or_open("kiosk_wallet", code)


def wallet_balance(kiosk: Kiosk | str) -> int:
    return ledger_selectors.balance(wallet_account(kiosk))


# --------------------------------------------------------------------------- opening a kiosk


def open_kiosk(application: Any, *, actor: Any) -> Kiosk:
    """Open the kiosk an approved application describes: its code, its wallet and
    its owner's login (activated by the owner from an SMS link). Called by
    ``onboarding.approve`` inside its transaction; not twice for one application."""
    fields = {
        name: getattr(application, name)
        for name in [
            "kind",
            "business_name",
            "owner_name",
            "owner_mobile",
            "owner_email",
            "pan",
            "aadhaar_token",
            "aadhaar_last4",
            "bank_account_name",
            "bank_account_number",
            "bank_ifsc",
            "shop_registration",
            "district",
            "tehsil",
            "address",
            "pin_code",
            "latitude",
            "longitude",
            "opening_hours_en",
            "opening_hours_hi",
            "services",
        ]
    }
    kiosk = Kiosk.objects.create(
        code=issue_code(application.district),
        status=Kiosk.Status.ACTIVE,
        low_balance_paise=settings.KIOSK_LOW_BALANCE_PAISE,
        opened_at=clock.now(),
        **fields,
    )
    wallet_account(kiosk)
    ledger_accounts.get_or_open("kiosk_commission_payable", kiosk.code)
    audit.record("kiosks.kiosk.opened", actor=actor, obj=kiosk, after={"code": kiosk.code})
    create_login(
        kiosk,
        role=KioskOperator.Role.FRANCHISEE,
        name=application.owner_name,
        mobile=application.owner_mobile,
        actor=actor,
    )
    return kiosk


def _activation_hash(token: str) -> str:
    return hashlib.sha256(f"ekseva.kiosks.activation:{token}".encode()).hexdigest()


def create_login(
    kiosk: Kiosk, *, role: str, name: str, mobile: str, actor: Any, language: str = "hi"
) -> KioskOperator:
    """A login at ``kiosk`` (username ``<code>.<n>``) with a kiosk posting, and an
    SMS to ``mobile`` with the username and a one-time link to activate it: there
    the person sets their password and enrols their authenticator app. Until then
    nobody can sign in with it (its password is unusable)."""
    name = (name or "").strip()
    if not name:
        raise KioskError("Enter the person's name.", "व्यक्ति का नाम लिखें।", field="name")
    try:
        mobile = accounts.normalise_mobile(mobile)
    except Exception:
        raise KioskError(
            "Enter a 10-digit Indian mobile number.",
            "10 अंकों का भारतीय मोबाइल नंबर लिखें।",
            field="mobile",
        ) from None
    with transaction.atomic():
        n = KioskOperator.objects.filter(kiosk=kiosk).count() + 1
        username = f"{kiosk.code.lower()}.{n}"
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{kiosk.code.lower()}.{n}"
        user, _device = accounts.create_staff(
            username=username,
            role=role,
            password=None,  # unusable until the holder activates the login
            kiosk_code=kiosk.code,  # no unit: citizens of any district walk in
            full_name=name,
        )
        operator = KioskOperator.objects.create(
            kiosk=kiosk, user=user, role=role, name=name, mobile=mobile, created_at=clock.now()
        )
        send_activation(operator, language=language)
        audit.record(
            "kiosks.login.created",
            actor=actor,
            obj=kiosk,
            after={"username": username, "role": role, "mobile": accounts.mask_mobile(mobile)},
        )
    return operator


def send_activation(operator: KioskOperator, *, language: str = "hi") -> str:
    """Give ``operator`` a fresh one-time activation link (any earlier one stops
    working) and send it by SMS to their mobile. Returns the token, which is also
    left on ``operator.activation_token`` for the caller; only its hash is stored."""
    token = secrets.token_urlsafe(24)
    operator.activation_hash = _activation_hash(token)
    operator.activation_expires_at = clock.now() + dt.timedelta(
        hours=settings.KIOSK_ACTIVATION_HOURS
    )
    operator.save(update_fields=["activation_hash", "activation_expires_at"])
    queue_message(
        channel="sms",
        template=ACTIVATION_TEMPLATE,
        recipient=operator.mobile,
        params={
            "name": operator.name,
            "kiosk": operator.kiosk.code,
            "username": operator.user.username,
            "link": f"{settings.PUBLIC_BASE_URL}/{language}/kiosks/activate/{token}/",
            "hours": settings.KIOSK_ACTIVATION_HOURS,
        },
        language=language,
        dedupe_key=f"kiosks.activation:{operator.pk}:{operator.activation_hash[:16]}",
    )
    operator.activation_token = token  # for the caller (tests, the demo); never stored
    return token


def operator_for_activation(token: str) -> KioskOperator | None:
    """The login this activation link is for, if the link is still good."""
    operator = (
        KioskOperator.objects.select_related("kiosk", "user")
        .filter(activation_hash=_activation_hash(token or ""), activated_at__isnull=True)
        .first()
    )
    if operator is None or operator.activation_expires_at <= clock.now():
        return None
    return operator


# --------------------------------------------------------------------------- who is acting


def operator_of(user: Any) -> KioskOperator | None:
    """The kiosk login of ``user`` (franchisee or operator), if any and active."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        KioskOperator.objects.select_related("kiosk").filter(user_id=user.pk, active=True).first()
    )


def require_kiosk(user: Any, *, active: bool = True, franchisee: bool = False) -> Kiosk:
    """The kiosk ``user`` works at; refuses if none, or (``active``) if it is not
    active, or (``franchisee``) if the user is not its owner."""
    operator = operator_of(user)
    if operator is None:
        raise KioskError(
            "This account does not work at a kiosk.", "यह खाता किसी कियोस्क से जुड़ा नहीं है।"
        )
    if franchisee and operator.role != KioskOperator.Role.FRANCHISEE:
        raise KioskError(
            "Only the kiosk's owner (franchisee) can do this.",
            "यह केवल कियोस्क के स्वामी (फ़्रैंचाइज़ी) कर सकते हैं।",
        )
    if active:
        require_active(operator.kiosk)
    return operator.kiosk


def require_active(kiosk: Kiosk) -> None:
    if kiosk.status != Kiosk.Status.ACTIVE:
        raise KioskSuspended(
            f"Kiosk {kiosk.code} is {kiosk.get_status_display()} and cannot transact.",
            f"कियोस्क {kiosk.code} {'निलंबित' if kiosk.status == 'suspended' else 'बंद'} है; "
            "इससे लेन-देन नहीं हो सकता।",
        )


# --------------------------------------------------------------------------- suspension


def _move(kiosk: Kiosk, to: str, *, reason: str, actor: Any) -> Kiosk:
    reason = (reason or "").strip()
    if not reason:
        raise KioskError("Give a reason.", "कारण लिखें।", field="reason")
    if not can(actor, "kiosks.govern", kiosk):
        raise KioskError(
            "You may not change this kiosk's status.", "आप इस कियोस्क की स्थिति नहीं बदल सकते।"
        )
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
        if kiosk.status == to:
            return kiosk
        if kiosk.status == Kiosk.Status.CLOSED:
            raise KioskError("This kiosk is closed.", "यह कियोस्क बंद हो चुका है।")
        before = kiosk.status
        kiosk.status = to
        kiosk.save(update_fields=["status"])
        KioskStatusChange.objects.create(
            kiosk=kiosk,
            at=clock.now(),
            from_status=before,
            to_status=to,
            reason=reason,
            actor=actor,
        )
        audit.record(
            f"kiosks.kiosk.{to}",
            actor=actor,
            obj=kiosk,
            before={"status": before},
            after={"status": to, "reason": reason},
        )
    return kiosk


def suspend(kiosk: Kiosk, *, reason: str, actor: Any) -> Kiosk:
    """Stop a kiosk transacting (its logins keep read access: statements, history)."""
    return _move(kiosk, Kiosk.Status.SUSPENDED, reason=reason, actor=actor)


def reinstate(kiosk: Kiosk, *, reason: str, actor: Any) -> Kiosk:
    return _move(kiosk, Kiosk.Status.ACTIVE, reason=reason, actor=actor)


def close(kiosk: Kiosk, *, reason: str, actor: Any) -> Kiosk:
    return _move(kiosk, Kiosk.Status.CLOSED, reason=reason, actor=actor)


# --------------------------------------------------------------------------- consent


def consent_purpose(kiosk: Kiosk) -> str:
    """The OTP purpose of this kiosk's consent: a code sent for one kiosk is looked
    for only under that kiosk's purpose, so another kiosk can never use it."""
    return f"consent_{kiosk.code.lower()}"


def request_consent(operator: Any, mobile: str, *, ip: str | None, language: str = "en") -> str:
    """Send the citizen an OTP asking them to let this kiosk act for them.
    Returns the normalised mobile. Works for a number not yet registered (the
    citizen is registered when they give the code)."""
    kiosk = require_kiosk(operator)
    mobile = accounts.normalise_mobile(mobile)
    existing = User.objects.filter(mobile=mobile).first()
    if existing is not None and (not existing.is_active or _is_staff(existing)):
        raise KioskError(
            "This number cannot be served as a citizen here.",
            "इस नंबर के लिए यहाँ नागरिक के रूप में सेवा नहीं दी जा सकती।",
            field="mobile",
        )
    accounts.request_otp(
        mobile,
        consent_purpose(kiosk),
        ip,
        language,
        template=CONSENT_TEMPLATE,
        params={"kiosk": kiosk.code, "name": kiosk.business_name},
    )
    audit.record(
        "kiosks.consent.requested",
        actor=operator,
        obj=kiosk,
        after={"mobile": accounts.mask_mobile(mobile)},
    )
    return mobile


def _is_staff(user: User) -> bool:
    from ekseva.accounts import selectors as account_selectors

    return account_selectors.has_staff_history(user)


def grant_consent(operator: Any, mobile: str, code: str, *, language: str = "en") -> Consent:
    """Check the code the citizen read out; on success the kiosk may act for them
    for ``KIOSK_CONSENT_MINUTES``. A first-time number is registered as a citizen.
    Raises ``accounts.services.OtpError`` for a wrong, used or expired code."""
    kiosk = require_kiosk(operator)
    challenge = accounts.verify_otp(mobile, consent_purpose(kiosk), code)
    citizen = accounts.sign_in_citizen(challenge.mobile, language)
    return record_consent(kiosk, citizen, operator, challenge)


def record_consent(kiosk: Kiosk, citizen: Any, operator: Any, challenge: Any) -> Consent:
    """The consent row and its audit event, once the citizen's code has been checked
    (``grant_consent``; the benchmarks' fleet writes consents the same way)."""
    now = clock.now()
    consent = Consent.objects.create(
        kiosk=kiosk,
        citizen=citizen,
        operator=operator,
        challenge=challenge,
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=settings.KIOSK_CONSENT_MINUTES),
    )
    audit.record(
        "kiosks.consent.granted",
        actor=operator,
        obj=kiosk,
        after={"citizen": citizen.pk, "until": consent.expires_at.isoformat()},
    )
    return consent


def active_consent(kiosk: Kiosk, citizen: Any) -> Consent | None:
    return (
        Consent.objects.filter(
            kiosk=kiosk,
            citizen_id=getattr(citizen, "pk", citizen),
            revoked_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .order_by("-expires_at")
        .first()
    )


def require_consent(kiosk: Kiosk, citizen: Any) -> Consent:
    consent = active_consent(kiosk, citizen)
    if consent is None:
        raise ConsentRequired(
            "The citizen has not given this kiosk consent (or it has expired). "
            "Send an OTP to their mobile and ask them for the code.",
            "नागरिक ने इस कियोस्क को सहमति नहीं दी है (या वह समाप्त हो गई है)। "
            "उनके मोबाइल पर OTP भेजें और उनसे कोड पूछें।",
        )
    return consent


def end_consent(operator: Any, citizen: Any) -> None:
    """The citizen is done: the kiosk stops acting for them now."""
    kiosk = require_kiosk(operator, active=False)
    Consent.objects.filter(
        kiosk=kiosk, citizen_id=getattr(citizen, "pk", citizen), revoked_at__isnull=True
    ).update(revoked_at=clock.now())


# --------------------------------------------------------------------------- assisted application


def start_assisted(operator: Any, citizen: Any, service: Service) -> Application:
    """A draft for a walk-in citizen under their consent, made through this kiosk."""
    kiosk = require_kiosk(operator)
    require_consent(kiosk, citizen)
    if kiosk.services and service.code not in kiosk.services:
        raise KioskError("This kiosk does not offer this service.", "यह कियोस्क यह सेवा नहीं देता।")
    return applications.start(
        citizen, service, channel=Channel.KIOSK, kiosk_code=kiosk.code, actor=operator
    )


def pay_assisted(
    operator: Any, app: Application, *, idempotency_key: str, kiosk: Kiosk | None = None
) -> Payment:
    """Pay the application's fee from the kiosk's wallet. The same key never debits
    twice (the payment is made once per key and taken once under its row lock).
    Returns the payment: succeeded, or failed (the wallet was short; nothing taken).
    ``kiosk``: the operator's kiosk as the console read it in this request (saves
    reading the login again); it must still be active."""
    if kiosk is None:
        kiosk = require_kiosk(operator)
    else:
        require_active(kiosk)
    if app.kiosk_code != kiosk.code or not can(operator, ACT, app):
        raise KioskError("No such application at this kiosk.", "इस कियोस्क पर ऐसा कोई आवेदन नहीं है।")
    if not idempotency_key:
        raise KioskError("A request key is required.", "अनुरोध कुंजी आवश्यक है।")
    key = f"kiosk:{kiosk.code}:{idempotency_key}"
    payment = Payment.objects.filter(idempotency_key=key).first()  # a retry: the first answer
    if payment is not None and payment.target != app.number:
        raise KioskError(
            "This request key was already used for another application.",
            "यह अनुरोध कुंजी पहले ही किसी दूसरे आवेदन के लिए उपयोग हो चुकी है।",
        )
    if payment is None:
        payment = applications.start_payment(
            app, idempotency_key=key, actor=operator, gateway="wallet"
        )
    was_paid = payment.is_paid
    payment = payments.pay_from_wallet(payment, actor=operator)
    if payment.is_paid and not was_paid:
        warn_low_balance(kiosk, debited=payment.amount, reference=payment.reference)
    return payment


def warn_low_balance(kiosk: Kiosk, *, debited: int, reference: str) -> bool:
    """SMS the owner when this debit took the wallet from at or above its
    low-balance mark to below it (once per crossing, whatever the retries).
    "After" is the balance right after this payment's own posting (wallet postings
    are made one at a time under the wallet's row lock), so debits made at the same
    moment do not each take the crossing for their own."""
    wallet = wallet_account(kiosk)
    entry = ledger_selectors.entry_for_key(f"payment:{reference}:success")
    own = entry.postings.filter(account=wallet).values_list("pk", flat=True).first() if entry else 0
    after = ledger_selectors.balance_through(wallet, own) if own else wallet_balance(kiosk)
    before = after + debited
    if not (before >= kiosk.low_balance_paise > after):
        return False
    queue_message(
        channel="sms",
        template=LOW_BALANCE_TEMPLATE,
        recipient=kiosk.owner_mobile,
        params={
            "kiosk": kiosk.code,
            "balance": format_inr(after),
            "mark": format_inr(kiosk.low_balance_paise),
        },
        language="hi",
        dedupe_key=f"kiosks.low_balance:{kiosk.code}:{reference}",
    )
    Kiosk.objects.filter(pk=kiosk.pk).update(low_balance_alerted_at=clock.now())
    audit.record("kiosks.wallet.low_balance", obj=kiosk, after={"balance": after})
    return True
