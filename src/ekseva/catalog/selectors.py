"""Read queries for the catalogue pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery

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


# --- operator screens ------------------------------------------------------------------


def managed_services() -> QuerySet[Service]:
    """Every service (live or not) with its department, live version and the number of
    its open draft (``draft_number``, None when there is none), for operator staff."""
    drafts = ServiceVersion.objects.filter(
        service=OuterRef("pk"), status=ServiceVersion.Status.DRAFT
    ).values("number")[:1]
    return (
        Service.objects.select_related("department", "current_version")
        .annotate(draft_number=Subquery(drafts))
        .order_by("department__code", "code")
    )


def open_draft(service: Service) -> ServiceVersion | None:
    return service.versions.filter(status=ServiceVersion.Status.DRAFT).first()


def version_history(service: Service) -> QuerySet[ServiceVersion]:
    """All versions, newest first, with who published them."""
    return service.versions.select_related("published_by").order_by("-number")


# The order of a service file's top-level keys in docs/service-definitions.md; nested
# mappings put their naming keys first. PostgreSQL's jsonb does not keep key order.
_TOP_KEYS = (
    "code", "department", "name", "summary", "keywords", "category", "channels", "districts",
    "illustrative", "note", "sources", "availability", "cutoff_date", "eligibility", "form",
    "documents", "fees", "time_limit", "workflow", "deliverable", "how_to_apply",
)  # fmt: skip
_FIRST_KEYS = (
    "id", "rule", "stage", "code", "type", "en", "hi", "name", "label", "title",
    "opens", "closes", "late_until", "days", "kind",
)  # fmt: skip
_AMOUNT_KEYS = {
    "convenience_paise": "convenience",
    "kiosk_charge_paise": "kiosk_charge",
    "late_fee_paise": "late_fee",
    "correction_fee_paise": "correction_fee",
}


def _rupees(paise: int) -> str:
    """Paise as the quoted rupees a definition file uses ("500.00")."""
    sign = "-" if paise < 0 else ""
    return f"{sign}{abs(paise) // 100}.{abs(paise) % 100:02d}"


def _fees_as_written(fees: dict) -> dict:
    """The stored fee schedule (integer paise) back in the form an analyst writes."""
    out: dict[str, Any] = {"government": []}
    for line in fees.get("government", []):
        written: dict[str, Any] = {"rule": line["rule"]}
        if line.get("label"):
            written["label"] = line["label"]
        if line.get("when") is not None:
            written["when"] = line["when"]
        if line.get("amount_from"):
            written["amount_from"] = line["amount_from"]
        else:
            written["amount"] = _rupees(line["amount_paise"])
        out["government"].append(written)
    for stored, key in _AMOUNT_KEYS.items():
        if fees.get(stored):
            out[key] = _rupees(fees[stored])
    if fees.get("gst_on_convenience_bp"):
        out["gst_on_convenience_bp"] = fees["gst_on_convenience_bp"]
    return out


def _ordered(value: Any, top: bool = False) -> Any:
    if isinstance(value, dict):
        first = _TOP_KEYS if top else _FIRST_KEYS
        keys = [k for k in first if k in value] + sorted(k for k in value if k not in first)
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


class _EditDumper(yaml.SafeDumper):
    """Block style, except short mappings and lists of plain values, which stay on one
    line ({en: ..., hi: ...}, [online, kiosk]) as analysts write them."""

    def represent_dict(self, data: dict) -> yaml.MappingNode:
        node = super().represent_dict(data)
        node.flow_style = _is_short(data)
        return node

    def represent_list(self, data: list) -> yaml.SequenceNode:
        node = super().represent_list(data)
        node.flow_style = _is_short(data)
        return node


_EditDumper.add_representer(dict, _EditDumper.represent_dict)
_EditDumper.add_representer(list, _EditDumper.represent_list)


def _is_short(data: dict | list) -> bool:
    values = data.values() if isinstance(data, dict) else data
    if not all(isinstance(v, str | int | float | bool) or v is None for v in values):
        return False
    return len(str(data)) <= 90


def editable_yaml(definition: dict) -> str:
    """A stored definition as YAML text that the checker reads back to the same
    definition: what the operator edits when making a draft."""
    source = dict(definition)
    if isinstance(source.get("fees"), dict):
        source["fees"] = _fees_as_written(source["fees"])
    return yaml.dump(
        _ordered(source, top=True),
        Dumper=_EditDumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )


# --- what the public pages show, as one digest -------------------------------------------


def _digest_sql(vendor: str) -> tuple[str, list[str]]:
    """One row per table of what a catalogue page can show (services with their
    published version, departments, districts), as text in id order."""
    q = connection.ops.quote_name
    service, department, unit = (
        q(Service._meta.db_table),
        q(Department._meta.db_table),
        q(AdminUnit._meta.db_table),
    )

    def row(*columns: str) -> str:
        return " || '|' || ".join(f"COALESCE(CAST({c} AS TEXT), '-')" for c in columns)

    services = row(
        "id", "code", "department_id", "name_en", "name_hi", "current_version_id", "search_text"
    )
    departments = row("id", "code", "name_en", "name_hi", "active")
    districts = row("id", "code", "name_en", "name_hi", "active")
    if vendor == "postgresql":
        agg = "string_agg({x}, chr(10) ORDER BY id)"
        # Table and column names only, from the models and quoted; the one value is a
        # parameter.
        sql = (
            f"SELECT md5(concat_ws('#', "  # noqa: S608
            f"(SELECT {agg.format(x=services)} FROM {service}), "
            f"(SELECT {agg.format(x=departments)} FROM {department}), "
            f"(SELECT {agg.format(x=districts)} FROM {unit} WHERE kind = %s)))"
        )
    else:
        agg = "(SELECT group_concat(x, char(10)) FROM (SELECT {x} AS x FROM {t}{w} ORDER BY id))"
        sql = (
            "SELECT "
            + agg.format(x=services, t=service, w="")
            + ", "
            + agg.format(x=departments, t=department, w="")
            + ", "
            + agg.format(x=districts, t=unit, w=" WHERE kind = %s")
        )
    return sql, [AdminUnit.Kind.DISTRICT.value]


def catalogue_version() -> str:
    """A digest of everything the public catalogue pages show that can change: each
    service's names, keywords, department and published version (a published
    version never changes: a new one gets a new id), each department's names and
    whether it is active, and the districts offered as filters. One query over a few
    hundred short rows (no index needed); the pages' cache keys carry it, so any
    change, however it is made (admin, loader, a bulk update, SQL), shows at once."""
    import hashlib

    sql, params = _digest_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if connection.vendor == "postgresql":
        return row[0] or ""
    return hashlib.sha256("#".join(part or "" for part in row).encode()).hexdigest()
