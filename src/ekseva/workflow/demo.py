"""Demo back office: officers for the departments the demo's applications went to,
and a month and more of their work on those applications, every step through the
services, each at its own moment (the clock is moved):

- **officers**: for each department whose services the demo citizens and the kiosks'
  walk-ins applied to, a department officer, a designated officer and an appellate
  officer (``officer.<dept>``, ``do.<dept>``, ``ao.<dept>``), posted where the
  department works (a municipal corporation in its district, a board, university or
  power company state-wide), since before the first application; Lok Sewa keeps the
  accounts demo's ``officer.lsg`` / ``do.lsg`` / ``ao.lsg`` in Bhopal and gets a
  state-wide appellate officer for second appeals (``ao2.lsg``). Password
  ``demo-pass-2026`` (hashed once for all) and the demo TOTP key of ``accounts.demo``;
- **the walk-ins' applications** (the kiosks demo) were received before any officer
  existed, so their cases had nobody: operator staff assign each that waits with an
  officer (``services.reassign``). Then, case by case in time order: bills posted the
  next working day in bulk (``services.bulk_approve``), a few late or rejected as
  duplicates; certificates forwarded and decided (a few approved: the certificate is
  signed, put in the holder's locker and delivered), rejected with a reason code,
  returned for a clearer document, or left waiting; the nightly time-limit run
  (``sla.escalate_breaches``) on every day of the history puts the ones not decided in
  time in the delay register and moves them up;
- **the demo citizens' own applications** (filed online, fee paid at the sandbox):
  Asha Verma (9876543210) gets a trade licence from the Bhopal corporation (approved,
  the licence delivered to her locker), has an income certificate returned and
  resubmits it (now with the designated officer), and a domicile certificate that
  passed its time limit: she appeals, the appellate officer hears it and orders a
  penalty on the officer who sat on it. Ravi Kumar (9876543211) is refused an EWS
  certificate and appeals; his hearing is fixed for the coming days;
- a local holiday operator staff add (``sla.declare_holiday``), which moves due dates.

Certificates above this app revoke one of the certificates (``certificates.demo``).

Idempotent: every step first looks whether it was done (the case's state, stage and
actions; the appeal's status; the rows it would make), so a second run writes
nothing; a run on a later day adds what the days since bring. Never run this on a
real deployment.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from stdnum import verhoeff

from ekseva.accounts import services as accounts
from ekseva.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from ekseva.accounts.models import Posting, Role, User
from ekseva.applications import services as applications
from ekseva.applications.demo import sample_pdf
from ekseva.applications.models import Application
from ekseva.applications.models import Status as AppStatus
from ekseva.catalog.models import Service
from ekseva.core import clock, workdays
from ekseva.core.money import format_inr
from ekseva.geo import services as geo
from ekseva.geo.models import AdminUnit
from ekseva.payments import sandbox
from ekseva.payments import services as payments
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus

from . import appeals, services, sla
from .definition import stage_of, stages_of
from .models import Appeal, Case, DelayRecord, Holiday, Penalty

SITE = "http://127.0.0.1:8000"
OPS = "ops"  # the demo's operator staff member (accounts.demo)
ASHA = "9876543210"  # the demo citizens (accounts.demo)
RAVI = "9876543211"
KEY = "demo-office"  # idempotency keys of the citizens' fees: demo-office:<number>:fee
ASSIGN_REASON = (
    "No officer was posted for this office on the portal when the application arrived: "
    "assigned to the officer of the stage."
)

# --------------------------------------------------------------------------- officers

DEPARTMENT_OFFICER = Role.DEPARTMENT_OFFICER
DESIGNATED = Role.DESIGNATED_OFFICER
APPELLATE = Role.APPELLATE_OFFICER


@dataclass(frozen=True)
class Officer:
    username: str
    role: str
    department: str
    district: str  # "" = posted state-wide
    name: str


def _trio(department: str, district: str, names: tuple[str, str, str]) -> tuple[Officer, ...]:
    code = department.lower()
    return (
        Officer(f"officer.{code}", DEPARTMENT_OFFICER, department, district, names[0]),
        Officer(f"do.{code}", DESIGNATED, department, district, names[1]),
        Officer(f"ao.{code}", APPELLATE, department, district, names[2]),
    )


# The accounts demo makes officer.lsg, do.lsg and ao.lsg (Lok Sewa, Bhopal); the rest
# are made here, for the departments the demo's applications went to.
OFFICERS: tuple[Officer, ...] = (
    *_trio("LSG", "Bhopal", ("Department officer", "Designated officer", "Appellate officer")),
    Officer("ao2.lsg", APPELLATE, "LSG", "", "Dr. Sudha Tiwari"),
    *_trio("BMC", "Bhopal", ("Rakesh Malviya", "Anita Dubey", "Pradeep Jain")),
    *_trio("IMC", "Indore", ("Sunil Verma", "Kavita Joshi", "Manoj Agrawal")),
    *_trio("MPMKVVCL", "", ("Vinod Sahu", "Rajendra Patel", "Meera Saxena")),
    *_trio("MPPKVVCL", "", ("Harish Chouhan", "Sapna Nagar", "Dinesh Parmar")),
    *_trio("MPBSE", "", ("Alok Shrivastava", "Rekha Bhargava", "Dr. Ashok Mishra")),
    *_trio("RGPV", "", ("Nitin Raghuwanshi", "Dr. Preeti Singh", "Dr. Sanjay Rathore")),
    *_trio("BU", "", ("Mahesh Kushwaha", "Dr. Neelam Pandey", "Dr. Rajiv Awasthi")),
    *_trio("ESB", "", ("Pankaj Yadav", "Shalini Mehta", "Arvind Tripathi")),
)
ROLE_WORDS = {
    DEPARTMENT_OFFICER: "department officer",
    DESIGNATED: "designated officer",
    APPELLATE: "appellate officer",
}


def _district(name: str) -> AdminUnit | None:
    return AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT, name_en__iexact=name).first()


def _post_officers(departments: set[str], since: dt.date) -> dict[str, User]:
    """The officers of ``departments`` (made if missing, posted from ``since``)."""
    hashed = ""
    made: dict[str, User] = {}
    existing = {
        u.username: u for u in User.objects.filter(username__in=[o.username for o in OFFICERS])
    }
    for spec in OFFICERS:
        if spec.department not in departments:
            continue
        user = existing.get(spec.username)
        if user is None:
            district = _district(spec.district) if spec.district else None
            if spec.district and district is None:
                continue
            hashed = hashed or make_password(DEMO_PASSWORD)  # a hash costs a fifth of a second
            with clock.frozen(_at(since, 9, 30)), transaction.atomic():
                user, _device = accounts.create_staff(
                    username=spec.username,
                    role=spec.role,
                    password=None,
                    department_code=spec.department,
                    admin_unit=district,
                    full_name=spec.name,
                    totp_key=DEMO_TOTP_KEY,
                )
                user.password = hashed  # as if they had set it, like the kiosks demo's logins
                user.save(update_fields=["password"])
        made[spec.username] = user
    # The accounts demo posts its officers from the day it ran: in post since the
    # history began, as the kiosks demo does for the operator staff member.
    Posting.objects.filter(user__in=made.values(), starts__gt=since).update(starts=since)
    return made


# --------------------------------------------------------------------------- time


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _wd(day: dt.date, days: int) -> dt.date:
    return workdays.add_working_days(day, days)


def _working_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if workdays.is_working_day(day):
            days -= 1
    return day


class Timeline:
    """Steps at moments in the past, run in time order with the clock there. A step
    at or after the real now is left out: the case stays where it is."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self.last: list[Callable[[], None]] = []  # now, after the history

    def add(self, at: dt.datetime, step: Callable[[], None]) -> bool:
        if at >= self.now:
            return False
        self.steps.append((at, len(self.steps), step))
        return True

    def run(self) -> None:
        """Each day's steps in one transaction, committed at the moment of the day's
        last step, so the day's messages go out (and the audit log is sealed) then:
        one commit a day rather than one per action."""
        days: dict[dt.date, list[tuple[dt.datetime, Callable[[], None]]]] = defaultdict(list)
        for at, _order, step in sorted(self.steps, key=lambda item: (item[0], item[1])):
            days[timezone.localdate(at)].append((at, step))
        for steps in days.values():
            with clock.frozen(steps[-1][0]), transaction.atomic():
                for at, step in steps:
                    with clock.frozen(at):
                        step()
        for step in self.last:
            step()


# --------------------------------------------------------------------------- steps


def _case(pk: int) -> Case:
    return Case.objects.select_related("application", "application__version").get(pk=pk)


def _act(pk: int, kind: str, stage: str, actor: User, **options: Any) -> Callable[[], None]:
    """An officer's action, if the case is still open at ``stage`` and it was not taken
    there before."""

    def step() -> None:
        case = _case(pk)
        if case.state != Case.State.OPEN or case.stage != stage:
            return
        if case.actions.filter(kind=kind, stage=stage).exists():
            return
        services.act(case, kind, actor=actor, **options)

    return step


def _assign(pk: int, officer: User, actor: User, reason: str) -> Callable[[], None]:
    """Give a case with nobody (or, after a breach, someone else) to ``officer``."""

    def step() -> None:
        case = _case(pk)
        if case.state == Case.State.DISPOSED or case.assignee_id == officer.pk:
            return
        if case.assignee_id is not None and actor.username == OPS:
            return  # operator staff only pick up the cases nobody has
        if not services.holds_stage(officer, case, stage_of(case.application.version, case.stage)):
            return
        services.reassign(case, officer, actor=actor, reason=reason)

    return step


def _bulk(pks: list[int], stage: str, actor: User) -> Callable[[], None]:
    """The day's bills posted together: the clean ones by bulk approval, any other
    one on its own."""

    def step() -> None:
        cases = list(
            Case.objects.filter(pk__in=pks, state=Case.State.OPEN, stage=stage).order_by("pk")
        )
        if not cases:
            return
        with transaction.atomic():
            _approved, refused = services.bulk_approve(cases, actor=actor)
            for case, error in refused:
                if case.clean:
                    raise error
                services.act(case, "approve", actor=actor)

    return step


def _escalate(day: dt.date) -> Callable[[], None]:
    def step() -> None:
        sla.escalate_breaches(day)

    return step


# --------------------------------------------------------------------------- the walk-ins' cases

# Officers' words to walk-in applicants (who read Hindi): why refused, per service.
REFUSALS: dict[str, tuple[tuple[str, str], ...]] = {
    "mpbse-duplicate-marksheet": (
        ("information_false", "दिया गया अनुक्रमांक और वर्ष मंडल के अभिलेख में इस नाम से मेल नहीं खाते।"),
        ("duplicate", "इसी अनुक्रमांक की दूसरी प्रति पहले के आवेदन पर जारी की जा चुकी है।"),
    ),
    "rgpv-provisional-degree": (
        ("not_eligible", "विश्वविद्यालय के अभिलेख के अनुसार एक विषय का पूरक परिणाम शेष है।"),
        ("documents_invalid", "पहचान पत्र पर नाम नामांकन अभिलेख के नाम से मेल नहीं खाता।"),
    ),
    "bu-duplicate-marksheet": (
        ("information_false", "दिया गया नामांकन क्रमांक किसी अन्य विद्यार्थी का है।"),
    ),
    "bmc-birth-certificate": (
        ("documents_invalid", "अस्पताल की पर्ची पर अस्पताल का पंजीयन क्रमांक या मुहर नहीं है।"),
    ),
    "imc-birth-certificate": (
        ("documents_invalid", "अस्पताल की पर्ची पर अस्पताल का पंजीयन क्रमांक या मुहर नहीं है।"),
    ),
}
BILL_REFUSAL = (
    "duplicate",
    "इस बिल का भुगतान पहले की रसीद से हो चुका है; राशि अगले बिल में समायोजित की जाएगी।",
)
OTHER_REFUSAL = ("other", "आवेदन में दी गई जानकारी अभिलेख से सत्यापित नहीं हो सकी।")
FORWARD_REMARK = "अभिलेख से सत्यापित; निर्णय हेतु अग्रेषित।"
CLEARER_COPY = "कियोस्क पर अपलोड की गई {label} की प्रति पढ़ने योग्य नहीं है; कृपया साफ़ और पूरी प्रति दें।"

# What becomes of the walk-ins' certificate (and other staged) cases, in the order
# they came, for those already past their time limit and for those still within it.
PAST_DUE = (
    "approve",
    "reject",
    "return",
    "forward",
    "reject_issue",
    "approve",
    "return",
    "reject_late",
    "open",
    "return",
)
WITHIN = ("forward", "open", "return", "forward", "open", "reject")
# Certificates are signed PDFs (about a second each to draw and sign): a few walk-ins'
# (two per service at most) besides the demo citizen's own.
CERTIFICATES_PER_SERVICE = 2
WALK_IN_CERTIFICATES = 6
CERTIFIED = frozenset({"certificate", "licence"})


class Office:
    """Who holds which stage for a case (the demo's officers, looked up once)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int | None, str], User | None] = {}

    def holder(self, case: Case, role: str) -> User | None:
        key = (case.department_code, case.district_id, role)
        if key not in self._cache:
            found = services.officers_for(case.department_code, case.district, role)
            self._cache[key] = found[0] if found else None
        return self._cache[key]


def _refusal(case: Case, rng: random.Random) -> tuple[str, str]:
    choices = REFUSALS.get(case.service_code) or (OTHER_REFUSAL,)
    return rng.choice(choices)


def _plan_walk_in(
    case: Case,
    fate: str,
    office: Office,
    timeline: Timeline,
    bulk: dict[tuple[int, str, dt.date], list[int]],
    ops: User,
) -> None:
    app = case.application
    stages = stages_of(app.version)
    first = stages[0]
    officer = office.holder(case, first.role)
    if officer is None:
        return
    rng = random.Random(app.number)  # noqa: S311 - demo data, the same on every run
    received = case.received_on
    steps: list[tuple[dt.datetime, Callable[[], None]]] = []

    if fate in ("post", "post_late", "refuse_bill"):  # a bill (one stage, a receipt)
        if fate == "post":
            day = _wd(received, 1)
            if _at(day, 11, 30) < timeline.now:
                bulk[(officer.pk, first.id, day)].append(case.pk)
                return
        elif fate == "post_late" and case.due_date is not None:
            steps.append(
                (_at(_wd(case.due_date, 2), 12, 15), _act(case.pk, "approve", first.id, officer))
            )
        elif fate == "refuse_bill":
            reason, remark = BILL_REFUSAL
            steps.append(
                (
                    _at(_wd(received, 1), 10, 40),
                    _act(case.pk, "reject", first.id, officer, reason_code=reason, remark=remark),
                )
            )
    else:
        t0 = _at(_wd(received, 2 + rng.randint(0, 2)), 10 + rng.randint(0, 5), rng.randint(0, 59))
        t1 = _at(_wd(t0.date(), 2 + rng.randint(0, 2)), 11 + rng.randint(0, 5), rng.randint(0, 59))
        second = stages[1] if len(stages) > 1 else None
        decider = office.holder(case, second.role) if second else officer
        if second is not None and decider is None:
            fate = "open" if fate in ("approve", "reject_issue") else fate
        if second is None and fate == "forward":
            fate = "open"
        if second is None and fate == "reject_issue":
            fate = "reject"
        reason, remark = _refusal(case, rng)
        if fate == "approve" and second is None:
            steps.append((t0, _act(case.pk, "approve", first.id, officer)))
        elif fate in ("approve", "forward", "reject_issue") and second is not None:
            steps.append((t0, _act(case.pk, "forward", first.id, officer, remark=FORWARD_REMARK)))
            if fate == "approve":
                steps.append((t1, _act(case.pk, "approve", second.id, decider)))
            elif fate == "reject_issue":
                refuse = _act(
                    case.pk, "reject", second.id, decider, reason_code=reason, remark=remark
                )
                steps.append((t1, refuse))
        elif fate == "reject":
            refuse = _act(case.pk, "reject", first.id, officer, reason_code=reason, remark=remark)
            steps.append((t0, refuse))
        elif fate == "reject_late" and case.due_date is not None:
            late = _at(_wd(case.due_date, 2 + rng.randint(0, 3)), 15, rng.randint(0, 59))
            refuse = _act(case.pk, "reject", first.id, officer, reason_code=reason, remark=remark)
            steps.append((late, refuse))
        elif fate == "return":
            _fields, documents = services.fixable_ids(app.version)
            attached = set(app.documents.values_list("document_id", flat=True))
            asked = [doc for doc in documents if doc in attached][:1]
            if asked:
                label = services.fix_labels(app.version, asked, "hi")[0]
                ask = _act(
                    case.pk,
                    "ask_document",
                    first.id,
                    officer,
                    fields=asked,
                    remark=CLEARER_COPY.format(label=label),
                )
                steps.append((t0, ask))

    steps = [(at, step) for at, step in steps if at < timeline.now]
    # The case waits with the first stage's officer (now, or past its due date):
    # operator staff give it to them, soon after it came.
    waits = not steps or (
        case.due_date is not None and steps[0][0].date() > case.due_date and fate != "return"
    )
    if case.assignee_id is None and case.state == Case.State.OPEN and waits:
        assign = _assign(case.pk, officer, ops, ASSIGN_REASON)
        gap = min(dt.timedelta(minutes=50), (timeline.now - case.opened_at) / 2)
        if not timeline.add(case.opened_at + gap, assign):
            timeline.last.append(assign)  # it came just now
    for at, step in steps:
        timeline.add(at, step)


def _fates(cases: list[Case], today: dt.date) -> dict[int, str]:
    """What becomes of each walk-in case (by the order cases came, per service)."""
    fates: dict[int, str] = {}
    pools: dict[tuple[str, bool], list[Case]] = defaultdict(list)
    bills: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        version = case.application.version
        if version.deliverable == "receipt" and len(stages_of(version)) == 1:
            bills[case.service_code].append(case)
        else:
            past = case.due_date is not None and case.due_date < today
            pools[(case.service_code, past)].append(case)
    for members in bills.values():
        for index, case in enumerate(members):
            fates[case.pk] = (
                "refuse_bill" if index % 23 == 11 else "post_late" if index % 17 == 5 else "post"
            )
    certified = 0
    # Two-stage services first: their approvals show the whole way (forward, approve).
    order = sorted(
        pools.items(), key=lambda item: (-len(stages_of(item[1][0].application.version)), item[0])
    )
    for (_service, past), members in order:
        cycle = PAST_DUE if past else WITHIN
        approved = 0
        for index, case in enumerate(members):
            fate = cycle[index % len(cycle)]
            if fate == "approve" and case.application.version.deliverable in CERTIFIED:
                if approved >= CERTIFICATES_PER_SERVICE or certified >= WALK_IN_CERTIFICATES:
                    fate = "reject_issue"
                else:
                    approved += 1
                    certified += 1
            fates[case.pk] = fate
    return fates


# --------------------------------------------------------------------------- the citizens' own


@dataclass(frozen=True)
class Story:
    """An application a demo citizen files online, and what the office does with it."""

    key: str
    mobile: str
    service: str
    back: int  # filed this many working days before today
    at: tuple[int, int]  # at this time of day
    documents: tuple[str, ...]


STORIES = (
    Story("licence", ASHA, "bmc-trade-licence", 12, (11, 15), ("ownership", "id_proof")),
    Story("income", ASHA, "lsg-income-certificate", 11, (10, 20), ("photo", "income_affidavit")),
    Story("domicile", ASHA, "lsg-domicile-certificate", 30, (12, 5), ("photo", "residence_proof")),
    Story("ews", RAVI, "lsg-ews-certificate", 9, (16, 40), ("photo", "income_affidavit")),
    # Filed two working days ago: waiting in officer.lsg's inbox.
    Story("caste", ASHA, "lsg-caste-certificate-obc", 2, (17, 5), ("photo", "family_caste_record")),
)

# Villages of Huzur tehsil (Bhopal) for the Lok Sewa forms, which ask for one; the
# geo demo loads districts and tehsils only. An LGD village export, as geo imports it.
HUZUR = "990101"
VILLAGES = (
    ("99010101", "Phanda Kalan", "फंदा कलां"),
    ("99010102", "Bairagarh Chichli", "बैरागढ़ चीचली"),
    ("99010103", "Kolua Khurd", "कोलुआ खुर्द"),
)


def _villages() -> dict[str, str]:
    """The demo villages' codes by name (imported once through the LGD import)."""
    kind = AdminUnit.Kind.VILLAGE
    codes = [code for code, _en, _hi in VILLAGES]
    found = dict(
        AdminUnit.objects.filter(kind=kind, lgd_code__in=codes).values_list("name_en", "code")
    )
    if len(found) == len(VILLAGES):
        return found
    if not AdminUnit.objects.filter(kind=AdminUnit.Kind.TEHSIL, lgd_code=HUZUR).exists():
        return {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo_lgd_villages.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                [
                    "State Code",
                    "Sub-District Code",
                    "Village Code",
                    "Village Name (In English)",
                    "Village Name (In Local language)",
                ]
            )
            for code, name_en, name_hi in VILLAGES:
                writer.writerow(["23", HUZUR, code, name_en, name_hi])
        geo.import_lgd(path)
    return dict(
        AdminUnit.objects.filter(kind=kind, lgd_code__in=codes).values_list("name_en", "code")
    )


def _aadhaar(stem: str) -> str:
    return stem + verhoeff.calc_check_digit(stem)


def _answers(story: Story, citizen: User, villages: dict[str, str]) -> dict[str, dict[str, Any]]:
    bhopal = _district("Bhopal")
    huzur = AdminUnit.objects.filter(kind=AdminUnit.Kind.TEHSIL, lgd_code=HUZUR).first()
    profile = citizen.profile
    address = {
        "district": bhopal.code if bhopal else "",
        "tehsil": huzur.code if huzur else "",
        "address": profile.address_line,
        "pincode": profile.pincode,
        "mobile": citizen.mobile,
    }
    if story.key == "licence":
        return {
            "business": {
                "business_name": "Asha Tiffin Centre",
                "owner_name": profile.name_en,
                "pan": "AVRPV4417K",
                "trade_kind": "eatery",
                "area_sqft": 180,
                "district": address["district"],
                "address": "Shop 3, 12 Shivaji Nagar, Bhopal",
                "pincode": profile.pincode,
                "mobile": citizen.mobile,
            }
        }
    if story.key == "income":
        return {
            "applicant": {
                "aadhaar": "234123412346",
                "annual_income": 180000,
                "income_source": ["salary"],
            },
            "address": {**address, "village": villages["Bairagarh Chichli"]},
        }
    if story.key == "caste":
        return {
            "applicant": {
                "aadhaar": "234123412346",
                "caste_name": "Kurmi",
                "annual_income": 210000,
            },
            "address": {**address, "village": villages["Bairagarh Chichli"]},
        }
    if story.key == "domicile":
        return {
            "applicant": {"aadhaar": "234123412346", "years_in_mp": 36, "born_in_mp": "yes"},
            "address": {**address, "village": villages["Bairagarh Chichli"]},
        }
    return {  # ews
        "applicant": {
            "aadhaar": _aadhaar("58631470925"),
            "social_category": "GEN",
            "annual_income": 640000,
            "land_acres": 2,
        },
        "address": {**address, "village": villages["Kolua Khurd"]},
    }


def _jpeg(name: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 400), (236, 240, 246))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 60, 210, 220), fill=(11, 61, 145))
    draw.rectangle((45, 240, 255, 400), fill=(11, 61, 145))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _upload(story: Story, document_id: str, version: str = "") -> SimpleUploadedFile:
    slug = f"{story.key}-{document_id.replace('_', '-')}{version}"
    if document_id == "photo":
        return _jpeg(f"{slug}.jpg")
    return sample_pdf(f"{slug}.pdf", slug)


def _pay(app: Application, citizen: User) -> Application:
    """The fee paid at the sandbox gateway by UPI, its webhook bringing the result."""
    payment = applications.start_payment(
        app, idempotency_key=f"{KEY}:{app.number}:fee", actor=citizen, gateway="sandbox"
    )
    if payment.status == PaymentStatus.CREATED:
        with translation.override("en"):
            back = reverse("payments:return", args=[payment.reference])
        payments.start_checkout(payment, return_url=back, actor=citizen)
        payment = Payment.objects.get(pk=payment.pk)
    order = sandbox.get_order(payment.gateway_order_id or "")
    if order is not None and sandbox.is_open(order):
        sandbox.pay(order.order_id, sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox"))
    if order is not None:
        sandbox.deliver_due(order=order.pk)
    return Application.objects.get(pk=app.pk)


def _file(story: Story, citizen: User, today: dt.date, villages: dict[str, str]) -> Case | None:
    """The story's application, filed, paid and received (as far as missing): its case."""
    service = Service.objects.select_related("current_version").filter(code=story.service).first()
    if service is None or service.current_version is None:
        return None
    app = (
        Application.objects.filter(applicant=citizen, service=service)
        .exclude(status=AppStatus.WITHDRAWN)
        .order_by("id")
        .first()
    )
    if app is None or app.status in (AppStatus.DRAFT, AppStatus.FEE_PENDING):
        filed = _at(_working_days_before(today, story.back), *story.at)
        with clock.frozen(filed):
            if app is None:
                app = applications.start(citizen, service)
            if app.status == AppStatus.DRAFT:
                for step, answers in _answers(story, citizen, villages).items():
                    result = applications.save_step(app, step, answers, actor=citizen)
                    if not result.ok:
                        raise ValueError(f"workflow demo: {story.service}/{step}: {result.errors}")
                    app.refresh_from_db()
                for document_id in story.documents:
                    applications.attach_upload(
                        app, document_id, _upload(story, document_id), actor=citizen
                    )
                problems = applications.check_complete(app)
                if problems:
                    raise ValueError(f"workflow demo: {story.service} incomplete: {problems}")
                app = applications.submit(app, declaration=True, actor=citizen)
        with clock.frozen(filed + dt.timedelta(minutes=4)):
            if app.status == AppStatus.FEE_PENDING:
                app = _pay(app, citizen)
    return Case.objects.filter(application=app).select_related("application").first()


def _resubmit(pk: int, story: Story, citizen: User) -> Callable[[], None]:
    """Asha answers the return: the corrected income and a fresh affidavit."""

    def step() -> None:
        case = _case(pk)
        if case.state != Case.State.RETURNED or case.actions.filter(kind="resubmit").exists():
            return
        app = case.application
        applications.attach_upload(
            app, "income_affidavit", _upload(story, "income_affidavit", "-notarised"), actor=citizen
        )
        services.resubmit(app, {"annual_income": 210000}, actor=citizen)

    return step


def _appeal(pk: int, citizen: User, statement: str) -> Callable[[], None]:
    def step() -> None:
        case = _case(pk)
        if not Appeal.objects.filter(case=case, level=Appeal.Level.FIRST).exists():
            appeals.file_appeal(case, appellant=citizen, statement=statement)

    return step


def _hearing(pk: int, at: dt.datetime, place: str, officer: User) -> Callable[[], None]:
    def step() -> None:
        appeal = Appeal.objects.filter(case_id=pk, level=Appeal.Level.FIRST).first()
        if appeal is not None and appeal.status == Appeal.Status.FILED:
            appeals.schedule_hearing(appeal, at=at, place=place, actor=officer)

    return step


def _order(pk: int, officer: User, compensation: int) -> Callable[[], None]:
    def step() -> None:
        appeal = Appeal.objects.filter(case_id=pk, level=Appeal.Level.FIRST).first()
        if appeal is None or appeal.status == Appeal.Status.DECIDED:
            return
        preview = appeals.penalty_preview(appeal)
        who = preview.officer.full_name if preview.officer else "the officer responsible"
        text = (
            "The first appeal is allowed. The application was not decided within the "
            f"{appeal.case.limit_days} working days the Act allows, and the department "
            "officer showed no sufficient cause for the delay at the hearing. The designated "
            "officer shall decide the application within 7 days of this order. A penalty of "
            f"{format_inr(preview.amount)} ({preview.days_late} days late) is imposed on "
            f"{who}, of which {format_inr(min(compensation, preview.amount))} shall be paid "
            "to the appellant as compensation."
        )
        appeals.decide(
            appeal,
            outcome=Appeal.Outcome.ALLOWED,
            order_text=text,
            actor=officer,
            penalise=True,
            compensation=min(compensation, preview.amount),
        )

    return step


HEARING_PLACE = (
    "Court of the Sub-Divisional Officer (first appellate officer), Huzur, Collectorate, Bhopal"
)


def _plan_story(
    story: Story, case: Case, people: dict[str, User], citizen: User, timeline: Timeline
) -> None:
    received = case.received_on
    stages = [s.id for s in stages_of(case.application.version)]
    first = stages[0]
    second = stages[1] if len(stages) > 1 else first
    if story.key == "licence":
        timeline.add(
            _at(_wd(received, 3), 12, 40),
            _act(
                case.pk,
                "forward",
                first,
                people["officer.bmc"],
                remark="Inspected the premises: kitchen clean, fire extinguisher in place, "
                "180 sq ft as declared. Recommended.",
            ),
        )
        timeline.add(
            _at(_wd(received, 5), 16, 10), _act(case.pk, "approve", second, people["do.bmc"])
        )
    elif story.key == "income":
        timeline.add(
            _at(_wd(received, 2), 11, 20),
            _act(
                case.pk,
                "return",
                first,
                people["officer.lsg"],
                fields=["annual_income", "income_affidavit"],
                remark="The patwari's report puts the family income at Rs 2,10,000 (your "
                "husband's salary included): correct the annual income and upload a fresh, "
                "signed self-declaration.",
            ),
        )
        timeline.add(_at(_wd(received, 3), 19, 30), _resubmit(case.pk, story, citizen))
        timeline.add(
            _at(_wd(received, 5), 11, 45),
            _act(
                case.pk,
                "forward",
                first,
                people["officer.lsg"],
                remark="Patwari's report: family income Rs 2,10,000 a year from salary, as now "
                "declared. Recommended.",
            ),
        )
    elif story.key == "domicile" and case.due_date is not None:
        breach = case.due_date + dt.timedelta(days=1)  # the nightly run after the due date
        timeline.add(
            _at(breach, 10, 15),
            _assign(
                case.pk,
                people["officer.lsg"],
                people["do.lsg"],
                "The patwari's report is overdue: complete it today.",
            ),
        )
        filed = breach + dt.timedelta(days=1)
        timeline.add(
            _at(filed, 20, 5),
            _appeal(
                case.pk,
                citizen,
                "I applied for my domicile certificate on "
                f"{received:%d-%m-%Y} and it was not decided within 7 working days. I need it "
                "for my son's school admission.",
            ),
        )
        hearing = _at(_wd(filed + dt.timedelta(days=1), 4), 11, 30)
        timeline.add(
            _at(filed + dt.timedelta(days=1), 11, 0),
            _hearing(case.pk, hearing, HEARING_PLACE, people["ao.lsg"]),
        )
        timeline.add(
            _at(_wd(breach, 2), 17, 20),
            _act(
                case.pk,
                "forward",
                first,
                people["officer.lsg"],
                remark="Patwari's report: resident of Bairagarh Chichli since birth. Recommended.",
            ),
        )
        timeline.add(hearing + dt.timedelta(hours=1), _order(case.pk, people["ao.lsg"], 50_000))
    elif story.key == "ews":
        timeline.add(
            _at(_wd(received, 3), 15, 0),
            _act(
                case.pk,
                "forward",
                first,
                people["officer.lsg"],
                remark="Patwari's report: family income Rs 9,60,000 a year (father's shop and "
                "the applicant's salary together); 2 acres of land.",
            ),
        )
        refused = _wd(received, 5)
        timeline.add(
            _at(refused, 12, 0),
            _act(
                case.pk,
                "reject",
                second,
                people["do.lsg"],
                reason_code="not_eligible",
                remark="The family income found by the patwari, Rs 9,60,000, is above the "
                "Rs 8,00,000 limit for the EWS certificate.",
            ),
        )
        timeline.add(
            _at(refused + dt.timedelta(days=1), 18, 30),
            _appeal(
                case.pk,
                citizen,
                "The patwari counted my uncle's shop with my father's income; my uncle lives "
                "separately. Our family income is Rs 6,40,000 as declared. I will bring the "
                "ration card to the hearing.",
            ),
        )
        scheduled = refused + dt.timedelta(days=2)
        timeline.add(
            _at(scheduled, 11, 0),
            _hearing(case.pk, _at(_wd(scheduled, 5), 11, 30), HEARING_PLACE, people["ao.lsg"]),
        )


# --------------------------------------------------------------------------- the holiday

# Days of Madhya Pradesh the holidays package does not know: staff add the next one.
LOCAL_HOLIDAYS = (
    (11, 1, "Madhya Pradesh Foundation Day", "मध्यप्रदेश स्थापना दिवस"),
    (12, 4, "Tantya Bhil Balidan Diwas", "टंट्या भील बलिदान दिवस"),
    (6, 24, "Rani Durgavati Balidan Diwas", "रानी दुर्गावती बलिदान दिवस"),
)


def _holiday(ops: User, today: dt.date) -> Holiday | None:
    names = [name for _month, _day, name, _hi in LOCAL_HOLIDAYS]
    existing = Holiday.objects.filter(name_en__in=names).order_by("date").first()
    if existing is not None:
        return existing
    choices = []
    for month, day, name_en, name_hi in LOCAL_HOLIDAYS:
        for year in (today.year, today.year + 1):
            date = dt.date(year, month, day)
            if date > today and workdays.is_working_day(date):
                choices.append((date, name_en, name_hi))
    if not choices:
        return None
    date, name_en, name_hi = min(choices)
    holiday, _moved = sla.declare_holiday(date, name_en, name_hi, actor=ops)
    return holiday


# --------------------------------------------------------------------------- load


def _ready() -> str:
    if not User.objects.filter(username=OPS).exists():
        return f"no '{OPS}' staff member: load the accounts demo first"
    if not _district("Bhopal"):
        return "no districts: load the geo demo first"
    return ""


def load() -> list[str]:
    """The back office's people and their month, as far as missing; lines for the banner."""
    why = _ready()
    if why:
        return [f"back office: skipped ({why})"]
    now = clock.now()
    today = clock.today()
    ops = User.objects.get(username=OPS)
    citizens = {
        user.mobile: user
        for user in User.objects.select_related("profile").filter(mobile__in=[ASHA, RAVI])
    }
    stories = [s for s in STORIES if s.mobile in citizens]
    first = Case.objects.order_by("received_on").values_list("received_on", flat=True).first()
    earliest = _working_days_before(today, max(s.back for s in STORIES))
    since = min(first or earliest, earliest) - dt.timedelta(days=7)
    departments = set(Case.objects.values_list("department_code", flat=True).distinct())
    departments |= {"LSG", "BMC"}
    people = _post_officers(departments, since)
    # The operator staff member is in post since then too (the kiosks demo makes it so).
    Posting.objects.filter(user=ops, starts__gt=since).update(starts=since)

    villages = _villages()
    own: dict[int, tuple[Story, User]] = {}
    for story in stories:
        if story.service.startswith("lsg-") and len(villages) < len(VILLAGES):
            continue
        needed = {"licence": ("officer.bmc", "do.bmc")}.get(
            story.key, ("officer.lsg", "do.lsg", "ao.lsg")
        )
        if not all(name in people for name in needed):
            continue
        case = _file(story, citizens[story.mobile], today, villages)
        if case is not None:
            own[case.pk] = (story, citizens[story.mobile])

    timeline = Timeline(now)
    cases = list(
        Case.objects.select_related("application", "application__version", "district")
        .exclude(application__status=AppStatus.WITHDRAWN)
        .order_by("opened_at", "pk")
    )
    walk_ins = [case for case in cases if case.pk not in own]
    fates = _fates(walk_ins, today)
    office = Office()
    bulk: dict[tuple[int, str, dt.date], list[int]] = defaultdict(list)
    for case in walk_ins:
        _plan_walk_in(case, fates[case.pk], office, timeline, bulk, ops)
    officers = {user.pk: user for user in people.values()}
    for (officer_pk, stage, day), pks in bulk.items():
        minute = 30 + sorted(officers).index(officer_pk) % 20
        timeline.add(_at(day, 11, minute), _bulk(pks, stage, officers[officer_pk]))
    for pk, (story, citizen) in own.items():
        _plan_story(story, _case(pk), people, citizen, timeline)
    if cases:
        day = min(case.received_on for case in cases) + dt.timedelta(days=1)
        while day <= today:
            timeline.add(_at(day, 0, 30), _escalate(day))
            day += dt.timedelta(days=1)
    timeline.run()
    holiday = _holiday(ops, today)
    return _lines(people, holiday, own)


# --------------------------------------------------------------------------- the banner

SEATS = {"": "state-wide"}


def _lines(people: dict[str, User], holiday: Holiday | None, own: dict[int, Any]) -> list[str]:
    totp = "TOTP `.venv/bin/ekseva accounts totp-code <username>`"
    lines = [
        f"officers' inbox at {SITE}/en/office/inbox/ (password {DEMO_PASSWORD}, {totp}):",
    ]
    by_department: dict[str, list[str]] = defaultdict(list)
    for spec in OFFICERS:
        if spec.username in people:
            seat = spec.district or "state-wide"
            words = ROLE_WORDS[spec.role]
            if spec.username == "ao2.lsg":
                words = "second appeals"
            by_department[spec.department].append(f"{spec.username} ({words}, {seat})")
    for department, names in by_department.items():
        lines.append(f"  {department}: " + ", ".join(names))
    # A case whose application was withdrawn stays open (the back office has no
    # withdrawal yet): not counted.
    live = Case.objects.exclude(application__status=AppStatus.WITHDRAWN)
    states = Counter(live.values_list("state", "outcome"))
    overdue = live.filter(state=Case.State.OPEN, due_date__lt=clock.today()).count()
    lines.append(
        f"cases: {states[(Case.State.OPEN, '')]} open ({overdue} past the time limit), "
        f"{states[(Case.State.RETURNED, '')]} returned to the applicant, "
        f"{states[(Case.State.DISPOSED, 'approved')]} approved, "
        f"{states[(Case.State.DISPOSED, 'rejected')]} rejected; delay register "
        f"({DelayRecord.objects.count()}) at {SITE}/en/office/delays/, figures at "
        f"{SITE}/en/office/data/ and {SITE}/en/performance/"
    )
    shown = []
    for appeal in Appeal.objects.select_related("case__application", "appellate_officer"):
        number = appeal.case.application.number
        if appeal.status == Appeal.Status.DECIDED:
            penalty = Penalty.objects.filter(appeal=appeal).select_related("officer").first()
            fine = (
                f", penalty {format_inr(penalty.amount)} on {penalty.officer.username}"
                if penalty
                else ""
            )
            shown.append(f"{appeal.reference} on {number} decided{fine}")
        elif appeal.hearing_at:
            when = timezone.localtime(appeal.hearing_at)
            shown.append(f"{appeal.reference} on {number}, hearing {when:%d-%m-%Y %H:%M}")
        else:
            shown.append(f"{appeal.reference} on {number} filed")
    if shown:
        lines.append(f"appeals ({SITE}/en/office/appeals/, ao.lsg): " + "; ".join(shown))
    mine = (
        Application.objects.filter(applicant__mobile__in=[ASHA, RAVI], case__isnull=False)
        .exclude(status=AppStatus.WITHDRAWN)
        .select_related("applicant", "service")
        .order_by("applicant__mobile", "id")
    )
    for mobile in (ASHA, RAVI):
        items = [
            f"{app.service.name('en')} {app.number} ({app.status_text('en').lower()})"
            for app in mine
            if app.applicant.mobile == mobile
        ]
        if items:
            lines.append(f"{mobile}'s applications with the office: " + "; ".join(items))
    if holiday is not None:
        lines.append(
            f"holiday added by {OPS}: {holiday.date:%d-%m-%Y} {holiday.name_en} "
            f"(due dates moved; {SITE}/en/office/holidays/)"
        )
    return lines
