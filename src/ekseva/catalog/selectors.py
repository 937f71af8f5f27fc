"""Read queries for the catalogue pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from ekseva.geo.models import AdminUnit

from .models import Category, Department, Service, ServiceVersion, normalise_text


@dataclass(frozen=True)
class Filters:
    category: str = ""
    department: str = ""
    district: str = ""  # an AdminUnit code, e.g. "district:435"
    q: str = ""


def live_services() -> QuerySet[Service]:
    """Services with a published version, from active departments."""
    return Service.objects.filter(
        current_version__isnull=False, department__active=True
    ).select_related("department", "current_version")


def _search(qs: QuerySet[Service], text: str) -> QuerySet[Service]:
    """Names and keywords in English or Hindi. PostgreSQL: full-text ('simple'
    configuration, prefix match on each word) OR a substring match, so that a
    Hindi phrase typed partly still finds its service; SQLite: the substring
    match on the normalised text alone."""
    needle = normalise_text(text)
    if not needle:
        return qs
    substring = Q(search_text__contains=needle)
    if connection.vendor != "postgresql":
        return qs.filter(substring)
    from django.contrib.postgres.search import SearchQuery, SearchVector

    words = [w for w in needle.replace("'", " ").replace("\\", " ").split() if w]
    query = SearchQuery(" & ".join(f"'{w}':*" for w in words), config="simple", search_type="raw")
    vector = SearchVector("name_en", "name_hi", "search_text", config="simple")
    return qs.annotate(search=vector).filter(Q(search=query) | substring)


def search_services(filters: Filters) -> QuerySet[Service]:
    qs = live_services()
    if filters.category:
        qs = qs.filter(current_version__category=filters.category)
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    if filters.district:
        qs = qs.filter(
            Q(current_version__district_codes="")
            | Q(current_version__district_codes__contains=f"|{filters.district}|")
        )
    qs = _search(qs, filters.q)
    return qs.order_by("name_en")


def get_live_service(code: str) -> Service | None:
    return live_services().filter(code=code).first()


def departments_with_services() -> QuerySet[Department]:
    return (
        Department.objects.filter(active=True, services__current_version__isnull=False)
        .distinct()
        .order_by("name_en")
    )


def category_counts() -> list[dict[str, Any]]:
    counts = dict.fromkeys(Category.values, 0)
    for category in live_services().values_list("current_version__category", flat=True):
        counts[category] += 1
    return [
        {"code": code, "label": Category(code).label, "count": counts[code]}
        for code in Category.values
    ]


def versions_of(service: Service) -> QuerySet[ServiceVersion]:
    return service.versions.order_by("-number")


def districts() -> QuerySet[AdminUnit]:
    """Districts to filter by (from the geo app), in name order."""
    from ekseva.geo.models import AdminUnit

    return AdminUnit.objects.filter(kind=AdminUnit.Kind.DISTRICT, active=True).order_by("name_en")
