"""Demo kiosk network: real kiosks across Madhya Pradesh and a month and more of their work.

Everything goes through the services, as the pages would:

- fourteen kiosks of all three kinds in twelve districts, each at a real PIN code
  of its district (its post office's coordinates, a few hundred metres off). Each
  owner applies (``onboarding.submit`` with their KYC files), pays the registration
  fee at the sandbox gateway and is approved by the demo operator staff member
  (``onboarding.approve`` opens the kiosk and the owner's login). At four kiosks the
  owner adds an operator (``onboarding.add_operator``); at the others the owner
  serves the walk-ins;
- the logins are renamed ``kiosk.<place>`` (owner) and ``operator.<place>`` and
  activated with the password ``demo-pass-2026`` and the demo TOTP key of
  ``accounts.demo`` (as if each person had followed their SMS link, which sets
  both), so ``ekseva accounts totp-code operator.bhopal`` prints a code. The
  password is hashed once for all of them: a hash costs a fifth of a second;
- each wallet starts with a bank deposit the owner records and operator staff
  verify (``wallet.submit_deposit`` / ``verify_deposit``); the owner tops up at the
  sandbox gateway (``wallet.start_topup``) whenever the next payment would take the
  wallet below its low-balance mark. One kiosk tops up only what each payment needs,
  so it ends below its mark;
- from the first day of last month (or 30 days back, whichever is earlier) to
  yesterday, walk-in citizens (registered, with Hindi and English names) at the
  kiosks: consent by the OTP the citizen reads out from their SMS
  (``request_consent`` / ``grant_consent``), the application filled, submitted and
  paid from the wallet (``start_assisted``, ``pay_assisted``), consent ended, each
  step at its own minute (the clock is moved), so the wallet and commission
  statements show dated lines. Bill payments and certificates open all year;
- one kiosk suspended by operator staff with the reason, one application to run a
  kiosk under review and one returned for correction, an open overcharging
  complaint, citizens' ratings, last month's commission statements and a payout
  batch waiting for the bank.

Idempotent: a kiosk application is found again by its owner's mobile and moved on
only as far as missing; walk-in visits are made in time order, one transaction
each, and a run makes only those after where the history ends (see
``_history_made_until``); the other steps look for what they would make. A second
run writes nothing (a run on a later day adds the walk-ins of the days since).
Never run this on a real deployment.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import verhoeff

from ekseva.accounts import services as accounts
from ekseva.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from ekseva.accounts.models import Posting, User
from ekseva.applications import services as applications
from ekseva.applications.demo import sample_pdf
from ekseva.applications.models import Application, LockerDocument
from ekseva.catalog.models import Service
from ekseva.core import clock
from ekseva.core.money import format_inr
from ekseva.geo.models import AdminUnit, PostOffice
from ekseva.notifications.models import Message
from ekseva.payments import sandbox
from ekseva.payments import services as payments
from ekseva.payments.models import Payment
from ekseva.payments.models import Status as PaymentStatus

from . import commission, feedback, onboarding, services, wallet
from .models import (
    CommissionStatement,
    Complaint,
    Kind,
    Kiosk,
    KioskApplication,
    KioskOperator,
    PayoutBatch,
    Rating,
    WalletDeposit,
)

SITE = "http://127.0.0.1:8000"
KEY = "demo"  # walk-in payments: kiosk:<code>:demo-<place>-<YYYYMMDDHHMM>-<errand>
STAFF = "ops"  # the demo operator staff member (accounts.demo) who reviews, verifies, governs
SEED = 6  # names and the month's traffic are drawn from this seed: the same on every run

# --------------------------------------------------------------------------- the kiosks

WEEKDAYS = ("Mon–Sat 09:30–19:30", "सोम–शनि 09:30–19:30")
EVERY_DAY = ("Every day 09:00–21:00", "प्रतिदिन 09:00–21:00")
HALF_SUNDAY = (
    "Mon–Sat 10:00–19:00; Sun 10:00–14:00",
    "सोम–शनि 10:00–19:00; रवि 10:00–14:00",
)

CENTRAL_BILL = "mpmkvvcl-electricity-bill"  # Bhopal and Gwalior regions
WEST_BILL = "mppkvvcl-electricity-bill"  # Indore and Ujjain regions
BHOPAL_CIVIC = ("bmc-water-bill", "bmc-property-tax", "bmc-birth-certificate")
INDORE_CIVIC = ("imc-water-bill", "imc-property-tax", "imc-birth-certificate")
MARKSHEETS = ("mpbse-duplicate-marksheet", "rgpv-provisional-degree")


@dataclass(frozen=True)
class KioskSpec:
    """A kiosk (or an application to run one) as its owner fills the form."""

    place: str  # the demo's name for it: logins kiosk.<place> (and operator.<place>)
    district: str
    pin: str
    office: str  # the post office at that PIN whose coordinates place the kiosk
    kind: str
    business_name: str
    owner_name: str
    owner_mobile: str
    pan: str
    aadhaar: str  # 11 digits: the Verhoeff check digit is added
    bank_ifsc: str
    bank_account: str
    address: str
    operator: tuple[str, str] = ("", "")  # the operator the owner adds (else they serve)
    menu: tuple[str, ...] = ()  # what its walk-ins come for (within its services)
    services: tuple[str, ...] = ()  # empty: every kiosk-channel service
    tehsil: str = ""
    hours: tuple[str, str] = WEEKDAYS
    busy: float = 1.0  # relative walk-in traffic
    float_paise: int = 2_000_000  # the opening bank deposit
    topup_paise: int = 1_000_000  # what the owner tops up when the wallet runs low
    suspended: str = ""  # why operator staff suspended it (4 days before today)
    low_balance: bool = False  # tops up only what the next payment needs
    review: str = ""  # a pending application: under_review or returned (no kiosk yet)
    return_reason: str = ""
    fix: tuple[str, ...] = ()  # what the reviewer asks to fix (onboarding.FIX_ITEMS keys)


KIOSKS: tuple[KioskSpec, ...] = (
    KioskSpec(
        place="bhopal",
        district="Bhopal",
        pin="462016",
        office="R.S.Market S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Jan Suvidha Online Kendra",
        owner_name="Rajesh Kumar Sharma",
        owner_mobile="9826045120",
        pan="BQRPS4821K",
        aadhaar="45871236901",
        bank_ifsc="SBIN0001308",
        bank_account="30145872210",
        address="Shop 12, 10 No. Market, Arera Colony, Bhopal",
        operator=("Neha Malviya", "9893104455"),
        menu=(CENTRAL_BILL, *BHOPAL_CIVIC, *MARKSHEETS, "bu-duplicate-marksheet"),
        tehsil="Huzur",
        busy=3.0,  # the demo logins' kiosk: the busiest, so its pages are full
        float_paise=3_000_000,
        topup_paise=2_000_000,
    ),
    KioskSpec(
        place="kolar",
        district="Bhopal",
        pin="462042",
        office="Kolar Road S.O",
        kind=Kind.CSC,
        business_name="Kolar Digital Seva Kendra",
        owner_name="Sunita Yadav",
        owner_mobile="9827311846",
        pan="AKHPY7315D",
        aadhaar="52369014785",
        bank_ifsc="PUNB0448600",
        bank_account="4486000100023917",
        address="B-4, Sarvdharm Colony, Kolar Road, Bhopal",
        menu=(CENTRAL_BILL, "bmc-water-bill", "bmc-property-tax", "mpbse-duplicate-marksheet"),
        services=(
            CENTRAL_BILL,
            "bmc-water-bill",
            "bmc-property-tax",
            "bmc-birth-certificate",
            "mpbse-duplicate-marksheet",
            "bu-duplicate-marksheet",
        ),
        tehsil="Kolar",
        hours=HALF_SUNDAY,
        busy=0.9,
    ),
    KioskSpec(
        place="indore",
        district="Indore",
        pin="452001",
        office="Indore Manorama Ganj S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Shri Ram Online",
        owner_name="Anil Jain",
        owner_mobile="9425067314",
        pan="AFWPJ2290M",
        aadhaar="61472589036",
        bank_ifsc="BKID0008801",
        bank_account="880110110004512",
        address="14, Manorama Ganj Main Road, near Geeta Bhawan, Indore",
        operator=("Pooja Rathore", "9754018826"),
        menu=(WEST_BILL, *INDORE_CIVIC, *MARKSHEETS),
        tehsil="Indore",
        hours=EVERY_DAY,
        busy=1.4,
        float_paise=3_000_000,
        topup_paise=2_000_000,
    ),
    KioskSpec(
        place="pardesipura",
        district="Indore",
        pin="452003",
        office="Indore Pardesipura S.O",
        kind=Kind.CYBER_CAFE,
        business_name="Cyber Point Internet Cafe",
        owner_name="Imran Khan",
        owner_mobile="9303128845",
        pan="CUMPK6604Q",
        aadhaar="73058214693",
        bank_ifsc="HDFC0001462",
        bank_account="50100234781236",
        address="32, Pardesipura Main Road, Indore",
        menu=(WEST_BILL, "imc-water-bill", "rgpv-provisional-degree"),
        services=(WEST_BILL, "imc-water-bill", "imc-property-tax", "rgpv-provisional-degree"),
        hours=EVERY_DAY,
        busy=0.7,
    ),
    KioskSpec(
        place="jabalpur",
        district="Jabalpur",
        pin="482002",
        office="Garha Phatak S.O",
        kind=Kind.CSC,
        business_name="Narmada Jan Seva Kendra",
        owner_name="Pradeep Tiwari",
        owner_mobile="9424307719",
        pan="BGTPT5518H",
        aadhaar="38217465092",
        bank_ifsc="SBIN0000641",
        bank_account="32766125540",
        address="Near Garha Phatak, Garha Road, Jabalpur",
        operator=("Ritu Patel", "9755330147"),
        menu=MARKSHEETS,
        tehsil="Jabalpur",
        busy=0.6,
    ),
    KioskSpec(
        place="gwalior",
        district="Gwalior",
        pin="474009",
        office="Lashkar City S.O",
        kind=Kind.CYBER_CAFE,
        business_name="Maa Sharda Computers and Online",
        owner_name="Vikas Tomar",
        owner_mobile="9826271140",
        pan="ATVPT8842B",
        aadhaar="27638190452",
        bank_ifsc="CBIN0280912",
        bank_account="3215478890",
        address="Shop 5, Daulatganj, Lashkar, Gwalior",
        menu=(CENTRAL_BILL, *MARKSHEETS),
        services=(CENTRAL_BILL, *MARKSHEETS),
        hours=HALF_SUNDAY,
        busy=0.8,
        suspended="Inspection on three visits found the kiosk run from a shop other than its "
        "registered address; franchisee asked to explain within 15 days.",
    ),
    KioskSpec(
        place="ujjain",
        district="Ujjain",
        pin="456010",
        office="Ujjain M.L.Nagar S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Mahakal Online Seva",
        owner_name="Mahesh Joshi",
        owner_mobile="9425915573",
        pan="AOJPJ3378L",
        aadhaar="84501236978",
        bank_ifsc="UBIN0537802",
        bank_account="378002010045219",
        address="21, Freeganj Tower Chowk, Ujjain",
        operator=("Kavita Parmar", "9685223301"),
        menu=(WEST_BILL, *MARKSHEETS),
        busy=1.0,
    ),
    KioskSpec(
        place="sagar",
        district="Sagar",
        pin="470002",
        office="Sagar Bada Bazar S.O",
        kind=Kind.CSC,
        business_name="Bundelkhand Digital Seva Kendra",
        owner_name="Deepak Chourasia",
        owner_mobile="9425451286",
        pan="BPCPC1947R",
        aadhaar="69823476501",
        bank_ifsc="SBIN0030113",
        bank_account="36251478902",
        address="Katra Bazar, near Gaur Murti, Sagar",
        menu=MARKSHEETS,
        busy=0.5,
    ),
    KioskSpec(
        place="rewa",
        district="Rewa",
        pin="486001",
        office="Rewa Chauhatta S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Vindhya Online Kendra",
        owner_name="Ashok Dwivedi",
        owner_mobile="9425183407",
        pan="AJDPD6621F",
        aadhaar="92836475018",
        bank_ifsc="BARB0REWAXX",
        bank_account="24510100012377",
        address="Sirmour Chauraha, Rewa",
        menu=MARKSHEETS,
        hours=HALF_SUNDAY,
        busy=0.5,
    ),
    KioskSpec(
        place="ratlam",
        district="Ratlam",
        pin="457001",
        office="Ratlam City S.O",
        kind=Kind.CYBER_CAFE,
        business_name="Sai Cyber Cafe",
        owner_name="Kamlesh Porwal",
        owner_mobile="9826616402",
        pan="BKWPP4470G",
        aadhaar="56019283746",
        bank_ifsc="BKID0007710",
        bank_account="771010100018845",
        address="Do Batti Chauraha, Ratlam",
        menu=(WEST_BILL, "rgpv-provisional-degree"),
        services=(WEST_BILL, "rgpv-provisional-degree"),
        busy=0.6,
    ),
    KioskSpec(
        place="vidisha",
        district="Vidisha",
        pin="464001",
        office="Vidisha Mandi S.O",
        kind=Kind.CSC,
        business_name="Betwa Jan Seva Kendra",
        owner_name="Ramkishan Ahirwar",
        owner_mobile="9755013387",
        pan="CKAPA2261N",
        aadhaar="63748291056",
        bank_ifsc="SBIN0000570",
        bank_account="31200485516",
        address="Krishi Upaj Mandi Road, Vidisha",
        menu=(CENTRAL_BILL, "mpbse-duplicate-marksheet"),
        services=(CENTRAL_BILL, "mpbse-duplicate-marksheet", "bu-duplicate-marksheet"),
        busy=0.6,
    ),
    KioskSpec(
        place="sehore",
        district="Sehore",
        pin="466001",
        office="Sehore City S.O",
        kind=Kind.CSC,
        business_name="Kisan Online Suvidha Kendra",
        owner_name="Gopal Singh Rajput",
        owner_mobile="9827043319",
        pan="BZRPR7714C",
        aadhaar="47182930564",
        bank_ifsc="CBIN0281740",
        bank_account="3349012276",
        address="Kasba Road, near Bus Stand, Sehore",
        menu=(CENTRAL_BILL, "mpbse-duplicate-marksheet", "bu-duplicate-marksheet"),
        tehsil="Sehore",
        busy=0.5,
    ),
    KioskSpec(
        place="chhindwara",
        district="Chhindwara",
        pin="480001",
        office="Chitanvisganj S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Satpura Online Services",
        owner_name="Nitin Pawar",
        owner_mobile="9424650982",
        pan="AXNPP9033E",
        aadhaar="28374659102",
        bank_ifsc="MAHB0000962",
        bank_account="60214578830",
        address="Gandhi Ganj, Chitanvis Ganj, Chhindwara",
        menu=MARKSHEETS,
        busy=0.4,
    ),
    KioskSpec(
        place="betul",
        district="Betul",
        pin="460001",
        office="Betul Ganj S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Gayatri Online Kendra",
        owner_name="Sanjay Dhurve",
        owner_mobile="9406521173",
        pan="BDSPD3306A",
        aadhaar="71926354810",
        bank_ifsc="SBIN0001182",
        bank_account="38812200471",
        address="Kothi Bazar, near Collectorate, Betul",
        menu=(CENTRAL_BILL, "mpbse-duplicate-marksheet"),
        busy=0.5,
        float_paise=300_000,
        low_balance=True,
    ),
)
SPECS = {spec.place: spec for spec in KIOSKS}

# Applications still with operator staff: one to review, one returned for correction.
PENDING: tuple[KioskSpec, ...] = (
    KioskSpec(
        place="shivaji-nagar",
        district="Bhopal",
        pin="462016",
        office="MP Bhoj Open University S.O",
        kind=Kind.CYBER_CAFE,
        business_name="Shivaji Nagar Online Point",
        owner_name="Arvind Saxena",
        owner_mobile="9893551204",
        pan="BSAPS6624J",
        aadhaar="35261748092",
        bank_ifsc="ICIC0006574",
        bank_account="657401503312",
        address="E-5/42, Shivaji Nagar, Bhopal",
        review=KioskApplication.Status.UNDER_REVIEW,
    ),
    KioskSpec(
        place="narmadapuram",
        district="Narmadapuram",
        pin="461001",
        office="Hoshangabad City S.O",
        kind=Kind.PORTAL_KIOSK,
        business_name="Narmada Digital Point",
        owner_name="Rohit Gour",
        owner_mobile="9009412375",
        pan="AQGPG5519K",
        aadhaar="48102937561",
        bank_ifsc="SBIN0030234",
        bank_account="35521044190",
        address="Satrastey, Itarsi Road, Narmadapuram",
        review=KioskApplication.Status.RETURNED,
        return_reason="The bank passbook page is unreadable and the account holder's name "
        "cannot be checked against the PAN. Upload a clear scan of the first page.",
        fix=("bank", "doc_bank_proof"),
    ),
)

# --------------------------------------------------------------------------- citizens

MEN = [
    ("Ramesh", "रमेश"), ("Suresh", "सुरेश"), ("Manoj", "मनोज"), ("Rakesh", "राकेश"),
    ("Santosh", "संतोष"), ("Dinesh", "दिनेश"), ("Mukesh", "मुकेश"), ("Arjun", "अर्जुन"),
    ("Vijay", "विजय"), ("Prakash", "प्रकाश"), ("Sandeep", "संदीप"), ("Rahul", "राहुल"),
    ("Ajay", "अजय"), ("Gopal", "गोपाल"), ("Harish", "हरीश"), ("Naresh", "नरेश"),
]  # fmt: skip
WOMEN = [
    ("Sunita", "सुनीता"), ("Rekha", "रेखा"), ("Kavita", "कविता"), ("Priya", "प्रिया"),
    ("Anita", "अनीता"), ("Meena", "मीना"), ("Pooja", "पूजा"), ("Savita", "सविता"),
    ("Geeta", "गीता"), ("Lakshmi", "लक्ष्मी"), ("Radha", "राधा"), ("Shanti", "शांति"),
]  # fmt: skip
SURNAMES = [
    ("Sharma", "शर्मा"), ("Verma", "वर्मा"), ("Yadav", "यादव"), ("Patel", "पटेल"),
    ("Kushwaha", "कुशवाहा"), ("Tiwari", "तिवारी"), ("Mishra", "मिश्रा"), ("Rajput", "राजपूत"),
    ("Chouhan", "चौहान"), ("Sahu", "साहू"), ("Jain", "जैन"), ("Ahirwar", "अहिरवार"),
    ("Malviya", "मालवीय"), ("Thakur", "ठाकुर"), ("Lodhi", "लोधी"), ("Dubey", "दुबे"),
    ("Soni", "सोनी"), ("Gupta", "गुप्ता"), ("Parmar", "परमार"), ("Prajapati", "प्रजापति"),
]  # fmt: skip


def citizens_of(spec: KioskSpec) -> int:
    """How many walk-in citizens live near a kiosk: more near a busier one."""
    return max(3, round(spec.busy * 4))


@dataclass(frozen=True)
class Person:
    mobile: str
    name_en: str
    name_hi: str
    guardian: str
    gender: str
    birth: dt.date
    place: str  # the kiosk they walk into (and live near)


def people() -> list[Person]:
    """The walk-in citizens: a few near each kiosk, names drawn from a fixed seed."""
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not a secret
    out = []
    for k, spec in enumerate(KIOSKS):
        for i in range(citizens_of(spec)):
            woman = rng.random() < 0.45
            first = rng.choice(WOMEN if woman else MEN)
            surname = rng.choice(SURNAMES)
            father = rng.choice(MEN)
            out.append(
                Person(
                    mobile=f"7000{k + 10:02d}{i + 1001:04d}",
                    name_en=f"{first[0]} {surname[0]}",
                    name_hi=f"{first[1]} {surname[1]}",
                    guardian=f"{father[0]} {surname[0]}",
                    gender="F" if woman else "M",
                    birth=dt.date(
                        1960 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29)
                    ),
                    place=spec.place,
                )
            )
    return out


# --------------------------------------------------------------------------- helpers


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    with clock.frozen(moment):
        yield


def _aadhaar(stem: str) -> str:
    return stem + verhoeff.calc_check_digit(stem)


def _location(district: AdminUnit, spec: KioskSpec, salt: int) -> tuple[Decimal, Decimal]:
    """The post office's coordinates, moved a few hundred metres (salt: which way)."""
    offices = PostOffice.objects.filter(district=district, pincode=spec.pin, latitude__isnull=False)
    office = offices.filter(name=spec.office).first() or offices.order_by("name").first()
    if office is None:
        raise ValueError(f"kiosks demo: no post office with a position at {spec.pin}")
    rng = random.Random(salt)  # noqa: S311 - made-up demo data, not a secret
    # Up to 0.004° (about 400 m) each way, so kiosks near one office do not overlap.
    north, east = (Decimal(rng.randrange(-40, 41)) / 10_000 for _ in range(2))
    return office.latitude + north, office.longitude + east


def _form(spec: KioskSpec, salt: int) -> dict[str, Any]:
    """The application form as the owner fills it."""
    district = AdminUnit.objects.get(kind=AdminUnit.Kind.DISTRICT, name_en=spec.district)
    tehsil = (
        AdminUnit.objects.filter(
            kind=AdminUnit.Kind.TEHSIL, parent=district, name_en=spec.tehsil
        ).first()
        if spec.tehsil
        else None
    )
    latitude, longitude = _location(district, spec, salt)
    return {
        "kind": spec.kind,
        "business_name": spec.business_name,
        "owner_name": spec.owner_name,
        "owner_mobile": spec.owner_mobile,
        "owner_email": "",
        "pan": spec.pan,
        "aadhaar": _aadhaar(spec.aadhaar),
        "bank_account_name": spec.owner_name,
        "bank_account_number": spec.bank_account,
        "bank_ifsc": spec.bank_ifsc,
        "shop_registration": f"MP/GUM/{district.lgd_code or '000'}/{salt:05d}",
        "district": district,
        "tehsil": tehsil,
        "address": spec.address,
        "pin_code": spec.pin,
        "latitude": str(latitude),
        "longitude": str(longitude),
        "opening_hours_en": spec.hours[0],
        "opening_hours_hi": spec.hours[1],
        "services": list(spec.services),
    }


def _photo(name: str) -> SimpleUploadedFile:
    """A passport-style photograph (a drawn head and shoulders), 300×400 JPEG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 400), (236, 240, 246))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 60, 210, 220), fill=(120, 80, 60))
    draw.rectangle((45, 240, 255, 400), fill=(30, 60, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _kyc() -> dict[str, Any]:
    """The KYC files of an application (onboarding.DOCUMENTS), sample PDFs and a photo."""
    files: dict[str, Any] = {}
    for rule in onboarding.DOCUMENTS:
        if "pdf" in rule.formats:
            files[rule.id] = sample_pdf(f"{rule.id}.pdf", rule.id.replace("_", " "))
        else:
            files[rule.id] = _photo(f"{rule.id}.jpg")
    return files


INSTRUMENTS = {
    "upi": sandbox.Instrument("upi", sandbox.SUCCESS, "success@sandbox"),
    "netbanking": sandbox.Instrument("netbanking", sandbox.SUCCESS, "SBXS"),
}


def _pay_at_sandbox(payment: Payment, payer: User, method: str) -> Payment:
    """What the payer does: open the checkout, pay with a test instrument, and the
    sandbox's webhook brings the answer. Only what is not done yet."""
    if payment.status == PaymentStatus.CREATED:
        with translation.override("en"):
            back = reverse("payments:return", args=[payment.reference])
        payments.start_checkout(payment, return_url=back, actor=payer)
        payment = Payment.objects.get(pk=payment.pk)
    order = sandbox.get_order(payment.gateway_order_id or "")
    if order is not None and sandbox.is_open(order):
        sandbox.pay(order.order_id, INSTRUMENTS[method])
    if order is not None:
        sandbox.deliver_due(order=order.pk)  # now, even inside a caller's transaction
    payment = Payment.objects.get(pk=payment.pk)
    if not payment.is_paid:
        raise ValueError(f"kiosks demo: payment {payment.reference} was not paid")
    return payment


def _code_sent(mobile: str, template: str) -> str:
    """The code of the newest SMS of ``template`` to ``mobile`` (as the citizen reads it)."""
    message = Message.objects.filter(recipient=mobile, template=template).latest("pk")
    return str(message.params["code"])


# --------------------------------------------------------------------------- the month's visits

# Documents the services ask for, by service: one sample file per citizen, kept in
# their locker and attached again on their next application.
SERVICE_DOCUMENTS = {
    "bmc-birth-certificate": "hospital_slip",
    "imc-birth-certificate": "hospital_slip",
    "mpbse-duplicate-marksheet": "id_proof",
    "rgpv-provisional-degree": "id_proof",
    "bu-duplicate-marksheet": "id_proof",
}
TRAFFIC = 100  # walk-in visits in the whole history, about (shared by each kiosk's busy)
SECOND_ERRAND = 0.3  # how often a walk-in has a second application done in the same visit
KIDS = ["Aarav", "Vivaan", "Ishaan", "Anaya", "Diya", "Kiara", "Reyansh", "Saanvi"]


@dataclass(frozen=True)
class Errand:
    """One application made and paid during a visit."""

    service: str
    steps: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Visit:
    """A walk-in citizen at a kiosk: one consent, one or two applications."""

    place: str
    at: dt.datetime
    mobile: str
    errands: tuple[Errand, ...]

    def key(self, errand: int) -> str:
        """The request key of the errand's payment: demo-<place>-<YYYYMMDDHHMM>-<errand>."""
        return f"{KEY}-{self.place}-{timezone.localtime(self.at):%Y%m%d%H%M}-{errand + 1}"


def history_start(today: dt.date) -> dt.date:
    """The first day of walk-in traffic: last month's first day, or 30 days back."""
    return min(commission.last_month(today), today - dt.timedelta(days=30))


def suspended_on(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=4)


def _open_on(spec: KioskSpec, day: dt.date) -> tuple[int, int] | None:
    """The hours (from, to) a kiosk serves on ``day``, or None if closed."""
    if day.weekday() < 6:
        return (10, 19) if spec.hours is not EVERY_DAY else (9, 21)
    if spec.hours is EVERY_DAY:
        return (9, 21)
    if spec.hours is HALF_SUNDAY:
        return (10, 14)
    return None


def _steps(service: str, person: Person, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """The answers a kiosk operator types for ``person`` applying for ``service``."""
    mobile = {"mobile": person.mobile}

    def bill(number: str, amount: str) -> dict[str, Any]:
        return {"bill": {"consumer_number": number, "bill_amount": amount, **mobile}}

    if service.endswith("electricity-bill"):  # IVRS number; paise as often as not
        paise = rng.choice(["00", "50", "75"])
        return bill(str(rng.randrange(10**9, 10**10)), f"{rng.randrange(240, 3200)}.{paise}")
    if service.endswith("water-bill"):
        return bill(f"W{rng.randrange(10**5, 10**6)}", str(rng.randrange(180, 900)))
    if service.endswith("property-tax"):
        return bill(f"PT{rng.randrange(10**6, 10**7)}", str(rng.randrange(1200, 6500)))
    if service.endswith("birth-certificate"):
        kid = rng.choice(KIDS)
        surname = person.name_en.split()[-1]
        born = day - dt.timedelta(days=rng.randrange(10, 120))
        return {
            "event": {
                "person_name": f"{kid} {surname}",
                "event_date": born.isoformat(),
                "place": "hospital",
                "copies": str(rng.choice([1, 1, 2, 3])),
            },
            "applicant": {
                "applicant_name": person.name_en,
                "relation": "Mother" if person.gender == "F" else "Father",
                **mobile,
            },
        }
    student = {
        "name_en": person.name_en,
        "father_name": person.guardian,
        "delivery": rng.choice(["download", "download", "post"]),
        **mobile,
    }
    if service == "mpbse-duplicate-marksheet":
        board = rng.choice(["10", "12"])
        year = person.birth.year + (16 if board == "10" else 18)
        roll = f"{year % 100:02d}{rng.randrange(10**6, 10**7)}"
        extra = {"enrolment": roll, "passing_year": str(year), "board_class": board}
    elif service == "rgpv-provisional-degree":
        year = min(person.birth.year + 22, day.year)
        college, branch = rng.randrange(101, 999), rng.choice(["CS", "ME", "CE", "EC", "EX"])
        enrolment = f"0{college}{branch}{(year - 4) % 100:02d}{rng.randrange(1000, 9999)}"
        extra = {"enrolment": enrolment, "passing_year": str(year)}
    elif service == "bu-duplicate-marksheet":
        year = min(person.birth.year + 21, day.year)
        extra = {
            "enrolment": f"BU{year - 3}/{rng.randrange(1000, 9999)}",
            "passing_year": str(year),
        }
    else:
        raise ValueError(f"kiosks demo: no answers for {service}")
    return {"student": {**student, **extra}}


def _pick(rng: random.Random, menu: tuple[str, ...]) -> str:
    """A service of the menu, bills (most of a kiosk's work) three times as likely."""
    weights = [3 if code.endswith(("-bill", "-tax")) else 1 for code in menu]
    return rng.choices(menu, weights=weights)[0]


def plan(today: dt.date) -> list[Visit]:
    """Every walk-in visit of the history, in time order; the same list for the same day."""
    rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not a secret
    start = history_start(today)
    days = [start + dt.timedelta(days=i) for i in range((today - start).days)]
    nearby: dict[str, list[Person]] = {}
    for person in people():
        nearby.setdefault(person.place, []).append(person)
    weight = sum(spec.busy for spec in KIOSKS for day in days if _open_on(spec, day))
    scale = TRAFFIC / max(1.0, weight)  # visits per unit of busy per open day
    visits: list[Visit] = []
    for spec in KIOSKS:
        for day in days:
            hours = _open_on(spec, day)
            if hours is None or (spec.suspended and day >= suspended_on(today)):
                continue
            rate = spec.busy * scale
            count = sum(1 for _ in range(4) if rng.random() < rate / 4)
            minutes = sorted(rng.sample(range(hours[0] * 60, hours[1] * 60 - 15, 5), count))
            for minute in minutes:
                person = rng.choice(nearby[spec.place])
                first = _pick(rng, spec.menu)
                services_ = [first]
                others = tuple(code for code in spec.menu if code != first)
                if others and rng.random() < SECOND_ERRAND:
                    services_.append(_pick(rng, others))
                errands = tuple(Errand(code, _steps(code, person, rng, day)) for code in services_)
                at = _aware(day, minute // 60, minute % 60)
                visits.append(Visit(spec.place, at, person.mobile, errands))
    return sorted(visits, key=lambda v: (v.at, v.place))


# --------------------------------------------------------------------------- steps


class Demo:
    """What the steps share: the staff member, today, the kiosks, logins and citizens."""

    def __init__(self, staff: User, today: dt.date) -> None:
        self.staff = staff
        self.today = today
        self.kiosks: dict[str, Kiosk] = {}
        self.owners: dict[str, User] = {}
        self.operators: dict[str, User] = {}
        self.citizens: dict[str, User] = {}
        self._password = ""

    @property
    def password(self) -> str:
        """The demo password hashed once, for every demo login (a hash is slow on purpose)."""
        if not self._password:
            self._password = make_password(DEMO_PASSWORD)
        return self._password

    def applied(self, index: int) -> dt.datetime:
        """When kiosk ``index`` applied: some weeks before the history starts."""
        day = history_start(self.today) - dt.timedelta(days=40 - 2 * index)
        return _aware(day, 11, 15)


def _application(demo: Demo, spec: KioskSpec, applied: dt.datetime, salt: int):
    """The owner's application, made and its fee paid if missing; it then waits
    for review. Found again by the owner's mobile."""
    application = (
        KioskApplication.objects.filter(owner_mobile=spec.owner_mobile).order_by("pk").first()
    )
    if application is None:
        with _at(applied):
            applicant = accounts.sign_in_citizen(spec.owner_mobile, "hi")
            application = onboarding.submit(applicant, _form(spec, salt), _kyc())
    if application.status == KioskApplication.Status.FEE_PENDING:
        with _at(applied + dt.timedelta(minutes=20)):
            payment = onboarding.start_fee_payment(
                application,
                idempotency_key=KEY,
                actor=application.applicant,
                gateway="sandbox",
            )
            _pay_at_sandbox(payment, application.applicant, "upi")
        application.refresh_from_db()
    return application


def _kiosk(demo: Demo, spec: KioskSpec, index: int) -> Kiosk:
    """The kiosk of ``spec``: applied for, approved two days later by operator staff."""
    applied = demo.applied(index)
    application = _application(demo, spec, applied, 100 + index)
    if application.status == KioskApplication.Status.UNDER_REVIEW:
        with _at(applied + dt.timedelta(days=2, hours=3)):
            application = onboarding.approve(application, actor=demo.staff)
    if application.kiosk is None:
        raise ValueError(f"kiosks demo: {application.reference} is {application.status}")
    return application.kiosk


def _activate(demo: Demo, operator: KioskOperator, username: str) -> User:
    """The login renamed ``username`` and activated as its owner would from the SMS
    link (onboarding.activate): the demo password and the demo authenticator key."""
    user = operator.user
    if operator.activated_at is not None:
        return user
    with _at(operator.created_at + dt.timedelta(minutes=40)), transaction.atomic():
        user.username = username
        user.password = demo.password
        user.save(update_fields=["username", "password"])
        TOTPDevice.objects.filter(user=user).update(key=DEMO_TOTP_KEY, confirmed=True)
        operator.activated_at = clock.now()
        operator.save(update_fields=["activated_at"])
    return user


def _logins(demo: Demo, spec: KioskSpec, kiosk: Kiosk) -> None:
    """The owner's login (made when the kiosk opened) and the operator the owner
    adds, if any: at a kiosk without one the owner serves the walk-ins."""
    owner = KioskOperator.objects.get(kiosk=kiosk, role=KioskOperator.Role.FRANCHISEE)
    demo.owners[spec.place] = _activate(demo, owner, f"kiosk.{spec.place}")
    if not spec.operator[0]:
        demo.operators[spec.place] = demo.owners[spec.place]
        return
    operator = KioskOperator.objects.filter(kiosk=kiosk, role=KioskOperator.Role.OPERATOR).first()
    if operator is None:
        name, mobile = spec.operator
        with _at(kiosk.opened_at + dt.timedelta(hours=2)):
            operator = onboarding.add_operator(
                demo.owners[spec.place], name=name, mobile=mobile, language="hi"
            )
    demo.operators[spec.place] = _activate(demo, operator, f"operator.{spec.place}")


def _deposit(demo: Demo, spec: KioskSpec, paid: dt.date, amount: int) -> WalletDeposit:
    """A deposit into the operator's bank account the owner records that evening."""
    kiosk = demo.kiosks[spec.place]
    reference = f"UTR{kiosk.code}{paid:%y%m%d}"
    deposit = WalletDeposit.objects.filter(bank_reference=reference).first()
    if deposit is None:
        with _at(_aware(paid, 17, 45)):
            deposit = wallet.submit_deposit(
                demo.owners[spec.place],
                amount=amount,
                bank_reference=reference,
                deposited_on=paid,
            )
    return deposit


def _deposits(demo: Demo, spec: KioskSpec) -> None:
    """The opening float, paid in the day after opening and verified by operator
    staff the next morning; at Bhopal, yesterday's deposit still waits for them."""
    opened = timezone.localtime(demo.kiosks[spec.place].opened_at).date()
    deposit = _deposit(demo, spec, opened + dt.timedelta(days=1), spec.float_paise)
    if deposit.status == WalletDeposit.Status.SUBMITTED:
        with _at(_aware(opened + dt.timedelta(days=2), 11, 5)):
            wallet.verify_deposit(demo.staff, deposit)
    waiting = WalletDeposit.objects.filter(status=WalletDeposit.Status.SUBMITTED)
    if spec.place == WAITING_DEPOSIT_AT and not waiting.filter(kiosk=deposit.kiosk).exists():
        _deposit(demo, spec, demo.today - dt.timedelta(days=1), WAITING_DEPOSIT)


def _pending(demo: Demo, spec: KioskSpec, index: int) -> KioskApplication:
    """An application waiting for review, or returned to its owner to fix."""
    applied = _aware(demo.today - dt.timedelta(days=6 - 2 * index), 12, 40)
    application = _application(demo, spec, applied, 200 + index)
    wanted = KioskApplication.Status.RETURNED
    if spec.review == wanted and application.status == KioskApplication.Status.UNDER_REVIEW:
        with _at(applied + dt.timedelta(days=1, hours=3)):
            application = onboarding.return_for_correction(
                application, actor=demo.staff, reason=spec.return_reason, fields=list(spec.fix)
            )
    return application


def _citizen(person: Person, kiosk: Kiosk) -> User:
    """A walk-in citizen: registered with their profile (as if they had signed in once)."""
    user = accounts.sign_in_citizen(person.mobile, "hi")
    profile = accounts.get_or_create_profile(user)
    if not profile.name_en:
        accounts.update_profile(
            user,
            {
                "name_en": person.name_en,
                "name_hi": person.name_hi,
                "guardian_name": person.guardian,
                "date_of_birth": person.birth,
                "gender": person.gender,
                "district": kiosk.district,
                "pincode": kiosk.pin_code,
            },
            actor=user,
        )
    # Fresh from the database: ``user.profile`` cached above predates the update, and
    # an application takes its district from it (without, walk-ins had no district).
    return User.objects.select_related("profile").get(pk=user.pk)


def _ip(kiosk: Kiosk) -> str:
    """The kiosk's address as the OTP rate limit sees it (one per kiosk)."""
    digits = "".join(ch for ch in kiosk.code if ch.isdigit())
    return f"10.{int(digits[:3]) % 250}.{int(digits[3:] or 0) % 250}.10"


def _attach(app: Application, document_id: str, operator: User) -> None:
    """The citizen's document: from their locker if kept there, else scanned now."""
    kept = LockerDocument.objects.filter(owner=app.applicant, purpose=document_id).first()
    if kept is not None:
        applications.attach_locker(app, document_id, kept, actor=operator)
        return
    upload = sample_pdf(f"{document_id}.pdf", document_id.replace("_", " "))
    applications.attach_upload(app, document_id, upload, actor=operator)


def _cover(demo: Demo, spec: KioskSpec, kiosk: Kiosk, fee: int, key: str) -> None:
    """Top the wallet up at the sandbox before a payment it cannot make, or that
    would take it below its low-balance mark: a usual owner tops up a round sum;
    the low-balance kiosk's owner only what this payment needs."""
    balance = services.wallet_balance(kiosk)
    if spec.low_balance:
        if balance >= fee:
            return
        amount = max(wallet.TOPUP_MIN, -(-(fee - balance) // 10_000) * 10_000 + 10_000)
    else:
        if balance - fee >= kiosk.low_balance_paise:
            return
        amount = spec.topup_paise + max(0, fee - balance)
    owner = demo.owners[spec.place]
    payment = wallet.start_topup(owner, amount, token=key, gateway="sandbox")
    _pay_at_sandbox(payment, owner, "netbanking")


def _serve(demo: Demo, visit: Visit, catalogue: dict[str, Service]) -> None:
    """One walk-in: consent by the OTP the citizen reads out, each application
    filled, submitted and paid from the wallet, consent ended; each step at its
    minute of the visit (the messages go out as the visit ends, at that moment)."""
    spec = SPECS[visit.place]
    kiosk = demo.kiosks[visit.place]
    operator = demo.operators[visit.place]
    citizen = demo.citizens[visit.mobile]

    def minute(m: int) -> Any:
        return _at(visit.at + dt.timedelta(minutes=m))

    with minute(4 + 8 * len(visit.errands)), transaction.atomic():
        with minute(0):
            if services.active_consent(kiosk, citizen) is None:
                services.request_consent(operator, visit.mobile, ip=_ip(kiosk), language="hi")
                with minute(1):
                    code = _code_sent(visit.mobile, services.CONSENT_TEMPLATE)
                    services.grant_consent(operator, visit.mobile, code)
        for index, errand in enumerate(visit.errands):
            start = 2 + 8 * index
            with minute(start):
                app = services.start_assisted(operator, citizen, catalogue[errand.service])
                for step, answers in errand.steps.items():
                    result = applications.save_step(app, step, answers, actor=operator)
                    if not result.ok:
                        raise ValueError(f"kiosks demo: {errand.service}/{step}: {result.errors}")
                    app.refresh_from_db()
                if errand.service in SERVICE_DOCUMENTS:
                    _attach(app, SERVICE_DOCUMENTS[errand.service], operator)
            with minute(start + 4):
                app = applications.submit(app, declaration=True, actor=operator)
            with minute(start + 5):
                _cover(demo, spec, kiosk, app.fee_total, visit.key(index))
            with minute(start + 6):
                payment = services.pay_assisted(operator, app, idempotency_key=visit.key(index))
                if not payment.is_paid:
                    raise ValueError(f"kiosks demo: {visit.key(index)}: {payment.failure_reason}")
        with minute(3 + 8 * len(visit.errands)):
            services.end_consent(operator, citizen)


def walk_in_payments():
    """The demo's walk-in payments from the wallets (pay_assisted's keys, kiosk:<code>:…)."""
    return Payment.objects.filter(
        idempotency_key__startswith="kiosk:", idempotency_key__contains=f":{KEY}-"
    )


def _history_made_until() -> dt.datetime | None:
    """Where an earlier run left the walk-in history: its last walk-in payment, or
    the commission statements it made at its end. Visits are made in time order
    (each visit in one transaction), so a run stopped half-way resumes after its
    last visit, and a run on a later day only adds the days since; it never
    inserts payments into days before, nor into a month already stated."""
    ends = [
        walk_in_payments().order_by("-created_at").values_list("created_at", flat=True).first(),
        CommissionStatement.objects.order_by("-created_at")
        .values_list("created_at", flat=True)
        .first(),
    ]
    return max((end for end in ends if end is not None), default=None)


def _suspend(demo: Demo) -> None:
    for spec in KIOSKS:
        kiosk = demo.kiosks[spec.place]
        if not spec.suspended or kiosk.status_changes.exists():
            continue
        with _at(_aware(suspended_on(demo.today), 11, 30)):
            demo.kiosks[spec.place] = services.suspend(
                kiosk, reason=spec.suspended, actor=demo.staff
            )


WAITING_DEPOSIT_AT = "bhopal"  # a deposit recorded yesterday, for the staff's queue
WAITING_DEPOSIT = 1_500_000

RATINGS = (
    ("bhopal", 5, "बहुत अच्छी सेवा, काम तुरंत हो गया।"),
    ("bhopal", 4, "Quick service, had to wait a little."),
    ("indore", 5, "The operator explained every fee. Very helpful."),
    ("indore", 3, "भीड़ बहुत थी, आधा घंटा इंतज़ार करना पड़ा।"),
    ("ujjain", 5, "सही शुल्क लिया और रसीद दी।"),
    ("kolar", 4, ""),
    ("jabalpur", 4, "Good, but the printer was not working."),
    ("vidisha", 5, "घर के पास ही सब काम हो गया।"),
)
# The complaint: at Indore, ₹50 taken in cash over the official charges of a bill payment.
COMPLAINT_AT = "indore"
COMPLAINT_EXTRA = 5_000
COMPLAINT_TEXT = "ऑपरेटर ने बिजली बिल जमा करने के ₹50 अलग से नकद लिए और इसकी रसीद नहीं दी।"


def _paid_here(kiosk: Kiosk):
    return Application.objects.filter(kiosk_code=kiosk.code, paid_at__isnull=False).order_by(
        "paid_at", "pk"
    )


def _feedback(demo: Demo) -> None:
    """Citizens rate the kiosks that served them (the earliest applications each,
    the evening after), and one complains of overcharging."""
    for place in dict.fromkeys(place for place, _stars, _comment in RATINGS):
        kiosk = demo.kiosks[place]
        wanted = [(stars, comment) for p, stars, comment in RATINGS if p == place]
        if Rating.objects.filter(kiosk=kiosk).exists():
            continue
        for app, (stars, comment) in zip(_paid_here(kiosk), wanted, strict=False):
            with _at(app.paid_at + dt.timedelta(hours=5)):
                feedback.rate(app.applicant, app, stars=stars, comment=comment)
    kiosk = demo.kiosks[COMPLAINT_AT]
    if Complaint.objects.filter(kiosk=kiosk).exists():
        return
    week_ago = clock.now() - dt.timedelta(days=7)
    app = _paid_here(kiosk).filter(service__code=WEST_BILL, paid_at__lt=week_ago).last()
    if app is None:
        return
    with _at(app.paid_at + dt.timedelta(days=1, hours=2)):
        feedback.complain(
            kiosk=kiosk,
            kind=Complaint.Kind.OVERCHARGING,
            description=COMPLAINT_TEXT,
            mobile=app.applicant.mobile,
            amount_charged=app.fee_total + COMPLAINT_EXTRA,
            app=app,
            citizen=app.applicant,
            language="hi",
        )


def _commission(demo: Demo) -> tuple[list[CommissionStatement], PayoutBatch | None]:
    """Last month's statements and their payout batch, made now by operator staff;
    the batch waits for the bank (the suspended kiosk's statement is held)."""
    month = commission.last_month(demo.today)
    statements = commission.make_statements(month, actor=demo.staff)
    batch = PayoutBatch.objects.filter(month=month).first()
    if batch is None and statements:
        batch = commission.create_batch(month, actor=demo.staff)
    return statements, batch


# --------------------------------------------------------------------------- load


def _ready() -> str:
    """Why the demo cannot run yet ('' if it can)."""
    if not AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT, name_en="Bhopal").exists():
        return "no districts: load the geo demo first"
    if not User.objects.filter(username=STAFF).exists():
        return f"no '{STAFF}' staff member: load the accounts demo first"
    if not Service.objects.filter(code=CENTRAL_BILL, current_version__isnull=False).exists():
        return "no catalogue: load the catalog demo first"
    return ""


def load() -> list[str]:
    """Make the kiosk network and its month, as far as missing; lines for the banner."""
    why = _ready()
    if why:
        return [f"kiosks: skipped ({why})"]
    today = clock.today()
    demo = Demo(User.objects.get(username=STAFF), today)
    # The demo's operator staff member has been in post since before the first kiosk
    # applied (the accounts demo posts them from today), so they may review, verify
    # and govern on the days the demo moves the clock to.
    since = demo.applied(0).date() - dt.timedelta(days=30)
    Posting.objects.filter(user=demo.staff, starts__gt=since).update(starts=since)
    for index, spec in enumerate(KIOSKS):
        kiosk = _kiosk(demo, spec, index)
        demo.kiosks[spec.place] = kiosk
        _logins(demo, spec, kiosk)
        _deposits(demo, spec)
    for index, spec in enumerate(PENDING):
        _pending(demo, spec, index)
    for person in people():
        demo.citizens[person.mobile] = _citizen(person, demo.kiosks[person.place])
    catalogue = {s.code: s for s in Service.objects.select_related("current_version")}
    after = _history_made_until()
    for visit in plan(today):
        if (after is None or visit.at > after) and demo.kiosks[visit.place].is_active:
            _serve(demo, visit, catalogue)
    _suspend(demo)
    _feedback(demo)
    statements, batch = _commission(demo)
    return _lines(demo, statements, batch)


def _lines(
    demo: Demo, statements: list[CommissionStatement], batch: PayoutBatch | None
) -> list[str]:
    kiosks = list(demo.kiosks.values())
    districts = len({k.district_id for k in kiosks})
    paid = walk_in_payments().filter(status=PaymentStatus.SUCCEEDED).count()
    bhopal = demo.kiosks["bhopal"]
    low = next(demo.kiosks[s.place] for s in KIOSKS if s.low_balance)
    suspended = next(s.place for s in KIOSKS if s.suspended)
    month = commission.month_label(commission.last_month(demo.today))
    payout = f", payout batch {batch.reference} ({batch.status})" if batch else ""
    totp = "TOTP: `.venv/bin/ekseva accounts totp-code {}`"
    return [
        f"kiosks: {len(kiosks)} in {districts} districts, {paid} walk-in applications paid "
        f"from their wallets; {len(statements)} commission statements for {month}{payout}; "
        f"map at {SITE}/en/kiosks/",
        f"kiosk owner (franchisee) of {bhopal.code} {bhopal.business_name}, Bhopal: "
        f"kiosk.bhopal / {DEMO_PASSWORD}, " + totp.format("kiosk.bhopal") + "; wallet at "
        f"{SITE}/en/kiosks/wallet/, commission at …/commission/, operators at …/operators/",
        f"kiosk operator at {bhopal.code}: operator.bhopal / {DEMO_PASSWORD}, "
        + totp.format("operator.bhopal")
        + f"; serve walk-ins at {SITE}/en/kiosks/console/",
        f"operator staff ({STAFF}): applications to review at {SITE}/en/kiosks/manage/applications/"
        f", deposits at …/manage/deposits/, complaints at …/manage/complaints/, payouts at "
        "…/manage/payouts/",
        f"other kiosks' owners: kiosk.<place>, places {', '.join(s.place for s in KIOSKS[1:])}"
        f"; operators also at {', '.join(s.place for s in KIOSKS[1:] if s.operator[0])} "
        f"(operator.<place>); suspended: kiosk.{suspended} "
        f"({demo.kiosks[suspended].code}); below its low-balance mark: {low.code} "
        f"({format_inr(services.wallet_balance(low))})",
    ]
