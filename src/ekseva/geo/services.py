"""Writes to administrative units and post offices.

``seed_state`` loads the bundled state and district list and India Post's
directory (from the ``bharatpin`` package); it runs on every start, so when
nothing changed it answers from a stored checksum in a few queries.
``import_lgd`` loads sub-districts, blocks and villages from the Local
Government Directory's CSV exports, keeping good rows and reporting bad ones.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.resources
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction

from ekseva.core import audit, clock

from .models import AdminUnit, GeoDataset, PostOffice
from .selectors import haversine_km

DATA_DIR = Path(__file__).resolve().parent / "data"
DISTRICTS_CSV = DATA_DIR / "mp_districts.csv"
STATE_LGD_CODE = "23"
STATE_NAME_IN_POST = "madhya pradesh"
# India Post still files offices under these old district names.
POST_DISTRICT_RENAMES = {
    "hoshangabad": "Narmadapuram",
    "east nimar": "Khandwa",
    "west nimar": "Khargone",
}
# The state's extent with a small margin (lat 21.07–26.87 N, lon 74.03–82.82 E);
# India Post coordinates outside it are wrong and are dropped.
LAT_RANGE = (21.0, 27.0)
LON_RANGE = (74.0, 83.0)
# No office lies this far from the median position of its district's offices:
# India Post has many points in the wrong district (Mandla offices in Jabalpur...).
OUTLIER_KM = 100.0
# Bump when seeding writes something different from the same input files.
SEED_FORMAT = "1"
SEED_KEY = "seed:mp"

Kind = AdminUnit.Kind


# --- seeding -----------------------------------------------------------------


@dataclass
class SeedResult:
    """What one ``seed_state`` run did."""

    unchanged: bool = False
    units_created: int = 0
    units_updated: int = 0
    offices_created: int = 0
    offices_updated: int = 0
    offices_deleted: int = 0
    offices_total: int = 0
    offices_unmapped: int = 0
    coordinates_dropped: int = 0

    def lines(self) -> list[str]:
        if self.unchanged:
            return ["geo: state, districts and post offices already up to date"]
        return [
            f"geo: units {self.units_created} created, {self.units_updated} updated; "
            f"post offices {self.offices_created} created, {self.offices_updated} updated, "
            f"{self.offices_deleted} removed ({self.offices_total} in all)",
            f"geo: {self.offices_unmapped} India Post row(s) left out (district unknown), "
            f"{self.coordinates_dropped} position(s) dropped (outside the state, or over "
            f"{OUTLIER_KM:.0f} km from the district's other offices)",
        ]


@dataclass(frozen=True)
class OfficeRow:
    pincode: str
    name: str
    office_type: str
    delivery: bool
    district: str  # current English district name
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True)
class OfficeData:
    rows: tuple[OfficeRow, ...]
    unmapped: int
    coordinates_dropped: int


def post_office_file() -> Path:
    """India Post's directory as shipped inside the bharatpin package."""
    return Path(str(importlib.resources.files("bharatpin") / "data" / "pincodes.csv"))


def _district_rows() -> list[dict[str, str]]:
    with DISTRICTS_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _coordinate(value: str, low: float, high: float) -> Decimal | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not low <= number <= high:
        return None
    return Decimal(f"{number:.6f}")


@functools.lru_cache(maxsize=2)
def load_post_offices(path: str, digest: str, district_names: tuple[str, ...]) -> OfficeData:
    """The state's offices from India Post's CSV, mapped to current district
    names. Cached per file digest: parsing 165k rows is the slow part of a seed.

    Offices filed under district "Na" take the district that every other office
    with the same PIN has; where the PIN has no such office they are left out.
    """
    known = {name.casefold(): name for name in district_names}
    renames = {old: new for old, new in POST_DISTRICT_RENAMES.items() if new.casefold() in known}
    raw: list[tuple[dict[str, str], str | None]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        header = next(csv.reader([fh.readline()]))
        lines = (line for line in fh if "adhya" in line)
        for values in csv.reader(lines):
            row = dict(zip(header, values, strict=False))
            if row.get("state", "").strip().casefold() != STATE_NAME_IN_POST:
                continue
            district = row.get("district", "").strip().casefold()
            raw.append((row, renames.get(district) or known.get(district)))

    by_pin: dict[str, set[str]] = {}
    for row, district in raw:
        if district:
            by_pin.setdefault(row["pincode"].strip(), set()).add(district)

    rows: dict[tuple[str, str], OfficeRow] = {}
    unmapped = outside = 0
    for row, district in raw:
        pincode = row["pincode"].strip()
        if district is None:
            siblings = by_pin.get(pincode, set())
            district = next(iter(siblings)) if len(siblings) == 1 else None
        if district is None:
            unmapped += 1
            continue
        lat = _coordinate(row.get("latitude", ""), *LAT_RANGE)
        lon = _coordinate(row.get("longitude", ""), *LON_RANGE)
        if lat is None or lon is None:
            if row.get("latitude", "").strip() or row.get("longitude", "").strip():
                outside += 1  # outside the state, or half a pair
            lat = lon = None
        name = " ".join(row["officename"].split())[:120]
        rows[(pincode, name)] = OfficeRow(
            pincode=pincode,
            name=name,
            office_type=row.get("officetype", "").strip()[:10],
            delivery=row.get("delivery", "").strip().casefold() == "delivery",
            district=district,
            latitude=lat,
            longitude=lon,
        )
    kept, outliers = _drop_outliers(list(rows.values()))
    return OfficeData(tuple(kept), unmapped, outside + outliers)


def _drop_outliers(rows: list[OfficeRow]) -> tuple[list[OfficeRow], int]:
    """Blank positions far from the median position of the district's offices."""
    centres: dict[str, tuple[float, float]] = {}
    for district in {r.district for r in rows}:
        points = [
            (float(r.latitude), float(r.longitude))
            for r in rows
            if r.district == district and r.latitude is not None and r.longitude is not None
        ]
        if points:
            centres[district] = (
                statistics.median(p[0] for p in points),
                statistics.median(p[1] for p in points),
            )
    kept, dropped = [], 0
    for r in rows:
        centre = centres.get(r.district)
        if (
            r.latitude is not None
            and r.longitude is not None
            and centre is not None
            and haversine_km(*centre, float(r.latitude), float(r.longitude)) > OUTLIER_KM
        ):
            r = dataclasses.replace(r, latitude=None, longitude=None)
            dropped += 1
        kept.append(r)
    return kept, dropped


def _unit_values(unit: AdminUnit) -> tuple[Any, ...]:
    return (
        unit.code,
        unit.kind,
        unit.lgd_code,
        unit.name_en,
        unit.name_hi,
        list(unit.aliases),
        unit.division,
        unit.parent_id,
        unit.active,
    )


_UNIT_FIELDS = [
    "code",
    "kind",
    "lgd_code",
    "name_en",
    "name_hi",
    "aliases",
    "division",
    "parent",
    "active",
    "search_text",
]


def _seed_units(
    rows: list[dict[str, str]], result: SeedResult
) -> tuple[AdminUnit, list[AdminUnit]]:
    """Create or update the state and its districts. Rows are matched by our
    code, then by LGD code, then by name, so a code filled in later updates the
    unit instead of adding a second one."""
    existing = list(AdminUnit.objects.filter(kind__in=[Kind.STATE, Kind.DISTRICT]))
    by_code = {u.code: u for u in existing}
    by_lgd = {(u.kind, u.lgd_code): u for u in existing if u.lgd_code}
    by_name = {(u.kind, u.name_en.casefold()): u for u in existing}

    def match(row: dict[str, str]) -> AdminUnit | None:
        return (
            by_code.get(row["code"])
            or (by_lgd.get((row["kind"], row["lgd_code"])) if row["lgd_code"] else None)
            or by_name.get((row["kind"], row["name_en"].casefold()))
        )

    def apply(unit: AdminUnit, row: dict[str, str], parent: AdminUnit | None) -> bool:
        before = _unit_values(unit)
        unit.code, unit.kind, unit.lgd_code = row["code"], row["kind"], row["lgd_code"]
        unit.name_en, unit.name_hi = row["name_en"], row["name_hi"]
        unit.aliases = [a.strip() for a in row["aliases"].split("|") if a.strip()]
        unit.division = row["division"]
        unit.parent = parent
        unit.active = True
        unit.search_text = unit.build_search_text()
        return _unit_values(unit) != before

    state_row = next(r for r in rows if r["kind"] == Kind.STATE)
    state = match(state_row)
    if state is None:
        state = AdminUnit()
        apply(state, state_row, None)
        state.save()
        result.units_created += 1
    elif apply(state, state_row, None):
        state.save()
        result.units_updated += 1

    created, changed, districts = [], [], []
    for row in rows:
        if row["kind"] != Kind.DISTRICT:
            continue
        unit = match(row)
        if unit is None:
            unit = AdminUnit()
            apply(unit, row, state)
            created.append(unit)
        elif apply(unit, row, state):
            changed.append(unit)
        districts.append(unit)
    AdminUnit.objects.bulk_create(created)
    AdminUnit.objects.bulk_update(changed, _UNIT_FIELDS)
    result.units_created += len(created)
    result.units_updated += len(changed)
    return state, districts


def _seed_offices(
    data: OfficeData, districts: list[AdminUnit], scope: set[str] | None, result: SeedResult
) -> None:
    by_name = {d.name_en: d for d in districts}
    wanted = [r for r in data.rows if scope is None or r.district in scope]
    existing = {(o.pincode, o.name): o for o in PostOffice.objects.all()}
    created, changed = [], []
    for row in wanted:
        district_id = by_name[row.district].pk
        office = existing.get((row.pincode, row.name))
        values = (row.office_type, row.delivery, district_id, row.latitude, row.longitude)
        if office is None:
            created.append(
                PostOffice(
                    pincode=row.pincode,
                    name=row.name,
                    office_type=row.office_type,
                    delivery=row.delivery,
                    district_id=district_id,
                    latitude=row.latitude,
                    longitude=row.longitude,
                )
            )
        elif (
            office.office_type,
            office.delivery,
            office.district_id,
            office.latitude,
            office.longitude,
        ) != values:
            (
                office.office_type,
                office.delivery,
                office.district_id,
                office.latitude,
                office.longitude,
            ) = values
            changed.append(office)
    keep = {(r.pincode, r.name) for r in wanted}
    scope_ids = {d.pk for d in districts if scope is None or d.name_en in scope}
    stale = [
        o.pk
        for key, o in existing.items()
        if key not in keep and (scope is None or o.district_id in scope_ids)
    ]
    PostOffice.objects.bulk_create(created, batch_size=2000)
    PostOffice.objects.bulk_update(
        changed, ["office_type", "delivery", "district", "latitude", "longitude"], batch_size=1000
    )
    for start in range(0, len(stale), 5000):
        PostOffice.objects.filter(pk__in=stale[start : start + 5000]).delete()
    result.offices_created, result.offices_updated = len(created), len(changed)
    result.offices_deleted = len(stale)


def _current_counts(scope: set[str] | None) -> dict[str, int]:
    districts = AdminUnit.objects.filter(
        kind=Kind.DISTRICT, parent__kind=Kind.STATE, parent__lgd_code=STATE_LGD_CODE
    )
    offices = PostOffice.objects.filter(district__in=districts)
    if scope is not None:
        offices = offices.filter(district__name_en__in=scope)
    return {"districts": districts.count(), "offices": offices.count()}


def seed_state(
    stdout: TextIO | None = None,
    *,
    limit_districts: Iterable[str] | None = None,
    force: bool = False,
) -> SeedResult:
    """Create or update the state, its districts and its post offices.

    Idempotent. A run whose input files, format and row counts match the last
    run returns at once (``unchanged=True``). ``limit_districts`` (current
    English names) seeds only those districts' post offices — for tests and
    small demos; the state and all districts are always seeded.
    """
    scope = set(limit_districts) if limit_districts is not None else None
    key = SEED_KEY if scope is None else f"{SEED_KEY}:{','.join(sorted(scope))}"[:60]
    office_file = post_office_file()
    office_digest = _file_digest(office_file)
    checksum = hashlib.sha256(
        f"{SEED_FORMAT}|{_file_digest(DISTRICTS_CSV)}|{office_digest}|{key}".encode()
    ).hexdigest()

    marker = GeoDataset.objects.filter(key=key).first()
    if (
        not force
        and marker is not None
        and marker.checksum == checksum
        and marker.counts == _current_counts(scope)
    ):
        result = SeedResult(unchanged=True)
    else:
        rows = _district_rows()
        names = tuple(r["name_en"] for r in rows if r["kind"] == Kind.DISTRICT)
        unknown = (scope or set()) - set(names)
        if unknown:
            raise ValueError(f"unknown district(s): {', '.join(sorted(unknown))}")
        data = load_post_offices(str(office_file), office_digest, names)
        result = SeedResult(
            offices_unmapped=data.unmapped, coordinates_dropped=data.coordinates_dropped
        )
        with transaction.atomic():
            state, districts = _seed_units(rows, result)
            _seed_offices(data, districts, scope, result)
            counts = _current_counts(scope)
            result.offices_total = counts["offices"]
            GeoDataset.objects.update_or_create(
                key=key, defaults={"checksum": checksum, "counts": counts, "loaded_at": clock.now()}
            )
            audit.record(
                "geo.seeded",
                obj=state,
                after={
                    "key": key,
                    "source": f"bharatpin {_bharatpin_version()}",
                    "units_created": result.units_created,
                    "units_updated": result.units_updated,
                    "offices_created": result.offices_created,
                    "offices_updated": result.offices_updated,
                    "offices_deleted": result.offices_deleted,
                    "offices_total": result.offices_total,
                },
            )
    if stdout is not None:
        for line in result.lines():
            stdout.write(line + "\n")
    return result


def _bharatpin_version() -> str:
    try:
        return importlib.metadata.version("bharatpin")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - installed with us
        return "unknown"


# --- LGD import ----------------------------------------------------------------


class LgdImportError(ValueError):
    """The file as a whole cannot be read as an LGD export."""


@dataclass
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """Counts and rejected rows of one ``import_lgd`` run."""

    path: str
    kind: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [
            f"{self.path}: {self.kind} export, {self.rows} row(s): {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.problems)} rejected"
        ]
        out += [f"  {problem}" for problem in self.problems]
        return out


@dataclass(frozen=True)
class _Layout:
    kind: str
    label: str
    code: tuple[str, ...]
    name: tuple[str, ...]
    local: tuple[str, ...]
    parent: tuple[str, ...]
    parent_kind: str
    parent_label: str


# Headers are compared lower-cased with everything but letters and digits removed,
# so "Sub-District Name (In English)" and "Sub-district Name(In English)" agree.
# The village layout is tried first: a village export also has sub-district columns.
_LAYOUTS = (
    _Layout(
        Kind.VILLAGE,
        "village",
        ("villagecode", "villagelgdcode"),
        ("villagenameinenglish", "villagename"),
        ("villagenameinlocallanguage", "villagenameinlocal"),
        ("subdistrictcode", "subdistrictlgdcode"),
        Kind.TEHSIL,
        "sub-district",
    ),
    _Layout(
        Kind.BLOCK,
        "block",
        ("blockcode", "blocklgdcode"),
        ("blocknameinenglish", "blockname"),
        ("blocknameinlocallanguage", "blocknameinlocal"),
        ("districtcode", "districtlgdcode"),
        Kind.DISTRICT,
        "district",
    ),
    _Layout(
        Kind.TEHSIL,
        "sub-district",
        ("subdistrictcode", "subdistrictlgdcode"),
        ("subdistrictnameinenglish", "subdistrictname"),
        ("subdistrictnameinlocallanguage", "subdistrictnameinlocal"),
        ("districtcode", "districtlgdcode"),
        Kind.DISTRICT,
        "district",
    ),
)
_STATE_CODE_HEADERS = ("statecode", "statelgdcode")
_LGD_CODE = re.compile(r"^[0-9]{1,8}$")
_HEADER_SCAN_ROWS = 20


def _norm(header: str) -> str:
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def _find(columns: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((columns[n] for n in names if n in columns), None)


def _detect(row: list[str]) -> tuple[_Layout, dict[str, int]] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        columns.setdefault(_norm(cell), index)
    for layout in _LAYOUTS:
        if _find(columns, layout.code) is not None and _find(columns, layout.name) is not None:
            return layout, columns
    return None


def _clean(value: str) -> str:
    return " ".join(value.split())


def import_lgd(path: str | Path, *, actor: Any = None) -> ImportReport:
    """Import an LGD sub-district, block or village CSV export (the kind is
    read from the header). Good rows are created or updated by LGD code; bad
    rows are reported with their line numbers and left out. One audit event
    records the counts. Raises ``LgdImportError`` if the file is unusable."""
    path = Path(path)
    report = ImportReport(path=path.name)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            detected = None
            for _ in range(_HEADER_SCAN_ROWS):
                header = next(reader, None)
                if header is None:
                    break
                detected = _detect(header)
                if detected:
                    break
            if detected is None:
                raise LgdImportError(
                    f"{path.name}: no LGD sub-district, block or village header in the first "
                    f"{_HEADER_SCAN_ROWS} lines (expected e.g. 'Sub-District Code', "
                    "'Sub-District Name (In English)', 'District Code')"
                )
            layout, columns = detected
            report.kind = layout.label
            parent_col = _find(columns, layout.parent)
            if parent_col is None:
                raise LgdImportError(
                    f"{path.name}: a {layout.label} export needs a '{layout.parent_label} code' "
                    "column to place each row"
                )
            body = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError as exc:
        raise LgdImportError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    except FileNotFoundError as exc:
        raise LgdImportError(f"{path}: no such file") from exc

    cols = {
        "code": _find(columns, layout.code),
        "name": _find(columns, layout.name),
        "local": _find(columns, layout.local),
        "parent": parent_col,
        "state": _find(columns, _STATE_CODE_HEADERS),
    }
    parents = _parents(layout.parent_kind)
    good: dict[str, tuple[str, str, AdminUnit]] = {}
    first_line: dict[str, int] = {}

    def cell(row: list[str], key: str) -> str:
        index = cols[key]
        return _clean(row[index]) if index is not None and index < len(row) else ""

    for line, row in body:
        if not any(c.strip() for c in row):
            continue
        report.rows += 1
        code, name = cell(row, "code"), cell(row, "name")
        parent_code, state_code = cell(row, "parent"), cell(row, "state")
        reason = None
        if not code:
            reason = f"missing {layout.label} code"
        elif not _LGD_CODE.match(code):
            reason = f"bad {layout.label} code '{code}' (LGD codes are 1 to 8 digits)"
        elif not name:
            reason = f"missing {layout.label} name (In English)"
        elif len(name) > 120:
            reason = "name longer than 120 characters"
        elif state_code and state_code != STATE_LGD_CODE:
            reason = f"state code '{state_code}' is not this state ({STATE_LGD_CODE})"
        elif parent_code not in parents:
            reason = f"unknown {layout.parent_label} code '{parent_code}'" + (
                " (import the sub-district export first)"
                if layout.parent_kind == Kind.TEHSIL
                else ""
            )
        elif code in first_line:
            reason = f"{layout.label} code {code} repeated (first on line {first_line[code]})"
        if reason:
            report.problems.append(RowProblem(line, reason))
            continue
        first_line[code] = line
        good[code] = (name, cell(row, "local")[:120], parents[parent_code])

    with transaction.atomic():
        _upsert(layout.kind, good, report)
        if report.created or report.updated or report.problems:
            audit.record(
                "geo.lgd_imported",
                actor=actor,
                object_type="geo.adminunit",
                object_id=layout.kind,
                after={
                    "file": path.name,
                    "kind": layout.kind,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "rejected": len(report.problems),
                },
            )
    return report


def _parents(kind: str) -> dict[str, AdminUnit]:
    """Units of the state that rows may hang under, by LGD code."""
    units = AdminUnit.objects.filter(kind=kind).exclude(lgd_code="")
    if kind == Kind.DISTRICT:
        units = units.filter(parent__lgd_code=STATE_LGD_CODE)
    else:
        units = units.filter(parent__kind=Kind.DISTRICT, parent__parent__lgd_code=STATE_LGD_CODE)
    return {u.lgd_code: u for u in units}


def _upsert(kind: str, good: dict[str, tuple[str, str, AdminUnit]], report: ImportReport) -> None:
    codes = list(good)
    existing: dict[str, AdminUnit] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        existing.update(
            (u.lgd_code, u) for u in AdminUnit.objects.filter(kind=kind, lgd_code__in=chunk)
        )
    created, changed = [], []
    for code, (name, local, parent) in good.items():
        unit = existing.get(code)
        if unit is None:
            unit = AdminUnit(
                code=f"{kind}:{code}",
                kind=kind,
                lgd_code=code,
                name_en=name,
                name_hi=local,
                parent=parent,
                aliases=[],
            )
            unit.search_text = unit.build_search_text()
            created.append(unit)
            continue
        before = (unit.name_en, unit.name_hi, unit.parent_id, unit.active, list(unit.aliases))
        if unit.name_en != name and unit.name_en not in unit.aliases:
            # Keep the old name searchable: people go on using it for years.
            unit.aliases = [*unit.aliases, unit.name_en]
        unit.name_en = name
        unit.name_hi = local or unit.name_hi
        unit.parent = parent
        unit.active = True
        if (unit.name_en, unit.name_hi, unit.parent_id, unit.active, list(unit.aliases)) != before:
            unit.search_text = unit.build_search_text()
            changed.append(unit)
        else:
            report.unchanged += 1
    AdminUnit.objects.bulk_create(created, batch_size=2000)
    AdminUnit.objects.bulk_update(
        changed,
        ["name_en", "name_hi", "parent", "active", "aliases", "search_text"],
        batch_size=1000,
    )
    report.created, report.updated = len(created), len(changed)
