"""The kiosk console's own reads and writes (the pages are ``views_console``):
today's work at a kiosk, the search of its past applications, the citizens it is
serving now, the services it offers with their official fees, the walk-in's
panel, and a first-time citizen's name. The core writes it builds on (consent,
the assisted draft, paying from the wallet) are in ``services``.

Every read here is narrowed to one kiosk first: a kiosk never sees another's
applications, whatever is typed into a search. Guide: docs/kiosks.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ekseva.accounts import services as accounts
from ekseva.accounts.models import CitizenProfile
from ekseva.accounts.permissions import can
from ekseva.applications.hooks import VIEW as APPLICATION_VIEW
from ekseva.applications.models import Application, Channel
from ekseva.catalog import fees
from ekseva.catalog import selectors as catalog_selectors
from ekseva.catalog.models import Service
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr
from ekseva.payments.models import PAID_STATUSES, Payment

from . import services
from .models import Consent, Kiosk, KioskStatusChange

# What the citizen's name form saves (the profile's required fields).
NAME_FIELDS = ("name_en", "name_hi", "date_of_birth", "gender")


# --------------------------------------------------------------------------- days


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of ``day`` in the portal's time zone, and of the next day."""
    start = timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )
    return start, start + dt.timedelta(days=1)


# --------------------------------------------------------------------------- today's work


# The console's home lists this many of the day's applications (the search finds
# the rest): a busy kiosk's day is hundreds, and each row costs rendering.
TODAY_ROWS = 20


@dataclass(frozen=True)
class Today:
    """A kiosk's day: ``transactions`` applications paid, ``collected`` paise paid
    from its wallet, ``commission`` paise of kiosk charges on the applications paid,
    and ``applications``: the latest of those started, submitted or paid that day
    (newest first, at most ``TODAY_ROWS``; ``more``: there are others)."""

    day: dt.date
    transactions: int
    collected: int
    commission: int
    applications: list[Application]
    more: bool = False


def kiosk_charge(app: Application) -> int:
    """The kiosk charge line of an application's fee (paise; 0 if it has none)."""
    return sum(
        int(line.get("amount_paise", 0)) for line in app.fee_lines if line.get("code") == "kiosk"
    )


def today_work(kiosk: Kiosk, day: dt.date | None = None, *, rows: int | None = None) -> Today:
    day = day or clock.today()
    rows = rows or TODAY_ROWS
    start, end = day_bounds(day)
    mine = Application.objects.filter(kiosk_code=kiosk.code)
    transactions, commission = paid_figures(mine.filter(paid_at__gte=start, paid_at__lt=end))
    collected = Payment.objects.filter(
        gateway="wallet",
        kiosk_code=kiosk.code,
        status__in=PAID_STATUSES,
        succeeded_at__gte=start,
        succeeded_at__lt=end,
    ).aggregate(total=Sum("amount"))["total"]
    touched = (
        Q(created_at__gte=start, created_at__lt=end)
        | Q(submitted_at__gte=start, submitted_at__lt=end)
        | Q(paid_at__gte=start, paid_at__lt=end)
    )
    applications = list(
        mine.filter(touched)
        .select_related("service", "applicant")
        .order_by("-updated_at", "-id")[: rows + 1]
    )
    return Today(
        day=day,
        transactions=transactions,
        collected=collected or 0,
        commission=commission,
        applications=applications[:rows],
        more=len(applications) > rows,
    )


# One application's kiosk charge (the sum of its fee lines with code "kiosk", as
# ``kiosk_charge`` adds them), as SQL over the JSON of ``fee_lines``.
_KIOSK_CHARGE_SQL = {
    "postgresql": "SELECT SUM((line->>'amount_paise')::bigint) "
    "FROM jsonb_array_elements(a.fee_lines) AS line WHERE line->>'code' = 'kiosk'",
    "sqlite": "SELECT SUM(CAST(json_extract(line.value, '$.amount_paise') AS INTEGER)) "
    "FROM json_each(a.fee_lines) AS line WHERE json_extract(line.value, '$.code') = 'kiosk'",
}


def paid_figures(paid: QuerySet[Application]) -> tuple[int, int]:
    """(how many, the sum of their kiosk charges in paise) of the applications of
    ``paid``, counted by the database in one query: a busy kiosk's day is hundreds
    of applications, and loading each one's fee lines to add them cost the console's
    home page most of its time."""
    sql = _KIOSK_CHARGE_SQL.get(connection.vendor)
    if sql is None:  # another database: add them here
        found = list(paid.only("fee_lines"))
        return len(found), sum(kiosk_charge(app) for app in found)
    try:
        inner, params = paid.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a queryset that can match nothing (``.none()``)
        return 0, 0
    table = connection.ops.quote_name(Application._meta.db_table)
    # Constants and the ORM's own SQL; every value is a parameter.
    query = (
        f"SELECT COUNT(*), COALESCE(SUM(t.charge), 0) FROM "  # noqa: S608
        f"(SELECT ({sql}) AS charge FROM {table} a WHERE a.id IN ({inner})) t"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        count, total = cursor.fetchone()
    return int(count), int(total)


# --------------------------------------------------------------------------- search


def search(
    kiosk: Kiosk,
    *,
    number: str = "",
    mobile: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Application]:
    """This kiosk's applications (drafts too), newest first: ``number`` (any part of
    it, as typed), the citizen's ``mobile`` (10 digits), started on or after
    ``date_from`` and on or before ``date_to``."""
    qs = (
        Application.objects.filter(kiosk_code=kiosk.code)
        .select_related("service", "applicant")
        .order_by("-created_at", "-id")
    )
    number = re.sub(r"[^A-Z0-9]", "", ids.normalise(number or ""))  # numbers are A-Z, 0-9
    if number:
        qs = qs.filter(number__contains=number)
    if mobile:
        qs = qs.filter(applicant__mobile=mobile)
    if date_from:
        qs = qs.filter(created_at__gte=day_bounds(date_from)[0])
    if date_to:
        qs = qs.filter(created_at__lt=day_bounds(date_to)[1])
    return qs


def application_at(user: Any, kiosk: Kiosk, number: str) -> Application:
    """An application made at ``kiosk`` that ``user`` may see; 404 otherwise (the
    same answer for another kiosk's number as for no such number)."""
    app = (
        Application.objects.select_related(
            "service", "service__department", "version", "applicant", "district"
        )
        .filter(number=ids.normalise(number or ""), kiosk_code=kiosk.code)
        .first()
    )
    if app is None or not can(user, APPLICATION_VIEW, app):
        raise Http404("no such application at this kiosk")
    return app


# --------------------------------------------------------------------------- the citizen


def citizen_applications(kiosk: Kiosk, citizen: Any) -> QuerySet[Application]:
    """The citizen's applications made at this kiosk (never those made elsewhere)."""
    return (
        Application.objects.filter(kiosk_code=kiosk.code, applicant=citizen)
        .select_related("service", "version")
        .order_by("-updated_at", "-id")
    )


def serving_now(kiosk: Kiosk) -> list[Consent]:
    """The citizens whose consent to this kiosk runs now (one row each, latest first)."""
    consents = (
        Consent.objects.filter(kiosk=kiosk, revoked_at__isnull=True, expires_at__gt=clock.now())
        .select_related("citizen")
        .order_by("-expires_at")
    )
    seen: set[int] = set()
    out = []
    for consent in consents:
        if consent.citizen_id not in seen:
            seen.add(consent.citizen_id)
            out.append(consent)
    return out


def needs_name(citizen: Any) -> bool:
    """A first-time number has no name yet: the kiosk asks for it before applying."""
    return not (citizen.full_name or "").strip()


def citizen_name(citizen: Any, language: str) -> str:
    """The citizen's name as the page's language writes it (the Hindi one if given)."""
    profile = CitizenProfile.objects.filter(user_id=citizen.pk).first()
    if language == "hi" and profile is not None and profile.name_hi:
        return profile.name_hi
    return citizen.full_name


def name_citizen(operator: Any, citizen: Any, data: dict[str, Any]) -> CitizenProfile:
    """Save a walk-in citizen's name, date of birth and gender on their profile (what
    every form is prefilled from), under their consent to the operator's kiosk.

    The accounts service checks and saves it as the citizen's own edit (the citizen
    has just authorised this kiosk by the OTP on their phone); the kiosk's audit
    record names the operator who typed it. Raises ``ValidationError`` per field."""
    kiosk = services.require_kiosk(operator)
    services.require_consent(kiosk, citizen)
    profile = accounts.get_or_create_profile(citizen)
    current = {name: getattr(profile, name) for name in accounts.PROFILE_FIELDS}
    given = {name: data.get(name) for name in NAME_FIELDS}
    profile = accounts.update_profile(citizen, {**current, **given, "aadhaar": ""}, actor=citizen)
    audit.record(
        "kiosks.console.citizen_named",
        actor=operator,
        obj=kiosk,
        after={"citizen": citizen.pk, "mobile": accounts.mask_mobile(citizen.mobile)},
    )
    return profile


# --------------------------------------------------------------------------- services


@dataclass(frozen=True)
class FeeRow:
    label: str
    amount: str
    kiosk: bool = False


@dataclass(frozen=True)
class Offer:
    service: Service
    name: str
    department: str
    rows: list[FeeRow]


def offered(kiosk: Kiosk, q: str = "") -> list[Service]:
    """Live services applied for at kiosks that this kiosk offers (its list; an
    empty list offers them all), by name; ``q`` narrows by name or keyword."""
    found = catalog_selectors.search_services(catalog_selectors.Filters(q=q or ""))
    return [
        service
        for service in found
        if Channel.KIOSK in (service.current_version.channels or [])
        and (not kiosk.services or service.code in kiosk.services)
    ]


def fee_rows(version: Any, language: str) -> list[FeeRow]:
    """The official fee schedule as the kiosk shows it before starting: the
    government fee (one row, or its range when it depends on the answers), the
    portal's charges and the kiosk charge (all a kiosk may take); no correction fee."""
    rows = [row for row in fees.schedule(version) if row.code != "correction"]

    def label(row: fees.ScheduleRow) -> str:
        return row.label_hi if language == "hi" else row.label_en

    government = [row for row in rows if row.code == "government"]
    amounts = [row.amount_paise for row in government]
    ranged = (
        len(government) > 1 and None not in amounts and len({label(r) for r in government}) == 1
    )
    out = []
    for row in rows:
        if ranged and row.code == "government":
            if row is government[0]:
                low, high = min(amounts), max(amounts)
                text = format_inr(low) if low == high else f"{format_inr(low)} – {format_inr(high)}"
                out.append(FeeRow(label(row), text))
            continue
        amount = format_inr(row.amount_paise) if row.amount_paise is not None else ""
        out.append(FeeRow(label(row), amount or _("as per the bill"), row.code == "kiosk"))
    return out


def offers(kiosk: Kiosk, language: str, q: str = "") -> list[Offer]:
    return [
        Offer(
            service=service,
            name=service.name(language),
            department=service.department.name(language),
            rows=fee_rows(service.current_version, language),
        )
        for service in offered(kiosk, q)
    ]


# --------------------------------------------------------------------------- status


def status_since(kiosk: Kiosk) -> dt.datetime | None:
    """When the kiosk entered its present status (None: it has always been so)."""
    return (
        KioskStatusChange.objects.filter(kiosk=kiosk, to_status=kiosk.status)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


# --------------------------------------------------------------------------- the journey's way back


def console_page(app: Application, user: Any) -> str:
    """Where a login of the kiosk that made ``app`` carries on with it once it has
    a number: its console page (pay from the wallet, the receipt, end the session)."""
    operator = services.operator_of(user)
    if operator is None or not app.number or app.kiosk_code != operator.kiosk.code:
        return ""
    return reverse("kiosks:console_app", args=[app.number])


def register() -> None:
    """The journey sends a kiosk login to the console once a kiosk draft is submitted."""
    from ekseva.applications.views_journey import register_assisted_page

    register_assisted_page(Channel.KIOSK, console_page)
