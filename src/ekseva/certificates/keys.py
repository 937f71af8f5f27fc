"""Department signing keys: an Ed25519 key pair per department, its self-issued
X.509 certificate (for the PAdES signature that PDF readers check) and the
private key encrypted at rest.

    key = current_key("REV")           # created on first use, race-safe
    private = private_key(key)         # cryptography Ed25519PrivateKey
    signer = pades_signer(key)         # pyHanko SimpleSigner for PdfSigner
    rotate_key("REV", actor=staff)     # retire the current key, make a new one

One key signs both signatures of a certificate: the PAdES signature (pyHanko
0.38 signs and validates Ed25519 through asn1crypto/cryptography: the CMS
signature mechanism is ``ed25519``, RFC 8419) and the compact signature in the
QR code. The X.509 certificate is self-issued (subject = issuer = the
department; O = the state's government) and valid for ten years; verification
trusts exactly the certificates of our own ``SigningKey`` rows, never a chain.

Encryption at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived with
HKDF-SHA256 from ``settings.CERTIFICATE_KEY_SECRET`` (or ``SECRET_KEY`` when
that is empty). The ciphertext is stored as ``fernet1:<token>``; losing the
secret loses the ability to sign, not to verify (public keys and certificates
are stored in the clear).

Rotation retires the current key (``retired_at``) and creates a new one; a
certificate keeps the key it was signed with, so it still verifies.

Speed: decrypting a key (HKDF + Fernet) and building its pyHanko signer cost
more than a signature, so both are kept per process in a small LRU cache
(``_cache``, ``CACHE_SIZE`` entries), keyed by what they were made from: the key
id, its public half, its ciphertext and a digest of the secret. A changed
secret, a damaged row or a new key is a new entry, checked as before;
``rotate_key`` forgets the retired key's entries in its own process (other
processes never sign with it again: ``current_key`` gives them the new one,
and its entries age out).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction

from ekseva.accounts.permissions import can
from ekseva.core import audit, clock

from .hooks import KEYS
from .models import CertificateError, SigningKey

VALIDITY_DAYS = 3653  # ten years
BACKDATE = dt.timedelta(days=1)  # certificates valid from a day before the key was made
_HKDF_INFO = b"ekseva certificates: signing keys at rest, v1"
_PREFIX = "fernet1:"
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")  # as the catalogue's department codes


# ----------------------------------------------------------------------------- encoding


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Strict base64url without padding (raises ValueError on anything else)."""
    if not isinstance(text, str) or any(c in text for c in "=+/ \n"):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:  # non-canonical trailing bits
        raise ValueError("not canonical base64url")
    return data


# ----------------------------------------------------------------------------- at rest


def _secret() -> str:
    return settings.CERTIFICATE_KEY_SECRET or settings.SECRET_KEY


def _fernet() -> Fernet:
    secret = _secret()
    if not secret:
        raise CertificateError(
            "No secret is configured to protect the signing keys.",
            "हस्ताक्षर कुंजियों की सुरक्षा के लिए कोई गुप्त कुंजी कॉन्फ़िगर नहीं है।",
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_private(private: ed25519.Ed25519PrivateKey) -> str:
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _PREFIX + _fernet().encrypt(raw).decode("ascii")


# ----------------------------------------------------------------------------- cache

CACHE_SIZE = 32  # keys a process keeps open: a few per department at most
_cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(kind: str, key: SigningKey, make: Callable[[], Any]) -> Any:
    """``make()``, remembered for ``key`` as it is now (see the module's docstring)."""
    secret = hashlib.sha256((_secret() or "").encode("utf-8")).hexdigest()
    entry = (kind, key.key_id, key.public_key, key.private_key_encrypted, secret)
    with _cache_lock:
        if entry in _cache:
            _cache.move_to_end(entry)
            return _cache[entry]
    value = make()  # outside the lock: two threads may both make it, one is kept
    with _cache_lock:
        _cache[entry] = value
        _cache.move_to_end(entry)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def forget(key_id: str = "") -> None:
    """Drop the cached secrets of ``key_id`` (of every key when empty)."""
    with _cache_lock:
        for entry in [e for e in _cache if not key_id or e[1] == key_id]:
            del _cache[entry]


def private_key(key: SigningKey) -> ed25519.Ed25519PrivateKey:
    """The decrypted private key of ``key`` (refused if the secret has changed)."""
    return _cached("private", key, lambda: _decrypt(key))


def _decrypt(key: SigningKey) -> ed25519.Ed25519PrivateKey:
    token = key.private_key_encrypted
    if not token.startswith(_PREFIX):
        raise CertificateError("Unknown key format.", "अज्ञात कुंजी प्रारूप।")
    try:
        raw = _fernet().decrypt(token[len(_PREFIX) :].encode("ascii"))
    except InvalidToken:
        raise CertificateError(
            "The signing key cannot be decrypted: the key secret has changed.",
            "हस्ताक्षर कुंजी खोली नहीं जा सकती: गुप्त कुंजी बदल गई है।",
        ) from None
    private = ed25519.Ed25519PrivateKey.from_private_bytes(raw)
    if b64url(_raw_public(private.public_key())) != key.public_key:
        raise CertificateError("The signing key is damaged.", "हस्ताक्षर कुंजी ख़राब है।")
    return private


def _raw_public(public: ed25519.Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key(key: SigningKey) -> ed25519.Ed25519PublicKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(unb64url(key.public_key))


def certificate(key: SigningKey) -> x509.Certificate:
    return x509.load_pem_x509_certificate(key.x509_pem.encode("ascii"))


def asn1_certificate(key: SigningKey) -> asn1_x509.Certificate:
    """The key's X.509 certificate as pyHanko wants it (asn1crypto)."""
    return asn1_x509.Certificate.load(certificate(key).public_bytes(serialization.Encoding.DER))


def pades_signer(key: SigningKey) -> Any:
    """A pyHanko ``SimpleSigner`` for ``key`` (its certificate is its own registry),
    made once per process and key (``_cached``)."""
    return _cached("pades", key, lambda: _pades_signer(key))


def _pades_signer(key: SigningKey) -> Any:
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = private_key(key).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert = asn1_certificate(key)
    return SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )


# ----------------------------------------------------------------------------- making keys


def department_names(department_code: str) -> tuple[str, str]:
    """The department's name in English and Hindi (its code if not in the catalogue)."""
    from ekseva.catalog.models import Department

    department = Department.objects.filter(code=department_code).first()
    if department is None:
        return department_code, department_code
    return department.name_en, department.name_hi or department.name_en


def government_names() -> tuple[str, str]:
    return (
        f"Government of {settings.EKSEVA_STATE_NAME}",
        f"{settings.EKSEVA_STATE_NAME_HI} शासन",
    )


def key_id_for(department_code: str, public: ed25519.Ed25519PublicKey) -> str:
    """``<DEPT>-<first 8 hex of SHA-256 of the raw public key>``: short (it rides
    in every QR code) and tied to the key itself."""
    digest = hashlib.sha256(_raw_public(public)).hexdigest()[:8]
    return f"{department_code}-{digest}"


def _x509_for(
    department_code: str, private: ed25519.Ed25519PrivateKey, now: dt.datetime
) -> x509.Certificate:
    name_en, _name_hi = department_names(department_code)
    government, _hi = government_names()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, settings.EKSEVA_STATE_NAME[:128]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, government[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, settings.EKSEVA_PORTAL_NAME[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, name_en[:64]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, department_code[:64]),
        ]
    )
    public = private.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: pyHanko's default requirement
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(private, None)  # Ed25519 takes no separate hash
    )


def _new_key(department_code: str) -> SigningKey:
    now = clock.now()
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key()
    return SigningKey(
        department_code=department_code,
        key_id=key_id_for(department_code, public),
        public_key=b64url(_raw_public(public)),
        private_key_encrypted=encrypt_private(private),
        x509_pem=_x509_for(department_code, private, now)
        .public_bytes(serialization.Encoding.PEM)
        .decode("ascii"),
        created_at=now,
    )


def _check_code(department_code: str) -> str:
    code = (department_code or "").strip()
    if not _CODE_RE.match(code):
        raise CertificateError("Unknown department.", "अज्ञात विभाग।")
    return code


def current_key(department_code: str) -> SigningKey:
    """The department's current key, created on first use. Two first uses at once
    both end with the one key: the loser of the partial unique constraint reads
    the winner's."""
    code = _check_code(department_code)
    found = SigningKey.objects.filter(department_code=code, retired_at__isnull=True).first()
    if found is not None:
        return found
    key = _new_key(code)
    try:
        with transaction.atomic():
            key.save()
            audit.record(
                "certificates.key.created",
                actor=None,
                obj=key,
                after={"department": code, "key_id": key.key_id},
            )
    except IntegrityError:
        return SigningKey.objects.get(department_code=code, retired_at__isnull=True)
    return key


def rotate_key(department_code: str, *, actor: Any, system: bool = False) -> SigningKey:
    """Retire the department's current key and make a new one. ``actor`` must be
    operator staff (``hooks.KEYS``); ``system=True`` is the command line's (whoever
    runs it has the server), recorded with ``actor`` if given.
    Certificates signed with the retired key keep it and still verify."""
    code = _check_code(department_code)
    if not system and not can(actor, KEYS):
        from .services import NotPermitted

        raise NotPermitted(
            "Only operator staff may rotate signing keys.",
            "हस्ताक्षर कुंजी केवल संचालक स्टाफ़ बदल सकता है।",
        )
    from ekseva.catalog.models import Department

    if not Department.objects.filter(code=code).exists():
        raise CertificateError("Unknown department.", "अज्ञात विभाग।")
    new = _new_key(code)
    try:
        with transaction.atomic():
            old = (
                SigningKey.objects.select_for_update()
                .filter(department_code=code, retired_at__isnull=True)
                .first()
            )
            if old is not None:
                old.retired_at = new.created_at
                old.save(update_fields=["retired_at"])
            new.save()
            audit.record(
                "certificates.key.rotated",
                actor=actor if getattr(actor, "pk", None) else None,
                obj=new,
                before={"key_id": old.key_id if old else ""},
                after={"department": code, "key_id": new.key_id},
            )
        if old is not None:
            forget(old.key_id)  # harmless if the outer transaction rolls back: made again
    except IntegrityError:
        # Someone else rotated the same key at the same moment: theirs stands.
        raise CertificateError(
            "The key was rotated by someone else at the same moment; check the current key.",
            "उसी समय किसी और ने कुंजी बदल दी; वर्तमान कुंजी देखें।",
        ) from None
    return new


def by_key_id(key_id: str) -> SigningKey | None:
    return SigningKey.objects.filter(key_id=key_id).first() if key_id else None
