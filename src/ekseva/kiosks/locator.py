"""Reads of the public side and of the staff pages: the kiosk locator, a kiosk's
public page (its services with their official fees), and per-kiosk figures.

The locator finds ACTIVE kiosks near a point (the browser's location, or a PIN
code's post offices) or in a district. It scales to thousands of kiosks by letting
the database do the coarse cut: a bounding box around the point (a latitude range
and a longitude range, ``r`` km each side) selects the candidates in SQL, only
their ids and coordinates are fetched, and the exact great-circle distance is
computed in Python for those alone. Every kiosk within ``r`` km lies inside the
box, so keeping the candidates within ``r`` km gives the exact nearest-first
order with nothing nearer left out; the box doubles (5, 10, 20 … 160 km) until it
holds enough kiosks for a few pages. Full rows are then read for the shown page
only. (A composite index on status, latitude, longitude would turn the box into
an index range scan; with the status index the database scans the active kiosks
row by row, which is still one cheap query for tens of thousands.)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ekseva.accounts import selectors as people
from ekseva.accounts.models import Role
from ekseva.catalog import fees
from ekseva.catalog.models import Service
from ekseva.catalog.selectors import live_services
from ekseva.core import clock
from ekseva.core.money import format_inr
from ekseva.geo import selectors as geo
from ekseva.geo.models import AdminUnit, PostOffice
from ekseva.ledger.models import WalletBalance
from ekseva.payments.models import PAID_STATUSES, Payment

from .models import Complaint, Kiosk, KioskStatusChange, Rating

PAGE_SIZE = 20
START_KM = 5.0
MAX_KM = 160.0
WANT = 3 * PAGE_SIZE  # stop widening the box once it holds this many kiosks
KM_PER_DEGREE = math.pi * geo.EARTH_RADIUS_KM / 180  # along a meridian (≈111.2 km)


# --------------------------------------------------------------------------- the locator


@dataclass(frozen=True)
class Origin:
    """The point distances are measured from."""

    latitude: float
    longitude: float


@dataclass
class Found:
    kiosk: Kiosk
    distance_km: float | None  # None: no coordinates (or a district listed by name)
    services: list[str] = field(default_factory=list)  # names; empty: every kiosk service


@dataclass
class Search:
    """The outcome of one search: the page of kiosks and how it was made."""

    page: Page
    results: list[Found]
    origin: Origin | None
    district: AdminUnit | None
    radius_km: float | None  # the box kept, when searching around a point

    @property
    def empty(self) -> bool:
        return not self.results


def box(lat: float, lon: float, km: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The latitude and longitude ranges of a box holding every point within
    ``km`` of (lat, lon)."""
    dlat = km / KM_PER_DEGREE
    cos = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(km / (KM_PER_DEGREE * cos), 180.0)
    return (lat - dlat, lat + dlat), (lon - dlon, lon + dlon)


def _with_coords(qs: QuerySet[Kiosk]) -> QuerySet[Kiosk]:
    return qs.exclude(latitude=None).exclude(longitude=None)


def _distances(qs: QuerySet[Kiosk], origin: Origin) -> list[tuple[float, int]]:
    """(distance, id) of each kiosk of ``qs`` with coordinates (ids and coordinates only)."""
    rows = _with_coords(qs).values_list("pk", "latitude", "longitude")
    return [
        (geo.haversine_km(origin.latitude, origin.longitude, float(la), float(lo)), pk)
        for pk, la, lo in rows
    ]


def nearest_ids(qs: QuerySet[Kiosk], origin: Origin) -> tuple[list[tuple[float, int]], float]:
    """The kiosks of ``qs`` within a radius of ``origin``, nearest first, as
    (distance_km, id), and the radius used: the bounding box is cut in SQL and
    widened (doubling from ``START_KM`` to ``MAX_KM``) until it holds ``WANT``
    kiosks within the radius. Ties are broken by id, so the order is stable."""
    km = START_KM
    while True:
        (lat_lo, lat_hi), (lon_lo, lon_hi) = box(origin.latitude, origin.longitude, km)
        inside = qs.filter(latitude__range=(lat_lo, lat_hi), longitude__range=(lon_lo, lon_hi))
        kept = [(d, pk) for d, pk in _distances(inside, origin) if d <= km]
        if len(kept) >= WANT or km >= MAX_KM:
            return sorted(kept), km
        km *= 2


def pin_origin(pin: str) -> Origin | None:
    """The middle of a PIN code's post offices that have coordinates."""
    points = [
        (float(la), float(lo))
        for la, lo in PostOffice.objects.filter(pincode=pin)
        .exclude(latitude=None)
        .exclude(longitude=None)
        .values_list("latitude", "longitude")
    ]
    if not points:
        return None
    return Origin(sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def search(
    *,
    pin: str = "",
    district: AdminUnit | None = None,
    origin: Origin | None = None,
    page: int | str = 1,
) -> Search:
    """Active kiosks, nearest first from ``origin`` (the browser's location) or
    from the PIN code's post offices; with ``district`` alone, the district's
    kiosks by name. A district given with a point narrows to that district
    (all of its kiosks, by distance). A PIN whose offices have no coordinates
    lists the kiosks at that PIN or, if there are none, those of its district, by
    name. Kiosks without coordinates come after those measured."""
    qs = Kiosk.objects.filter(status=Kiosk.Status.ACTIVE)
    pin = (pin or "").strip()
    if origin is None and pin:
        origin = pin_origin(pin)
        if origin is None and district is None:
            at_pin = list(
                qs.filter(pin_code=pin).order_by("business_name", "pk").values_list("pk", flat=True)
            )
            if at_pin:
                return _page([(None, pk) for pk in at_pin], page, None, None, None)
            district = geo.district_for_pin(pin)
            if district is None:
                return _page([], page, None, None, None)
    if district is not None:
        qs = qs.filter(district=district)
    if origin is None:
        if district is None:
            return _page([], page, None, None, None)
        ids = qs.order_by("business_name", "pk").values_list("pk", flat=True)
        return _page([(None, pk) for pk in ids], page, None, district, None)
    radius = None
    if district is not None:
        # A district is a small set: every kiosk of it, by distance, the ones
        # without coordinates last.
        pairs: list[tuple[float | None, int]] = sorted(_distances(qs, origin))
        pairs += [
            (None, pk)
            for pk in qs.filter(Q(latitude=None) | Q(longitude=None))
            .order_by("business_name", "pk")
            .values_list("pk", flat=True)
        ]
    else:
        near, radius = nearest_ids(qs, origin)
        pairs = list(near)
        if pin:  # kiosks at the PIN without coordinates, after those measured
            seen = {pk for _d, pk in pairs}
            pairs += [
                (None, pk)
                for pk in qs.filter(pin_code=pin)
                .filter(Q(latitude=None) | Q(longitude=None))
                .order_by("business_name", "pk")
                .values_list("pk", flat=True)
                if pk not in seen
            ]
    return _page(pairs, page, origin, district, radius)


def _page(
    pairs: list[tuple[float | None, int]],
    number: int | str,
    origin: Origin | None,
    district: AdminUnit | None,
    radius: float | None,
) -> Search:
    page = Paginator(pairs, PAGE_SIZE).get_page(number)
    ids = [pk for _d, pk in page.object_list]
    rows = {k.pk: k for k in with_ratings(Kiosk.objects.filter(pk__in=ids))}
    names = service_names(rows.values())
    results = [
        Found(
            kiosk=rows[pk],
            distance_km=None if d is None else round(d, 1),
            services=[names[c] for c in rows[pk].services if c in names],
        )
        for d, pk in page.object_list
        if pk in rows
    ]
    return Search(page, results, origin, district, radius)


def with_ratings(qs: QuerySet[Kiosk]) -> QuerySet[Kiosk]:
    return qs.select_related("district", "tehsil").annotate(
        rating_avg=Avg("ratings__stars"), rating_count=Count("ratings")
    )


def service_names(kiosks: Iterable[Kiosk]) -> dict[str, Service]:
    """code → live service, for the services these kiosks list (one query)."""
    codes = {code for kiosk in kiosks for code in (kiosk.services or [])}
    if not codes:
        return {}
    return {s.code: s for s in live_services().filter(code__in=codes)}


# --------------------------------------------------------------------------- a kiosk's page


@dataclass(frozen=True)
class OfferedService:
    """One service a kiosk offers, with its official fees (in one language)."""

    service: Service
    name: str
    government: str  # "₹500.00", "₹0.00 to ₹500.00", or "" when it is the bill's amount
    government_varies: bool
    from_bill: bool
    portal: int  # convenience fee + GST, paise
    kiosk_charge: int  # the most the kiosk may add, paise


def offered_services(kiosk: Kiosk, language: str) -> list[OfferedService]:
    """The services ``kiosk`` offers (every service applied for at kiosks when its
    list is empty), each with its published fees, by name."""
    services = live_services().select_related("department", "current_version")
    if kiosk.services:
        services = services.filter(code__in=kiosk.services)
    offered = []
    for service in services:
        version = service.current_version
        if "kiosk" not in (version.channels or []):
            continue
        rows = fees.schedule(version)
        government = [r.amount_paise for r in rows if r.code == "government"]
        fixed = [a for a in government if a is not None]
        from_bill = len(fixed) < len(government)
        if fixed:
            low, high = min(fixed), max(fixed)
            text = format_inr(low) if low == high else f"{format_inr(low)} – {format_inr(high)}"
        else:
            text = ""
        offered.append(
            OfferedService(
                service=service,
                name=service.name(language),
                government=text,
                government_varies=len(set(fixed)) > 1,
                from_bill=from_bill,
                portal=sum(r.amount_paise or 0 for r in rows if r.code in ("convenience", "gst")),
                kiosk_charge=sum(r.amount_paise or 0 for r in rows if r.code == "kiosk"),
            )
        )
    return sorted(offered, key=lambda o: o.name.casefold())


def public_kiosk(code: str) -> Kiosk | None:
    """A kiosk the public may see (active or suspended; a closed one is gone)."""
    return (
        with_ratings(Kiosk.objects.filter(code=(code or "").upper()))
        .exclude(status=Kiosk.Status.CLOSED)
        .first()
    )


def map_url(kiosk: Kiosk) -> str:
    if kiosk.latitude is None or kiosk.longitude is None:
        return ""
    return (
        f"https://www.openstreetmap.org/?mlat={kiosk.latitude}&mlon={kiosk.longitude}"
        f"#map=17/{kiosk.latitude}/{kiosk.longitude}"
    )


# --------------------------------------------------------------------------- staff scope

# Who may use the kiosks' staff pages, and how far each posting reaches.
STAFF_VIEW_ROLES = (Role.OPERATOR_STAFF, Role.DISTRICT_COORDINATOR, Role.AUDITOR)
STAFF_COMPLAINT_ROLES = (Role.OPERATOR_STAFF, Role.DISTRICT_COORDINATOR)


def scope_filter(user: Any, roles: Iterable[str], prefix: str = "") -> Q | None:
    """A filter of the kiosks ``user``'s current postings in ``roles`` cover (as
    ``permissions.can`` decides for one kiosk: the kiosk's district is the
    posting's unit or lies under it; operator staff cover every kiosk), or None
    when they cover none. ``prefix`` reaches kiosks through a relation ("kiosk__")."""
    roles = set(roles)
    parts: list[Q] = []
    for posting in people.postings_of(user):
        if posting.role not in roles or posting.department_code:
            continue
        if posting.role == Role.OPERATOR_STAFF:
            return Q()
        q = Q()
        if posting.kiosk_code:
            q &= Q(**{f"{prefix}code": posting.kiosk_code})
        unit = posting.admin_unit_id
        if unit:
            q &= people.unit_or_below_q(f"{prefix}district", unit)
        if not q:
            return Q()  # a posting without a scope reaches everywhere
        parts.append(q)
    if not parts:
        return None
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return combined


def scoped_kiosks(user: Any, roles: Iterable[str] = STAFF_VIEW_ROLES) -> QuerySet[Kiosk]:
    where = scope_filter(user, roles)
    if where is None:
        return Kiosk.objects.none()
    return Kiosk.objects.filter(where)


def scope_districts(user: Any, roles: Iterable[str] = STAFF_VIEW_ROLES) -> QuerySet[AdminUnit]:
    """The districts a filter may offer ``user``: those of the kiosks in scope."""
    ids = scoped_kiosks(user, roles).values("district_id")
    return AdminUnit.objects.filter(pk__in=ids).order_by("name_en")


# --------------------------------------------------------------------------- figures


def month_start() -> dt.datetime:
    """The first moment of this month, in the portal's time zone."""
    local = timezone.localtime(clock.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _count(qs: QuerySet, by: str) -> Coalesce:
    """A correlated COUNT of ``qs`` (already filtered on OuterRef) as an annotation."""
    sub = qs.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def _total(qs: QuerySet, by: str, column: str) -> Coalesce:
    sub = qs.order_by().values(by).annotate(t=Sum(column)).values("t")[:1]
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def kiosk_payments() -> QuerySet[Payment]:
    """Citizens' payments made at kiosks and taken (a later refund keeps the row)."""
    return Payment.objects.filter(channel="kiosk", status__in=PAID_STATUSES).exclude(
        purpose="wallet_topup"
    )


def with_figures(qs: QuerySet[Kiosk]) -> QuerySet[Kiosk]:
    """Kiosks with their figures as annotations: a fixed number of correlated
    subqueries, so one query however many kiosks are listed.

    tx_month, amount_month, tx_all, amount_all (paise), open_complaints,
    upheld_complaints, complaints_total, rating_avg, rating_count, suspensions, wallet."""
    paid = kiosk_payments().filter(kiosk_code=OuterRef("code"))
    month = paid.filter(succeeded_at__gte=month_start())
    complaints = Complaint.objects.filter(kiosk=OuterRef("pk"))
    ratings = Rating.objects.filter(kiosk=OuterRef("pk"))
    avg = ratings.order_by().values("kiosk").annotate(a=Avg("stars")).values("a")[:1]
    suspensions = KioskStatusChange.objects.filter(
        kiosk=OuterRef("pk"), to_status=Kiosk.Status.SUSPENDED
    )
    wallet = WalletBalance.objects.filter(
        account__kind="kiosk_wallet", account__owner=OuterRef("code")
    ).values("balance")[:1]
    return qs.select_related("district").annotate(
        tx_month=_count(month, "kiosk_code"),
        amount_month=_total(month, "kiosk_code", "amount"),
        tx_all=_count(paid, "kiosk_code"),
        amount_all=_total(paid, "kiosk_code", "amount"),
        complaints_total=_count(complaints, "kiosk"),
        open_complaints=_count(complaints.filter(status=Complaint.Status.OPEN), "kiosk"),
        upheld_complaints=_count(complaints.filter(status=Complaint.Status.UPHELD), "kiosk"),
        rating_avg=Subquery(avg),
        rating_count=_count(ratings, "kiosk"),
        suspensions=_count(suspensions, "kiosk"),
        wallet=Coalesce(Subquery(wallet, output_field=IntegerField()), 0),
    )


SORTS = {
    "code": ["code"],
    "complaints": ["-open_complaints", "-upheld_complaints", "code"],
    "rating": [F("rating_avg").asc(nulls_last=True), "-rating_count", "code"],
    "transactions": ["-tx_month", "code"],
}


@dataclass(frozen=True)
class KioskFilters:
    district: AdminUnit | None = None
    status: str = ""
    kind: str = ""
    q: str = ""
    sort: str = "code"


def staff_kiosks(user: Any, filters: KioskFilters) -> QuerySet[Kiosk]:
    """The kiosks ``user`` may see on the staff pages, filtered, with figures."""
    qs = scoped_kiosks(user)
    if filters.district is not None:
        qs = qs.filter(district=filters.district)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    q = " ".join((filters.q or "").split())
    if q:
        qs = qs.filter(
            Q(code__icontains=q) | Q(business_name__icontains=q) | Q(owner_name__icontains=q)
        )
    return with_figures(qs).order_by(*SORTS.get(filters.sort, SORTS["code"]))
