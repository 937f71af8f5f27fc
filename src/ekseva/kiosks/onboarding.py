"""Becoming a franchisee: the public application to run a kiosk, its registration
fee, the review, and the kiosk's logins. Guide: docs/kiosks.md.

Writes (each in one transaction, audited; every refusal is a ``KioskError``):

- ``submit(applicant, data, documents)``: a new application, waiting for its fee.
- ``start_fee_payment(application, idempotency_key=, actor=)``: the fee's payment
  through the gateway. The purpose ``kiosk_registration_fee`` (registered in
  ``register()``) sends the application to review when the money arrives.
- ``approve`` / ``return_for_correction`` / ``reject``: a reviewer's decision (the
  district coordinator of the application's district, or operator staff).
  Approval opens the kiosk (``services.open_kiosk``) in the same transaction.
- ``resubmit(application, data, documents, actor=)``: the fields the reviewer
  asked to fix, and back to review.
- ``activate(token, password=, code=)``: the person behind a new login sets their
  password and confirms their authenticator app.
- ``add_operator`` / ``deactivate_login`` / ``resend_activation``: the franchisee's
  logins (operator staff may also deactivate and resend).

Reads: ``may_view`` / ``may_review``, ``applications_of``, ``reviewable``,
``reviewer_districts``, ``logins_of``, ``kiosk_services``, ``fee_lines``.

Aadhaar numbers are never kept: only ``accounts.services.aadhaar_token`` and the
last four digits reach the database, and the audit log sees only the mask.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import pan as stdnum_pan

from ekseva.accounts import selectors as people
from ekseva.accounts import services as accounts
from ekseva.accounts.models import Posting, Role
from ekseva.accounts.permissions import can
from ekseva.accounts.scope import Scope
from ekseva.catalog import selectors as catalog_selectors
from ekseva.core import audit, clock, ids
from ekseva.core.files import UploadRefused, check_upload
from ekseva.core.money import format_inr
from ekseva.core.phone import indian_mobile
from ekseva.geo import selectors as geo_selectors
from ekseva.geo.models import AdminUnit
from ekseva.notifications import templates
from ekseva.notifications.services import queue as queue_message
from ekseva.payments import purposes
from ekseva.payments import services as payments
from ekseva.payments.models import Payment

from . import services
from .hooks import GOVERN, OWN, REVIEW
from .models import (
    Kind,
    Kiosk,
    KioskApplication,
    KioskApplicationDocument,
    KioskApplicationEvent,
    KioskError,
    KioskOperator,
)

Status = KioskApplication.Status

FEE_PURPOSE = "kiosk_registration_fee"
GST_RATE_BP = 1800  # 18% GST on the registration fee
REFERENCE_LETTERS = "KA"
OPEN_STATUSES = (Status.FEE_PENDING, Status.UNDER_REVIEW, Status.RETURNED)

SUBMITTED_TEMPLATE = "kiosks.application_submitted"
PAID_TEMPLATE = "kiosks.application_paid"
RETURNED_TEMPLATE = "kiosks.application_returned"
REJECTED_TEMPLATE = "kiosks.application_rejected"
APPROVED_TEMPLATE = "kiosks.application_approved"

STATUS_TEXT: dict[str, tuple[str, str]] = {
    Status.FEE_PENDING: ("Fee to be paid", "शुल्क जमा होना है"),
    Status.UNDER_REVIEW: ("Under review", "जाँच में"),
    Status.RETURNED: ("Returned for correction", "सुधार के लिए लौटाया गया"),
    Status.APPROVED: ("Approved", "स्वीकृत"),
    Status.REJECTED: ("Rejected", "अस्वीकृत"),
}
STATUS_BADGE = {
    Status.FEE_PENDING: "pending",
    Status.UNDER_REVIEW: "submitted",
    Status.RETURNED: "warning",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
}


def status_text(status: str, language: str) -> str:
    en, hi = STATUS_TEXT.get(status, (status, status))
    return hi if language == "hi" else en


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentRule:
    """A KYC document the application needs."""

    id: str
    label_en: str
    label_hi: str
    formats: tuple[str, ...]
    max_kb: int
    min_dims: tuple[int, int] | None = None

    def label(self, language: str) -> str:
        return self.label_hi if language == "hi" else self.label_en

    @property
    def field(self) -> str:
        return f"doc_{self.id}"

    @property
    def formats_text(self) -> str:
        return ", ".join(f.upper() for f in self.formats)


DOCUMENTS: tuple[DocumentRule, ...] = (
    DocumentRule("pan_card", "PAN card", "पैन कार्ड", ("pdf", "jpeg", "png"), 2048),
    DocumentRule("aadhaar_card", "Aadhaar card", "आधार कार्ड", ("pdf", "jpeg", "png"), 2048),
    DocumentRule(
        "bank_proof",
        "Bank passbook or cancelled cheque",
        "बैंक पासबुक या रद्द किया हुआ चेक",
        ("pdf", "jpeg", "png"),
        2048,
    ),
    DocumentRule(
        "shop_registration",
        "Shop registration certificate",
        "दुकान पंजीयन प्रमाण-पत्र",
        ("pdf", "jpeg", "png"),
        2048,
    ),
    DocumentRule(
        "owner_photo", "Owner's photograph", "स्वामी का फ़ोटो", ("jpeg", "png"), 1024, (200, 200)
    ),
)
DOCUMENT_BY_ID = {rule.id: rule for rule in DOCUMENTS}
_EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}


# --------------------------------------------------------------------------- what can be fixed


@dataclass(frozen=True)
class FixItem:
    """What a reviewer may ask the applicant to fix: one or more form fields."""

    key: str
    label_en: str
    label_hi: str
    fields: tuple[str, ...]

    def label(self, language: str) -> str:
        return self.label_hi if language == "hi" else self.label_en


FIX_ITEMS: tuple[FixItem, ...] = (
    FixItem("kind", "Kind of kiosk", "कियोस्क का प्रकार", ("kind",)),
    FixItem("business_name", "Business name", "व्यवसाय का नाम", ("business_name",)),
    FixItem(
        "owner",
        "Owner's name, mobile and email",
        "स्वामी का नाम, मोबाइल और ईमेल",
        ("owner_name", "owner_mobile", "owner_email"),
    ),
    FixItem("pan", "PAN", "पैन", ("pan",)),
    FixItem("aadhaar", "Aadhaar number", "आधार नंबर", ("aadhaar",)),
    FixItem(
        "bank",
        "Bank account",
        "बैंक खाता",
        ("bank_account_name", "bank_account_number", "bank_ifsc"),
    ),
    FixItem(
        "shop_registration", "Shop registration number", "दुकान पंजीयन क्रमांक", ("shop_registration",)
    ),
    FixItem(
        "location",
        "District, tehsil, address, PIN code and map location",
        "ज़िला, तहसील, पता, पिन कोड और नक्शे पर स्थान",
        ("district", "tehsil", "address", "pin_code", "latitude", "longitude"),
    ),
    FixItem(
        "opening_hours", "Opening hours", "खुलने का समय", ("opening_hours_en", "opening_hours_hi")
    ),
    FixItem("services", "Services offered", "दी जाने वाली सेवाएँ", ("services",)),
    *(FixItem(rule.field, rule.label_en, rule.label_hi, (rule.field,)) for rule in DOCUMENTS),
)
FIX_BY_KEY = {item.key: item for item in FIX_ITEMS}


def fix_fields_of(application: KioskApplication) -> list[str]:
    """The form fields the applicant may change now (those the reviewer named)."""
    if application.status != Status.RETURNED:
        return []
    fields: list[str] = []
    for key in application.fix_fields or []:
        item = FIX_BY_KEY.get(key)
        if item is not None:
            fields.extend(f for f in item.fields if f not in fields)
    return fields


# --------------------------------------------------------------------------- validation


class Invalid(KioskError):
    """Several refusals at once, one per field: a form shows each on its field."""

    def __init__(self, errors: dict[str, KioskError]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first.en, first.hi, field=first.field)
        self.errors = errors


def _collapse(value: Any) -> str:
    return " ".join(str(value or "").split())


def clean_pan(value: Any) -> str:
    """A PAN in capitals (10 characters: 5 letters, 4 digits, a letter; the 4th
    letter a known kind of holder), or a refusal."""
    number = re.sub(r"\s", "", str(value or "")).upper()
    try:
        return stdnum_pan.validate(number)
    except StdnumError:
        raise KioskError(
            "Enter a valid PAN: 5 letters, 4 digits and a letter, e.g. ABCPE1234F.",
            "मान्य पैन लिखें: 5 अक्षर, 4 अंक और एक अक्षर, जैसे ABCPE1234F।",
            field="pan",
        ) from None


def clean_aadhaar(value: Any) -> str:
    """The 12 digits of a valid Aadhaar number (length, format, Verhoeff check digit)."""
    try:
        return accounts.clean_aadhaar(str(value or "").strip())
    except ValidationError:
        raise KioskError(
            "Enter a valid 12-digit Aadhaar number.",
            "मान्य 12 अंकों का आधार नंबर लिखें।",
            field="aadhaar",
        ) from None


IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
ACCOUNT_RE = re.compile(r"^[0-9]{9,18}$")


def clean_ifsc(value: Any) -> str:
    code = re.sub(r"\s", "", str(value or "")).upper()
    if not IFSC_RE.match(code):
        raise KioskError(
            "Enter the IFSC: 11 characters, 4 letters, a zero, then 6 letters or digits "
            "(e.g. SBIN0001234).",
            "IFSC लिखें: 11 अक्षर — 4 अक्षर, एक शून्य, फिर 6 अक्षर या अंक (जैसे SBIN0001234)।",
            field="bank_ifsc",
        )
    return code


def clean_account_number(value: Any) -> str:
    number = re.sub(r"[\s-]", "", str(value or ""))
    if not ACCOUNT_RE.match(number):
        raise KioskError(
            "Enter the bank account number: 9 to 18 digits.",
            "बैंक खाता नंबर लिखें: 9 से 18 अंक।",
            field="bank_account_number",
        )
    return number


def clean_mobile(value: Any, field: str = "owner_mobile") -> str:
    mobile = indian_mobile(value)
    if mobile is None:
        raise KioskError(
            "Enter a 10-digit Indian mobile number starting with 6, 7, 8 or 9.",
            "6, 7, 8 या 9 से शुरू होने वाला 10 अंकों का भारतीय मोबाइल नंबर लिखें।",
            field=field,
        )
    return mobile


def kiosk_services() -> list[Any]:
    """Live services a citizen can apply for at a kiosk, by English name."""
    return [
        service
        for service in catalog_selectors.live_services().order_by("name_en")
        if "kiosk" in (service.current_version.channels or [])
    ]


_LATITUDE = (Decimal("6"), Decimal("38"))  # India's extent, generously
_LONGITUDE = (Decimal("68"), Decimal("98"))
_PLACES = Decimal("0.000001")


def _coordinate(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal("NaN")
    return number


def _unit(value: Any) -> AdminUnit | None:
    """A unit given as itself, its id or its code."""
    if value in (None, ""):
        return None
    if isinstance(value, AdminUnit):
        return value
    if str(value).isdigit():
        return AdminUnit.objects.filter(pk=int(value)).first()
    return geo_selectors.unit_by_code(str(value))


def _required_text(
    data: dict[str, Any],
    errors: dict[str, KioskError],
    name: str,
    max_length: int,
    en: str,
    hi: str,
    *,
    required: bool = True,
) -> str:
    value = _collapse(data.get(name))
    if required and not value:
        errors[name] = KioskError(en, hi, field=name)
    elif len(value) > max_length:
        errors[name] = KioskError(
            f"Write at most {max_length} characters.",
            f"अधिकतम {max_length} अक्षर लिखें।",
            field=name,
        )
    return value


def check_application(
    data: dict[str, Any], *, aadhaar_required: bool = True
) -> tuple[dict[str, Any], dict[str, KioskError]]:
    """Check an application's fields (as the form gives them: ``district`` and
    ``tehsil`` as units, ``aadhaar`` the number typed). Returns the clean values
    and the refusals by field; nothing is written."""
    errors: dict[str, KioskError] = {}
    clean: dict[str, Any] = {}

    def attempt(name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except KioskError as exc:
            errors[name] = KioskError(exc.en, exc.hi, field=name)
            return ""

    kind = str(data.get("kind") or "")
    if kind not in Kind.values:
        errors["kind"] = KioskError(
            "Choose the kind of kiosk.", "कियोस्क का प्रकार चुनें।", field="kind"
        )
    clean["kind"] = kind
    clean["business_name"] = _required_text(
        data,
        errors,
        "business_name",
        150,
        "Enter the name of the business (as on the shop's board).",
        "व्यवसाय का नाम लिखें (जैसा दुकान के बोर्ड पर है)।",
    )
    clean["owner_name"] = _required_text(
        data, errors, "owner_name", 150, "Enter the owner's name.", "स्वामी का नाम लिखें।"
    )
    clean["owner_mobile"] = attempt("owner_mobile", clean_mobile, data.get("owner_mobile"))
    email = str(data.get("owner_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["owner_email"] = KioskError(
                "Enter a valid email address, or leave it blank.",
                "मान्य ईमेल पता लिखें, या इसे ख़ाली छोड़ दें।",
                field="owner_email",
            )
        if len(email) > 254:
            errors["owner_email"] = KioskError(
                "The email address is too long.", "ईमेल पता बहुत लंबा है।", field="owner_email"
            )
    clean["owner_email"] = email
    clean["pan"] = attempt("pan", clean_pan, data.get("pan"))
    raw_aadhaar = str(data.get("aadhaar") or "").strip()
    clean["aadhaar"] = ""
    if raw_aadhaar or aadhaar_required:
        clean["aadhaar"] = attempt("aadhaar", clean_aadhaar, raw_aadhaar)
    clean["bank_account_name"] = _required_text(
        data,
        errors,
        "bank_account_name",
        150,
        "Enter the name of the bank account holder.",
        "बैंक खाताधारक का नाम लिखें।",
    )
    clean["bank_account_number"] = attempt(
        "bank_account_number", clean_account_number, data.get("bank_account_number")
    )
    clean["bank_ifsc"] = attempt("bank_ifsc", clean_ifsc, data.get("bank_ifsc"))
    clean["shop_registration"] = _required_text(
        data,
        errors,
        "shop_registration",
        60,
        "Enter the shop registration (Gumasta) number.",
        "दुकान पंजीयन (गुमास्ता) क्रमांक लिखें।",
    )

    district = _unit(data.get("district"))
    if district is None or district.kind != AdminUnit.Kind.DISTRICT or not district.active:
        errors["district"] = KioskError(
            "Choose the district from the list.", "सूची से ज़िला चुनें।", field="district"
        )
        district = None
    tehsil = _unit(data.get("tehsil"))
    if data.get("tehsil") and (tehsil is None or tehsil.kind != AdminUnit.Kind.TEHSIL):
        errors["tehsil"] = KioskError(
            "Choose the tehsil from the list.", "सूची से तहसील चुनें।", field="tehsil"
        )
        tehsil = None
    if tehsil is not None and district is not None and tehsil.parent_id != district.pk:
        errors["tehsil"] = KioskError(
            "This tehsil is not in the chosen district.",
            "यह तहसील चुने गए ज़िले में नहीं है।",
            field="tehsil",
        )
    clean["district"], clean["tehsil"] = district, tehsil
    clean["address"] = _required_text(
        data,
        errors,
        "address",
        300,
        "Enter the kiosk's address.",
        "कियोस्क का पता लिखें।",
    )
    pin = re.sub(r"\s", "", str(data.get("pin_code") or ""))
    if not geo_selectors.is_pincode(pin):
        errors["pin_code"] = KioskError(
            "Enter the 6-digit PIN code.", "6 अंकों का पिन कोड लिखें।", field="pin_code"
        )
    elif district is not None and not geo_selectors.pin_in_district(pin, district):
        errors["pin_code"] = KioskError(
            f"PIN code {pin} is not in {district.name_en} district.",
            f"पिन कोड {pin} {district.name('hi')} ज़िले में नहीं है।",
            field="pin_code",
        )
    clean["pin_code"] = pin

    latitude, longitude = _coordinate(data.get("latitude")), _coordinate(data.get("longitude"))
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        errors[missing] = KioskError(
            "Give both latitude and longitude, or neither.",
            "अक्षांश और देशांतर दोनों लिखें, या दोनों ख़ाली छोड़ें।",
            field=missing,
        )
    for name, value, (low, high) in (
        ("latitude", latitude, _LATITUDE),
        ("longitude", longitude, _LONGITUDE),
    ):
        if value is not None and (value.is_nan() or not low <= value <= high):
            errors[name] = KioskError(
                f"Enter a {name} in India, between {low} and {high} degrees.",
                f"भारत के भीतर का {'अक्षांश' if name == 'latitude' else 'देशांतर'} लिखें "
                f"({low} से {high} डिग्री के बीच)।",
                field=name,
            )
    clean["latitude"] = (
        latitude.quantize(_PLACES) if "latitude" not in errors and latitude else None
    )
    clean["longitude"] = (
        longitude.quantize(_PLACES) if "longitude" not in errors and longitude else None
    )
    clean["opening_hours_en"] = _required_text(
        data,
        errors,
        "opening_hours_en",
        120,
        "Enter the opening hours, e.g. Mon–Sat 09:00–19:00.",
        "खुलने का समय लिखें, जैसे Mon–Sat 09:00–19:00।",
    )
    clean["opening_hours_hi"] = _required_text(
        data, errors, "opening_hours_hi", 120, "", "", required=False
    )
    chosen = [str(code) for code in (data.get("services") or [])]
    offered = {service.code for service in kiosk_services()}
    if any(code not in offered for code in chosen):
        errors["services"] = KioskError(
            "Choose services from the list.", "सूची से सेवाएँ चुनें।", field="services"
        )
    clean["services"] = sorted(set(chosen))
    return clean, errors


def check_document(rule: DocumentRule, upload: Any) -> Any:
    """Check one KYC file by its content (``core.files.check_upload``)."""
    try:
        return check_upload(
            upload,
            allowed=set(rule.formats),
            max_bytes=rule.max_kb * 1024,
            min_dims=rule.min_dims,
        )
    except UploadRefused as exc:
        raise KioskError(exc.message_en, exc.message_hi, field=rule.field) from None


def _check_documents(
    documents: dict[str, Any], needed: list[DocumentRule], errors: dict[str, KioskError]
) -> dict[str, tuple[Any, Any]]:
    checked: dict[str, tuple[Any, Any]] = {}
    for rule in needed:
        upload = documents.get(rule.id) or documents.get(rule.field)
        if not upload:
            errors[rule.field] = KioskError(
                f"Upload the {rule.label_en} ({rule.formats_text}).",
                f"{rule.label_hi} अपलोड करें ({rule.formats_text})।",
                field=rule.field,
            )
            continue
        try:
            checked[rule.id] = (upload, check_document(rule, upload))
        except KioskError as exc:
            errors[rule.field] = exc
    return checked


def _store_document(application: KioskApplication, rule: DocumentRule, upload: Any, info: Any):
    upload.seek(0)
    data = upload.read()
    name = f"{secrets.token_hex(16)}.{_EXTENSIONS[info.kind]}"
    document = KioskApplicationDocument.objects.filter(
        application=application, document_id=rule.id
    ).first()
    old_name = document.file.name if document else ""
    if document is None:
        document = KioskApplicationDocument(application=application, document_id=rule.id)
    document.content_type = info.mime
    document.size = info.size
    document.sha256 = info.sha256
    document.uploaded_at = clock.now()
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    if old_name:
        storage = document.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return document


# --------------------------------------------------------------------------- money


def gst_on(paise: int) -> int:
    """18% of ``paise``, rounded half up to the paisa."""
    return (paise * GST_RATE_BP + 5_000) // 10_000


def fee_lines(application: KioskApplication | None = None) -> list[dict[str, Any]]:
    """The registration fee (fixed when the application was made) and GST on it."""
    base = application.fee_paise if application else settings.KIOSK_REGISTRATION_FEE_PAISE
    return [
        {
            "code": "registration",
            "label_en": "Kiosk registration fee",
            "label_hi": "कियोस्क पंजीयन शुल्क",
            "amount_paise": base,
            "rule": "KIOSK_REGISTRATION_FEE_PAISE",
        },
        {
            "code": "gst",
            "label_en": "GST at 18%",
            "label_hi": "जीएसटी 18%",
            "amount_paise": gst_on(base),
            "rule": "gst 18% of the registration fee",
        },
    ]


def fee_total(application: KioskApplication | None = None) -> int:
    return sum(line["amount_paise"] for line in fee_lines(application))


def _fee_credits(payment: Payment) -> list[purposes.Credit]:
    accounts_by_line = {"registration": "operator_revenue", "gst": "gst_payable"}
    return [
        (accounts_by_line[line["code"]], "", int(line["amount_paise"]))
        for line in payment.lines
        if line["amount_paise"]
    ]


def _fee_usable(payment: Payment) -> purposes.Refusal | None:
    application = KioskApplication.objects.filter(reference=payment.target).first()
    if application is None:
        return purposes.Refusal("No such kiosk application.", "ऐसा कोई कियोस्क आवेदन नहीं है।")
    if application.status != Status.FEE_PENDING:
        return purposes.Refusal(
            f"Kiosk application {application.reference} no longer takes its fee "
            f"(it is {status_text(application.status, 'en').lower()}).",
            f"कियोस्क आवेदन {application.reference} अब शुल्क नहीं ले सकता "
            f"({status_text(application.status, 'hi')})।",
        )
    return None


def _fee_paid(payment: Payment) -> None:
    """The fee is in (inside the payment's transaction): on to review."""
    application = KioskApplication.objects.select_for_update().get(reference=payment.target)
    now = clock.now()
    application.paid_at = now
    application.fee_payment = payment.reference
    application.status = Status.UNDER_REVIEW
    application.updated_at = now
    application.save(update_fields=["paid_at", "fee_payment", "status", "updated_at"])
    _event(application, Status.UNDER_REVIEW, actor=payment.payer)
    audit.record(
        "kiosks.application.fee_paid",
        actor=payment.payer,
        obj=application,
        after={"payment": payment.reference, "amount": payment.amount},
    )
    _tell(application, PAID_TEMPLATE, {"amount": format_inr(payment.amount)}, "paid")


def _fee_link(payment: Payment) -> str:
    return reverse("kiosks:application", args=[payment.target])


def start_fee_payment(
    application: KioskApplication, *, idempotency_key: str, actor: Any, gateway: str | None = None
) -> Payment:
    """The payment of the registration fee (the same key returns the same payment)."""
    if getattr(actor, "pk", None) != application.applicant_id:
        raise KioskError("No such application.", "ऐसा कोई आवेदन नहीं है।")
    if application.status != Status.FEE_PENDING:
        if application.paid_at:
            raise KioskError(
                "The registration fee of this application has already been paid.",
                "इस आवेदन का पंजीयन शुल्क पहले ही जमा हो चुका है।",
            )
        raise KioskError(
            "This application takes no payment now.", "इस आवेदन पर अभी कोई भुगतान नहीं होता।"
        )
    if not idempotency_key:
        raise KioskError("A request key is required.", "अनुरोध कुंजी आवश्यक है।")
    reference = application.reference
    return payments.create_payment(
        purpose=FEE_PURPOSE,
        target=reference,
        lines=fee_lines(application),
        description_en=f"Kiosk registration fee — {reference}",
        description_hi=f"कियोस्क पंजीयन शुल्क — {reference}",
        idempotency_key=f"kiosk-app:{reference}:{idempotency_key}",
        gateway=gateway,
        district_code=application.district.code.removeprefix("district:"),
        payer=application.applicant,
        payer_name=application.owner_name,
        payer_mobile=application.applicant.mobile,
        payer_email=application.owner_email,
        actor=actor,
    )


def payments_of(application: KioskApplication) -> QuerySet[Payment]:
    return Payment.objects.filter(purpose=FEE_PURPOSE, target=application.reference).order_by(
        "-created_at", "-pk"
    )


# --------------------------------------------------------------------------- messages


def _language_of(user: Any) -> str:
    return "hi" if getattr(user, "preferred_language", "en") == "hi" else "en"


def application_url(application: KioskApplication, language: str) -> str:
    with translation.override(language):
        path = reverse("kiosks:application", args=[application.reference])
    return f"{settings.PUBLIC_BASE_URL}{path}"


def _tell(application: KioskApplication, template: str, params: dict[str, Any], step: str) -> None:
    """An SMS to the applicant about their application (once per step and event)."""
    language = _language_of(application.applicant)
    mobile = application.applicant.mobile or application.owner_mobile
    if not mobile:
        return
    count = application.events.count()
    queue_message(
        channel="sms",
        template=template,
        recipient=mobile,
        params={
            "reference": application.reference,
            "link": application_url(application, language),
            **params,
        },
        language=language,
        user_id=application.applicant_id,
        dedupe_key=f"kiosks.application:{application.reference}:{step}:{count}",
    )


def _event(
    application: KioskApplication, to_status: str, *, actor: Any, reason: str = ""
) -> KioskApplicationEvent:
    return KioskApplicationEvent.objects.create(
        application=application,
        at=clock.now(),
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )


def _snapshot(application: KioskApplication) -> dict[str, Any]:
    """What the audit log keeps of an application: never the Aadhaar number
    (only its last four digits) and the bank account only masked."""
    return {
        "reference": application.reference,
        "status": application.status,
        "kind": application.kind,
        "business_name": application.business_name,
        "owner_name": application.owner_name,
        "owner_mobile": accounts.mask_mobile(application.owner_mobile),
        "pan": stdnum_pan.mask(application.pan) if application.pan else "",
        "aadhaar": f"XXXX XXXX {application.aadhaar_last4}" if application.aadhaar_last4 else "",
        "bank_account": application.bank_account_masked,
        "bank_ifsc": application.bank_ifsc,
        "district_id": application.district_id,
        "tehsil_id": application.tehsil_id,
        "pin_code": application.pin_code,
        "services": list(application.services or []),
    }


# --------------------------------------------------------------------------- submit


def _coordinates_from_pin(pin: str) -> tuple[Decimal | None, Decimal | None]:
    office = geo_selectors.offices_for_pin(pin).exclude(latitude=None).exclude(longitude=None)
    first = office.first()
    if first is None:
        return None, None
    return first.latitude, first.longitude


def _apply_values(application: KioskApplication, clean: dict[str, Any], fields: list[str]) -> None:
    for name in fields:
        if name == "aadhaar":
            number = clean["aadhaar"]
            application.aadhaar_token = accounts.aadhaar_token(number)
            application.aadhaar_last4 = number[-4:]
        elif name in clean:
            setattr(application, name, clean[name])
    located = "pin_code" in fields or "latitude" in fields
    if located and (application.latitude is None or application.longitude is None):
        application.latitude, application.longitude = _coordinates_from_pin(application.pin_code)


APPLICATION_FIELDS = [
    "kind",
    "business_name",
    "owner_name",
    "owner_mobile",
    "owner_email",
    "pan",
    "aadhaar",
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


def open_application_of(applicant: Any) -> KioskApplication | None:
    return (
        KioskApplication.objects.filter(applicant_id=applicant.pk, status__in=OPEN_STATUSES)
        .order_by("-pk")
        .first()
    )


def _check_duplicates(
    clean: dict[str, Any], errors: dict[str, KioskError], *, exclude: int | None = None
) -> None:
    """One open application per Aadhaar number and per PAN."""
    others = KioskApplication.objects.filter(status__in=OPEN_STATUSES)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if clean.get("aadhaar") and "aadhaar" not in errors:
        token = accounts.aadhaar_token(clean["aadhaar"])
        if others.filter(aadhaar_token=token).exists():
            errors["aadhaar"] = KioskError(
                "An application with this Aadhaar number is already being processed.",
                "इस आधार नंबर से एक आवेदन पहले से प्रक्रिया में है।",
                field="aadhaar",
            )
    if clean.get("pan") and "pan" not in errors and others.filter(pan=clean["pan"]).exists():
        errors["pan"] = KioskError(
            "An application with this PAN is already being processed.",
            "इस पैन से एक आवेदन पहले से प्रक्रिया में है।",
            field="pan",
        )


def submit(applicant: Any, data: dict[str, Any], documents: dict[str, Any]) -> KioskApplication:
    """Make an application to run a kiosk: checked field by field (all refusals
    at once, as ``Invalid``), its KYC files checked by content and kept, a
    reference ``KA<yy><nnnnnn><check>`` issued; it then waits for its fee."""
    if not people.is_citizen(applicant):
        raise KioskError(
            "Sign in with your mobile number (as a citizen) to apply.",
            "आवेदन करने के लिए अपने मोबाइल नंबर से (नागरिक के रूप में) साइन इन करें।",
        )
    existing = open_application_of(applicant)
    if existing is not None:
        raise KioskError(
            f"You already have an application in progress: {existing.reference}.",
            f"आपका एक आवेदन पहले से प्रक्रिया में है: {existing.reference}।",
        )
    clean, errors = check_application(data)
    _check_duplicates(clean, errors)
    checked = _check_documents(documents, list(DOCUMENTS), errors)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        now = clock.now()
        application = KioskApplication(
            applicant=applicant,
            status=Status.FEE_PENDING,
            fee_paise=settings.KIOSK_REGISTRATION_FEE_PAISE,
            created_at=now,
            updated_at=now,
        )
        _apply_values(application, clean, APPLICATION_FIELDS)
        application.reference = ids.issue(f"{REFERENCE_LETTERS}{clock.local_now():%y}", width=6)
        application.save(force_insert=True)
        for rule in DOCUMENTS:
            upload, info = checked[rule.id]
            _store_document(application, rule, upload, info)
        _event(application, Status.FEE_PENDING, actor=applicant)
        audit.record(
            "kiosks.application.submitted",
            actor=applicant,
            obj=application,
            after=_snapshot(application),
        )
        _tell(
            application,
            SUBMITTED_TEMPLATE,
            {"amount": format_inr(fee_total(application))},
            "submitted",
        )
    return application


# --------------------------------------------------------------------------- who sees, who decides


def may_view(user: Any, application: KioskApplication) -> bool:
    """The applicant, and the reviewers of its district (``hooks.REVIEW``)."""
    return can(user, REVIEW, application)


def may_review(user: Any, application: KioskApplication) -> bool:
    """Reviewers only: ``REVIEW`` asked of the application's district alone, so
    that the rule's owner clause (the applicant may view) never lets anyone decide."""
    return can(user, REVIEW, Scope(admin_unit=application.district_id))


def reviewer_districts(user: Any) -> QuerySet[AdminUnit] | None:
    """The districts whose applications ``user`` reviews: None for all (operator
    staff), else those under their district coordinator postings."""
    postings = people.postings_of(user)
    if any(p.role == Role.OPERATOR_STAFF for p in postings):
        return None
    units = [
        p.admin_unit_id
        for p in postings
        if p.role == Role.DISTRICT_COORDINATOR and p.admin_unit_id is not None
    ]
    return AdminUnit.objects.filter(
        Q(pk__in=units) | Q(parent_id__in=units), kind=AdminUnit.Kind.DISTRICT
    ).order_by("name_en")


def reviewable(
    user: Any, *, status: str = "", district: AdminUnit | None = None
) -> QuerySet[KioskApplication]:
    """The applications ``user`` reviews, newest first, optionally filtered."""
    if not can(user, REVIEW):
        return KioskApplication.objects.none()
    rows = KioskApplication.objects.select_related("district", "tehsil")
    districts = reviewer_districts(user)
    if districts is not None:
        rows = rows.filter(district__in=districts)
    if status:
        rows = rows.filter(status=status)
    if district is not None:
        rows = rows.filter(district=district)
    return rows.order_by("-created_at", "-pk")


def applications_of(applicant: Any) -> QuerySet[KioskApplication]:
    return KioskApplication.objects.filter(applicant_id=applicant.pk).order_by("-created_at", "-pk")


def _locked(application: KioskApplication) -> KioskApplication:
    return (
        KioskApplication.objects.select_for_update()
        .select_related("applicant", "district")
        .get(pk=application.pk)
    )


def _decision(application: KioskApplication, actor: Any) -> KioskApplication:
    """The application locked for a decision by ``actor``, or a refusal."""
    if not may_review(actor, application):
        raise KioskError(
            "You may not decide applications of this district.",
            "आप इस ज़िले के आवेदनों पर निर्णय नहीं ले सकते।",
        )
    locked = _locked(application)
    if locked.status in (Status.APPROVED, Status.REJECTED):
        raise KioskError(
            f"This application was already decided ({status_text(locked.status, 'en').lower()}).",
            f"इस आवेदन पर पहले ही निर्णय हो चुका है ({status_text(locked.status, 'hi')})।",
        )
    if locked.status != Status.UNDER_REVIEW:
        raise KioskError(
            "Only an application under review can be decided "
            f"(this one is {status_text(locked.status, 'en').lower()}).",
            "केवल जाँच में चल रहे आवेदन पर निर्णय हो सकता है "
            f"(यह आवेदन: {status_text(locked.status, 'hi')})।",
        )
    return locked


def _reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if not text:
        raise KioskError("Give the reason.", "कारण लिखें।", field="reason")
    if len(text) > 1000:
        raise KioskError(
            "Write the reason in at most 1000 characters.",
            "कारण अधिकतम 1000 अक्षरों में लिखें।",
            field="reason",
        )
    return text


def _decided(application: KioskApplication, status: str, actor: Any, reason: str = "") -> None:
    now = clock.now()
    application.status = status
    application.reviewed_by = actor
    application.reviewed_at = now
    application.updated_at = now
    if status != Status.APPROVED:
        application.review_reason = reason
    application.save()
    _event(application, status, actor=actor, reason=reason)


def approve(application: KioskApplication, *, actor: Any) -> KioskApplication:
    """Open the kiosk this application describes: its code, wallet, commission
    account and the owner's login (an SMS with the activation link goes to the
    owner's mobile); the applicant is told by SMS."""
    with transaction.atomic():
        application = _decision(application, actor)
        before = application.status
        kiosk = services.open_kiosk(application, actor=actor)
        application.kiosk = kiosk
        application.fix_fields = []
        _decided(application, Status.APPROVED, actor)
        audit.record(
            "kiosks.application.approved",
            actor=actor,
            obj=application,
            before={"status": before},
            after={"status": application.status, "kiosk": kiosk.code},
        )
        _tell(
            application,
            APPROVED_TEMPLATE,
            {"kiosk": kiosk.code, "mobile": accounts.mask_mobile(application.owner_mobile)},
            "approved",
        )
    return application


def return_for_correction(
    application: KioskApplication, *, actor: Any, reason: str, fields: list[str]
) -> KioskApplication:
    """Send the application back to the applicant to fix ``fields`` (keys of
    ``FIX_ITEMS``), with the reason; the applicant is told by SMS."""
    with transaction.atomic():
        application = _decision(application, actor)
        reason = _reason(reason)
        keys = [key for key in dict.fromkeys(fields or []) if key]
        if not keys:
            raise KioskError(
                "Choose what the applicant must fix.",
                "चुनें कि आवेदक को क्या सुधारना है।",
                field="fields",
            )
        unknown = [key for key in keys if key not in FIX_BY_KEY]
        if unknown:
            raise KioskError(
                "Choose what to fix from the list.", "सूची से चुनें कि क्या सुधारना है।", field="fields"
            )
        application.fix_fields = keys
        _decided(application, Status.RETURNED, actor, reason)
        audit.record(
            "kiosks.application.returned",
            actor=actor,
            obj=application,
            before={"status": Status.UNDER_REVIEW},
            after={"status": application.status, "reason": reason, "fix": keys},
        )
        _tell(application, RETURNED_TEMPLATE, {"reason": reason[:300]}, "returned")
    return application


def reject(application: KioskApplication, *, actor: Any, reason: str) -> KioskApplication:
    """Refuse the application, with the reason; the applicant is told by SMS."""
    with transaction.atomic():
        application = _decision(application, actor)
        reason = _reason(reason)
        application.fix_fields = []
        _decided(application, Status.REJECTED, actor, reason)
        audit.record(
            "kiosks.application.rejected",
            actor=actor,
            obj=application,
            before={"status": Status.UNDER_REVIEW},
            after={"status": application.status, "reason": reason},
        )
        _tell(application, REJECTED_TEMPLATE, {"reason": reason[:300]}, "rejected")
    return application


def current_values(application: KioskApplication) -> dict[str, Any]:
    """The application's fields as the form holds them (no Aadhaar: never kept)."""
    values = {name: getattr(application, name) for name in APPLICATION_FIELDS if name != "aadhaar"}
    values["aadhaar"] = ""
    return values


def resubmit(
    application: KioskApplication, data: dict[str, Any], documents: dict[str, Any], *, actor: Any
) -> KioskApplication:
    """The applicant's corrections to a returned application: only the fields the
    reviewer named change (with new files for the documents named); the rest is
    kept. The application goes back to review."""
    if getattr(actor, "pk", None) != application.applicant_id:
        raise KioskError("No such application.", "ऐसा कोई आवेदन नहीं है।")
    with transaction.atomic():
        application = _locked(application)
        if application.status != Status.RETURNED:
            raise KioskError(
                "This application is not waiting for corrections.",
                "यह आवेदन सुधार के लिए प्रतीक्षा में नहीं है।",
            )
        allowed = fix_fields_of(application)
        merged = current_values(application)
        for name in allowed:
            if name.startswith("doc_"):
                continue
            merged[name] = data.get(name)
        clean, errors = check_application(merged, aadhaar_required="aadhaar" in allowed)
        _check_duplicates(clean, errors, exclude=application.pk)
        needed = [rule for rule in DOCUMENTS if rule.field in allowed]
        checked = _check_documents(documents, needed, errors)
        # The fields not named were accepted at review: only those named are judged.
        errors = {name: error for name, error in errors.items() if name in allowed}
        if errors:
            raise Invalid(errors)
        before = _snapshot(application)
        _apply_values(application, clean, [f for f in allowed if not f.startswith("doc_")])
        for rule in needed:
            upload, info = checked[rule.id]
            _store_document(application, rule, upload, info)
        fixed = list(application.fix_fields)
        application.status = Status.UNDER_REVIEW
        application.fix_fields = []
        application.updated_at = clock.now()
        application.save()
        _event(application, Status.UNDER_REVIEW, actor=actor)
        audit.record(
            "kiosks.application.resubmitted",
            actor=actor,
            obj=application,
            before=before,
            after={**_snapshot(application), "fixed": fixed},
        )
    return application


def document_of(application: KioskApplication, document_id: str) -> KioskApplicationDocument | None:
    return KioskApplicationDocument.objects.filter(
        application=application, document_id=document_id
    ).first()


# --------------------------------------------------------------------------- activation


def activation_device(operator: KioskOperator) -> TOTPDevice:
    """The login's authenticator (made with the login, confirmed on activation)."""
    device = TOTPDevice.objects.filter(user=operator.user).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=operator.user, name="authenticator", confirmed=True)
    return device


def setup_key(device: TOTPDevice) -> str:
    """The authenticator key as people type it (base32, in groups of four)."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _password_refusal(password: str, user: Any) -> KioskError | None:
    """Django's password validators' verdict, in English and Hindi."""
    texts: dict[str, str] = {}
    for language in ("en", "hi"):
        with translation.override(language):
            try:
                validate_password(password, user)
            except ValidationError as exc:
                texts[language] = " ".join(str(message) for message in exc.messages)
    if not texts:
        return None
    return KioskError(texts["en"], texts.get("hi", texts["en"]), field="password")


def _link_gone() -> KioskError:
    return KioskError(
        "This activation link has expired or was already used.",
        "यह सक्रियण लिंक समाप्त हो चुका है या पहले ही उपयोग हो चुका है।",
    )


def activate(token: str, *, password: str, password_again: str, code: str) -> KioskOperator:
    """The person behind a login sets their password and confirms their
    authenticator app with a current code; the link then stops working.

    The code is checked outside the transaction, so that django-otp's count of
    wrong codes (which slows guessing down) is kept even when this call refuses."""
    operator = services.operator_for_activation(token)
    if operator is None:
        raise _link_gone()
    errors: dict[str, KioskError] = {}
    if not password:
        errors["password"] = KioskError("Choose a password.", "पासवर्ड चुनें।", field="password")
    elif password != password_again:
        errors["password_again"] = KioskError(
            "The two passwords are not the same.",
            "दोनों पासवर्ड एक जैसे नहीं हैं।",
            field="password_again",
        )
    else:
        refusal = _password_refusal(password, operator.user)
        if refusal is not None:
            errors["password"] = refusal
    if errors:
        raise Invalid(errors)
    device = activation_device(operator)
    typed = re.sub(r"\s", "", str(code or ""))
    if not typed or verify_token(operator.user, device.persistent_id, typed) is None:
        raise Invalid(
            {
                "code": KioskError(
                    "The code from the authenticator app is not correct. Type the code it "
                    "shows now.",
                    "ऑथेंटिकेटर ऐप का कोड सही नहीं है। ऐप में अभी दिख रहा कोड लिखें।",
                    field="code",
                )
            }
        )
    with transaction.atomic():
        operator = (
            KioskOperator.objects.select_for_update()
            .select_related("user", "kiosk")
            .get(pk=operator.pk)
        )
        if operator.activated_at is not None or not operator.activation_hash or not operator.active:
            raise _link_gone()
        user = operator.user
        user.set_password(password)
        user.save(update_fields=["password"])
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        operator.activated_at = clock.now()
        operator.activation_hash = ""
        operator.activation_expires_at = None
        operator.save(update_fields=["activated_at", "activation_hash", "activation_expires_at"])
        audit.record(
            "kiosks.login.activated",
            actor=user,
            obj=operator.kiosk,
            after={"username": user.username, "role": operator.role},
        )
    return operator


# --------------------------------------------------------------------- the franchisee's logins


def logins_of(kiosk: Kiosk) -> QuerySet[KioskOperator]:
    return (
        KioskOperator.objects.filter(kiosk=kiosk)
        .select_related("user")
        .order_by("-active", "role", "name", "pk")
    )


def _franchisee_kiosk(actor: Any, *, active: bool) -> Kiosk:
    kiosk = services.require_kiosk(actor, active=active, franchisee=True)
    if active and not can(actor, OWN, kiosk):
        raise KioskError(
            "Only the kiosk's owner (franchisee) can do this.",
            "यह केवल कियोस्क के स्वामी (फ़्रैंचाइज़ी) कर सकते हैं।",
        )
    return kiosk


def _login_for(actor: Any, login_id: int, *, active: bool) -> KioskOperator:
    """A login ``actor`` may manage: one of their own kiosk's (the franchisee),
    or any kiosk's they govern (district coordinator, operator staff)."""
    login = KioskOperator.objects.select_related("kiosk", "user").filter(pk=login_id).first()
    if login is None:
        raise KioskError("No such login.", "ऐसा कोई लॉगिन नहीं है।")
    mine = services.operator_of(actor)
    if mine is not None and mine.role == KioskOperator.Role.FRANCHISEE:
        kiosk = _franchisee_kiosk(actor, active=active)
        if login.kiosk_id != kiosk.pk:
            raise KioskError("No such login at your kiosk.", "आपके कियोस्क पर ऐसा कोई लॉगिन नहीं है।")
        return login
    if can(actor, GOVERN, login.kiosk):
        if active:
            services.require_active(login.kiosk)
        return login
    if mine is not None:
        raise KioskError(
            "Only the kiosk's owner (franchisee) can do this.",
            "यह केवल कियोस्क के स्वामी (फ़्रैंचाइज़ी) कर सकते हैं।",
        )
    raise KioskError("No such login.", "ऐसा कोई लॉगिन नहीं है।")


def add_operator(actor: Any, *, name: str, mobile: str, language: str = "hi") -> KioskOperator:
    """A new operator login at the franchisee's kiosk (an SMS with the activation
    link goes to ``mobile``). Refused for a kiosk that is not active."""
    kiosk = _franchisee_kiosk(actor, active=True)
    name = _collapse(name)
    errors: dict[str, KioskError] = {}
    if not name:
        errors["name"] = KioskError("Enter the person's name.", "व्यक्ति का नाम लिखें।", field="name")
    elif len(name) > 150:
        errors["name"] = KioskError(
            "Write at most 150 characters.", "अधिकतम 150 अक्षर लिखें।", field="name"
        )
    try:
        mobile = clean_mobile(mobile, field="mobile")
    except KioskError as exc:
        errors["mobile"] = exc
    else:
        if KioskOperator.objects.filter(kiosk=kiosk, mobile=mobile, active=True).exists():
            errors["mobile"] = KioskError(
                "Someone at your kiosk already has a login with this mobile number.",
                "आपके कियोस्क पर इस मोबाइल नंबर से पहले से एक लॉगिन है।",
                field="mobile",
            )
    if errors:
        raise Invalid(errors)
    return services.create_login(
        kiosk,
        role=KioskOperator.Role.OPERATOR,
        name=name,
        mobile=mobile,
        actor=actor,
        language=language,
    )


def deactivate_login(actor: Any, login_id: int) -> KioskOperator:
    """Stop a login: it may no longer sign in or act (its kiosk posting ends
    yesterday, so it no longer counts today). The owner's own login is not
    stopped this way (operator staff suspend or close the kiosk instead)."""
    with transaction.atomic():
        login = _login_for(actor, login_id, active=False)
        login = (
            KioskOperator.objects.select_for_update()
            .select_related("kiosk", "user")
            .get(pk=login.pk)
        )
        if login.role == KioskOperator.Role.FRANCHISEE:
            raise KioskError(
                "The owner's login cannot be deactivated here.",
                "स्वामी का लॉगिन यहाँ से निष्क्रिय नहीं किया जा सकता।",
            )
        if not login.active:
            raise KioskError("This login is already deactivated.", "यह लॉगिन पहले ही निष्क्रिय है।")
        yesterday = clock.today() - dt.timedelta(days=1)
        ended = (
            Posting.objects.filter(user_id=login.user_id, kiosk_code=login.kiosk.code)
            .filter(Q(ends__isnull=True) | Q(ends__gt=yesterday))
            .update(ends=yesterday)
        )
        login.active = False
        login.activation_hash = ""
        login.activation_expires_at = None
        login.save(update_fields=["active", "activation_hash", "activation_expires_at"])
        people.forget_postings(login.user)
        audit.record(
            "kiosks.login.deactivated",
            actor=actor,
            obj=login.kiosk,
            before={"username": login.user.username, "active": True},
            after={"username": login.user.username, "active": False, "postings_ended": ended},
        )
    return login


def resend_activation(actor: Any, login_id: int, *, language: str = "hi") -> KioskOperator:
    """A new activation link for a login not yet activated: the old link stops
    working, the authenticator gets a new key, and an SMS goes to the login's mobile."""
    with transaction.atomic():
        login = _login_for(actor, login_id, active=True)
        login = (
            KioskOperator.objects.select_for_update()
            .select_related("kiosk", "user")
            .get(pk=login.pk)
        )
        if not login.active:
            raise KioskError("This login is deactivated.", "यह लॉगिन निष्क्रिय है।")
        if login.activated_at is not None:
            raise KioskError("This login is already activated.", "यह लॉगिन पहले ही सक्रिय हो चुका है।")
        device = activation_device(login)
        device.key = default_key()
        device.save(update_fields=["key"])
        services.send_activation(login, language=language)
        audit.record(
            "kiosks.login.link_resent",
            actor=actor,
            obj=login.kiosk,
            after={"username": login.user.username, "mobile": accounts.mask_mobile(login.mobile)},
        )
    return login


# --------------------------------------------------------------------------- register


def register() -> None:
    """Purposes, rules and templates of this area."""
    purposes.register(
        purposes.Purpose(
            kind=FEE_PURPOSE,
            label_en="Kiosk registration fee",
            label_hi="कियोस्क पंजीयन शुल्क",
            once_per_target=True,
            usable=_fee_usable,
            fulfil=_fee_paid,
            credits=_fee_credits,
            link=_fee_link,
        )
    )
    _templates()


def _templates() -> None:
    templates.register(
        SUBMITTED_TEMPLATE,
        sms={
            "en": "ekseva: your application {reference} to run a kiosk is saved. Pay the "
            "registration fee of {amount} to send it for review: {link}",
            "hi": "ई-सेवा: कियोस्क चलाने का आपका आवेदन {reference} सहेजा गया। जाँच के लिए भेजने हेतु "
            "{amount} पंजीयन शुल्क जमा करें: {link}",
        },
    )
    templates.register(
        PAID_TEMPLATE,
        sms={
            "en": "ekseva: fee of {amount} received for kiosk application {reference}. It is "
            "now under review; we will send an SMS when it is decided. {link}",
            "hi": "ई-सेवा: कियोस्क आवेदन {reference} का {amount} शुल्क प्राप्त हुआ। अब इसकी जाँच "
            "हो रही है; निर्णय होने पर SMS भेजा जाएगा। {link}",
        },
    )
    templates.register(
        RETURNED_TEMPLATE,
        sms={
            "en": "ekseva: kiosk application {reference} is returned for correction: {reason}. "
            "Correct it and send it again at {link}",
            "hi": "ई-सेवा: कियोस्क आवेदन {reference} सुधार के लिए लौटाया गया: {reason}। "
            "इसे सुधारकर {link} पर फिर भेजें।",
        },
    )
    templates.register(
        REJECTED_TEMPLATE,
        sms={
            "en": "ekseva: kiosk application {reference} is rejected: {reason}. Details: {link}",
            "hi": "ई-सेवा: कियोस्क आवेदन {reference} अस्वीकृत हुआ: {reason}। विवरण: {link}",
        },
    )
    templates.register(
        APPROVED_TEMPLATE,
        sms={
            "en": "ekseva: kiosk application {reference} is approved. Your kiosk code is "
            "{kiosk}. The login link was sent by SMS to the owner's mobile {mobile}. {link}",
            "hi": "ई-सेवा: कियोस्क आवेदन {reference} स्वीकृत हुआ। आपका कियोस्क कोड {kiosk} है। "
            "लॉगिन लिंक स्वामी के मोबाइल {mobile} पर SMS से भेजा गया है। {link}",
        },
    )
