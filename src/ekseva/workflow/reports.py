"""The figures of the back office under the Public Services Guarantee Act: for each
service and district, how many applications were received, disposed of in time or
late, and are pending within or beyond the time limit; approved and rejected; the
average days to dispose of one and the share done in time. Also per designated
officer and service. Read by the staff data page (``/<lang>/office/data/``), its CSV,
and the public performance page (``/<lang>/performance/``).

Definitions (all judged by the database in one grouped query, never case by case):

- *disposed in time*: approved or rejected on or before the due date (the case's
  ``disposed_in_time`` flag; where a row lacks it, ``disposed_on <= due_date``);
- *disposed late*: disposed after the due date;
- *pending beyond time*: open (with an officer) and today is past the due date; a
  case returned to the applicant is paused, never beyond time while returned;
- *pending within time*: every other undisposed case;
- *average days*: calendar days from receipt to disposal, over the disposed cases;
- *% in time*: disposed in time ÷ (disposed + pending beyond time), i.e. of the
  cases whose time is settled, the share that met it. A case overdue and still
  undecided counts against the figure at once, not only when it is finally disposed.

Who sees what (``scope_q``): operator staff the whole state; a department,
designated or appellate officer their department, and their district when the
posting names one; an auditor (who holds only ``*.view`` actions) the same within
the auditor posting's scope, through ``DATA_VIEW``. ``hooks.DATA`` (no auditors)
is kept for exports with personal data (``exports``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext_lazy as _

from ekseva.accounts import selectors as people
from ekseva.accounts.models import Posting, Role, User
from ekseva.accounts.permissions import allow, can, register_rule
from ekseva.core import clock

from .hooks import DATA, OFFICERS
from .models import Case

# Applications withdrawn before processing: their cases are closed, never counted.
WITHDRAWN = "withdrawn"

# Seeing the figures (and exporting applications with personal data masked): a
# ``.view`` action, so auditor postings hold it too. ``hooks.DATA`` remains the
# action for unmasked exports.
DATA_VIEW = "workflow.data.view"

_ROLES: dict[str, frozenset[str]] = {
    DATA: frozenset({*OFFICERS, Role.OPERATOR_STAFF}),
    DATA_VIEW: frozenset({*OFFICERS, Role.OPERATOR_STAFF, Role.AUDITOR}),
}
# The public page's figures are kept this long in the cache (seconds).
PUBLIC_CACHE_SECONDS = 300
PUBLIC_CACHE_PREFIX = "workflow:performance:v1"


# --------------------------------------------------------------------------- scope


def _posting_q(posting: Posting) -> Q:
    """The cases one posting covers: its department (if set) and its unit (a
    district, or a unit above whose districts it covers)."""
    return people.reach_q(posting)


NOTHING = Q(pk__in=[])


def scope_q(user: User | None, action: str = DATA_VIEW) -> Q:
    """The cases ``user`` may see the figures of for ``action`` (``DATA_VIEW`` or
    ``DATA``): ``Q()`` for all of them, a filter that matches none for nobody."""
    if action not in _ROLES or not can(user, action):
        return NOTHING
    roles = _ROLES[action]
    postings = [p for p in people.postings_of(user) if p.role in roles]
    if any(p.role == Role.OPERATOR_STAFF for p in postings):
        return Q()
    q = NOTHING
    for posting in postings:
        q |= _posting_q(posting)
    return q


def visible_departments(user: User | None, action: str = DATA_VIEW) -> set[str] | None:
    """The department codes the user's figures may come from; None for every one."""
    if action not in _ROLES or not can(user, action):
        return set()
    postings = [p for p in people.postings_of(user) if p.role in _ROLES[action]]
    if any(p.role == Role.OPERATOR_STAFF or not p.department_code for p in postings):
        return None
    return {p.department_code for p in postings}


def visible_district_ids(user: User | None, action: str = DATA_VIEW) -> set[int] | None:
    """The units (districts, or units above them) the user's postings are tied to;
    None when some posting covers the whole state."""
    postings = [p for p in people.postings_of(user) if p.role in _ROLES.get(action, ())]
    if not postings or any(p.role == Role.OPERATOR_STAFF or not p.admin_unit_id for p in postings):
        return None
    return {p.admin_unit_id for p in postings}


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """What to count: cases of a department / service / district, received between
    two dates (inclusive; either may be open)."""

    department: str = ""
    service: str = ""
    district_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if self.department:
            cases = cases.filter(department_code=self.department)
        if self.service:
            cases = cases.filter(service_code=self.service)
        if self.district_id:
            cases = cases.filter(district_id=self.district_id)
        if self.received_from:
            cases = cases.filter(received_on__gte=self.received_from)
        if self.received_to:
            cases = cases.filter(received_on__lte=self.received_to)
        return cases

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "service": self.service,
            "district": self.district_id,
            "received_from": self.received_from.isoformat() if self.received_from else None,
            "received_to": self.received_to.isoformat() if self.received_to else None,
        }


def scoped_cases(user: User | None, filters: Filters, action: str = DATA_VIEW) -> QuerySet[Case]:
    """The cases in the user's scope that match the filters."""
    return filters.apply(Case.objects.filter(scope_q(user, action)).exclude(outcome=WITHDRAWN))


# --------------------------------------------------------------------------- the measures


def disposed_in_time_q() -> Q:
    disposed = Q(state=Case.State.DISPOSED)
    unflagged = Q(disposed_in_time__isnull=True, disposed_on__isnull=False)
    return disposed & (
        Q(disposed_in_time=True)
        | unflagged & (Q(due_date__isnull=True) | Q(disposed_on__lte=F("due_date")))
    )


def disposed_late_q() -> Q:
    disposed = Q(state=Case.State.DISPOSED)
    unflagged = Q(disposed_in_time__isnull=True, disposed_on__isnull=False)
    return disposed & (
        Q(disposed_in_time=False)
        | unflagged & Q(due_date__isnull=False, disposed_on__gt=F("due_date"))
    )


def beyond_time_q(today: dt.date) -> Q:
    return Q(state=Case.State.OPEN, due_date__isnull=False, due_date__lt=today)


def within_time_q(today: dt.date) -> Q:
    open_in_time = Q(state=Case.State.OPEN) & (Q(due_date__isnull=True) | Q(due_date__gte=today))
    return Q(state=Case.State.RETURNED) | open_in_time


def _measures(today: dt.date) -> dict[str, Any]:
    """The conditional aggregates of one group of cases."""
    disposed = Q(state=Case.State.DISPOSED, disposed_on__isnull=False)
    return {
        "received": Count("pk"),
        "in_time": Count("pk", filter=disposed_in_time_q()),
        "late": Count("pk", filter=disposed_late_q()),
        "within": Count("pk", filter=within_time_q(today)),
        "beyond": Count("pk", filter=beyond_time_q(today)),
        "approved": Count("pk", filter=Q(state=Case.State.DISPOSED, outcome="approved")),
        "rejected": Count("pk", filter=Q(state=Case.State.DISPOSED, outcome="rejected")),
        "timed": Count("pk", filter=disposed),
        "days": Sum(
            ExpressionWrapper(F("disposed_on") - F("received_on"), output_field=DurationField()),
            filter=disposed,
        ),
    }


_COUNTS = ("received", "in_time", "late", "within", "beyond", "approved", "rejected", "timed")


def _days(value: Any) -> int:
    """The summed duration as whole days (the database hands back a timedelta, or on
    some backends a number of microseconds)."""
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value.days
    return int(value) // 86_400_000_000


@dataclass
class Row:
    """The figures of one group (service × district, a total, an officer)."""

    department_code: str = ""
    service_code: str = ""
    district_id: int | None = None
    officer_id: int | None = None
    received: int = 0
    in_time: int = 0
    late: int = 0
    within: int = 0
    beyond: int = 0
    approved: int = 0
    rejected: int = 0
    timed: int = 0  # disposed with a disposal date (the average's denominator)
    days: int = 0  # summed calendar days from receipt to disposal
    # Filled by ``label()`` for the page and the CSV.
    department_name: str = ""
    service_name: str = ""
    district_name: str = ""
    officer_name: str = ""

    @property
    def disposed(self) -> int:
        return self.in_time + self.late

    @property
    def pending(self) -> int:
        return self.within + self.beyond

    @property
    def average_days(self) -> float | None:
        return round(self.days / self.timed, 1) if self.timed else None

    @property
    def percent_in_time(self) -> float | None:
        settled = self.disposed + self.beyond
        return round(100 * self.in_time / settled, 1) if settled else None

    def add(self, other: Row) -> None:
        for name in (*_COUNTS, "days"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _row(values: dict[str, Any]) -> Row:
    return Row(
        department_code=values.get("department_code", ""),
        service_code=values.get("service_code", ""),
        district_id=values.get("district_id"),
        officer_id=values.get("designated_officer_id"),
        officer_name=values.get("designated_officer__full_name")
        or values.get("designated_officer__username")
        or "",
        days=_days(values.get("days")),
        **{name: values[name] or 0 for name in _COUNTS},
    )


def _totals(rows: Iterable[Row], key: str) -> list[Row]:
    """Sum the grouped rows (a few hundred at most, never cases) by one attribute."""
    totals: dict[Any, Row] = {}
    for row in rows:
        value = getattr(row, key)
        total = totals.get(value)
        if total is None:
            total = totals[value] = Row(**{key: value})
            if key == "service_code":
                total.department_code = row.department_code
        total.add(row)
    return list(totals.values())


@dataclass
class Report:
    rows: list[Row]  # service × district
    by_service: list[Row]
    by_district: list[Row]
    by_department: list[Row]
    total: Row
    officers: list[Row] = field(default_factory=list)  # designated officer × service
    as_of: dt.datetime | None = None

    @property
    def empty(self) -> bool:
        return self.total.received == 0


def compute(cases: QuerySet[Case], *, officers: bool = True) -> Report:
    """The figures of ``cases``: one grouped query for service × district (the totals
    are sums of its groups) and, if asked, one for designated officer × service."""
    today = clock.today()
    grouped = (
        cases.order_by()
        .values("department_code", "service_code", "district_id")
        .annotate(**_measures(today))
    )
    rows = [_row(values) for values in grouped]
    total = Row()
    for row in rows:
        total.add(row)
    report = Report(
        rows=rows,
        by_service=_totals(rows, "service_code"),
        by_district=_totals(rows, "district_id"),
        by_department=_totals(rows, "department_code"),
        total=total,
        as_of=clock.now(),
    )
    if officers:
        per_officer = (
            cases.order_by()
            .values(
                "designated_officer_id",
                "designated_officer__full_name",
                "designated_officer__username",
                "department_code",
                "service_code",
            )
            .annotate(**_measures(today))
        )
        report.officers = [_row(values) for values in per_officer]
    return report


def figures(user: User | None, filters: Filters, *, action: str = DATA_VIEW) -> Report:
    """The figures of the cases in ``user``'s scope matching ``filters``."""
    return compute(scoped_cases(user, filters, action))


# --------------------------------------------------------------------------- names


def label(report: Report, language: str) -> Report:
    """Give each row the names of its department, service, district (in
    ``language``) and sort the tables by them: three small queries."""
    from ekseva.catalog.models import Department, Service
    from ekseva.geo.models import AdminUnit

    every = [*report.rows, *report.by_service, *report.by_district, *report.by_department]
    every += report.officers
    services = {
        s.code: s.name(language)
        for s in Service.objects.filter(code__in={r.service_code for r in every if r.service_code})
    }
    departments = {
        d.code: d.name(language)
        for d in Department.objects.filter(
            code__in={r.department_code for r in every if r.department_code}
        )
    }
    districts = {
        u.pk: u.name(language)
        for u in AdminUnit.objects.filter(pk__in={r.district_id for r in every if r.district_id})
    }
    unknown = str(_("No district"))
    for row in every:
        row.service_name = services.get(row.service_code, row.service_code)
        row.department_name = departments.get(row.department_code, row.department_code)
        row.district_name = districts.get(row.district_id, "") if row.district_id else unknown
    for row in report.officers:
        if row.officer_id is None:
            row.officer_name = str(_("No designated officer"))

    def by_name(rows: list[Row], *keys: str) -> list[Row]:
        return sorted(rows, key=lambda r: tuple(getattr(r, k).casefold() for k in keys))

    report.rows = by_name(report.rows, "service_name", "district_name")
    report.by_service = by_name(report.by_service, "service_name")
    report.by_district = by_name(report.by_district, "district_name")
    report.by_department = by_name(report.by_department, "department_name")
    report.officers = by_name(report.officers, "officer_name", "service_name")
    return report


# --------------------------------------------------------------------------- the public figures


def _public_key(filters: Filters, language: str) -> str:
    return ":".join(
        [
            PUBLIC_CACHE_PREFIX,
            clock.today().isoformat(),
            language,
            filters.service or "-",
            str(filters.district_id or "-"),
        ]
    )


def public_figures(filters: Filters, language: str) -> Report:
    """Counts for everybody: every department, by service and district, no officer
    and nobody's name. Kept in the cache ``PUBLIC_CACHE_SECONDS`` (per day, language
    and filter), so a busy page costs the database one grouped query every few minutes."""
    public = replace(filters, department="", received_from=None, received_to=None)
    key = _public_key(public, language)
    report = cache.get(key)
    if report is None:
        report = label(
            compute(public.apply(Case.objects.exclude(outcome=WITHDRAWN)), officers=False), language
        )
        cache.set(key, report, PUBLIC_CACHE_SECONDS)
    return report


# --------------------------------------------------------------------------- registration


def register() -> None:
    """The ``DATA_VIEW`` rule and the staff home's link to the data page."""
    from ekseva.accounts import workspace

    register_rule(DATA_VIEW, allow(*OFFICERS, Role.OPERATOR_STAFF))
    workspace.register(
        workspace.Link(
            "workflow.data",
            _("Service figures and exports"),
            "workflow:data",
            DATA_VIEW,
            order=70,
            hint=_(
                "Received, disposed in time or late, pending beyond the time limit; "
                "CSV and Excel exports"
            ),
        )
    )
