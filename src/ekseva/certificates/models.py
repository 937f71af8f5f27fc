"""Certificates: the deliverable of an approved application, signed twice.

- a PAdES signature (pyHanko) with the issuing department's key, so a PDF reader
  shows the document signed;
- a compact Ed25519 signature of the certificate's key fields inside the QR code,
  so anyone can check it offline.

Each department has signing keys (``SigningKey``), rotatable; a certificate keeps
the key it was signed with, so old certificates still verify after a rotation.
Guide: docs/certificates.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ekseva.accounts.scope import Scope
from ekseva.core.errors import BilingualError


class CertificateError(BilingualError):
    pass


class SigningKey(models.Model):
    """A department's key pair (Ed25519) and its self-issued X.509 certificate for
    PAdES. The private key is kept encrypted under ``CERTIFICATE_KEY_SECRET``."""

    department_code = models.CharField(max_length=20, db_index=True)
    key_id = models.CharField(max_length=40, unique=True)
    public_key = models.CharField(max_length=100, help_text="raw Ed25519, base64url")
    private_key_encrypted = models.TextField()
    x509_pem = models.TextField()
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["department_code", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department_code"],
                condition=Q(retired_at__isnull=True),
                name="one_current_key_per_department",
            )
        ]

    def __str__(self) -> str:
        return self.key_id


class Certificate(models.Model):
    number = models.CharField(max_length=24, unique=True)
    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="certificate"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    department_code = models.CharField(max_length=20)
    service_code = models.CharField(max_length=60)
    kind = models.CharField(max_length=20)  # the version's deliverable: certificate, licence …
    # The key fields, signed in the QR: number, holder's name, service, issued date, …
    fields = models.JSONField()
    issued_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="certificates")
    qr_payload = models.TextField()
    pdf = models.FileField(upload_to="certificates/%Y/%m/")
    pdf_sha256 = models.CharField(max_length=64)
    locker_document = models.OneToOneField(
        "applications.LockerDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificate",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number

    def access_scope(self) -> Scope:
        # The application's district, as its Case: a district posting covers it.
        return Scope(
            department_code=self.department_code,
            admin_unit=self.application.district_id,
            owner_user_id=self.holder_id,
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
