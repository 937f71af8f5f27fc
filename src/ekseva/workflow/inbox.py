"""The officer's inbox, read side: which cases a person sees, the queues by stage,
the filters, and the time left on each case in words.

Two tabs:

- ``mine``: the open and returned cases assigned to the user;
- ``scope``: for a designated officer, every open or returned case of the
  department and districts their postings cover (operator staff: all cases).

Writes are elsewhere (``services.act``, ``reassign``, ``transfer``,
``bulk_approve``); the pages are ``views_inbox``. Everything here costs a fixed
number of queries, however many cases there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case as CaseWhen
from django.db.models import Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ekseva.accounts import selectors as accounts
from ekseva.accounts.models import Role
from ekseva.catalog.models import Service, ServiceVersion
from ekseva.core import clock, workdays

from .definition import Stage, stages_of
from .models import Case

MINE = "mine"
SCOPE = "scope"
WAITING = (Case.State.OPEN, Case.State.RETURNED)
# Who has the second tab: everything of their scope, not only what is theirs.
SCOPE_ROLES = (Role.DESIGNATED_OFFICER, Role.OPERATOR_STAFF)

# The "due" filter: open cases by the time left, or the paused ones.
OVERDUE, TODAY, SOON, LATER, PAUSED = "overdue", "today", "soon", "later", "paused"
DUE_CHOICES = (
    (OVERDUE, gettext_lazy("Overdue")),
    (TODAY, gettext_lazy("Due today")),
    (SOON, gettext_lazy("Due soon")),
    (LATER, gettext_lazy("Due later")),
    (PAUSED, gettext_lazy("Returned to the applicant (paused)")),
)


def register() -> None:
    """The staff home's link to the inbox."""
    from ekseva.accounts import workspace

    from .hooks import VIEW

    workspace.register(
        workspace.Link(
            "workflow.inbox",
            gettext_lazy("Cases inbox"),
            "workflow:inbox",
            VIEW,
            order=5,
            hint=gettext_lazy("Applications waiting for you, by stage and due date"),
        )
    )


# --------------------------------------------------------------------------- who sees what


def sees_scope(user: Any) -> bool:
    """Does the user get the "all cases of my scope" tab?"""
    return any(p.role in SCOPE_ROLES for p in accounts.postings_of(user))


def scope_filter(user: Any) -> Q | None:
    """The cases the user's scope postings cover (None: none at all). A posting
    covers its department (any, if it names none) and its unit and what lies under
    it (anywhere, if it names none); operator staff postings are state-wide."""
    parts = []
    for posting in accounts.postings_of(user):
        if posting.role == Role.OPERATOR_STAFF:
            return Q()
        if posting.role != Role.DESIGNATED_OFFICER:
            continue
        parts.append(accounts.reach_q(posting))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def cases_for(user: Any, tab: str = MINE) -> QuerySet[Case]:
    """The waiting (open or returned) cases of a tab, with what a row shows."""
    qs = Case.objects.filter(state__in=WAITING)
    if tab == SCOPE:
        where = scope_filter(user)
        qs = qs.filter(where) if where is not None else qs.none()
    else:
        qs = qs.filter(assignee_id=user.pk)
    return qs.select_related(
        "application",
        "application__service",
        "application__version",
        "application__applicant",
        "assignee",
        "district",
    )


def in_order(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Open cases first, soonest due first (those without a limit last); then the
    paused ones (returned to the applicant), by due date."""
    paused_last = CaseWhen(
        When(state=Case.State.RETURNED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return qs.order_by(paused_last, F("due_date").asc(nulls_last=True), "id")


# --------------------------------------------------------------------------- the time left


def soon_until(today: dt.date, kind: str) -> dt.date:
    """The last day that counts as "due soon": WORKFLOW_REMIND_DAYS ahead, counted as
    the limit counts (working or calendar days)."""
    days = settings.WORKFLOW_REMIND_DAYS
    if kind == "working":
        return workdays.add_working_days(today, days)
    return today + dt.timedelta(days=days)


def due_filter(due: str, today: dt.date | None = None) -> Q:
    """The cases of one choice of the "due" filter."""
    today = today or clock.today()
    open_ = Q(state=Case.State.OPEN)
    if due == PAUSED:
        return Q(state=Case.State.RETURNED)
    if due == OVERDUE:
        return open_ & Q(due_date__lt=today)
    if due == TODAY:
        return open_ & Q(due_date=today)
    working = Q(limit_kind="working")
    soon_working = soon_until(today, "working")
    soon_calendar = soon_until(today, "calendar")
    if due == SOON:
        return (
            open_
            & Q(due_date__gt=today)
            & (
                (working & Q(due_date__lte=soon_working))
                | (~working & Q(due_date__lte=soon_calendar))
            )
        )
    if due == LATER:
        return open_ & (
            Q(due_date__isnull=True)
            | (working & Q(due_date__gt=soon_working))
            | (~working & Q(due_date__gt=soon_calendar))
        )
    return Q()


@dataclass(frozen=True)
class Countdown:
    """The time left on a case, in words of the active language. ``kind``: overdue,
    today, soon, later, paused, none (no time limit) or disposed."""

    kind: str
    text: str
    days: int | None = None

    @property
    def badge(self) -> str:
        """The badge class: red when overdue or due today, amber when due soon."""
        return {OVERDUE: "overdue", TODAY: "danger", SOON: "warning", LATER: "due"}.get(
            self.kind, "muted"
        )


def _day(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def countdown(case: Case, today: dt.date | None = None) -> Countdown:
    """How long a case has left, from ``clock.today()``: "Overdue by 3 days",
    "Due today", "Due in 2 working days", "Paused: returned on 15-06-2026".
    Days left and days overdue count as the limit counts (working days for a
    working-day limit, as the delay register counts days late); a working-day case
    overdue by no working day yet (due on Saturday, today Sunday) counts calendar
    days."""
    today = today or clock.today()
    if case.state == Case.State.DISPOSED:
        if case.disposed_on:
            return Countdown("disposed", _("Decided on %(day)s") % {"day": _day(case.disposed_on)})
        return Countdown("disposed", _("Decided"))
    if case.state == Case.State.RETURNED:
        if case.paused_on:
            return Countdown(
                PAUSED, _("Paused: returned on %(day)s") % {"day": _day(case.paused_on)}
            )
        return Countdown(PAUSED, _("Paused: returned to the applicant"))
    due = case.due_date
    if due is None:
        return Countdown("none", _("No time limit"))
    working = case.limit_kind == "working"
    if due < today:
        late = workdays.working_days_between(due, today) if working else 0
        if late:
            text = ngettext(
                "Overdue by %(n)s working day", "Overdue by %(n)s working days", late
            ) % {"n": late}
        else:
            late = (today - due).days
            text = ngettext("Overdue by %(n)s day", "Overdue by %(n)s days", late) % {"n": late}
        return Countdown(OVERDUE, text, late)
    if due == today:
        return Countdown(TODAY, _("Due today"), 0)
    left = workdays.working_days_between(today, due) if working else 0
    if working and left:
        text = ngettext("Due in %(n)s working day", "Due in %(n)s working days", left) % {"n": left}
    else:
        left = (due - today).days
        text = ngettext("Due in %(n)s day", "Due in %(n)s days", left) % {"n": left}
    kind = SOON if due <= soon_until(today, case.limit_kind or "calendar") else LATER
    return Countdown(kind, text, left)


# --------------------------------------------------------------------------- queues


class StageNames:
    """Stage names of service versions, parsed once per version."""

    def __init__(self) -> None:
        self._stages: dict[int, dict[str, Stage]] = {}

    def add(self, version: Any) -> None:
        if version.pk not in self._stages:
            self._stages[version.pk] = {stage.id: stage for stage in stages_of(version)}

    def stage(self, version: Any, stage_id: str) -> Stage | None:
        self.add(version)
        return self._stages[version.pk].get(stage_id)

    def load(self, version_ids: Iterable[int]) -> None:
        wanted = [pk for pk in set(version_ids) if pk not in self._stages]
        for version in ServiceVersion.objects.filter(pk__in=wanted):
            self.add(version)

    def name(self, version_id: int, stage_id: str, language: str) -> str:
        stage = self._stages.get(version_id, {}).get(stage_id)
        return stage.name(language) if stage else stage_id


@dataclass(frozen=True)
class Queue:
    """The cases of one service at one stage."""

    service_code: str
    service: str
    stage: str
    stage_name: str
    count: int


def queues(qs: QuerySet[Case], language: str, names: StageNames | None = None) -> list[Queue]:
    """Counts by service and stage (three queries, whatever the number of cases)."""
    names = names or StageNames()
    counted = list(
        qs.order_by()
        .values("service_code", "stage", "application__version_id")
        .annotate(n=Count("id"))
    )
    names.load(row["application__version_id"] for row in counted)
    services = {
        s.code: s.name(language)
        for s in Service.objects.filter(code__in={row["service_code"] for row in counted})
    }
    merged: dict[tuple[str, str], list[Any]] = {}
    for row in counted:
        key = (row["service_code"], row["stage"])
        name = names.name(row["application__version_id"], row["stage"], language)
        if key in merged:
            merged[key][1] += row["n"]
        else:
            merged[key] = [name, row["n"]]
    return sorted(
        (
            Queue(code, services.get(code, code), stage, name, n)
            for (code, stage), (name, n) in merged.items()
        ),
        key=lambda q: (q.service, q.service_code, q.stage_name),
    )


def due_counts(qs: QuerySet[Case], today: dt.date | None = None) -> dict[str, int]:
    """How many cases of ``qs`` fall in each choice of the "due" filter (one query)."""
    today = today or clock.today()
    return qs.order_by().aggregate(
        **{key: Count("id", filter=due_filter(key, today)) for key, _label in DUE_CHOICES}
    )
