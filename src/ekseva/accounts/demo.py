"""Demo people: two citizens and one staff member per role, idempotently.

Staff share the password ``demo-pass-2026`` and one fixed TOTP secret, so the
demo can be driven with ``ekseva accounts totp-code USERNAME``. Never run this on
a real deployment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from ekseva.geo.models import AdminUnit

from . import services
from .models import Role, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential
DEMO_TOTP_KEY = "656b736576612d64656d6f2d746f74702d6b3230"  # hex of b"ekseva-demo-totp-k20"
DEMO_DEPARTMENT = "LSG"
OUTBOX_URL = "http://127.0.0.1:8000/en/dev/outbox/"

CITIZENS: list[dict[str, Any]] = [
    {
        "mobile": "9876543210",
        "name_en": "Asha Verma",
        "name_hi": "आशा वर्मा",
        "guardian_name": "Ramesh Verma",
        "date_of_birth": dt.date(1990, 4, 12),
        "gender": "F",
        "social_category": "OBC",
        "address_line": "12 Shivaji Nagar",
        "pincode": "462016",
        "aadhaar": "234123412346",
    },
    {
        "mobile": "9876543211",
        "name_en": "Ravi Kumar",
        "name_hi": "रवि कुमार",
        "guardian_name": "Suresh Kumar",
        "date_of_birth": dt.date(2004, 11, 2),
        "gender": "M",
        "social_category": "GEN",
        "address_line": "4 Arera Colony",
        "pincode": "462016",
    },
]

# username, role, label, needs the Bhopal district, department code
STAFF: list[tuple[str, Role, str, bool, str]] = [
    ("ops", Role.OPERATOR_STAFF, "operator staff", False, ""),
    ("auditor", Role.AUDITOR, "auditor", False, ""),
    ("coord.bhopal", Role.DISTRICT_COORDINATOR, "district coordinator (Bhopal)", True, ""),
    (
        "officer.lsg",
        Role.DEPARTMENT_OFFICER,
        "department officer (Lok Sewa, Bhopal)",
        True,
        DEMO_DEPARTMENT,
    ),
    (
        "do.lsg",
        Role.DESIGNATED_OFFICER,
        "designated officer (Lok Sewa, Bhopal)",
        True,
        DEMO_DEPARTMENT,
    ),
    (
        "ao.lsg",
        Role.APPELLATE_OFFICER,
        "appellate officer (Lok Sewa, Bhopal)",
        True,
        DEMO_DEPARTMENT,
    ),
]


def _bhopal() -> AdminUnit | None:
    return AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT, name_en__iexact="Bhopal").first()


def _citizen(spec: dict[str, Any], district: AdminUnit | None) -> None:
    user = services.sign_in_citizen(spec["mobile"])
    profile = services.get_or_create_profile(user)
    if profile.name_en:
        return  # already filled: keep whatever the demo user changed
    data = {k: v for k, v in spec.items() if k != "mobile"}
    data["district"] = district
    if district is None:
        data["pincode"] = ""
    services.update_profile(user, data, actor=user)


def load() -> list[str]:
    """Create the demo people if missing; return lines telling how to sign in as each."""
    district = _bhopal()
    lines: list[str] = []
    with transaction.atomic():
        for spec in CITIZENS:
            _citizen(spec, district)
            lines.append(f"citizen: mobile {spec['mobile']}, OTP shown at {OUTBOX_URL}")
        for username, role, label, needs_district, department in STAFF:
            if needs_district and district is None:
                lines.append(f"{label}: skipped (no Bhopal district: load the geo data first)")
                continue
            if not User.objects.filter(username=username).exists():
                services.create_staff(
                    username=username,
                    role=role,
                    password=DEMO_PASSWORD,
                    department_code=department,
                    admin_unit=district if needs_district else None,
                    full_name=label.split(" (")[0].capitalize(),
                    totp_key=DEMO_TOTP_KEY,
                )
            lines.append(
                f"{label}: {username} / {DEMO_PASSWORD}, TOTP: "
                f"`.venv/bin/ekseva accounts totp-code {username}`"
            )
    return lines
