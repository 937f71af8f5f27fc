"""The signed payload in a certificate's QR code: its key fields and an Ed25519
signature by the issuing department, short enough for a QR code that a phone
reads off a printed page, checkable offline with the department's public key.

Format (all URL-safe, no escaping needed in a query string)::

    v1.<base64url(body)>.<base64url(signature)>

``body`` is the fields in a fixed order, UTF-8, one per line (a field may not
hold a line break or another control character, so the split is unambiguous)::

    number, department code, service code, issued (YYYYMMDD), valid until
    (YYYYMMDD or empty), key id, holder's name (English), holder's name (Hindi
    or empty)

The signature is Ed25519 over ``b"ekseva-certificate-v1\\n" + body`` (the prefix
keeps these signatures from being mistaken for any other use of the key). The
signed bytes are the bytes carried, so there is no canonicalisation to get
wrong: the verifier checks the signature over the body as received, then parses
it. A typical payload is about 210 characters (measured in
tests/certificates/test_signatures.py); the QR code carries the URL
``{PUBLIC_BASE_URL}/verify/?p=<payload>``.

Offline check, with only the department's public key (raw, base64url)::

    fields = qr.check_signature(payload, public_key)   # raises BadPayload

Online: ``verify_payload(payload)`` also finds the key and the certificate.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings

from . import keys
from .models import Certificate, SigningKey

VERSION = "v1"
DOMAIN = b"ekseva-certificate-v1\n"
MAX_PAYLOAD = 1500
SIGNATURE_CHARS = 86  # 64 bytes in base64url without padding
_PAYLOAD_RE = re.compile(r"^v1\.([A-Za-z0-9_-]{8,1400})\.([A-Za-z0-9_-]{86})$")
_DATE_RE = re.compile(r"^\d{8}$")
_BLANK = frozenset({"Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_ORDER = (
    "number",
    "department",
    "service",
    "issued",
    "valid_until",
    "key_id",
    "name_en",
    "name_hi",
)


class BadPayload(ValueError):
    """A payload that is malformed or whose signature does not verify; ``reason``
    is one of ``REASONS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Why a payload (or a certificate) does not verify, for people.
REASONS: dict[str, tuple[str, str]] = {
    "malformed": (
        "This is not a certificate code of this portal, or it was copied incompletely.",
        "यह इस पोर्टल का प्रमाण पत्र कोड नहीं है, या अधूरा कॉपी हुआ है।",
    ),
    "unknown_key": (
        "The certificate was not signed with a key of this portal.",
        "प्रमाण पत्र पर इस पोर्टल की किसी कुंजी से हस्ताक्षर नहीं हैं।",
    ),
    "wrong_department": (
        "The certificate was signed with another department's key.",
        "प्रमाण पत्र पर किसी अन्य विभाग की कुंजी से हस्ताक्षर हैं।",
    ),
    "bad_signature": (
        "The signature does not match: the certificate's details have been changed.",
        "हस्ताक्षर मेल नहीं खाते: प्रमाण पत्र का विवरण बदला गया है।",
    ),
    "unknown_certificate": (
        "No certificate with this number was issued.",
        "इस क्रमांक का कोई प्रमाण पत्र जारी नहीं हुआ।",
    ),
    "mismatch": (
        "The details do not match the certificate that was issued.",
        "विवरण जारी किए गए प्रमाण पत्र से मेल नहीं खाता।",
    ),
    "revoked": (
        "This certificate has been revoked.",
        "यह प्रमाण पत्र निरस्त कर दिया गया है।",
    ),
}


def reason_text(reason: str, language: str) -> str:
    en, hi = REASONS.get(reason, (reason, reason))
    return hi if language == "hi" else en


@dataclass(frozen=True)
class Fields:
    """The signed fields of a certificate (also kept in ``Certificate.fields``)."""

    number: str
    department: str
    service: str
    issued: dt.date
    valid_until: dt.date | None
    key_id: str
    name_en: str
    name_hi: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["issued"] = self.issued.isoformat()
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fields:
        until = data.get("valid_until")
        return cls(
            number=data["number"],
            department=data["department"],
            service=data["service"],
            issued=dt.date.fromisoformat(data["issued"]),
            valid_until=dt.date.fromisoformat(until) if until else None,
            key_id=data["key_id"],
            name_en=data.get("name_en", ""),
            name_hi=data.get("name_hi", ""),
        )


def clean_text(value: str) -> str:
    """A name as it is signed: NFC, single spaces, no control characters."""
    value = unicodedata.normalize("NFC", str(value or ""))
    # Line breaks, other controls and odd spaces become plain spaces; format
    # characters (ZWJ/ZWNJ, which Hindi spelling uses) stay.
    value = "".join(" " if unicodedata.category(c) in _BLANK else c for c in value)
    return " ".join(value.split())


def encode(fields: Fields) -> bytes:
    """The body: the fields in order, one per line (refused if a field holds a
    control character or the number/codes are empty)."""
    values = [
        fields.number,
        fields.department,
        fields.service,
        fields.issued.strftime("%Y%m%d"),
        fields.valid_until.strftime("%Y%m%d") if fields.valid_until else "",
        fields.key_id,
        fields.name_en,
        fields.name_hi,
    ]
    for value in values:
        if value != clean_text(value):
            raise ValueError(f"{value!r} is not clean text")
    if not all(values[:3]) or not values[5] or not values[6]:
        raise ValueError("number, department, service, key id and name are required")
    return "\n".join(values).encode("utf-8")


def _date(text: str) -> dt.date:
    if not _DATE_RE.match(text):
        raise BadPayload("malformed")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise BadPayload("malformed") from None


def decode(body: bytes) -> Fields:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("malformed") from None
    values = text.split("\n")
    if len(values) != len(_ORDER):
        raise BadPayload("malformed")
    number, department, service, issued, until, key_id, name_en, name_hi = values
    fields = Fields(
        number=number,
        department=department,
        service=service,
        issued=_date(issued),
        valid_until=_date(until) if until else None,
        key_id=key_id,
        name_en=name_en,
        name_hi=name_hi,
    )
    try:
        if encode(fields) != body:  # the one canonical form only
            raise BadPayload("malformed")
    except ValueError:
        raise BadPayload("malformed") from None
    return fields


def sign(fields: Fields, private: ed25519.Ed25519PrivateKey) -> str:
    """The payload for ``fields``, signed with ``private``."""
    body = encode(fields)
    signature = private.sign(DOMAIN + body)
    return f"{VERSION}.{keys.b64url(body)}.{keys.b64url(signature)}"


def split(payload: str) -> tuple[bytes, bytes]:
    """(body, signature) of a well-formed payload, or BadPayload("malformed")."""
    payload = (payload or "").strip()
    match = _PAYLOAD_RE.match(payload) if len(payload) <= MAX_PAYLOAD else None
    if match is None:
        raise BadPayload("malformed")
    try:
        return keys.unb64url(match[1]), keys.unb64url(match[2])
    except ValueError:
        raise BadPayload("malformed") from None


def peek(payload: str) -> Fields:
    """The fields of a well-formed payload, NOT verified (to find the key)."""
    body, _signature = split(payload)
    return decode(body)


def check_signature(payload: str, public_key: str | ed25519.Ed25519PublicKey) -> Fields:
    """Offline: the payload's fields if ``public_key`` (raw Ed25519, base64url, or
    a key object) signed it; BadPayload otherwise."""
    body, signature = split(payload)
    if isinstance(public_key, str):
        try:
            public_key = ed25519.Ed25519PublicKey.from_public_bytes(keys.unb64url(public_key))
        except ValueError:
            raise BadPayload("unknown_key") from None
    try:
        public_key.verify(signature, DOMAIN + body)
    except InvalidSignature:
        raise BadPayload("bad_signature") from None
    return decode(body)


def url(payload: str) -> str:
    """What the QR code holds: the public verification page with the payload."""
    return f"{settings.PUBLIC_BASE_URL}/verify/?p={payload}"


@dataclass(frozen=True)
class VerifiedPayload:
    """``ok`` only when the signature is the department's, the certificate exists,
    matches and is not revoked. ``fields`` are set whenever the signature is good
    (they are what the department signed); ``certificate`` whenever it was found
    (a revoked one too: its ``revoked_reason`` says why)."""

    ok: bool
    fields: Fields | None
    certificate: Certificate | None
    key: SigningKey | None
    reason: str = ""

    def message(self, language: str = "en") -> str:
        return reason_text(self.reason, language) if self.reason else ""


def verify_payload(payload: str) -> VerifiedPayload:
    """Check a QR payload against our keys and certificates."""
    try:
        claimed = peek(payload)
    except BadPayload as exc:
        return VerifiedPayload(False, None, None, None, exc.reason)
    key = keys.by_key_id(claimed.key_id)
    if key is None:
        return VerifiedPayload(False, None, None, None, "unknown_key")
    if key.department_code != claimed.department:
        return VerifiedPayload(False, None, None, key, "wrong_department")
    try:
        fields = check_signature(payload, key.public_key)
    except BadPayload as exc:
        return VerifiedPayload(False, None, None, key, exc.reason)
    certificate = (
        Certificate.objects.select_related("key", "application")
        .filter(number=fields.number)
        .first()
    )
    if certificate is None:
        return VerifiedPayload(False, fields, None, key, "unknown_certificate")
    if certificate.key_id != key.pk or certificate.fields != fields.as_json():
        return VerifiedPayload(False, fields, certificate, key, "mismatch")
    if certificate.is_revoked:
        return VerifiedPayload(False, fields, certificate, key, "revoked")
    return VerifiedPayload(True, fields, certificate, key, "")
