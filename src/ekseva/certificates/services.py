"""The certificates' writes besides issuing (``issue.py``): revocation, and the
rotation of a department's signing key (``keys.rotate_key``, re-exported here).

    revoke(certificate, reason="Issued on a forged document", actor=officer)
    rotate_key("REV", actor=operator)

Revocation is by the issuing department's designated or appellate officers
(``hooks.REVOKE``) whose posting covers the department and the district the
application was decided in; a reason is required; it is recorded in the audit
log and the holder is told (SMS, email, in-app). A certificate is revoked once:
revoking it again is refused. Verification reports a revoked certificate as
revoked, with the reason.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ekseva.accounts.permissions import can
from ekseva.accounts.scope import Scope
from ekseva.core import audit, clock
from ekseva.notifications import services as notify

from .hooks import REVOKE
from .keys import rotate_key
from .models import Certificate, CertificateError

__all__ = ["NotPermitted", "revoke", "rotate_key"]

MIN_REASON = 5
MAX_REASON = 500


class NotPermitted(CertificateError):
    status = 403


def revoke_scope(certificate: Certificate) -> Scope:
    """Who may revoke: the department's officers of the application's district
    (a state-wide posting of the department covers every district)."""
    district = getattr(certificate.application, "district_id", None)
    return Scope(department_code=certificate.department_code, admin_unit=district)


def revoke(certificate: Certificate, *, reason: str, actor: Any) -> Certificate:
    """Revoke ``certificate`` for ``reason`` (refused twice, or without a reason)."""
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise CertificateError(
            "Give the reason for revoking the certificate.",
            "प्रमाण पत्र निरस्त करने का कारण लिखें।",
        )
    if len(reason) > MAX_REASON:
        raise CertificateError(
            f"Keep the reason within {MAX_REASON} characters.",
            f"कारण {MAX_REASON} अक्षरों के भीतर लिखें।",
        )
    if not can(actor, REVOKE, revoke_scope(certificate)):
        raise NotPermitted(
            "Only the issuing department's designated or appellate officers may revoke it.",
            "इसे केवल जारी करने वाले विभाग के पदाभिहित या अपीलीय अधिकारी निरस्त कर सकते हैं।",
        )
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update()
            .select_related("holder", "application__service")
            .get(pk=certificate.pk)
        )
        if locked.is_revoked:
            raise CertificateError(
                "This certificate was already revoked.",
                "यह प्रमाण पत्र पहले ही निरस्त किया जा चुका है।",
            )
        locked.revoked_at = clock.now()
        locked.revoked_reason = reason
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit.record(
            "certificates.revoked",
            actor=actor,
            obj=locked,
            before={"revoked": False},
            after={"revoked": True, "reason": reason, "number": locked.number},
        )
        _tell_holder(locked)
    for name in ("revoked_at", "revoked_reason", "revoked_by_id"):
        setattr(certificate, name, getattr(locked, name))
    return locked


def _tell_holder(certificate: Certificate) -> None:
    holder = certificate.holder
    language = getattr(holder, "preferred_language", "") or "en"
    params = {
        "number": certificate.number,
        "service": certificate.application.service.name(language),
        "reason": certificate.revoked_reason,
    }
    base = {
        "template": "certificates.revoked",
        "user_id": holder.pk,
        "params": params,
        "language": language,
    }
    key = f"cert:{certificate.number}:revoked"
    specs = [{**base, "channel": "inapp", "recipient": holder.pk, "dedupe_key": f"{key}:inapp"}]
    if getattr(holder, "mobile", ""):
        specs.append(
            {**base, "channel": "sms", "recipient": holder.mobile, "dedupe_key": f"{key}:sms"}
        )
    if getattr(holder, "email", ""):
        specs.append(
            {**base, "channel": "email", "recipient": holder.email, "dedupe_key": f"{key}:email"}
        )
    notify.queue_many(specs)


def register_templates() -> None:
    from ekseva.notifications import templates

    def both(en: str, hi: str) -> dict[str, str]:
        return {"en": en, "hi": hi}

    templates.register(
        "certificates.revoked",
        sms=both(
            "Certificate {number} ({service}) has been revoked by the department. Reason: {reason}",
            "प्रमाण पत्र {number} ({service}) विभाग द्वारा निरस्त कर दिया गया है। कारण: {reason}",
        ),
        email_subject=both("Certificate {number} revoked", "प्रमाण पत्र {number} निरस्त"),
        email_body=both(
            "Certificate {number} ({service}) has been revoked by the department and is no "
            "longer valid.\n\nReason: {reason}\n\nIf you think this is a mistake, contact the "
            "department.",
            "प्रमाण पत्र {number} ({service}) विभाग द्वारा निरस्त कर दिया गया है और अब मान्य "
            "नहीं है।\n\nकारण: {reason}\n\nयदि यह भूल लगे, तो विभाग से संपर्क करें।",
        ),
        inapp=both(
            "Certificate {number} has been revoked. Reason: {reason}",
            "प्रमाण पत्र {number} निरस्त कर दिया गया है। कारण: {reason}",
        ),
    )
