"""The back office's writes: opening a case when an application is received,
assigning it, the clock, officers' actions (``act``), reassignment and transfer,
the applicant's resubmission and bulk approval. Escalation and appeals are in the
neighbours (``sla``, ``appeals``).

    case = act(case, "forward", actor=officer)                 # to the next stage
    case = act(case, "return", actor=officer, remark="…", fields=["gender", "photo"])
    case = resubmit(app, {"gender": "F"}, actor=applicant)    # the clock runs again
    case = act(case, "approve", actor=designated)              # deliverables fire
    case = reassign(case, other_officer, actor=designated, reason="…")
    case = transfer(case, indore, actor=ops, reason="…")
    approved, refused = bulk_approve(cases, actor=designated)

Every write locks the case's row, then the application's (always in that order),
checks everything again under the lock, appends an ``Action`` and an audit event,
all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import audit, clock, workdays
from ekseva.geo.models import AdminUnit

from .definition import Stage, stages_of
from .models import Action, Case, Holiday, NotAllowed, WorkflowError

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
    if designated.role == first.role:
        # The same officers and the same loads: the same pick (pick_officer's rule).
        case.assignee = case.designated_officer
    else:
        case.assignee = pick_officer(case, first)
    case.clean = is_clean(app)
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


def close_withdrawn(app: Any) -> None:
    """Lifecycle hook: the applicant withdrew before processing started. The case
    leaves every inbox and queue (outcome "withdrawn"; not counted in the figures)."""
    case = Case.objects.select_for_update().filter(application_id=app.pk).first()
    if case is None or case.state == Case.State.DISPOSED:
        return
    now = clock.now()
    case.state = Case.State.DISPOSED
    case.outcome = "withdrawn"
    case.disposed_on = clock.today()
    case.disposed_in_time = None
    case.updated_at = now
    case.save(update_fields=["state", "outcome", "disposed_on", "disposed_in_time", "updated_at"])
    Action.objects.create(case=case, at=now, kind="withdrawn", stage=case.stage)
    audit.record("workflow.case.withdrawn", obj=case, after={"application": app.number})


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


# --------------------------------------------------------------------------- officers' actions

# An officer's remark is kept whole on the Action; the applicant's history line is cut.
MAX_REMARK = 2000


def _lock_application(app_id: int) -> Any:
    from ekseva.applications.models import Application

    return (
        Application.objects.select_for_update(of=("self",))  # not the joined rows
        .select_related("version", "service", "applicant")
        .get(pk=app_id)
    )


def _stage_now(case: Case) -> Stage:
    from .definition import stage_of

    try:
        return stage_of(case.application.version, case.stage)
    except KeyError:
        raise WorkflowError(
            f"This case is at a stage ({case.stage}) its service does not have.",
            f"यह प्रकरण ऐसे चरण ({case.stage}) पर है जो इसकी सेवा में नहीं है।",
        ) from None


def holds_stage(user: Any, case: Case, stage: Stage) -> bool:
    """Does ``user`` hold a current posting in the stage's role for the case's
    department, covering its district (posted there, above it, or state-wide)?"""
    if user is None or not getattr(user, "pk", None):
        return False
    return any(
        officer.pk == user.pk
        for officer in officers_for(case.department_code, case.district, stage.role)
    )


def may_act(user: Any, case: Case, stage: Stage | None = None) -> bool:
    """May ``user`` take officers' actions on ``case`` at its current stage?"""
    from ekseva.accounts.permissions import can

    from .hooks import ACT

    stage = stage or _stage_now(case)
    if not can(user, ACT, case):
        return False
    if holds_stage(user, case, stage):
        return True
    # A case escalated to its designated officer (the time limit passed) is theirs to
    # decide at whatever stage it stands: the Act makes them answerable for it.
    return (
        case.escalated_to_id is not None
        and case.escalated_to_id == getattr(user, "pk", None)
        and case.assignee_id == user.pk
        and holds_stage(user, case, replace(stage, role=Role.DESIGNATED_OFFICER))
    )


def _require_actor(user: Any, case: Case, stage: Stage) -> None:
    if not may_act(user, case, stage):
        raise NotAllowed(
            f"You cannot act on this case at its {stage.name_en} stage: it is for the "
            f"{stage.role.replace('_', ' ')} of its department and district.",
            f"आप इस प्रकरण पर '{stage.name('hi')}' चरण में कार्यवाही नहीं कर सकते: यह इसके "
            "विभाग और ज़िले के संबंधित अधिकारी का कार्य है।",
        )


def fix_labels(version: Any, ids: list[str] | tuple[str, ...], language: str) -> list[str]:
    """What the applicant is asked to fix, by the form's and documents' own labels."""
    from ekseva.catalog.rules import form_of

    defn = form_of(version)
    docs = {
        doc["id"]: (doc.get("label") or {})
        for doc in (version.definition or {}).get("documents", [])
    }
    out = []
    for item in ids:
        if item in docs:
            label = docs[item]
            out.append(str(label.get(language) or label.get("en") or item))
            continue
        try:
            out.append(str(defn.field(item).label.get(language)))
        except KeyError:
            out.append(item)
    return out


def fixable_ids(version: Any) -> tuple[list[str], list[str]]:
    """(form field ids, document ids) of a version: what a return may ask to fix."""
    from ekseva.catalog.rules import form_of

    defn = form_of(version)
    fields = [f.id for f in defn.all_fields() if f.type not in ("file", "group")]
    docs = [doc["id"] for doc in (version.definition or {}).get("documents", [])]
    return fields, docs


def _check_needs(
    case: Case,
    kind: str,
    needs: tuple[str, ...],
    *,
    reason_code: str,
    remark: str,
    fields: list[str],
    hearing_at: dt.datetime | None,
) -> None:
    from .definition import REJECTION_REASONS

    if "reason_code" in needs and reason_code not in REJECTION_REASONS:
        raise WorkflowError(
            "Choose the reason for rejecting.", "अस्वीकृति का कारण चुनें।", field="reason_code"
        )
    if kind in ("reject", "return") and not remark:
        raise WorkflowError(
            "Write a remark for the applicant.", "आवेदक के लिए टिप्पणी लिखें।", field="remark"
        )
    if "fields" in needs:
        if not fields:
            raise WorkflowError(
                "Choose what the applicant must correct or provide.",
                "चुनें कि आवेदक को क्या सुधारना या देना है।",
                field="fields",
            )
        form_fields, docs = fixable_ids(case.application.version)
        known = set(form_fields) | set(docs)
        if kind == "ask_document":
            known = set(docs)
        unknown = [item for item in fields if item not in known]
        if unknown:
            raise WorkflowError(
                "This application has nothing by that name to correct: " + ", ".join(unknown),
                "इस आवेदन में सुधार के लिए इस नाम का कुछ नहीं है: " + ", ".join(unknown),
                field="fields",
            )
    if "hearing_at" in needs:
        if hearing_at is None:
            raise WorkflowError(
                "Give the date and time of the hearing.",
                "सुनवाई की तिथि और समय दें।",
                field="hearing_at",
            )
        if hearing_at <= clock.now():
            raise WorkflowError(
                "The hearing must be in the future.",
                "सुनवाई भविष्य की तिथि पर होनी चाहिए।",
                field="hearing_at",
            )


def _remark_for_applicant(
    case: Case, kind: str, *, reason_code: str, remark: str, fields: list[str]
) -> tuple[str, str]:
    """The history line the applicant reads, in English and Hindi."""
    from .definition import REJECTION_REASONS

    version = case.application.version
    if kind in ("return", "ask_document"):
        en = "Please correct or provide: " + ", ".join(fix_labels(version, fields, "en")) + "."
        hi = "कृपया सुधारें या दें: " + ", ".join(fix_labels(version, fields, "hi")) + "।"
    elif kind == "reject":
        reason_en, reason_hi = REJECTION_REASONS[reason_code]
        en, hi = f"Reason: {reason_en}.", f"कारण: {reason_hi}।"
    else:
        return "", ""
    if remark:
        en, hi = f"{en} {remark}", f"{hi} {remark}"
    return en, hi


def _move_application(app: Any, to: str | None, *, actor: Any, remark: tuple[str, str]) -> None:
    from ekseva.applications import services as applications
    from ekseva.applications.models import Status as AppStatus

    if app.status == AppStatus.RECEIVED:
        applications.move(app, AppStatus.IN_PROCESS, actor=actor)
    if to and to != app.status:
        applications.move(app, to, actor=actor, remark_en=remark[0], remark_hi=remark[1])


def _agrees(case: Case, app: Any) -> bool:
    """Is the application where the case says it should be?"""
    from ekseva.applications.models import Status as AppStatus

    if case.state == Case.State.OPEN:
        return app.status in (AppStatus.RECEIVED, AppStatus.IN_PROCESS)
    if case.state == Case.State.RETURNED:
        return app.status == AppStatus.RETURNED
    return app.status in (AppStatus.APPROVED, AppStatus.DELIVERED, AppStatus.REJECTED)


def _days_late(case: Case) -> int:
    if case.due_date is None or case.disposed_on is None or case.disposed_on <= case.due_date:
        return 0
    if case.limit_kind == "working":
        return workdays.working_days_between(case.due_date, case.disposed_on)
    return (case.disposed_on - case.due_date).days


def act(
    case: Case,
    kind: str,
    *,
    actor: Any,
    reason_code: str = "",
    remark: str = "",
    fields: list[str] | tuple[str, ...] = (),
    hearing_at: dt.datetime | None = None,
    place: str = "",
    seen_action: int | None = None,
) -> Case:
    """An officer's action on a case (``definition.TRANSITIONS``): checked, recorded,
    and the case and its application moved, in one transaction under both rows'
    locks. ``seen_action``: the id of the case's latest Action the officer's page
    showed (a form's hidden field). If anything was done to the case since, or the
    passed instance's state or stage is out of date, the action is refused ("changed
    since you opened it") instead of being applied to a case the officer has not
    seen: a double submission takes effect once.

    Returns the case as it is now (the passed instance is refreshed too)."""
    from .definition import TRANSITIONS, allowed_actions, stages_of

    move = TRANSITIONS.get(kind)
    if move is None:
        raise WorkflowError("No such action.", "ऐसी कोई कार्यवाही नहीं है।", field="kind")
    remark = (remark or "").strip()[:MAX_REMARK]
    place = (place or "").strip()[:200]
    fields = list(dict.fromkeys(str(item) for item in (fields or ()) if str(item).strip()))
    seen = (case.state, case.stage)
    with transaction.atomic():
        current = locked(case)
        app = _lock_application(current.application_id)
        current.application = app
        latest = current.actions.order_by("-id").values_list("pk", flat=True).first()
        if (current.state, current.stage) != seen or (
            seen_action is not None and seen_action != latest
        ):
            raise WorkflowError(
                "This case has changed since you opened it (another action was taken). "
                "Open it again to see where it is now.",
                "आपके खोलने के बाद इस प्रकरण पर कार्यवाही हो चुकी है। "
                "इसकी वर्तमान स्थिति देखने के लिए इसे फिर से खोलें।",
            )
        stage = _stage_now(current)
        _require_actor(actor, current, stage)
        if kind not in allowed_actions(current, stage):
            raise WorkflowError(
                f"'{kind}' cannot be done to this case now.",
                "इस प्रकरण पर अभी यह कार्यवाही नहीं की जा सकती।",
                field="kind",
            )
        _check_needs(
            current,
            kind,
            move.needs,
            reason_code=reason_code,
            remark=remark,
            fields=fields,
            hearing_at=hearing_at,
        )
        if (
            kind == "schedule_hearing"
            and current.actions.filter(kind="schedule_hearing", hearing_at=hearing_at).exists()
        ):
            raise WorkflowError(
                "A hearing is already scheduled at that time.",
                "उस समय की सुनवाई पहले से तय है।",
                field="hearing_at",
            )
        before = {"state": current.state, "stage": current.stage, "assignee": current.assignee_id}
        now = clock.now()
        today = clock.today()
        to_stage = ""
        if kind == "forward":
            stages = stages_of(app.version)
            following = stages[stage.index + 1]
            to_stage = following.id
            current.stage = following.id
            # Nobody posted for the next stage yet: it waits with the designated officer.
            current.assignee = pick_officer(current, following) or (
                current.designated_officer if following.last else None
            )
        if move.case_state:
            current.state = move.case_state
        if kind in ("return", "ask_document"):
            current.paused_on = today
            current.clean = False  # something had to be fixed: an officer looks again
        if kind in ("approve", "reject"):
            current.outcome = "approved" if kind == "approve" else "rejected"
            current.disposed_on = today
            current.disposed_in_time = current.due_date is None or today <= current.due_date
        current.updated_at = now
        current.save()
        action = Action.objects.create(
            case=current,
            at=now,
            kind=kind,
            stage=stage.id,
            to_stage=to_stage,
            actor=actor,
            assignee=current.assignee,
            reason_code=reason_code if kind == "reject" else "",
            remark=remark,
            fields=fields if kind in ("return", "ask_document") else [],
            hearing_at=hearing_at if kind == "schedule_hearing" else None,
            place=place if kind == "schedule_hearing" else "",
        )
        words = _remark_for_applicant(
            current, kind, reason_code=reason_code, remark=remark, fields=fields
        )
        _move_application(app, move.app_status, actor=actor, remark=words)
        app.save()
        if kind in ("approve", "reject"):
            _close_delay(current)
        if kind == "schedule_hearing":
            _tell_hearing(current, hearing_at, place)
        audit.record(
            f"workflow.case.{kind}",
            actor=actor,
            obj=current,
            before=before,
            after={
                "application": app.number,
                "action": action.pk,
                "state": current.state,
                "stage": current.stage,
                "assignee": current.assignee_id,
                "reason_code": action.reason_code,
                "fields": action.fields,
                "app_status": app.status,
            },
        )
        if kind == "approve":
            from . import deliverables

            deliverables.fire(current, actor)
    _refresh(case, current)
    return current


def _refresh(case: Case, current: Case) -> None:
    if case is not current:
        case.refresh_from_db()


def _close_delay(case: Case) -> None:
    from .models import DelayRecord

    record = DelayRecord.objects.filter(case=case).first()
    if record is not None and record.days_late is None:
        record.days_late = _days_late(case)
        record.save(update_fields=["days_late"])


def _tell_hearing(case: Case, hearing_at: dt.datetime, place: str) -> None:
    from django.utils import timezone

    from ekseva.notifications import services as notify

    app = case.application
    user = app.applicant
    language = user.preferred_language or "en"
    when = timezone.localtime(hearing_at).strftime("%d-%m-%Y %H:%M")
    params = {
        "number": app.number or "",
        "service": app.service.name(language),
        "when": when,
        "place": place or ("the office" if language == "en" else "कार्यालय"),
    }
    key = f"case:{case.pk}:hearing:{hearing_at.isoformat()}"
    specs = [
        {
            "channel": "inapp",
            "template": "workflow.hearing",
            "recipient": user.pk,
            "user_id": user.pk,
            "params": params,
            "language": language,
            "dedupe_key": f"{key}:inapp",
        }
    ]
    if user.mobile:
        specs.append(
            {
                "channel": "sms",
                "template": "workflow.hearing",
                "recipient": user.mobile,
                "user_id": user.pk,
                "params": params,
                "language": language,
                "dedupe_key": f"{key}:sms",
            }
        )
    notify.queue_many(specs)


# --------------------------------------------------------------------------- assignment

MAX_REASON = 500


def _reason(reason: str) -> str:
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise WorkflowError("Say why.", "कारण लिखें।", field="reason")
    return reason


def _require_assign(actor: Any, case: Case) -> None:
    from ekseva.accounts.permissions import can

    from .hooks import ASSIGN

    if not can(actor, ASSIGN, case):
        raise NotAllowed(
            "Only the designated officer of this case's office or operator staff can "
            "reassign or transfer it.",
            "इस प्रकरण को केवल इसके कार्यालय के पदाभिहित अधिकारी या संचालन कर्मचारी ही "
            "पुनः सौंप या स्थानांतरित कर सकते हैं।",
        )


def _not_disposed(case: Case) -> None:
    if case.state == Case.State.DISPOSED:
        raise WorkflowError(
            "This case has been decided; it can no longer be reassigned or transferred.",
            "इस प्रकरण का निर्णय हो चुका है; इसे अब पुनः सौंपा या स्थानांतरित नहीं किया जा सकता।",
        )


def reassign(case: Case, to_officer: Any, *, actor: Any, reason: str) -> Case:
    """Give an open (or returned) case to another officer holding its current
    stage's role for its department and district."""
    reason = _reason(reason)
    with transaction.atomic():
        current = locked(case)
        _require_assign(actor, current)
        _not_disposed(current)
        stage = _stage_now(current)
        if to_officer is None or not holds_stage(to_officer, current, stage):
            raise WorkflowError(
                "That officer does not hold this stage's post for the case's department "
                "and district.",
                "वह अधिकारी इस प्रकरण के विभाग और ज़िले में इस चरण के पद पर नहीं है।",
                field="to_officer",
            )
        if current.assignee_id == to_officer.pk:
            raise WorkflowError(
                "The case is already with that officer.",
                "प्रकरण पहले से उसी अधिकारी के पास है।",
                field="to_officer",
            )
        before = {"assignee": current.assignee_id}
        now = clock.now()
        current.assignee = to_officer
        current.updated_at = now
        if current.designated_officer_id is None:
            # opened before any designated officer was posted: someone answers now
            current.designated_officer = least_loaded(
                officers_for(
                    current.department_code,
                    current.district,
                    stages_of(current.application.version)[-1].role,
                )
            )
        current.save(update_fields=["assignee", "designated_officer", "updated_at"])
        Action.objects.create(
            case=current,
            at=now,
            kind="reassign",
            stage=current.stage,
            actor=actor,
            assignee=to_officer,
            remark=reason,
        )
        audit.record(
            "workflow.case.reassign",
            actor=actor,
            obj=current,
            before=before,
            after={"assignee": to_officer.pk, "reason": reason},
        )
    _refresh(case, current)
    return current


def transfer(case: Case, district: AdminUnit, *, actor: Any, reason: str) -> Case:
    """Move a case to another district's office (filed in the wrong district, or the
    applicant moved). Who: anyone allowed ``workflow.assign`` on the case where it
    is now: the designated officer of its current department and district (the
    sending office decides it is not theirs) or operator staff. The case, and the
    application with it, now belong to ``district``: its officers see them, the
    current stage's officer there with the fewest open cases gets it, and that
    district's designated officer answers for the time limit. The due date stays."""
    reason = _reason(reason)
    if district is None or district.kind != "district":
        raise WorkflowError("Choose a district.", "ज़िला चुनें।", field="district")
    with transaction.atomic():
        current = locked(case)
        _require_assign(actor, current)
        _not_disposed(current)
        if current.district_id == district.pk:
            raise WorkflowError(
                "The case is already in that district.",
                "प्रकरण पहले से उसी ज़िले में है।",
                field="district",
            )
        stage = _stage_now(current)
        stages = stages_of(current.application.version)
        officer = least_loaded(officers_for(current.department_code, district, stage.role))
        if officer is None:
            raise WorkflowError(
                f"No officer of this stage is posted in {district.name_en} for this department.",
                f"{district.name('hi')} में इस विभाग के इस चरण का कोई अधिकारी पदस्थ नहीं है।",
                field="district",
            )
        app = _lock_application(current.application_id)
        before = {
            "district": current.district_id,
            "assignee": current.assignee_id,
            "designated_officer": current.designated_officer_id,
        }
        now = clock.now()
        current.district = district
        current.assignee = officer
        current.designated_officer = (
            least_loaded(officers_for(current.department_code, district, stages[-1].role))
            or current.designated_officer
        )
        current.updated_at = now
        current.save(update_fields=["district", "assignee", "designated_officer", "updated_at"])
        app.district = district
        app.updated_at = now
        app.save(update_fields=["district", "updated_at"])
        Action.objects.create(
            case=current,
            at=now,
            kind="transfer",
            stage=current.stage,
            actor=actor,
            assignee=officer,
            remark=reason,
        )
        audit.record(
            "workflow.case.transfer",
            actor=actor,
            obj=current,
            before=before,
            after={
                "district": district.pk,
                "assignee": officer.pk,
                "designated_officer": current.designated_officer_id,
                "reason": reason,
            },
        )
    _refresh(case, current)
    return current


# --------------------------------------------------------------------------- resubmission


class InvalidAnswers(WorkflowError):
    """Resubmitted answers that do not pass the form: ``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(
            "Some answers need attention: see the messages by each.",
            "कुछ उत्तरों पर ध्यान दें: हर एक के पास संदेश देखें।",
            field=next(iter(errors), ""),
        )
        self.errors = errors


def last_return(case: Case) -> Action | None:
    """The return (or request for a document) the case is waiting on, if any."""
    return case.actions.filter(kind__in=("return", "ask_document")).order_by("-at", "-id").first()


def _require_applicant(actor: Any, app: Any) -> None:
    from ekseva.accounts.permissions import can
    from ekseva.applications.hooks import ACT as APPLICANT_ACT

    if not can(actor, APPLICANT_ACT, app):
        raise NotAllowed(
            "Only the applicant can send this application back.",
            "यह आवेदन केवल आवेदक ही वापस भेज सकते हैं।",
        )


def resubmit(app: Any, answers: dict[str, Any], *, actor: Any, language: str = "en") -> Case:
    """The applicant answers a return: the answers asked for (only those) are
    checked against the pinned version's form and kept (with a Correction row, before
    and after), the documents asked for must have been attached since the return
    (``applications.services.attach_upload``/``attach_locker``), and the case goes
    back to its stage and officer with the clock running again: the days it stood
    paused are added to the limit and the due date moves on by them.

    ``answers`` may hold unchanged values (an HTML form posts every field shown);
    only changes count. Refused: not the applicant; not returned; a change to
    something not asked for; invalid answers (``InvalidAnswers`` with errors by
    field, in ``language``); a document asked for and not provided."""
    from ekseva.applications import lifecycle
    from ekseva.applications import services as applications
    from ekseva.applications.models import Correction
    from ekseva.applications.models import Status as AppStatus
    from ekseva.catalog.rules import context as rule_context
    from ekseva.catalog.rules import form_of
    from ekseva.forms import validation

    _require_applicant(actor, app)
    case_id = Case.objects.filter(application_id=app.pk).values_list("pk", flat=True).first()
    if case_id is None:
        raise WorkflowError(
            "This application is not with the department.", "यह आवेदन विभाग के पास नहीं है।"
        )
    with transaction.atomic():
        case = locked(case_id)
        app = _lock_application(app.pk)
        case.application = app
        if case.state != Case.State.RETURNED or app.status != AppStatus.RETURNED:
            raise WorkflowError(
                "This application is not waiting for your corrections.",
                "यह आवेदन आपके सुधार की प्रतीक्षा में नहीं है।",
            )
        asked = last_return(case)
        asked_ids = list(asked.fields) if asked else []
        form_fields, doc_ids = fixable_ids(app.version)
        asked_fields = [item for item in asked_ids if item in form_fields]
        asked_docs = [item for item in asked_ids if item in doc_ids]
        changed = applications.changed_answers(app, dict(answers or {}))
        refused = sorted(set(changed) - set(asked_fields))
        if refused:
            labels = ", ".join(fix_labels(app.version, refused, "en"))
            labels_hi = ", ".join(fix_labels(app.version, refused, "hi"))
            raise WorkflowError(
                f"Only what the department asked for can be changed now, not: {labels}.",
                f"अभी केवल वही बदला जा सकता है जो विभाग ने माँगा है, यह नहीं: {labels_hi}।",
                field=refused[0],
            )
        defn = form_of(app.version)
        context = rule_context(app.version.definition, {}, channel=app.channel, late=app.late)
        result = validation.validate(
            defn, {**app.answers, **changed}, language=language, context=context
        )
        errors = {key: result.errors[key] for key in asked_fields if key in result.errors}
        if errors:
            raise InvalidAnswers(errors)
        since = asked.at if asked else case.opened_at
        attached = dict(app.documents.values_list("document_id", "attached_at"))
        missing = [doc for doc in asked_docs if doc not in attached or attached[doc] <= since]
        if missing:
            raise WorkflowError(
                "Upload or choose from your locker: "
                + ", ".join(fix_labels(app.version, missing, "en")),
                "अपलोड करें या लॉकर से चुनें: " + ", ".join(fix_labels(app.version, missing, "hi")),
                field=missing[0],
            )
        now = clock.now()
        today = clock.today()
        cleaned = validation.jsonable(result.cleaned)
        changes = {key: [app.answers.get(key), cleaned.get(key)] for key in sorted(changed)}
        if changes:
            Correction.objects.create(
                application=app, at=now, actor=actor, changes=changes, applied=True
            )
            merged = dict(app.answers)
            merged.update({key: after for key, (_before, after) in changes.items()})
            app.answers = merged
            app.revision += 1
        paused = paused_length(case, today)
        stage = _stage_now(case)
        before = {
            "state": case.state,
            "paused_on": case.paused_on.isoformat() if case.paused_on else None,
            "due": case.due_date.isoformat() if case.due_date else None,
        }
        case.state = Case.State.OPEN
        case.paused_days += paused
        case.paused_on = None
        case.due_date = compute_due(case)
        if case.assignee is None or not holds_stage(case.assignee, case, stage):
            case.assignee = pick_officer(case, stage) or case.assignee
        case.updated_at = now
        case.save()
        Action.objects.create(
            case=case,
            at=now,
            kind="resubmit",
            stage=case.stage,
            actor=actor,
            assignee=case.assignee,
            fields=[*sorted(changes), *asked_docs],
        )
        applications.move(
            app,
            AppStatus.IN_PROCESS,
            actor=actor,
            remark_en="Sent back with the corrections asked for.",
            remark_hi="माँगे गए सुधारों के साथ वापस भेजा गया।",
        )
        app.due_date = case.due_date
        app.updated_at = now
        app.save()
        lifecycle.fire("resubmitted", app)
        audit.record(
            "workflow.case.resubmit",
            actor=actor,
            obj=case,
            before=before,
            after={
                "application": app.number,
                "changed": sorted(changes),
                "documents": asked_docs,
                "paused_days": paused,
                "due": case.due_date.isoformat() if case.due_date else None,
            },
        )
    return case


# --------------------------------------------------------------------------- bulk approval


def bulk_approve(cases: Any, *, actor: Any) -> tuple[list[Case], list[tuple[Case, WorkflowError]]]:
    """Approve each clean case (``Case.clean``, see ``is_clean``) the actor may approve
    now, each in its own transaction: one refusal does not stop the others.
    Returns (approved cases, [(case, the refusal)])."""
    approved: list[Case] = []
    refused: list[tuple[Case, WorkflowError]] = []
    for case in cases:
        if not case.clean:
            refused.append(
                (
                    case,
                    WorkflowError(
                        "Not marked clean: open it and decide it on its own.",
                        "साफ़ चिह्नित नहीं है: इसे खोलकर अलग से निर्णय करें।",
                    ),
                )
            )
            continue
        try:
            approved.append(act(case, "approve", actor=actor))
        except WorkflowError as exc:
            refused.append((case, exc))
    return approved, refused


def is_clean(app: Any) -> bool:
    """The rule for ``Case.clean`` (bulk approval), judged when the case opens: every
    answer passes the pinned form, the version's eligibility rules pass, every
    document needed is attached, and no answer was corrected after submission.
    A case that is ever returned is no longer clean (``act``)."""
    from ekseva.applications import services as applications

    if app.corrections.exists():
        return False
    return not applications.check_complete(app)
