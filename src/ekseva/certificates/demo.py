"""Demo certificates: the back-office demo (``workflow.demo``) approves a few
applications, and each approval issued its signed certificate into the holder's
locker. Here the issuing department revokes one of them, a few days after it was
issued (``services.revoke``, by the department's designated officer, with the
reason), and the banner says where to verify them: the demo citizen's own (genuine)
and the revoked one.

Idempotent: a certificate already revoked is left alone, so a second run writes
nothing. Never run this on a real deployment.
"""

from __future__ import annotations

import datetime as dt

from ekseva.accounts.models import User
from ekseva.core import clock
from ekseva.workflow import demo as office

from . import services
from .models import Certificate

SITE = "http://127.0.0.1:8000"
# Why the department takes a certificate back, by department (else the general one).
REASONS = {
    "RGPV": "Issued in error: a result of the final semester was revised after the "
    "re-evaluation and the degree is withheld until the supplementary result.",
    "MPBSE": "Issued in error: the Board's tabulation register shows different marks for "
    "this roll number; a corrected copy will be issued on a fresh application.",
    "BU": "Issued in error against an enrolment number of another student.",
}
GENERAL = "Issued in error: the records it was issued on were found to be wrong."


def _to_revoke() -> Certificate | None:
    """A walk-in's certificate (not the demo citizen's, whose copy the demo shows as
    genuine): the revoked one if there is one, else the first issued."""
    certificates = Certificate.objects.exclude(holder__mobile=office.ASHA).select_related(
        "application", "holder"
    )
    revoked = certificates.filter(revoked_at__isnull=False).order_by("revoked_at", "pk").first()
    if revoked is not None:
        return revoked
    preferred = [code for code in REASONS if certificates.filter(department_code=code).exists()]
    if preferred:
        certificates = certificates.filter(department_code=preferred[0])
    return certificates.order_by("issued_at", "pk").first()


def _revoke(certificate: Certificate) -> Certificate:
    if certificate.is_revoked:
        return certificate
    officer = User.objects.filter(username=f"do.{certificate.department_code.lower()}").first()
    if officer is None:
        return certificate
    moment = certificate.issued_at + dt.timedelta(days=6, hours=4)
    now = clock.now()
    if moment >= now:
        moment = certificate.issued_at + (now - certificate.issued_at) / 2
    with clock.frozen(moment):
        reason = REASONS.get(certificate.department_code, GENERAL)
        return services.revoke(certificate, reason=reason, actor=officer)


def load() -> list[str]:
    """Revoke one certificate if none is yet; lines saying where to verify them."""
    if not Certificate.objects.exists():
        return ["certificates: none issued (load the back-office demo first)"]
    revoked = _to_revoke()
    if revoked is not None:
        revoked = _revoke(revoked)
    lines = [
        f"certificates: {Certificate.objects.count()} issued (signed PDFs, in the holders' "
        f"lockers); department keys at {SITE}/en/certificates/manage/keys/, the register at "
        f"{SITE}/en/certificates/manage/"
    ]
    own = (
        Certificate.objects.filter(holder__mobile=office.ASHA, revoked_at__isnull=True)
        .select_related("application__service")
        .order_by("issued_at", "pk")
        .first()
    )
    if own is not None:
        lines.append(
            f"{office.ASHA}'s {own.application.service.name('en')} {own.kind} {own.number} "
            f"(application {own.application.number}, in her locker): verify at "
            f"{SITE}/en/verify/{own.number}/"
        )
    if revoked is not None and revoked.is_revoked:
        lines.append(
            f"revoked: {revoked.number} ({revoked.revoked_reason}) verify at "
            f"{SITE}/en/verify/{revoked.number}/"
        )
    return lines
