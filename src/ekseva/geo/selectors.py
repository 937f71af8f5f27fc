"""Reads of administrative units and post offices, shared by views and other apps."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .models import AdminUnit, PostOffice

T = TypeVar("T")
EARTH_RADIUS_KM = 6371.0088
PINCODE_LENGTH = 6


def districts(state: AdminUnit | None = None) -> QuerySet[AdminUnit]:
    """Active districts (of ``state``, or of every state loaded), by English name."""
    units = AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT, active=True)
    if state is not None:
        units = units.filter(parent=state)
    return units.order_by("name_en")


def children(unit: AdminUnit, kind: str | None = None) -> QuerySet[AdminUnit]:
    """Active units directly under ``unit``, optionally of one kind, by English name."""
    units = AdminUnit.objects.filter(parent=unit, active=True)
    if kind:
        units = units.filter(kind=kind)
    return units.order_by("name_en")


def unit_by_code(code: str) -> AdminUnit | None:
    """The unit with our stable code (e.g. ``district:396``), or None."""
    return AdminUnit.objects.filter(code=code).select_related("parent").first()


def is_pincode(value: str) -> bool:
    """Six ASCII digits, not starting with 0 (India Post has no zone 0)."""
    return len(value) == PINCODE_LENGTH and value.isascii() and value.isdigit() and value[0] != "0"


def offices_for_pin(pin: str) -> QuerySet[PostOffice]:
    return PostOffice.objects.filter(pincode=pin).select_related("district").order_by("name")


def district_for_pin(pin: str) -> AdminUnit | None:
    """The district most of the PIN's offices lie in (a few PINs cross a border)."""
    ids = Counter(PostOffice.objects.filter(pincode=pin).values_list("district_id", flat=True))
    if not ids:
        return None
    top = max(ids.items(), key=lambda item: (item[1], -item[0]))[0]
    return AdminUnit.objects.get(pk=top)


def pin_in_district(pin: str, district: AdminUnit) -> bool:
    """Whether any office of ``pin`` lies in ``district`` — for checking that an
    address's PIN and district agree."""
    return PostOffice.objects.filter(pincode=pin, district=district).exists()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _lat_lon(point: Any) -> tuple[Any, Any]:
    if isinstance(point, dict):
        return point.get("latitude"), point.get("longitude")
    if isinstance(point, tuple | list):
        return point[0], point[1]
    return getattr(point, "latitude", None), getattr(point, "longitude", None)


def nearest(
    points: Iterable[T],
    lat: float,
    lon: float,
    *,
    n: int | None = None,
    coords: Callable[[T], tuple[Any, Any]] = _lat_lon,
) -> list[tuple[float, T]]:
    """``(distance_km, point)`` pairs, nearest first, for any points: objects with
    ``latitude``/``longitude``, dicts with those keys, or ``(lat, lon)`` tuples.
    Points without coordinates are skipped; ties keep their input order."""
    scored = []
    for point in points:
        plat, plon = coords(point)
        if plat is None or plon is None:
            continue
        scored.append((haversine_km(lat, lon, float(plat), float(plon)), point))
    scored.sort(key=lambda pair: pair[0])
    return scored if n is None else scored[:n]


def nearest_offices(lat: float, lon: float, n: int = 5) -> list[tuple[float, PostOffice]]:
    """The ``n`` post offices nearest a point. Looks in a box around the point
    that grows until it holds enough offices, so the database does the coarse cut.
    (A box holding n offices can still miss a nearer one just outside its corner;
    the last widening by half again makes that rare, not impossible.)"""
    with_coords = PostOffice.objects.exclude(latitude=None).exclude(longitude=None)
    half = 0.1  # degrees, about 11 km
    while True:
        box = with_coords.filter(
            latitude__range=(lat - half, lat + half), longitude__range=(lon - half, lon + half)
        )
        if box.count() >= n or half >= 8:
            break
        half *= 2
    wider = with_coords.filter(
        latitude__range=(lat - half * 1.5, lat + half * 1.5),
        longitude__range=(lon - half * 1.5, lon + half * 1.5),
    )
    return nearest(wider.select_related("district"), lat, lon, n=n)


def search_units(q: str, kind: str | None = None, limit: int = 20) -> list[AdminUnit]:
    """Units whose English or Hindi name, or an old name, contains ``q``
    (case-insensitive). Names starting with ``q`` come first."""
    needle = " ".join(q.split()).casefold()
    if not needle:
        return []
    units = AdminUnit.objects.filter(search_text__contains=needle, active=True)
    if kind:
        units = units.filter(kind=kind)
    starts = Q(search_text__startswith=needle) | Q(search_text__contains=f"| {needle}")
    return list(
        units.annotate(
            rank=Case(When(starts, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .select_related("parent")
        .order_by("rank", "name_en")[:limit]
    )
