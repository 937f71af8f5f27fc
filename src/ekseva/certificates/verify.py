"""Is this certificate genuine? Three ways to ask, for the public verification
pages (web) and the ``ekseva certificates verify`` command:

    verify_number("CMP26REV0000012K")  -> Verdict(status, certificate, fields)
    verify_payload(payload_from_qr)    -> qr.VerifiedPayload(ok, fields, certificate, key, reason)
    verify_pdf(file_bytes)             -> PdfVerdict(ok, reason, certificate)

``status`` is "genuine", "revoked" or "unknown"; ``reason`` is a code with words
for people in both languages (``message(language)``). A revoked certificate is
never "ok"; its verdict still carries the certificate (``revoked_reason``,
``revoked_at``).

``verify_pdf`` checks the PAdES signature with pyHanko's validator, trusting
exactly the X.509 certificate of the one ``SigningKey`` that signed it (no
chains, no fetching): the signature must be intact and valid, cover the whole
file (or pyHanko's difference analysis must find no change after it), and the
key must be the one the certificate was issued with. The certificate is found by
the file's SHA-256 (the file as issued) or else by the number in its keywords
(the signed revision is untouched, only bytes outside it differ).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ekseva.core import clock, ids

from . import keys, pdf, qr, selectors
from .loops import outside_loop
from .models import Certificate, SigningKey
from .qr import VerifiedPayload, verify_payload
from .selectors import PublicView

__all__ = [
    "PdfVerdict",
    "Verdict",
    "VerifiedPayload",
    "verify_number",
    "verify_number_public",
    "verify_payload",
    "verify_pdf",
]

logger = logging.getLogger(__name__)

GENUINE, REVOKED, UNKNOWN = "genuine", "revoked", "unknown"
MAX_PDF_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Verdict:
    status: str  # genuine | revoked | unknown
    certificate: Certificate | None
    fields: qr.Fields | None

    @property
    def genuine(self) -> bool:
        return self.status == GENUINE


def verify_number(number: str) -> Verdict:
    """The certificate of this number, as issued (typing slips are forgiven:
    spaces, hyphens, lower case)."""
    number = ids.normalise(number or "")[:40]
    if not ids.is_valid(number):
        return Verdict(UNKNOWN, None, None)
    certificate = (
        Certificate.objects.select_related("key", "application", "application__service")
        .filter(number=number)
        .first()
    )
    if certificate is None:
        return Verdict(UNKNOWN, None, None)
    fields = qr.Fields.from_json(certificate.fields)
    return Verdict(REVOKED if certificate.is_revoked else GENUINE, certificate, fields)


def verify_number_public(number: str, language: str) -> tuple[str, PublicView | None]:
    """``verify_number`` for the public page: (status, what the page shows of the
    certificate), in one query reading only that."""
    number = ids.normalise(number or "")[:40]
    if not ids.is_valid(number):
        return UNKNOWN, None
    shown = selectors.public_by_number(number, language)
    if shown is None:
        return UNKNOWN, None
    return (REVOKED if shown.revoked_on is not None else GENUINE), shown


# Why a PDF does not verify, for people.
PDF_REASONS: dict[str, tuple[str, str]] = {
    "unreadable": (
        "This file is not a PDF that can be read.",
        "यह फ़ाइल पढ़ी जा सकने वाली PDF नहीं है।",
    ),
    "unsigned": (
        "This PDF carries no digital signature of this portal.",
        "इस PDF पर इस पोर्टल का कोई डिजिटल हस्ताक्षर नहीं है।",
    ),
    "unknown_signer": (
        "This PDF was not signed by a department of this portal.",
        "यह PDF इस पोर्टल के किसी विभाग द्वारा हस्ताक्षरित नहीं है।",
    ),
    "changed": (
        "The signature does not match the file: the PDF has been changed.",
        "हस्ताक्षर फ़ाइल से मेल नहीं खाते: PDF बदली गई है।",
    ),
    "bad_signature": (
        "The PDF's signature is not valid.",
        "PDF के हस्ताक्षर मान्य नहीं हैं।",
    ),
    "modified": (
        "The PDF was changed after it was signed.",
        "हस्ताक्षर के बाद PDF में बदलाव किया गया है।",
    ),
    "unknown_certificate": (
        "No certificate issued on this portal matches this PDF.",
        "इस पोर्टल पर जारी कोई प्रमाण पत्र इस PDF से मेल नहीं खाता।",
    ),
    "wrong_key": (
        "The PDF was not signed with the key its certificate was issued with.",
        "PDF पर उस कुंजी से हस्ताक्षर नहीं हैं जिससे प्रमाण पत्र जारी हुआ था।",
    ),
    "revoked": qr.REASONS["revoked"],
}


@dataclass(frozen=True)
class PdfVerdict:
    ok: bool
    reason: str
    certificate: Certificate | None

    def message(self, language: str = "en") -> str:
        en, hi = PDF_REASONS.get(self.reason, ("", ""))
        return hi if language == "hi" else en


def _signing_key_of(signer_cert: object) -> SigningKey | None:
    """Our key whose X.509 certificate is exactly the signer's, or None."""
    try:
        der = signer_cert.dump()  # type: ignore[attr-defined]
        public = x509.load_der_x509_certificate(der).public_key()
    except Exception:  # not a certificate we could have made
        return None
    if not isinstance(public, ed25519.Ed25519PublicKey):
        return None
    raw = keys.b64url(public.public_bytes_raw())
    for key in SigningKey.objects.filter(public_key=raw):
        if keys.asn1_certificate(key).dump() == der:
            return key
    return None


def verify_pdf(data: bytes) -> PdfVerdict:
    """Check a certificate PDF: our PAdES signature, untouched, by the key of the
    certificate it names, and that certificate not revoked."""
    if not data or len(data) > MAX_PDF_BYTES or not data.startswith(b"%PDF-"):
        return PdfVerdict(False, "unreadable", None)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = [s for s in reader.embedded_signatures if s.field_name == pdf.SIGNATURE_FIELD]
    except Exception:  # a damaged file is "unreadable", whatever broke
        return PdfVerdict(False, "unreadable", None)
    if len(signatures) != 1:
        return PdfVerdict(False, "unsigned", None)
    signature = signatures[0]
    try:
        key = _signing_key_of(signature.signer_cert)
    except Exception:  # a signature without a readable certificate
        return PdfVerdict(False, "unsigned", None)
    if key is None:
        return PdfVerdict(False, "unknown_signer", None)
    context = ValidationContext(
        trust_roots=[keys.asn1_certificate(key)],
        allow_fetching=False,
        moment=clock.now(),
    )
    try:
        status = outside_loop(validate_pdf_signature, signature, context)
    except Exception:  # pyHanko refuses malformed signatures by raising
        logger.info("PDF signature could not be validated", exc_info=True)
        return PdfVerdict(False, "bad_signature", None)
    if not status.intact:  # the signed bytes' digest no longer matches
        return PdfVerdict(False, "changed", None)
    if not status.valid:
        return PdfVerdict(False, "bad_signature", None)
    if not status.trusted:
        return PdfVerdict(False, "unknown_signer", None)
    untouched = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.modification_level == ModificationLevel.NONE
    )
    if not untouched:
        return PdfVerdict(False, "modified", None)
    digest = hashlib.sha256(data).hexdigest()
    certificate = Certificate.objects.filter(pdf_sha256=digest).first()
    if certificate is None:
        number = pdf.number_in(data)
        certificate = Certificate.objects.filter(number=number).first() if number else None
    if certificate is None:
        return PdfVerdict(False, "unknown_certificate", None)
    if certificate.key_id != key.pk:
        return PdfVerdict(False, "wrong_key", certificate)
    if certificate.is_revoked:
        return PdfVerdict(False, "revoked", certificate)
    return PdfVerdict(True, "", certificate)
