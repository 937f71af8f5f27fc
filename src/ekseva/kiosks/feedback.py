"""Holding kiosks to account: the official charges of a kiosk application (reached
from the QR code on its receipt), complaints against kiosks, and ratings.

- ``charges_token(number, kiosk)`` signs an application number and kiosk code
  (``django.core.signing``, HMAC with the secret key; no timestamp: a receipt is
  kept for years), so the charges page of one application cannot be found by
  trying numbers; ``application_for_token`` reads it back.
- ``complain`` files a complaint (overcharging, behaviour, poor service, other)
  with a reference, an SMS to the mobile if one is given, and an audit event. At
  most ``COMPLAINTS_PER_DAY`` per application and per mobile number a day,
  counted in the database under a lock (an advisory lock on PostgreSQL), so
  the limit holds exactly under concurrent requests.
- ``resolve`` upholds or dismisses a complaint (``kiosks.complaints``); the
  complainant is told by SMS.
- ``rate`` records the applicant's rating (1–5) of the kiosk that served a paid
  kiosk application, once per application.

``register()`` adds the message templates and the receipt's QR code of the
charges page (``applications.receipts.register_extra``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ekseva.accounts import selectors as people
from ekseva.accounts.permissions import can
from ekseva.applications import receipts
from ekseva.applications.models import Application, Channel
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr
from ekseva.core.phone import indian_mobile
from ekseva.notifications import templates
from ekseva.notifications.services import queue as queue_message

from .hooks import COMPLAINTS
from .locator import STAFF_COMPLAINT_ROLES, scope_filter
from .models import Complaint, Kiosk, KioskError, Rating

CHARGES_SALT = "ekseva.kiosks.charges"
COMPLAINTS_PER_DAY = 3
DESCRIPTION_MAX = 2000
RESOLUTION_SMS_MAX = 120  # characters of the resolution quoted in the SMS

RECEIVED_TEMPLATE = "kiosks.complaint_received"
UPHELD_TEMPLATE = "kiosks.complaint_upheld"
DISMISSED_TEMPLATE = "kiosks.complaint_dismissed"

QR_TEXT = (
    "Scan to see the official charges and report overcharging",
    "आधिकारिक शुल्क देखने और अधिक पैसे लिए जाने की शिकायत के लिए स्कैन करें",
)

KIND_TEXT = {
    Complaint.Kind.OVERCHARGING: (
        "Charged more than the official fee",
        "आधिकारिक शुल्क से अधिक पैसे लिए",
    ),
    Complaint.Kind.BEHAVIOUR: ("Rude or improper behaviour", "अभद्र या अनुचित व्यवहार"),
    Complaint.Kind.SERVICE: ("Poor service", "खराब सेवा"),
    Complaint.Kind.OTHER: ("Something else", "कुछ और"),
}
STATUS_TEXT = {
    Complaint.Status.OPEN: ("Open", "खुली"),
    Complaint.Status.UPHELD: ("Upheld", "सही पाई गई"),
    Complaint.Status.DISMISSED: ("Dismissed", "खारिज"),
}


def kind_text(kind: str, language: str) -> str:
    en, hi = KIND_TEXT.get(kind, (kind, kind))
    return hi if language == "hi" else en


def status_text(status: str, language: str) -> str:
    en, hi = STATUS_TEXT.get(status, (status, status))
    return hi if language == "hi" else en


# --------------------------------------------------------------------------- the charges page


def charges_token(number: str, kiosk_code: str) -> str:
    """A signed token naming one kiosk application (no personal data in it)."""
    return signing.Signer(salt=CHARGES_SALT).sign_object([number, kiosk_code])


def read_token(token: str) -> tuple[str, str] | None:
    try:
        value = signing.Signer(salt=CHARGES_SALT).unsign_object(token or "")
    except (signing.BadSignature, ValueError):
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, str) and v for v in value)
    ):
        return None
    return value[0], value[1]


def application_for_token(token: str) -> Application | None:
    """The kiosk application a charges token names, or None (bad or tampered token)."""
    read = read_token(token)
    if read is None:
        return None
    number, code = read
    return (
        Application.objects.select_related("service__department", "applicant")
        .filter(number=number, kiosk_code=code, channel=Channel.KIOSK)
        .first()
    )


def charges_url(app: Application) -> str:
    """The absolute URL of ``app``'s charges page, in the active language."""
    path = reverse("kiosks:charges", args=[charges_token(app.number, app.kiosk_code)])
    return f"{settings.PUBLIC_BASE_URL}{path}"


def receipt_extra(app: Application) -> tuple[str, str, str] | None:
    """The receipt's second QR code: a kiosk application's official charges."""
    if app.channel != Channel.KIOSK or not app.kiosk_code or not app.number:
        return None
    return QR_TEXT[0], QR_TEXT[1], charges_url(app)


@dataclass(frozen=True)
class ChargeLine:
    code: str
    label: str
    amount: int


@dataclass(frozen=True)
class Charges:
    """What a citizen should have paid at the kiosk for one application."""

    number: str
    service: str
    department: str
    kiosk: Kiosk | None
    kiosk_code: str
    on: dt.date | None  # the day the fee was paid (or the application submitted)
    paid: bool
    lines: list[ChargeLine]
    total: int
    kiosk_charge: int


def official_charges(app: Application, language: str) -> Charges:
    """The fee lines the portal charged for ``app`` (those of the payment that
    paid it, else those quoted at submission), the kiosk's allowed charge among them."""
    payment = receipts.receipt_payment(app)
    raw = payment.lines if payment is not None else (app.fee_lines or [])
    key = "label_hi" if language == "hi" else "label_en"
    lines = [
        ChargeLine(
            code=str(line.get("code", "")),
            label=str(line.get(key) or line.get("label_en") or line.get("code", "")),
            amount=int(line["amount_paise"]),
        )
        for line in raw
    ]
    moment = (payment.succeeded_at if payment is not None else None) or app.paid_at
    moment = moment or app.submitted_at
    return Charges(
        number=app.number,
        service=app.service.name(language),
        department=app.service.department.name(language),
        kiosk=Kiosk.objects.filter(code=app.kiosk_code).first(),
        kiosk_code=app.kiosk_code,
        on=timezone.localtime(moment).date() if moment else None,
        paid=payment is not None,
        lines=lines,
        total=payment.amount if payment is not None else sum(x.amount for x in lines),
        kiosk_charge=sum(x.amount for x in lines if x.code == "kiosk"),
    )


# --------------------------------------------------------------------------- complaints


def _day_start() -> dt.datetime:
    return timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _serialise(keys: list[str]) -> None:
    """Hold transaction-scoped locks on ``keys`` (PostgreSQL advisory locks, in a
    fixed order), so two requests counting the same application's or mobile's
    complaints run one after the other. SQLite serialises writers already."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(key)])


def _check_limits(number: str, mobile: str) -> None:
    since = _day_start()
    today = Complaint.objects.filter(created_at__gte=since)
    if number and today.filter(application_number=number).count() >= COMPLAINTS_PER_DAY:
        raise KioskError(
            f"At most {COMPLAINTS_PER_DAY} complaints can be made about one application "
            "in a day. Yours are registered; try again tomorrow if you must add to them.",
            f"एक आवेदन के बारे में एक दिन में अधिकतम {COMPLAINTS_PER_DAY} शिकायतें की जा सकती हैं। "
            "आपकी शिकायतें दर्ज हैं; कुछ और जोड़ना हो तो कल प्रयास करें।",
        )
    if mobile and today.filter(mobile=mobile).count() >= COMPLAINTS_PER_DAY:
        raise KioskError(
            f"At most {COMPLAINTS_PER_DAY} complaints can be made from one mobile number "
            "in a day. Try again tomorrow.",
            f"एक मोबाइल नंबर से एक दिन में अधिकतम {COMPLAINTS_PER_DAY} शिकायतें की जा सकती हैं। "
            "कल प्रयास करें।",
            field="mobile",
        )


def complain(
    *,
    kiosk: Kiosk,
    kind: str,
    description: str = "",
    mobile: str = "",
    amount_charged: int | None = None,
    app: Application | None = None,
    citizen: Any = None,
    language: str = "en",
) -> Complaint:
    """File a complaint against ``kiosk`` (about ``app`` when it came from the
    charges page). Returns the complaint with its reference. Raises ``KioskError``
    for a bad field or past the daily limits."""
    if kind not in Complaint.Kind.values:
        raise KioskError(
            "Choose what the complaint is about.", "शिकायत किस बारे में है, चुनें।", field="kind"
        )
    if app is not None and (app.kiosk_code != kiosk.code or app.channel != Channel.KIOSK):
        raise KioskError(
            "This application was not made at this kiosk.", "यह आवेदन इस कियोस्क पर नहीं किया गया था।"
        )
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise KioskError(
            f"Write at most {DESCRIPTION_MAX} characters.",
            f"अधिकतम {DESCRIPTION_MAX} अक्षर लिखें।",
            field="description",
        )
    if kind != Complaint.Kind.OVERCHARGING and not description:
        raise KioskError("Say what happened.", "बताइए कि क्या हुआ।", field="description")
    number = mobile_number = ""
    if (mobile or "").strip():
        mobile_number = indian_mobile(mobile) or ""
        if not mobile_number:
            raise KioskError(
                "Enter a 10-digit Indian mobile number, or leave it empty.",
                "10 अंकों का भारतीय मोबाइल नंबर लिखें, या इसे खाली छोड़ें।",
                field="mobile",
            )
    official = None
    if app is not None:
        number = app.number
        official = official_charges(app, language).total
    if kind == Complaint.Kind.OVERCHARGING:
        if amount_charged is None or amount_charged <= 0:
            raise KioskError(
                "Enter the amount the kiosk took from you.",
                "कियोस्क ने आपसे जितने पैसे लिए, वह राशि लिखें।",
                field="amount_charged",
            )
        if official is not None and amount_charged <= official:
            raise KioskError(
                f"You paid no more than the official total of {format_inr(official)}. If "
                "something else went wrong, choose another kind of complaint on the kiosk's page.",
                f"आपने आधिकारिक कुल {format_inr(official)} से अधिक नहीं दिया। कोई और समस्या हो तो "
                "कियोस्क के पृष्ठ पर दूसरी प्रकार की शिकायत चुनें।",
                field="amount_charged",
            )
    with transaction.atomic():
        keys = [f"kiosks.complaint.app:{number}"] if number else []
        if mobile_number:
            keys.append(f"kiosks.complaint.mobile:{mobile_number}")
        _serialise(keys)
        _check_limits(number, mobile_number)
        now = clock.now()
        complaint = Complaint.objects.create(
            reference=ids.issue(f"KC{timezone.localtime(now):%y}", width=6),
            kiosk=kiosk,
            application_number=number,
            kind=kind,
            amount_charged=amount_charged,
            official_amount=official,
            description=description,
            mobile=mobile_number,
            citizen=citizen if people.is_citizen(citizen) else None,
            created_at=now,
        )
        audit.record(
            "kiosks.complaint.made",
            actor=citizen,
            obj=complaint,
            after={
                "reference": complaint.reference,
                "kiosk": kiosk.code,
                "kind": kind,
                "application": number,
                "amount_charged": amount_charged,
                "official": official,
                "mobile": ("******" + mobile_number[-4:]) if mobile_number else "",
            },
        )
        if mobile_number:
            queue_message(
                channel="sms",
                template=RECEIVED_TEMPLATE,
                recipient=mobile_number,
                params={"reference": complaint.reference, "kiosk": kiosk.code},
                language="hi" if language == "hi" else "en",
                dedupe_key=f"kiosks.complaint.received:{complaint.reference}",
            )
    return complaint


def resolve(complaint: Complaint, *, uphold: bool, resolution: str, actor: Any) -> Complaint:
    """Uphold or dismiss an open complaint with the reason; the complainant (if
    they left a mobile) is told by SMS."""
    resolution = (resolution or "").strip()
    if not can(actor, COMPLAINTS, complaint):
        raise KioskError("You may not decide this complaint.", "आप इस शिकायत पर निर्णय नहीं ले सकते।")
    if not resolution:
        raise KioskError(
            "Write what was found and done.",
            "क्या पाया गया और क्या किया गया, लिखें।",
            field="resolution",
        )
    with transaction.atomic():
        complaint = (
            Complaint.objects.select_for_update().select_related("kiosk").get(pk=complaint.pk)
        )
        if complaint.status != Complaint.Status.OPEN:
            raise KioskError(
                "This complaint has already been decided.", "इस शिकायत पर निर्णय हो चुका है।"
            )
        complaint.status = Complaint.Status.UPHELD if uphold else Complaint.Status.DISMISSED
        complaint.resolution = resolution
        complaint.resolved_by = actor
        complaint.resolved_at = clock.now()
        complaint.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        audit.record(
            f"kiosks.complaint.{complaint.status}",
            actor=actor,
            obj=complaint,
            before={"status": Complaint.Status.OPEN},
            after={"status": complaint.status, "resolution": resolution},
        )
        if complaint.mobile:
            citizen = complaint.citizen
            language = getattr(citizen, "preferred_language", "") or "hi"
            short = (
                resolution
                if len(resolution) <= RESOLUTION_SMS_MAX
                else (resolution[: RESOLUTION_SMS_MAX - 1].rstrip() + "…")
            )
            queue_message(
                channel="sms",
                template=UPHELD_TEMPLATE if uphold else DISMISSED_TEMPLATE,
                recipient=complaint.mobile,
                params={
                    "reference": complaint.reference,
                    "kiosk": complaint.kiosk.code,
                    "resolution": short,
                },
                language="hi" if language == "hi" else "en",
                dedupe_key=f"kiosks.complaint.resolved:{complaint.reference}",
            )
    return complaint


def complaints_in_scope(user: Any) -> QuerySet[Complaint]:
    """The complaints ``user`` may decide (their postings' kiosks)."""
    where = scope_filter(user, STAFF_COMPLAINT_ROLES, prefix="kiosk__")
    if where is None:
        return Complaint.objects.none()
    return Complaint.objects.filter(where).select_related("kiosk", "kiosk__district")


def complaint_or_404(user: Any, reference: str) -> Complaint:
    complaint = (
        Complaint.objects.select_related("kiosk", "kiosk__district", "resolved_by")
        .filter(reference=(reference or "").upper())
        .first()
    )
    if complaint is None or not can(user, COMPLAINTS, complaint):
        raise Http404("no such complaint")
    return complaint


# --------------------------------------------------------------------------- ratings


def rateable_or_404(user: Any, number: str) -> Application:
    """The user's own kiosk application ``number``; 404 for anyone else's (or an
    online one), so numbers cannot be probed."""
    app = (
        Application.objects.select_related("service")
        .filter(number=(number or "").upper(), channel=Channel.KIOSK)
        .exclude(kiosk_code="")
        .first()
    )
    if app is None or not getattr(user, "is_authenticated", False) or app.applicant_id != user.pk:
        raise Http404("no such application")
    return app


def rating_of(app: Application) -> Rating | None:
    return Rating.objects.filter(application_number=app.number).first()


def may_rate(app: Application) -> bool:
    return bool(app.paid_at) and rating_of(app) is None


def rate(user: Any, app: Application, *, stars: Any, comment: str = "") -> Rating:
    """The applicant rates the kiosk that made (and was paid for) ``app``: once."""
    if app.applicant_id != getattr(user, "pk", None) or app.channel != Channel.KIOSK:
        raise KioskError("This is not your kiosk application.", "यह आपका कियोस्क आवेदन नहीं है।")
    if not app.paid_at:
        raise KioskError(
            "You can rate the kiosk once the fee for this application has been paid there.",
            "इस आवेदन का शुल्क कियोस्क पर जमा होने के बाद ही आप कियोस्क को रेटिंग दे सकते हैं।",
        )
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise KioskError("Choose from 1 to 5 stars.", "1 से 5 स्टार में से चुनें।", field="stars")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise KioskError("Write at most 500 characters.", "अधिकतम 500 अक्षर लिखें।", field="comment")
    kiosk = Kiosk.objects.filter(code=app.kiosk_code).first()
    if kiosk is None:
        raise KioskError("This kiosk no longer exists.", "यह कियोस्क अब मौजूद नहीं है।")
    already = KioskError(
        "You have already rated the kiosk for this application.",
        "आप इस आवेदन के लिए कियोस्क को पहले ही रेटिंग दे चुके हैं।",
    )
    if rating_of(app) is not None:
        raise already
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                kiosk=kiosk,
                application_number=app.number,
                citizen=user,
                stars=stars,
                comment=comment,
                created_at=clock.now(),
            )
            audit.record(
                "kiosks.rating.made",
                actor=user,
                obj=rating,
                after={"kiosk": kiosk.code, "application": app.number, "stars": stars},
            )
    except IntegrityError:
        raise already from None
    return rating


# --------------------------------------------------------------------------- plugging in


def register() -> None:
    """Purposes, rules and templates of this area."""
    templates.register(
        RECEIVED_TEMPLATE,
        sms={
            "en": "ekseva: your complaint {reference} about kiosk {kiosk} is registered. "
            "The district coordinator will look into it and tell you the outcome.",
            "hi": "ई-सेवा: कियोस्क {kiosk} के बारे में आपकी शिकायत {reference} दर्ज हो गई है। "
            "जिला समन्वयक इसकी जाँच करके आपको परिणाम बताएँगे।",
        },
    )
    templates.register(
        UPHELD_TEMPLATE,
        sms={
            "en": "ekseva: your complaint {reference} about kiosk {kiosk} was found true "
            "and action taken: {resolution}",
            "hi": "ई-सेवा: कियोस्क {kiosk} के बारे में आपकी शिकायत {reference} सही पाई गई और "
            "कार्रवाई की गई: {resolution}",
        },
    )
    templates.register(
        DISMISSED_TEMPLATE,
        sms={
            "en": "ekseva: your complaint {reference} about kiosk {kiosk} was looked into "
            "and closed: {resolution}",
            "hi": "ई-सेवा: कियोस्क {kiosk} के बारे में आपकी शिकायत {reference} की जाँच के बाद "
            "उसे बंद किया गया: {resolution}",
        },
    )
    receipts.register_extra(receipt_extra)
