"""Issuing the certificate when the back office approves an application.

``register()`` (called once from ``hooks.register``) puts ``issue_for_case`` on
``workflow.deliverables``; ``workflow.services.act`` fires it inside the
approval's transaction, after the application has moved to approved, so a
failure here rolls the approval back and the officer sees the error.

For a version whose deliverable is a certificate or a licence, ``issue``:

1. takes the department's current key (``keys.current_key``);
2. issues the number ``C<state><yy><department><7 digits><check>`` (``core.ids``:
   e.g. ``CMP26REV0000012K``; one sequence per state, year and department);
3. signs the key fields for the QR code (``qr.sign``), draws the bilingual PDF
   (``pdf.render``) and PAdES-signs it (``pdf.sign``);
4. stores the ``Certificate`` (the PDF and its SHA-256), puts a copy in the
   applicant's document locker (through ``applications.documents.store``, so the
   issued PDF passes the same checks as any upload; its label says what it is,
   its purpose is ``certificate:<service code>``) and links it;
5. moves the application approved → delivered (``applications.services.move``,
   which tells the applicant) and records ``certificates.issued`` in the audit log.

Idempotent: an application has at most one certificate (OneToOne), so a retried
hook returns the certificate already issued.

Other deliverables are not issued here: a receipt is the payment receipt the
applicant already has, and admit cards belong to the examinations issue, so
those applications stay approved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from ekseva.applications import documents as locker
from ekseva.applications import services as applications
from ekseva.applications.models import Application, Status
from ekseva.catalog.rules import form_of
from ekseva.core import audit, clock, ids
from ekseva.geo.models import AdminUnit

from . import keys, pdf, qr
from .models import Certificate, CertificateError

ISSUED_KINDS = frozenset({"certificate", "licence"})
LOCKER_RULE = {"formats": ["pdf"], "max_kb": 5120}
MAX_DETAILS = 6
# Answers worth printing: fields whose id says they describe the person or place.
_PRINTED_ID = re.compile(
    r"name|father|mother|guardian|spouse|birth|dob|gender|caste|category|district|tehsil"
    r"|village|address"
)
_PRINTED_TYPES = frozenset(
    {"text", "textarea", "date", "choice", "district", "tehsil", "village", "number"}
)


def register() -> None:
    """Hook the issue of certificates onto approval."""
    from ekseva.workflow import deliverables

    from . import services

    deliverables.register(issue_for_case)
    services.register_templates()


def issue_for_case(case: Any, actor: Any) -> Certificate | None:
    """The deliverable of an approved case: the certificate (issued once), or
    nothing for deliverables this app does not issue."""
    app = case.application
    if app.version.deliverable not in ISSUED_KINDS:
        return None
    return issue(app, actor=actor)


def number_prefix(department_code: str) -> str:
    department = re.sub(r"[^A-Z0-9]", "", department_code.upper())
    return f"C{settings.EKSEVA_STATE_CODE}{clock.local_now():%y}{department}"


def holder_names(app: Application) -> tuple[str, str]:
    """The holder's name in English and Hindi ("" if none): the profile's, else
    the account's full name."""
    user = app.applicant
    profile = getattr(user, "profile", None)
    name_en = (getattr(profile, "name_en", "") or user.full_name or "").strip()
    name_hi = (getattr(profile, "name_hi", "") or "").strip()
    if not name_en:
        name_en = name_hi or str(user.get_username())
    return qr.clean_text(name_en), qr.clean_text(name_hi if name_hi != name_en else "")


def _shown(field: Any, value: Any, language: str, units: dict[str, AdminUnit]) -> str:
    if value is None or value == "" or isinstance(value, (dict, list)):
        return ""
    if field.type == "date":
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d-%m-%Y")
        except ValueError:
            return str(value)
    if field.type == "choice":
        for option in field.options:
            if option.value == str(value):
                return option.label.get(language)
        return str(value)
    if field.type in ("district", "tehsil", "village"):
        unit = units.get(str(value))
        return unit.name(language) if unit else str(value)
    return qr.clean_text(str(value))[:120]


def details(app: Application) -> list[tuple[str, str, str, str]]:
    """A few of the application's answers worth printing (label en, label hi,
    value en, value hi): the person's particulars and place, from the form's
    fields (by id and type), then the profile's guardian and the district."""
    answers = app.answers or {}
    defn = form_of(app.version)
    chosen = [
        f
        for f in defn.all_fields()
        if f.type in _PRINTED_TYPES and _PRINTED_ID.search(f.id.lower()) and answers.get(f.id)
    ]
    codes = [str(answers[f.id]) for f in chosen if f.type in ("district", "tehsil", "village")]
    units = {u.code: u for u in AdminUnit.objects.filter(code__in=codes)} if codes else {}
    rows = []
    for f in chosen[:MAX_DETAILS]:
        value_en = _shown(f, answers[f.id], "en", units)
        if value_en:
            rows.append(
                (
                    f.label.get("en"),
                    f.label.get("hi"),
                    value_en,
                    _shown(f, answers[f.id], "hi", units),
                )
            )
    labels = {row[0].lower() for row in rows}
    profile = getattr(app.applicant, "profile", None)
    guardian = qr.clean_text(getattr(profile, "guardian_name", "") or "")
    if guardian and not any(w in " ".join(labels) for w in ("father", "guardian", "mother")):
        rows.append(("Father's / guardian's name", "पिता / अभिभावक का नाम", guardian, guardian))
    district = app.district or getattr(profile, "district", None)
    if district is not None and not any(f.type == "district" for f in chosen):
        rows.append(("District", "ज़िला", district.name("en"), district.name("hi")))
    return rows[: MAX_DETAILS + 2]


def issue(app: Application, *, actor: Any) -> Certificate:
    """Issue, sign, store and deliver the certificate of an approved application
    (the one already issued, if any). Runs in the caller's transaction."""
    with transaction.atomic():
        Application.objects.select_for_update().filter(pk=app.pk).values_list("pk").first()
        app.refresh_from_db()
        existing = Certificate.objects.filter(application=app).first()
        if existing is not None:
            return existing
        if app.status != Status.APPROVED:
            raise CertificateError(
                "Only an approved application gets its certificate.",
                "केवल स्वीकृत आवेदन का प्रमाण पत्र जारी होता है।",
            )
        certificate, data = _make(app)
        try:
            _deliver(app, certificate, data, actor=actor)
        except BaseException:
            _forget_files(certificate)  # the rows roll back: the files go with them
            raise
    return certificate


def _deliver(app: Application, certificate: Certificate, data: bytes, *, actor: Any) -> None:
    """Put the certificate in the applicant's locker, mark the application
    delivered (the applicant is told) and record the issue."""
    stored = locker.store(
        app.applicant,
        ContentFile(data, name=f"{certificate.number}.pdf"),
        label=f"{app.service.name('en')} {certificate.kind} {certificate.number}",
        purpose=f"certificate:{app.service.code}",
        rule=LOCKER_RULE,
        actor=actor,
    )
    certificate.locker_document = stored
    certificate.save(update_fields=["locker_document"])
    kind_en, kind_hi, _verb = pdf.KINDS[certificate.kind]
    applications.move(
        app,
        Status.DELIVERED,
        actor=actor,
        remark_en=f"{kind_en} {certificate.number} issued; it is in your document locker.",
        remark_hi=f"{kind_hi} {certificate.number} जारी; यह आपके दस्तावेज़ लॉकर में है।",
    )
    app.save()
    audit.record(
        "certificates.issued",
        actor=actor,
        obj=certificate,
        after={
            "number": certificate.number,
            "application": app.number,
            "key_id": certificate.key.key_id,
            "pdf_sha256": certificate.pdf_sha256,
            "locker_document": stored.pk,
        },
    )


def _forget_files(certificate: Certificate) -> None:
    files = [certificate.pdf]
    if certificate.locker_document is not None:
        files.append(certificate.locker_document.file)
    for file in files:
        if file and file.name:
            file.storage.delete(file.name)


def _make(app: Application) -> tuple[Certificate, bytes]:
    """The certificate, signed and saved, and its PDF."""
    kind = app.version.deliverable
    key = keys.current_key(app.department_code)
    department_en, department_hi = keys.department_names(app.department_code)
    number = ids.issue(number_prefix(app.department_code))
    now = clock.now()
    issued_on = clock.today()
    name_en, name_hi = holder_names(app)
    fields = qr.Fields(
        number=number,
        department=app.department_code,
        service=app.service.code,
        issued=issued_on,
        valid_until=None,  # the catalogue has no validity for deliverables yet
        key_id=key.key_id,
        name_en=name_en,
        name_hi=name_hi,
    )
    payload = qr.sign(fields, keys.private_key(key))
    content = pdf.Content(
        number=number,
        kind=kind,
        department_en=department_en,
        department_hi=department_hi,
        service_en=app.service.name("en"),
        service_hi=app.service.name("hi"),
        holder_en=name_en,
        holder_hi=name_hi,
        application_number=app.number or "",
        issued_on=issued_on,
        valid_until=None,
        qr_url=qr.url(payload),
        details=details(app),
    )
    data = pdf.sign(
        pdf.render(content), key, reason=f"Issued by {department_en}", signer_name=department_en
    )
    certificate = Certificate(
        number=number,
        application=app,
        holder=app.applicant,
        department_code=app.department_code,
        service_code=app.service.code,
        kind=kind,
        fields=fields.as_json(),
        issued_at=now,
        valid_until=None,
        key=key,
        qr_payload=payload,
        pdf_sha256=hashlib.sha256(data).hexdigest(),
    )
    certificate.pdf.save(f"{number}.pdf", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        certificate.pdf.delete(save=False)
        raise CertificateError(
            "The certificate of this application is being issued already.",
            "इस आवेदन का प्रमाण पत्र पहले से जारी किया जा रहा है।",
        ) from None
    return certificate, data
