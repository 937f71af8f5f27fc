"""The back office's writes: opening a case when an application is received,
assigning it, and the clock. Officers' actions (``act``), resubmission, escalation
and appeals are in this module and its neighbours (``sla``, ``appeals``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from ekseva.accounts.models import Posting, User
from ekseva.core import audit, clock, workdays
from ekseva.geo.models import AdminUnit

from .definition import Stage, stages_of
from .models import Action, Case, Holiday, WorkflowError

# --------------------------------------------------------------------------- who works a case


def officers_for(department_code: str, district: AdminUnit | None, role: str) -> list[User]:
    """Active users holding a current posting in ``role`` for ``department_code``
    whose unit covers ``district`` (posted in the district, or state-wide for the
    department), nearest posting first."""
    today = clock.today()
    postings = (
        Posting.objects.filter(role=role, department_code=department_code, starts__lte=today)
        .filter(Q(ends__isnull=True) | Q(ends__gte=today))
        .filter(user__is_active=True)
        .select_related("user", "admin_unit")
    )
    lineage: list[int] = []
    unit = district
    while unit is not None and len(lineage) < 12:
        lineage.append(unit.pk)
        unit = unit.parent
    local = [p.user for p in postings if p.admin_unit_id and p.admin_unit_id in lineage]
    wide = [p.user for p in postings if p.admin_unit_id is None]
    seen: set[int] = set()
    ordered = []
    for user in [*local, *wide]:
        if user.pk not in seen:
            seen.add(user.pk)
            ordered.append(user)
    return ordered


def least_loaded(officers: list[User]) -> User | None:
    """The officer with the fewest open cases (ties: the lowest id), or None."""
    if not officers:
        return None
    loads = dict(
        Case.objects.filter(assignee__in=officers, state=Case.State.OPEN)
        .values_list("assignee")
        .annotate(n=Count("id"))
    )
    return min(officers, key=lambda user: (loads.get(user.pk, 0), user.pk))


def pick_officer(case: Case, stage: Stage) -> User | None:
    return least_loaded(officers_for(case.department_code, case.district, stage.role))


# --------------------------------------------------------------------------- the clock


def compute_due(case: Case) -> dt.date | None:
    """The due date: the time limit from the day received, moved on by the days the
    clock was paused (working days for a working-day limit)."""
    if not case.limit_days:
        return None
    days = case.limit_days + case.paused_days
    return workdays.due_date(case.received_on, days, case.limit_kind or "calendar")


def paused_length(case: Case, resumed_on: dt.date) -> int:
    """The days the clock stood still from ``case.paused_on`` to ``resumed_on``,
    counted as the limit counts them."""
    if case.paused_on is None or resumed_on <= case.paused_on:
        return 0
    if case.limit_kind == "working":
        return workdays.working_days_between(case.paused_on, resumed_on)
    return (resumed_on - case.paused_on).days


# --------------------------------------------------------------------------- opening a case


def open_case(app: Any) -> Case:
    """Lifecycle hook: the application was received (its row locked by the caller).
    Opens its case at the first stage, assigned to the least-loaded officer of the
    stage's role posted for its department and district. Idempotent."""
    existing = Case.objects.filter(application_id=app.pk).first()
    if existing is not None:
        return existing
    version = app.version
    stages = stages_of(version)
    first = stages[0]
    now = clock.now()
    case = Case(
        application=app,
        department_code=app.department_code,
        service_code=app.service.code,
        district=app.district,
        state=Case.State.OPEN,
        stage=first.id,
        received_on=clock.today(),
        limit_days=version.time_limit_days,
        limit_kind=version.time_limit_kind or "calendar",
        opened_at=now,
        updated_at=now,
    )
    case.due_date = compute_due(case)
    designated = stages[-1]
    case.designated_officer = least_loaded(
        officers_for(case.department_code, case.district, designated.role)
    )
    case.assignee = pick_officer(case, first)
    case.save()
    Action.objects.create(case=case, at=now, kind="assign", stage=first.id, assignee=case.assignee)
    audit.record(
        "workflow.case.opened",
        obj=case,
        after={
            "application": app.number,
            "stage": first.id,
            "assignee": case.assignee_id,
            "due": case.due_date.isoformat() if case.due_date else None,
        },
    )
    return case


def locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return (
        Case.objects.select_for_update()
        .select_related("application", "application__version", "application__service")
        .get(pk=pk)
    )


# --------------------------------------------------------------------------- holidays


def add_holiday(day: dt.date, name_en: str, name_hi: str = "", *, actor: Any) -> Holiday:
    from ekseva.accounts.permissions import require

    from .hooks import HOLIDAYS

    require(actor, HOLIDAYS)
    if not (name_en or "").strip():
        raise WorkflowError("Name the holiday.", "अवकाश का नाम लिखें।", field="name_en")
    with transaction.atomic():
        if Holiday.objects.filter(date=day).exists():
            raise WorkflowError(
                "That day is already a holiday.", "वह दिन पहले से अवकाश है।", field="date"
            )
        holiday = Holiday.objects.create(
            date=day,
            name_en=name_en.strip(),
            name_hi=(name_hi or "").strip(),
            added_by=actor,
            created_at=clock.now(),
        )
        audit.record(
            "workflow.holiday.added", actor=actor, obj=holiday, after={"date": day.isoformat()}
        )
        transaction.on_commit(workdays.forget)
    workdays.forget()
    return holiday


def holiday_dates(year: int) -> frozenset[dt.date]:
    """Holiday source for core.workdays: the days staff added."""
    return frozenset(Holiday.objects.filter(date__year=year).values_list("date", flat=True))
