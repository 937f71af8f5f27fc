"""Time limits under the Public Services Guarantee Act (guide: docs/workflow.md,
"Time limits").

Every case has a due date (``services.compute_due``: the service's limit in working
or calendar days from the day received, moved on by the days it was returned to the
applicant). Two daily jobs watch it:

- ``remind_due``: an open case due within ``WORKFLOW_REMIND_DAYS`` working days is
  brought to its officer's notice (in-app, and email / SMS where the officer has
  them), once per case;
- ``escalate_breaches``: an open case past its due date is *breached*: it goes into
  the delay register (``DelayRecord``: whose it was, at which stage) and is
  reassigned to the next officer up (the designated officer; if the designated
  officer had it, an appellate officer of the department for the district). The
  new officer and the applicant are told; the applicant may appeal. A case returned
  to the applicant is not in breach while it waits: its clock is stopped.

Days late (``days_late``) are counted as the limit counts them (working days for a
working-day limit), from the due date to the day the case was disposed (or today
while it is open, or the day it was returned while it waits with the applicant).
The register's ``days_late`` column is filled when a breached case is disposed:
``record_disposal_delay(case)``, which the nightly escalation run also applies to
every breached case disposed since (``settle_disposed``), so nothing depends on
the officer's action calling it.

Holidays staff add or remove move the due dates of cases not yet decided
(``recompute_due_dates``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ekseva.accounts import selectors as accounts
from ekseva.accounts.models import Role, User
from ekseva.accounts.permissions import require
from ekseva.applications.models import Application
from ekseva.core import audit, clock, workdays
from ekseva.notifications import services as notify
from ekseva.notifications import templates

from . import services
from .definition import stage_of
from .hooks import DATA, HOLIDAYS, OFFICERS
from .models import Action, Case, DelayRecord, Holiday, WorkflowError

log = logging.getLogger(__name__)

DUE_SOON = "workflow.due_soon"  # to the officer who has the case
ESCALATED = "workflow.escalated"  # to the officer the breached case went to
OVERDUE = "workflow.overdue"  # to the applicant: not decided in time, you may appeal


# --------------------------------------------------------------------------- counting


def _late_between(case: Case, due: dt.date, end: dt.date) -> int:
    if end <= due:
        return 0
    if case.limit_kind == "working":
        return workdays.working_days_between(due, end)
    return (end - due).days


def days_late(case: Case, on: dt.date | None = None) -> int:
    """How many days past its due date ``case`` is (0 if not late), counted as its
    limit counts (working days for a working-day limit): up to the day it was
    disposed; while open, up to ``on`` (default today); while returned to the
    applicant, up to the day it was returned (the clock is stopped)."""
    if case.due_date is None:
        return 0
    if case.state == Case.State.DISPOSED and case.disposed_on is not None:
        end = case.disposed_on
    else:
        end = on or clock.today()
        if case.state == Case.State.RETURNED and case.paused_on is not None:
            end = min(end, case.paused_on)
    return _late_between(case, case.due_date, end)


def record_disposal_delay(case: Case) -> DelayRecord | None:
    """Fill the delay register's days late for a breached case that is disposed
    (idempotent; nothing for a case never breached or still undecided)."""
    if case.state != Case.State.DISPOSED:
        return None
    record = DelayRecord.objects.filter(case_id=case.pk).first()
    if record is None or record.days_late is not None:
        return record
    record.days_late = days_late(case)
    record.save(update_fields=["days_late"])
    audit.record(
        "workflow.delay.settled",
        obj=record,
        after={"case": case.pk, "days_late": record.days_late},
    )
    return record


def settle_disposed() -> int:
    """Fill days late of every breached case disposed since (see the module docstring)."""
    settled = 0
    records = DelayRecord.objects.filter(
        days_late__isnull=True, case__state=Case.State.DISPOSED
    ).select_related("case")
    for record in records:
        if record_disposal_delay(record.case) is not None:
            settled += 1
    return settled


# --------------------------------------------------------------------------- messages


def _language(user: Any) -> str:
    return "hi" if getattr(user, "preferred_language", "en") == "hi" else "en"


def _date(day: dt.date | None) -> str:
    return f"{day:%d-%m-%Y}" if day else ""


def _send(user: User, template: str, params: dict[str, Any], key: str) -> None:
    """In-app, and email / SMS where the user has them, in the user's language.
    The dedupe key makes a retried run send nothing twice; a mistyped staff address
    must not stop the clock's work (in-app still goes)."""
    notify.tell_person(user, template, params, key, language=_language(user))


def _case_params(case: Case, language: str) -> dict[str, Any]:
    app = case.application
    return {
        "number": app.number or "",
        "service": app.service.name(language),
        "due": _date(case.due_date),
    }


def appeal_link(case: Case, language: str) -> str:
    """Where the applicant appeals: the appeal form if the appeals area provides
    ``workflow:appeal_new``, otherwise the application's own page."""
    app = case.application
    with translation.override(language):
        for name, args in (
            ("workflow:appeal_new", [app.number]),
            ("workflow:appeal_new", []),
            ("applications:detail", [app.number]),
        ):
            try:
                path = reverse(name, args=args)
            except NoReverseMatch:
                continue
            return f"{settings.PUBLIC_BASE_URL}{path}"
    return settings.PUBLIC_BASE_URL


# --------------------------------------------------------------------------- reminders


def remind_due(today: dt.date | None = None) -> int:
    """Remind the officer of every open case due within ``WORKFLOW_REMIND_DAYS``
    working days (today included) and not reminded yet. Returns how many."""
    today = today or clock.today()
    horizon = workdays.add_working_days(today, max(int(settings.WORKFLOW_REMIND_DAYS), 0))
    candidates = Case.objects.filter(
        state=Case.State.OPEN,
        reminded_on__isnull=True,
        breached_on__isnull=True,
        due_date__gte=today,
        due_date__lte=horizon,
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in list(candidates):
        try:
            reminded += _remind_one(pk, today, horizon)
        except Exception:
            log.exception("workflow: could not remind the officer of case %s", pk)
    return reminded


def _remind_one(pk: int, today: dt.date, horizon: dt.date) -> int:
    with transaction.atomic():
        case = services.locked(pk)
        due = case.due_date
        if not (
            case.state == Case.State.OPEN
            and case.reminded_on is None
            and case.breached_on is None
            and due is not None
            and today <= due <= horizon
        ):
            return 0
        officer = case.assignee or case.designated_officer
        case.reminded_on = today
        case.updated_at = clock.now()
        case.save(update_fields=["reminded_on", "updated_at"])
        if officer is not None:
            _send(
                officer,
                DUE_SOON,
                _case_params(case, _language(officer)),
                f"case:{case.pk}:due-soon",
            )
        audit.record(
            "workflow.case.reminded",
            obj=case,
            after={"officer": officer.pk if officer else None, "due": due.isoformat()},
        )
        return 1


# --------------------------------------------------------------------------- breach


def next_officer(case: Case) -> User | None:
    """Who a breached case goes to: the designated officer if someone else had it;
    if the designated officer had it, an appellate officer of the department whose
    posting covers the district (nearest first). None when nobody is posted."""
    assignee_id = case.assignee_id
    designated = case.designated_officer
    if designated is not None and designated.pk != assignee_id and designated.is_active:
        return designated
    if assignee_id is None or assignee_id != case.designated_officer_id:
        # the case's designated officer has left: another one posted for the district
        others = [
            user
            for user in services.officers_for(
                case.department_code, case.district, Role.DESIGNATED_OFFICER
            )
            if user.pk != assignee_id
        ]
        if others:
            return services.least_loaded(others)
    appellate = [
        user
        for user in services.officers_for(
            case.department_code, case.district, Role.APPELLATE_OFFICER
        )
        if user.pk != assignee_id
    ]
    return appellate[0] if appellate else None


def escalate_breaches(today: dt.date | None = None) -> int:
    """Breach every open case whose due date is before ``today`` (default: today)
    and not breached yet: record it in the delay register, reassign it to the next
    officer, tell that officer and the applicant. Idempotent. Also settles the days
    late of breached cases disposed since the last run. Returns how many breached."""
    today = today or clock.today()
    settle_disposed()
    candidates = Case.objects.filter(
        state=Case.State.OPEN, breached_on__isnull=True, due_date__lt=today
    ).values_list("pk", flat=True)
    breached = 0
    for pk in list(candidates):
        try:
            breached += _breach_one(pk, today)
        except Exception:
            # One case's trouble (a lost officer row, a bad template) must not keep
            # every later case out of the register: logged, and tried again next run.
            log.exception("workflow: could not escalate case %s", pk)
    return breached


def _breach_one(pk: int, today: dt.date) -> int:
    with transaction.atomic():
        case = services.locked(pk)
        if not (
            case.state == Case.State.OPEN
            and case.breached_on is None
            and case.due_date is not None
            and case.due_date < today
        ):
            return 0
        if DelayRecord.objects.filter(case=case).exists():
            return 0
        _breach(case, today)
        return 1


def _breach(case: Case, today: dt.date) -> None:
    now = clock.now()
    was = case.assignee
    to = next_officer(case)
    case.breached_on = today
    case.escalated_to = to
    if to is not None:
        case.assignee = to
    case.updated_at = now
    case.save(update_fields=["breached_on", "escalated_to", "assignee", "updated_at"])
    DelayRecord.objects.create(
        case=case,
        officer=was,
        stage=case.stage,
        due_date=case.due_date,
        breached_on=today,
        escalated_to=to,
        created_at=now,
    )
    Action.objects.create(
        case=case,
        at=now,
        kind="escalate",
        stage=case.stage,
        assignee=to,
        reason_code="time_limit",
    )
    audit.record(
        "workflow.case.breached",
        obj=case,
        before={"assignee": was.pk if was else None},
        after={
            "due": case.due_date.isoformat(),
            "breached_on": today.isoformat(),
            "stage": case.stage,
            "escalated_to": to.pk if to else None,
        },
    )
    key = f"case:{case.pk}:breach"
    if to is not None:
        language = _language(to)
        params = {
            **_case_params(case, language),
            "officer": str(was) if was else "—",
        }
        _send(to, ESCALATED, params, f"{key}:officer")
    applicant = case.application.applicant
    language = _language(applicant)
    _send(
        applicant,
        OVERDUE,
        {**_case_params(case, language), "link": appeal_link(case, language)},
        f"{key}:applicant",
    )


# --------------------------------------------------------------------------- holidays


def recompute_due_dates() -> int:
    """After the holidays changed: recompute the due date of every case not yet
    decided and not yet breached (a breach already in the register stands).
    Returns how many due dates moved."""
    workdays.forget()
    moved = 0
    cases = Case.objects.filter(
        state__in=[Case.State.OPEN, Case.State.RETURNED], breached_on__isnull=True
    ).exclude(limit_days__isnull=True)
    for case in cases.iterator():
        due = services.compute_due(case)
        if due == case.due_date:
            continue
        before = case.due_date
        changed = Case.objects.filter(pk=case.pk, due_date=before, breached_on__isnull=True).update(
            due_date=due, updated_at=clock.now()
        )
        if changed:
            # The applicant's page shows the application's copy of the due date.
            Application.objects.filter(pk=case.application_id).update(due_date=due)
            moved += 1
            audit.record(
                "workflow.case.due_moved",
                obj=case,
                before={"due": before.isoformat() if before else None},
                after={"due": due.isoformat() if due else None},
            )
    return moved


def _open_to_change(day: dt.date) -> None:
    if day < clock.today():
        raise WorkflowError(
            "A day that has passed cannot be changed: due dates counted across it stand.",
            "बीत चुके दिन को बदला नहीं जा सकता: उसके आधार पर गिनी गई समय-सीमाएँ यथावत रहेंगी।",
            field="date",
        )


def declare_holiday(
    day: dt.date, name_en: str, name_hi: str = "", *, actor: Any
) -> tuple[Holiday, int]:
    """Add a holiday (today or later; not a day that is already a public holiday)
    and move the due dates across it. Returns the holiday and how many due dates moved."""
    require(actor, HOLIDAYS)
    _open_to_change(day)
    known = workdays.named_holidays(day.year, "en").get(day)
    if known:
        known_hi = workdays.named_holidays(day.year, "hi").get(day, known)
        raise WorkflowError(
            f"That day is already a public holiday ({known}).",
            f"वह दिन पहले से सार्वजनिक अवकाश है ({known_hi})।",
            field="date",
        )
    holiday = services.add_holiday(day, name_en, name_hi, actor=actor)
    return holiday, recompute_due_dates()


def remove_holiday(holiday: Holiday | int, *, actor: Any) -> int:
    """Remove a holiday staff added (today or later) and move the due dates back.
    Returns how many due dates moved."""
    require(actor, HOLIDAYS)
    pk = holiday.pk if isinstance(holiday, Holiday) else holiday
    with transaction.atomic():
        row = Holiday.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            raise WorkflowError(
                "That holiday is not in the list (removed already?).",
                "वह अवकाश सूची में नहीं है (शायद पहले ही हटाया जा चुका है)।",
            )
        _open_to_change(row.date)
        audit.record(
            "workflow.holiday.removed",
            actor=actor,
            obj=row,
            before={"date": row.date.isoformat(), "name": row.name_en},
        )
        row.delete()
        transaction.on_commit(workdays.forget)
    workdays.forget()
    return recompute_due_dates()


def holidays_of_year(year: int, language: str) -> list[dict[str, Any]]:
    """The year's holidays for the page, by date: the package's public holidays
    and the ones staff added (``row`` set; removable when not past)."""
    today = clock.today()
    days: dict[dt.date, dict[str, Any]] = {}
    for day, name in workdays.named_holidays(year, language).items():
        days[day] = {"date": day, "name": name, "row": None, "removable": False, "also": ""}
    for row in Holiday.objects.filter(date__year=year).select_related("added_by"):
        package = days.get(row.date)
        days[row.date] = {
            "date": row.date,
            "name": row.name_hi if language == "hi" and row.name_hi else row.name_en,
            "row": row,
            "removable": row.date >= today,
            "also": package["name"] if package else "",
        }
    return [days[day] for day in sorted(days)]


# --------------------------------------------------------------------------- the register


def case_scope(user: User, prefix: str = "") -> Q | None:
    """Cases ``user``'s postings cover for the back office's figures: operator
    staff all (None); an officer their department and the district(s) under
    their unit. ``prefix`` reaches the case from another model ("case__")."""
    q = Q(pk__in=[])
    for posting in accounts.postings_of(user):
        if posting.role == Role.OPERATOR_STAFF:
            return None
        if posting.role not in OFFICERS:
            continue
        q |= accounts.reach_q(
            posting, department=f"{prefix}department_code", unit=f"{prefix}district"
        )
    return q


def delays_for(user: User) -> QuerySet[DelayRecord]:
    """The delay register as ``user`` may see it (latest breach first)."""
    require(user, DATA)
    records = DelayRecord.objects.select_related(
        "case",
        "case__application",
        "case__application__service",
        "case__application__version",
        "officer",
        "escalated_to",
    ).order_by("-breached_on", "-id")
    scope = case_scope(user, "case__")
    return records if scope is None else records.filter(scope)


def register_row(record: DelayRecord, language: str, today: dt.date | None = None) -> dict:
    """One line of the register: what the page and the CSV show."""
    case = record.case
    app = case.application
    try:
        stage = stage_of(app.version, record.stage).name(language)
    except KeyError:
        stage = record.stage
    late = record.days_late if record.days_late is not None else days_late(case, today)
    return {
        "record": record,
        "number": app.number,
        "service": app.service.name(language),
        "stage": stage,
        "officer": str(record.officer) if record.officer_id else "",
        "due_date": record.due_date,
        "breached_on": record.breached_on,
        "days_late": late,
        "unit": "working" if case.limit_kind == "working" else "calendar",
        "escalated_to": str(record.escalated_to) if record.escalated_to_id else "",
        "disposed_on": case.disposed_on,
        "open": case.state != Case.State.DISPOSED,
    }


# --------------------------------------------------------------------------- wiring


def register() -> None:
    """Message templates and the staff home's links of this area."""
    from ekseva.accounts import workspace

    templates.register(
        DUE_SOON,
        inapp={
            "en": "Application {number} ({service}) is due by {due}. Decide it in time, or it "
            "goes to the next officer and into the delay register.",
            "hi": "आवेदन {number} ({service}) की समय-सीमा {due} है। समय पर निर्णय लें, अन्यथा यह "
            "अगले अधिकारी को भेजा जाएगा और विलंब पंजी में दर्ज होगा।",
        },
        sms={
            "en": "ekseva: application {number} ({service}) is due by {due}. Please decide it in "
            "time.",
            "hi": "ई-सेवा: आवेदन {number} ({service}) की समय-सीमा {due} है। कृपया समय पर निर्णय लें।",
        },
        email_subject={
            "en": "Application {number} is due by {due}",
            "hi": "आवेदन {number} की समय-सीमा {due}",
        },
        email_body={
            "en": "Application {number} ({service}) is due by {due} under the Public Services "
            "Guarantee Act. If it is not decided by then, it goes to the next officer and "
            "into the delay register.",
            "hi": "लोक सेवा गारंटी अधिनियम के अंतर्गत आवेदन {number} ({service}) की समय-सीमा {due} "
            "है। तब तक निर्णय न होने पर यह अगले अधिकारी को भेजा जाएगा और विलंब पंजी में दर्ज होगा।",
        },
    )
    templates.register(
        ESCALATED,
        inapp={
            "en": "Application {number} ({service}) was not decided by its due date {due} "
            "(with {officer}). It is now with you.",
            "hi": "आवेदन {number} ({service}) पर समय-सीमा {due} तक निर्णय नहीं हुआ ({officer} के "
            "पास)। अब यह आपके पास है।",
        },
        sms={
            "en": "ekseva: application {number} ({service}) passed its due date {due} with "
            "{officer} and is now with you.",
            "hi": "ई-सेवा: आवेदन {number} ({service}) की समय-सीमा {due} {officer} के पास बीत गई; "
            "अब यह आपके पास है।",
        },
        email_subject={
            "en": "Overdue application {number} is now with you",
            "hi": "समय-सीमा बीता आवेदन {number} अब आपके पास है",
        },
        email_body={
            "en": "Application {number} ({service}) was not decided by its due date {due} "
            "while it was with {officer}. It is in the delay register and has been assigned to "
            "you: please decide it without further delay.",
            "hi": "आवेदन {number} ({service}) पर {officer} के पास रहते समय-सीमा {due} तक निर्णय "
            "नहीं हुआ। यह विलंब पंजी में दर्ज है और आपको सौंपा गया है: कृपया बिना और विलंब के "
            "निर्णय लें।",
        },
    )
    templates.register(
        OVERDUE,
        inapp={
            "en": "Your application {number} ({service}) was not decided by {due}, the time "
            "limit under the Public Services Guarantee Act. It has gone to a senior officer. You "
            "may file an appeal: {link}",
            "hi": "आपके आवेदन {number} ({service}) पर लोक सेवा गारंटी अधिनियम की समय-सीमा {due} तक "
            "निर्णय नहीं हुआ। इसे वरिष्ठ अधिकारी को भेजा गया है। आप अपील कर सकते हैं: {link}",
        },
        sms={
            "en": "ekseva: application {number} was not decided by {due}, the time limit. It is "
            "with a senior officer. You may appeal: {link}",
            "hi": "ई-सेवा: आवेदन {number} पर समय-सीमा {due} तक निर्णय नहीं हुआ। यह वरिष्ठ अधिकारी "
            "के पास है। आप अपील कर सकते हैं: {link}",
        },
        email_subject={
            "en": "Application {number}: the time limit has passed",
            "hi": "आवेदन {number}: समय-सीमा बीत गई",
        },
        email_body={
            "en": "Your application {number} for {service} was not decided by {due}, the time "
            "limit under the Public Services Guarantee Act. It has been sent to a senior officer. "
            "You may file an appeal against the delay: {link}",
            "hi": "{service} के लिए आपके आवेदन {number} पर लोक सेवा गारंटी अधिनियम की समय-सीमा {due} "
            "तक निर्णय नहीं हुआ। इसे वरिष्ठ अधिकारी को भेजा गया है। आप विलंब के विरुद्ध अपील कर "
            "सकते हैं: {link}",
        },
    )
    workspace.register(
        workspace.Link(
            "workflow.holidays",
            _("Holidays"),
            "workflow:holidays",
            HOLIDAYS,
            order=85,
            hint=_("The year's public holidays; add a local one (due dates move)"),
        ),
        workspace.Link(
            "workflow.delays",
            _("Delay register"),
            "workflow:delays",
            DATA,
            order=75,
            hint=_("Applications not decided within the time limit"),
        ),
    )
