"""Reads for the certificate pages: what the public may see of a certificate, the
certificates a department's officers manage, the departments' signing keys and a
certificate's audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ekseva.accounts import selectors as people
from ekseva.accounts.models import Role
from ekseva.catalog.models import Department, Service
from ekseva.core.models import AuditEvent

from .models import Certificate, SigningKey

# The roles of hooks.REVOKE: they manage their department's certificates.
MANAGING_ROLES = frozenset({Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER})


def _language(language: str) -> str:
    return "hi" if language == "hi" else "en"


def department_name(code: str, language: str) -> str:
    department = Department.objects.filter(code=code).first()
    return department.name(_language(language)) if department else code


def service_name(code: str, language: str) -> str:
    service = Service.objects.filter(code=code).first()
    return service.name(_language(language)) if service else code


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class PublicView:
    """What a verification page shows of a certificate: exactly what the certificate
    itself prints (the holder's name, never a mobile number or an address)."""

    number: str
    holder: str
    service: str
    department: str
    kind: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    revoked_on: dt.date | None = None
    revoked_reason: str = ""


def holder_name(fields: dict[str, Any], language: str) -> str:
    """The holder's name as signed (``name_hi`` in Hindi when it was printed)."""
    if language == "hi" and fields.get("name_hi"):
        return str(fields["name_hi"])
    return str(fields.get("name_en") or "")


def public_view(
    certificate: Certificate, language: str, names: dict[str, str] | None = None
) -> PublicView:
    """The certificate as recorded (its signed fields), in ``language``. ``names``:
    service and department names already looked up (``public_views``)."""
    language = _language(language)
    fields = certificate.fields or {}
    names = names or {}
    service = names.get(f"s:{certificate.service_code}")
    department = names.get(f"d:{certificate.department_code}")
    return PublicView(
        number=certificate.number,
        holder=holder_name(fields, language),
        service=service or service_name(certificate.service_code, language),
        department=department or department_name(certificate.department_code, language),
        kind=certificate.kind,
        issued_on=_date(fields.get("issued")) or _date(certificate.issued_at),
        valid_until=_date(fields.get("valid_until")) or certificate.valid_until,
        revoked_on=_date(certificate.revoked_at),
        revoked_reason=certificate.revoked_reason,
    )


def public_views(certificates: list[Certificate], language: str) -> list[PublicView]:
    """``public_view`` of each, with the names looked up in two queries."""
    language = _language(language)
    services = {c.service_code for c in certificates}
    departments = {c.department_code for c in certificates}
    names = {f"s:{s.code}": s.name(language) for s in Service.objects.filter(code__in=services)}
    names |= {
        f"d:{d.code}": d.name(language) for d in Department.objects.filter(code__in=departments)
    }
    return [public_view(c, language, names) for c in certificates]


# The columns a verification page shows, with the names of the application's service
# and its department from the same query (no lookup by code after it).
_PUBLIC_COLUMNS = (
    "number",
    "kind",
    "fields",
    "issued_at",
    "valid_until",
    "revoked_at",
    "revoked_reason",
    "service_code",
    "department_code",
    "application__service__code",
    "application__service__name_en",
    "application__service__name_hi",
    "application__service__department__code",
    "application__service__department__name_en",
    "application__service__department__name_hi",
)


def _bilingual(en: str, hi: str, language: str) -> str:
    return hi if language == "hi" and hi else en  # as BilingualName.name


def public_by_number(number: str, language: str) -> PublicView | None:
    """``public_view`` of the certificate ``number`` in one query that reads only
    what the page shows; None when there is none. The names are the joined
    service's and department's when their codes are the certificate's (always, for
    a certificate issued here), else looked up by code as ``public_view`` does."""
    language = _language(language)
    row = Certificate.objects.filter(number=number).values(*_PUBLIC_COLUMNS).first()
    if row is None:
        return None
    fields = row["fields"] or {}
    if row["application__service__code"] == row["service_code"]:
        service = _bilingual(
            row["application__service__name_en"], row["application__service__name_hi"], language
        )
    else:
        service = service_name(row["service_code"], language)
    if row["application__service__department__code"] == row["department_code"]:
        department = _bilingual(
            row["application__service__department__name_en"],
            row["application__service__department__name_hi"],
            language,
        )
    else:
        department = department_name(row["department_code"], language)
    return PublicView(
        number=row["number"],
        holder=holder_name(fields, language),
        service=service,
        department=department,
        kind=row["kind"],
        issued_on=_date(fields.get("issued")) or _date(row["issued_at"]),
        valid_until=_date(fields.get("valid_until")) or row["valid_until"],
        revoked_on=_date(row["revoked_at"]),
        revoked_reason=row["revoked_reason"],
    )


# --------------------------------------------------------------------------- the department


def managed(user: Any) -> QuerySet[Certificate]:
    """The certificates ``user`` manages (``hooks.REVOKE``), newest first: those of
    the department and area of each of their designated/appellate officer postings
    (a posting with no department or no area is not narrowed by it)."""
    found = Certificate.objects.select_related("application", "key", "holder")
    covered = Q(pk__in=[])
    for posting in people.postings_of(user):
        if posting.role not in MANAGING_ROLES:
            continue
        covered |= people.reach_q(posting, unit="application__district")
    return found.filter(covered)


def search(user: Any, *, q: str = "", state: str = "") -> QuerySet[Certificate]:
    found = managed(user)
    if q:
        found = found.filter(Q(number=q) | Q(application__number=q))
    if state == "revoked":
        found = found.filter(revoked_at__isnull=False)
    elif state == "valid":
        found = found.filter(revoked_at__isnull=True)
    return found


def by_number(number: str) -> Certificate | None:
    if not number:
        return None
    return (
        Certificate.objects.select_related("application", "key", "holder", "revoked_by")
        .filter(number=number)
        .first()
    )


def audit_trail(certificate: Certificate) -> list[AuditEvent]:
    """Everything the audit log records about the certificate, oldest first."""
    return list(
        AuditEvent.objects.filter(
            object_type=Certificate._meta.label_lower, object_id=str(certificate.pk)
        ).order_by("at", "pk")
    )


# --------------------------------------------------------------------------- keys


@dataclass
class DepartmentKeys:
    code: str
    name: str
    current: SigningKey | None
    retired: list[SigningKey]  # each key carries ``signed``: certificates signed with it


def department_keys(language: str) -> list[DepartmentKeys]:
    """Every department of the catalogue (and any other that has keys), with its
    current and retired keys and how many certificates each signed."""
    departments = {d.code: d.name(_language(language)) for d in Department.objects.all()}
    keys = list(SigningKey.objects.order_by("department_code", "-created_at", "-pk"))
    counts = dict(
        Certificate.objects.values_list("key_id").annotate(n=Count("pk")).values_list("key_id", "n")
    )
    by_department: dict[str, list[SigningKey]] = {}
    for key in keys:
        key.signed = counts.get(key.pk, 0)
        by_department.setdefault(key.department_code, []).append(key)
    codes = sorted(set(departments) | set(by_department))
    rows = []
    for code in codes:
        mine = by_department.get(code, [])
        rows.append(
            DepartmentKeys(
                code=code,
                name=departments.get(code, code),
                current=next((k for k in mine if k.retired_at is None), None),
                retired=[k for k in mine if k.retired_at is not None],
            )
        )
    return rows


def one_department_keys(code: str, language: str) -> DepartmentKeys | None:
    for row in department_keys(language):
        if row.code == code:
            return row
    return None
