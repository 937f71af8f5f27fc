"""A fleet of kiosks for the benchmarks: approved, active kiosks across several
districts, each with an activated operator login signed in (a ``sessions.Browser``)
and a funded wallet; and, per kiosk, walk-in citizens' applications ready to
submit (``ready_drafts``) or submitted and waiting for their fee (``ready_submitted``).

Everything is made through the real services, as the console's pages would make
it: ``kiosks.services.open_kiosk`` and ``create_login``, a bank deposit posted to
the wallet (``ledger.post``), the citizen's consent by the OTP sent to their mobile
(``request_consent`` / ``grant_consent``), ``start_assisted``, ``save_step`` for each
step and the photo and signature attached from the citizen's locker.

    bench.django()
    fleet = make_fleet(64, fund_paise=50_000_00)          # reruns reuse the kiosks
    drafts = ready_drafts(fleet[0], 20)                   # POST preview → submitted
    numbers = ready_submitted(fleet[0], 20)               # POST console pay → paid

The service is the Group-4 recruitment test (``esb-group4-2026``, offered at kiosks:
₹500 exam fee + ₹40 portal fee + GST + ₹20 kiosk charge = ₹567.20), the deadline
surge issue 8 is about. Seeding runs in ``processes`` worker processes (default:
the cores) when there are many drafts to make.

Call after ``Bench.django()`` (or anywhere Django is set up on the bench database).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import random
from dataclasses import dataclass
from typing import Any

from sessions import Browser, signed_in

SERVICE = "esb-group4-2026"
PASSWORD = "bench-pass-2026"
# Walk-in citizens' mobiles: 6 + 9 digits (no demo person has a number starting with 6).
CITIZEN_PREFIX = "6"

EXAM_ANSWERS = {
    "personal": {
        "name_en": "Bench Candidate",
        "name_hi": "बेंच अभ्यर्थी",
        "father_name": "Ramesh Kumar",
        "date_of_birth": "1998-04-12",
        "gender": "M",
        "social_category": "GEN",
        "domicile_mp": "no",
        "pwd": "no",
        "aadhaar": "234123412346",
    },
    "education": {
        "qualification": "graduate",
        "education_rows": [
            {
                "exam": "B.A.",
                "board": "Barkatullah University",
                "year": "2019",
                "percentage": "64.50",
            }
        ],
        "steno_post": "no",
        "exam_city": "BPL",
    },
}
DOCUMENTS = ("photo", "signature")


@dataclass
class FleetKiosk:
    kiosk: Any  # kiosks.models.Kiosk
    operator: Any  # accounts.models.User (KioskOperator role operator, activated)
    browser: Browser  # signed in as the operator, second factor done


@dataclass(frozen=True)
class Draft:
    pk: int
    kiosk_code: str
    browser: Browser
    citizen_id: int = 0


# --------------------------------------------------------------------------- the kiosks


def _districts(n: int) -> list[Any]:
    from ekseva.geo.models import AdminUnit

    found = list(
        AdminUnit.objects.filter(kind="district", post_offices__isnull=False)
        .exclude(lgd_code="")
        .distinct()
        .order_by("lgd_code")[:n]
    )
    if not found:
        raise RuntimeError("no district with post offices: load the demo data (ekseva demo)")
    return found


def _pin(district: Any) -> str:
    """A PIN code of ``district`` (the form checks the PIN against the district)."""
    from ekseva.geo.models import PostOffice

    return PostOffice.objects.filter(district=district).order_by("pincode").first().pincode


def _owner_mobile(prefix: str, i: int) -> str:
    digest = int(hashlib.sha256(prefix.encode()).hexdigest(), 16) % 1000
    return f"70{digest:03d}{i:05d}"


def _operator_mobile(prefix: str, i: int) -> str:
    digest = int(hashlib.sha256(prefix.encode()).hexdigest(), 16) % 1000
    return f"71{digest:03d}{i:05d}"


def _open_one(prefix: str, i: int, district: Any, password_hash: str) -> Any:
    from django.db import transaction

    from ekseva.accounts.models import User
    from ekseva.core import clock
    from ekseva.kiosks import services
    from ekseva.kiosks.models import KioskApplication, KioskOperator

    reference = f"KA-{prefix.upper()[:8]}-{i:05d}"
    existing = KioskApplication.objects.filter(reference=reference).select_related("kiosk").first()
    if existing is not None and existing.kiosk_id:
        return existing.kiosk
    with transaction.atomic():
        mobile = _owner_mobile(prefix, i)
        applicant = User.objects.filter(mobile=mobile).first() or User.objects.create_citizen(
            mobile
        )
        now = clock.now()
        application = KioskApplication.objects.create(
            reference=reference,
            applicant=applicant,
            status=KioskApplication.Status.APPROVED,
            created_at=now,
            updated_at=now,
            kind="csc",
            business_name=f"Bench Seva Kendra {prefix} {i}",
            owner_name="Bench Owner",
            owner_mobile=mobile,
            owner_email="",
            pan="ABCPE1234F",
            aadhaar_last4="1234",
            bank_account_name="Bench Owner",
            bank_account_number=f"9{i:011d}",
            bank_ifsc="SBIN0001234",
            shop_registration=f"SR/{prefix}/{i}",
            district=district,
            address=f"Shop {i}, Main Road",
            pin_code=_pin(district),
            opening_hours_en="Every day 09:00–21:00",
            opening_hours_hi="प्रतिदिन 09:00–21:00",
        )
        kiosk = services.open_kiosk(application, actor=None)
        application.kiosk = kiosk
        application.save(update_fields=["kiosk"])
        operator = services.create_login(
            kiosk,
            role=KioskOperator.Role.OPERATOR,
            name=f"Bench Operator {i}",
            mobile=_operator_mobile(prefix, i),
            actor=None,
        )
        operator.activated_at = clock.now()
        operator.save(update_fields=["activated_at"])
        User.objects.filter(pk=operator.user_id).update(password=password_hash)
    return kiosk


def _fund(kiosk: Any, fund_paise: int) -> None:
    import uuid

    from ekseva.kiosks import services
    from ekseva.ledger import accounts as ledger_accounts
    from ekseva.ledger import services as ledger

    short = fund_paise - services.wallet_balance(kiosk)
    if short <= 0:
        return
    ledger.post(
        "bench.fund",
        [
            (ledger_accounts.get_or_open("bank"), short),
            (services.wallet_account(kiosk), -short),
        ],
        idempotency_key=f"bench-fund:{kiosk.code}:{uuid.uuid4().hex[:12]}",
    )


def make_fleet(n_kiosks: int, *, fund_paise: int, prefix: str = "bench") -> list[FleetKiosk]:
    """``n_kiosks`` approved, active kiosks across several districts (those of this
    ``prefix`` made by an earlier run are reused), each with an activated operator
    login, signed in, and its wallet funded to at least ``fund_paise``."""
    from django.contrib.auth.hashers import make_password

    from ekseva.kiosks.models import Kiosk, KioskOperator

    districts = _districts(8)
    password_hash = make_password(PASSWORD)  # a hash costs ~0.2 s: once for all
    fleet = []
    for i in range(n_kiosks):
        kiosk = _open_one(prefix, i, districts[i % len(districts)], password_hash)
        if kiosk.status != Kiosk.Status.ACTIVE:
            Kiosk.objects.filter(pk=kiosk.pk).update(status=Kiosk.Status.ACTIVE)
            kiosk.refresh_from_db()
        _fund(kiosk, fund_paise)
        operator = (
            KioskOperator.objects.select_related("user")
            .filter(kiosk=kiosk, role=KioskOperator.Role.OPERATOR, active=True)
            .order_by("pk")
            .first()
        )
        fleet.append(
            FleetKiosk(kiosk=kiosk, operator=operator.user, browser=signed_in(operator.user))
        )
    return fleet


# --------------------------------------------------------------------------- the citizens' drafts

_photo_cache: dict[str, bytes] = {}


def _jpeg(document_id: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    if document_id not in _photo_cache:
        size = (300, 400) if document_id == "photo" else (300, 100)
        buffer = io.BytesIO()
        Image.new("RGB", size, (11, 61, 145)).save(buffer, "JPEG")
        _photo_cache[document_id] = buffer.getvalue()
    return SimpleUploadedFile(
        f"{document_id}.jpg", _photo_cache[document_id], content_type="image/jpeg"
    )


def _new_mobiles(count: int) -> list[str]:
    from ekseva.accounts.models import User

    rng = random.Random(os.urandom(8))
    out: list[str] = []
    while len(out) < count:
        batch = {f"{CITIZEN_PREFIX}{rng.randrange(10**9):09d}" for _ in range(count * 2)}
        taken = set(User.objects.filter(mobile__in=batch).values_list("mobile", flat=True))
        out.extend(sorted(batch - taken - set(out))[: count - len(out)])
    return out


def _consent(operator: Any, mobile: str, kiosk: Any) -> Any:
    """The citizen's consent, written as ``request_consent`` + ``grant_consent`` write
    it (the citizen registered with a profile, the OTP challenge used, the consent
    row, the audit events) but without the SMS round trip through the outbox: the
    console's OTP path is not what bench 1 measures, and it halves the seeding."""
    import datetime as dt
    import secrets as _secrets

    from django.db import transaction

    from ekseva.accounts.models import CitizenProfile, OtpChallenge, User
    from ekseva.core import audit, clock
    from ekseva.kiosks import services

    now = clock.now()
    with transaction.atomic():
        citizen = User.objects.create_citizen(mobile, preferred_language="en")
        # The console's "about" page for a first-time citizen: their name and district.
        CitizenProfile.objects.create(
            user=citizen, name_en="Bench Candidate", name_hi="बेंच अभ्यर्थी", district=kiosk.district
        )
        audit.record("accounts.citizen.registered", actor=citizen, obj=citizen)
        challenge = OtpChallenge.objects.create(
            mobile=mobile,
            purpose=services.consent_purpose(kiosk),
            salt=_secrets.token_hex(16),
            code_hash=_secrets.token_hex(32),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=10),
            attempts=1,
            used_at=now,
        )
        consent = services.record_consent(kiosk, citizen, operator, challenge)
    return consent


def _make_draft(operator: Any, kiosk: Any, service: Any, mobile: str) -> int:
    from ekseva.accounts.models import User
    from ekseva.applications import services as applications
    from ekseva.kiosks import services

    consent = _consent(operator, mobile, kiosk)
    pin = _pin(kiosk.district)
    citizen = User.objects.select_related("profile").get(pk=consent.citizen_id)
    app = services.start_assisted(operator, citizen, service)
    answers = {
        step: ({**data, "mobile": mobile, "pincode": pin} if step == "personal" else data)
        for step, data in EXAM_ANSWERS.items()
    }
    for step, data in answers.items():
        result = applications.save_step(app, step, data, actor=operator)
        if not result.ok:
            raise RuntimeError(f"fleet: {service.code}/{step} refused: {result.errors}")
        app.refresh_from_db()
    for document_id in DOCUMENTS:
        applications.attach_upload(app, document_id, _jpeg(document_id), actor=operator)
    return app.pk


def _existing_drafts(fk: FleetKiosk, service: Any) -> list[int]:
    """Drafts of an earlier run at this kiosk still ready: complete, consent alive."""
    from django.db.models import Count, Exists, OuterRef

    from ekseva.applications.models import Application, Status
    from ekseva.core import clock
    from ekseva.kiosks.models import Consent

    alive = Consent.objects.filter(
        kiosk=fk.kiosk,
        citizen_id=OuterRef("applicant_id"),
        revoked_at__isnull=True,
        expires_at__gt=clock.now() + _margin(),
    )
    return list(
        Application.objects.filter(
            kiosk_code=fk.kiosk.code, service=service, status=Status.DRAFT, step="preview"
        )
        .annotate(docs=Count("documents"))
        .filter(docs=len(DOCUMENTS))
        .filter(Exists(alive))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _margin():
    import datetime as dt

    return dt.timedelta(minutes=10)  # a draft whose consent ends within 10 minutes is stale


def _service(code: str | None) -> Any:
    from ekseva.catalog.models import Service

    return Service.objects.select_related("current_version", "department").get(code=code or SERVICE)


def _seed_worker(args: tuple[int, int, str, list[str]]) -> list[int]:
    kiosk_pk, operator_pk, service_code, mobiles = args
    from django import db

    from ekseva.accounts.models import User
    from ekseva.kiosks.models import Kiosk

    db.connections.close_all()
    kiosk = Kiosk.objects.get(pk=kiosk_pk)
    operator = User.objects.get(pk=operator_pk)
    service = _service(service_code)
    from django.utils import translation

    with translation.override("en"):
        return [_make_draft(operator, kiosk, service, mobile) for mobile in mobiles]


def ready_drafts(
    fk: FleetKiosk,
    count: int,
    *,
    service_code: str | None = None,
    processes: int | None = None,
    reuse: bool = True,
) -> list[Draft]:
    """``count`` kiosk-assisted drafts at ``fk``'s kiosk, each for its own citizen who
    gave consent there, filled completely (answers, photo, signature): POSTing the
    preview with ``declaration=yes`` submits it. Ready drafts left by an earlier run
    (``reuse``) are taken first."""
    return ready_drafts_many(
        [(fk, count)], service_code=service_code, processes=processes, reuse=reuse
    )[0]


def ready_drafts_many(
    wanted: list[tuple[FleetKiosk, int]],
    *,
    service_code: str | None = None,
    processes: int | None = None,
    reuse: bool = True,
) -> list[list[Draft]]:
    """``ready_drafts`` for several kiosks at once, made in parallel processes."""
    service = _service(service_code)
    have: list[list[int]] = []
    jobs: list[tuple[int, int, int, str, list[str]]] = []
    for n, (fk, count) in enumerate(wanted):
        found = _existing_drafts(fk, service)[:count] if reuse else []
        have.append(found)
        missing = count - len(found)
        if missing > 0:
            mobiles = _new_mobiles(missing)
            for chunk in _chunks(mobiles, 20):
                jobs.append((n, fk.kiosk.pk, fk.operator.pk, service.code, chunk))
    if jobs:
        # Seeding waits on the database more than it computes: more processes than cores.
        procs = processes or min(8, 4 * (os.cpu_count() or 1))
        if procs > 1 and len(jobs) > 1:
            import multiprocessing

            from django import db

            db.connections.close_all()
            context = multiprocessing.get_context("fork")
            with context.Pool(procs) as pool:
                results = pool.map(_seed_worker, [job[1:] for job in jobs])
        else:
            results = [_seed_worker(job[1:]) for job in jobs]
        for job, pks in zip(jobs, results, strict=True):
            have[job[0]].extend(pks)
    return [
        [Draft(pk=pk, kiosk_code=fk.kiosk.code, browser=fk.browser) for pk in pks]
        for (fk, _count), pks in zip(wanted, have, strict=True)
    ]


def _chunks(items: list[str], size: int):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def ready_submitted(
    fk: FleetKiosk, count: int, *, service_code: str | None = None, processes: int | None = None
) -> list[str]:
    """``count`` applications at ``fk``'s kiosk submitted by the operator and waiting
    for their fee (``fee_pending``): their numbers, for the console's pay POST."""
    from ekseva.accounts.models import User
    from ekseva.applications import services as applications
    from ekseva.applications.models import Application

    drafts = ready_drafts(fk, count, service_code=service_code, processes=processes)
    operator = User.objects.get(pk=fk.operator.pk)
    numbers = []
    for draft in drafts:
        app = Application.objects.select_related("version", "service").get(pk=draft.pk)
        numbers.append(applications.submit(app, declaration=True, actor=operator).number)
    return numbers
