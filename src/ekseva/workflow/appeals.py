"""Appeals under the Madhya Pradesh Public Services Guarantee Act, 2010 (guide:
docs/workflow.md, "Appeals").

An applicant whose application was *rejected*, or *not decided within its time
limit*, may file a **first appeal** to the first appellate officer within
``APPEAL_DAYS`` days of the rejection or of the breach; after the first appeal's
order, a **second appeal** to the second appellate authority within
``APPEAL_DAYS`` days of that order. One appeal per level per case.

    window = appeal_window(case)                      # may one be filed now, until when
    appeal = file_appeal(case, appellant=user, statement="…", level=window.level)
    schedule_hearing(appeal, at=moment, place="Collectorate, room 4", actor=officer)
    decide(appeal, outcome="allowed", order_text="…", actor=officer,
           penalise=True, compensation=50_000)         # paise

Who hears what: a first appeal goes to an appellate officer of the department posted
in (or over) the case's district, the least loaded; a second appeal to one posted
for the department state-wide (no unit), never the officer who passed the first
order. Either may be heard by the officer it is assigned to or by another
appellate officer of the same reach covering the case (``may_hear``).

The order: *allowed* or *dismissed*, with its text. An allowed appeal **directs**
the designated officer (the order says what to do; the officer is told); it does
not change the case: providing the service after a rejection is a fresh decision
by the department, outside this module. Where the delay was without sufficient
cause the order may impose a **penalty** on the officer responsible (by default
the officer who had the case when it breached, from the delay register, else the
designated officer): ``PENALTY_PER_DAY_PAISE`` (₹250) per day late, at most
``PENALTY_MAX_PAISE`` (₹5,000), days counted as the case's limit counts them
(``sla.days_late``); and **compensation** to the applicant out of it (at most the
penalty). One penalty per case: a second appeal cannot penalise a delay the first
order already penalised.

Every write locks its row, checks again under the lock, writes an audit event and
tells the people concerned (in-app, and SMS where they have a mobile).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from ekseva.accounts import selectors as accounts
from ekseva.accounts.models import Posting, Role, User
from ekseva.accounts.permissions import can
from ekseva.core import audit, clock, ids
from ekseva.core.money import format_inr
from ekseva.geo.models import AdminUnit
from ekseva.notifications import services as notify
from ekseva.notifications import templates

from . import services, sla
from .hooks import APPEAL
from .models import Appeal, Case, DelayRecord, NotAllowed, Penalty, WorkflowError

log = logging.getLogger(__name__)

MAX_STATEMENT = 4000
MAX_ORDER = 8000
MAX_PLACE = 200

FILED = "workflow.appeal_filed"  # to the appellant
ASSIGNED = "workflow.appeal_assigned"  # to the appellate officer
HEARING = "workflow.appeal_hearing"  # to the appellant and the designated officer
ORDER = "workflow.appeal_order"  # to the appellant
DIRECTED = "workflow.appeal_directed"  # to the designated officer, when allowed
PENALISED = "workflow.appeal_penalty"  # to the officer penalised

LEVEL_TEXT = {
    Appeal.Level.FIRST: ("First appeal", "प्रथम अपील"),
    Appeal.Level.SECOND: ("Second appeal", "द्वितीय अपील"),
}
# In the middle of a sentence (messages).
LEVEL_WORD = {
    Appeal.Level.FIRST: ("first appeal", "प्रथम अपील"),
    Appeal.Level.SECOND: ("second appeal", "द्वितीय अपील"),
}
GROUND_TEXT = {
    Appeal.Ground.REJECTED: ("The application was rejected", "आवेदन अस्वीकार किया गया"),
    Appeal.Ground.DELAYED: (
        "No decision within the time limit",
        "समय-सीमा में निर्णय नहीं हुआ",
    ),
}
STATUS_TEXT = {
    Appeal.Status.FILED: ("Filed: awaiting a hearing", "दर्ज: सुनवाई की प्रतीक्षा"),
    Appeal.Status.HEARING: ("Hearing fixed", "सुनवाई तय"),
    Appeal.Status.DECIDED: ("Order passed", "आदेश पारित"),
}
OUTCOME_TEXT = {
    Appeal.Outcome.ALLOWED: ("Allowed", "स्वीकार"),
    Appeal.Outcome.DISMISSED: ("Dismissed", "खारिज"),
}


def text(table: dict, value: Any, language: str) -> str:
    """The label of ``value`` in one of the tables above, in ``language``."""
    pair = table.get(value)
    if pair is None:
        return str(value)
    return pair[1] if language == "hi" else pair[0]


def _language(user: Any) -> str:
    return "hi" if getattr(user, "preferred_language", "en") == "hi" else "en"


# --------------------------------------------------------------------------- counting


def appeal_days() -> int:
    return int(settings.APPEAL_DAYS)


def penalty_amount(days_late: int) -> int:
    """The Act's penalty for ``days_late`` days, in paise: per day, capped."""
    if days_late <= 0:
        return 0
    return min(days_late * int(settings.PENALTY_PER_DAY_PAISE), int(settings.PENALTY_MAX_PAISE))


def breach_day(case: Case, today: dt.date | None = None) -> dt.date | None:
    """The day the case went past its time limit: the day the breach was recorded,
    else (the nightly run has not seen it yet) the day after the due date, for a
    case still open past it or disposed after it. None if it never breached."""
    if case.breached_on is not None:
        return case.breached_on
    if case.due_date is None:
        return None
    today = today or clock.today()
    late_disposal = case.disposed_on is not None and case.disposed_on > case.due_date
    open_past_due = case.state == Case.State.OPEN and today > case.due_date
    if late_disposal or open_past_due:
        return case.due_date + dt.timedelta(days=1)
    return None


@dataclass(frozen=True)
class Window:
    """Whether an appeal can be filed on a case now: ``level`` and ``ground`` of the
    one that can (``level`` None: none can, and ``why_en``/``why_hi`` say why),
    the day the time to file it started and the last day (``until``)."""

    level: int | None
    ground: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    why_en: str = ""
    why_hi: str = ""

    @property
    def open(self) -> bool:
        return self.level is not None

    def why(self, language: str) -> str:
        return self.why_hi if language == "hi" and self.why_hi else self.why_en


def _date(day: dt.date | None) -> str:
    return f"{day:%d-%m-%Y}" if day else ""


def _first_window(case: Case, today: dt.date) -> Window:
    days = appeal_days()
    if case.outcome == "rejected" and case.disposed_on is not None:
        ground, since = Appeal.Ground.REJECTED, case.disposed_on
    else:
        since = breach_day(case, today)
        ground = Appeal.Ground.DELAYED
        if since is None:
            if case.state == Case.State.DISPOSED:
                return Window(
                    None,
                    why_en="The application was decided within its time limit and not "
                    "rejected: there is nothing to appeal against.",
                    why_hi="आवेदन का निर्णय समय-सीमा में हुआ और वह अस्वीकार नहीं हुआ: अपील का "
                    "कोई आधार नहीं है।",
                )
            if case.state == Case.State.RETURNED:
                return Window(
                    None,
                    why_en="The application is back with you for correction; its time limit "
                    "is paused. You can appeal if it is rejected, or not decided in time "
                    "after you resubmit it.",
                    why_hi="आवेदन सुधार के लिए आपके पास लौटाया गया है; इसकी समय-सीमा रुकी हुई है। "
                    "अस्वीकार होने पर, या पुनः जमा करने के बाद समय पर निर्णय न होने पर आप अपील "
                    "कर सकते हैं।",
                )
            due = _date(case.due_date)
            return Window(
                None,
                why_en=f"The application is within its time limit (to be decided by {due}). "
                "You can appeal if it is rejected, or not decided by then.",
                why_hi=f"आवेदन अपनी समय-सीमा ({due} तक निर्णय) के भीतर है। अस्वीकार होने पर, या "
                "तब तक निर्णय न होने पर आप अपील कर सकते हैं।",
            )
    until = since + dt.timedelta(days=days)
    if today > until:
        return Window(
            None,
            ground,
            since,
            until,
            why_en=f"The time to file a first appeal ({days} days) ended on {_date(until)}.",
            why_hi=f"प्रथम अपील दर्ज करने का समय ({days} दिन) {_date(until)} को समाप्त हो गया।",
        )
    return Window(Appeal.Level.FIRST, ground, since, until)


def _second_window(case: Case, first: Appeal | None, today: dt.date) -> Window:
    if first is None:
        return Window(
            None,
            why_en="A second appeal follows a first appeal: file the first appeal first.",
            why_hi="द्वितीय अपील प्रथम अपील के बाद होती है: पहले प्रथम अपील दर्ज करें।",
        )
    if first.status != Appeal.Status.DECIDED or first.decided_at is None:
        return Window(
            None,
            why_en=f"Your first appeal {first.reference} is not decided yet. A second appeal "
            "can be filed after its order.",
            why_hi=f"आपकी प्रथम अपील {first.reference} का निर्णय अभी नहीं हुआ है। उसके आदेश के "
            "बाद द्वितीय अपील दर्ज की जा सकती है।",
        )
    days = appeal_days()
    since = timezone.localdate(first.decided_at)
    until = since + dt.timedelta(days=days)
    if today > until:
        return Window(
            None,
            first.ground,
            since,
            until,
            why_en=f"The time to file a second appeal ({days} days from the first appeal's "
            f"order) ended on {_date(until)}.",
            why_hi=f"द्वितीय अपील दर्ज करने का समय (प्रथम अपील के आदेश से {days} दिन) "
            f"{_date(until)} को समाप्त हो गया।",
        )
    return Window(Appeal.Level.SECOND, first.ground, since, until)


def appeal_window(case: Case, level: int | None = None, *, today: dt.date | None = None) -> Window:
    """May an appeal be filed on ``case`` today, at ``level`` (default: the next one
    not yet filed)? Reads only; ``file_appeal`` checks again under the case's lock."""
    today = today or clock.today()
    filed = {appeal.level: appeal for appeal in Appeal.objects.filter(case_id=case.pk)}
    if level is None:
        level = Appeal.Level.FIRST if Appeal.Level.FIRST not in filed else Appeal.Level.SECOND
    if level not in (Appeal.Level.FIRST, Appeal.Level.SECOND):
        return Window(None, why_en="There is no such appeal.", why_hi="ऐसी कोई अपील नहीं है।")
    if level in filed:
        reference = filed[level].reference
        if level == Appeal.Level.SECOND:
            return Window(
                None,
                why_en=f"Both appeals the Act allows are filed (second appeal {reference}).",
                why_hi=f"अधिनियम में दी गई दोनों अपीलें दर्ज हैं (द्वितीय अपील {reference})।",
            )
        return Window(
            None,
            why_en=f"A first appeal on this application is already filed ({reference}).",
            why_hi=f"इस आवेदन पर प्रथम अपील पहले से दर्ज है ({reference})।",
        )
    if level == Appeal.Level.FIRST:
        return _first_window(case, today)
    return _second_window(case, filed.get(Appeal.Level.FIRST), today)


def days_late(case: Case) -> int:
    """Days past the time limit as of the disposal (or today), counted as the
    limit counts them: the time-limits area's own count."""
    return sla.days_late(case)


# --------------------------------------------------------------------------- who hears


def _lineage(unit: AdminUnit | None) -> list[int]:
    ids_: list[int] = []
    while unit is not None and len(ids_) < 12:
        ids_.append(unit.pk)
        unit = unit.parent
    return ids_


def _appellate_postings(user: Any, department_code: str) -> list[Posting]:
    return [
        p
        for p in accounts.postings_of(user)
        if p.role == Role.APPELLATE_OFFICER
        and (not p.department_code or p.department_code == department_code)
    ]


def _candidates(case: Case, level: int, *, exclude: set[int]) -> list[User]:
    """Appellate officers for ``level``: posted in or over the district (first
    appeal; state-wide ones only if nobody is), or state-wide (second appeal)."""
    today = clock.today()
    postings = (
        Posting.objects.filter(
            role=Role.APPELLATE_OFFICER,
            department_code=case.department_code,
            starts__lte=today,
            user__is_active=True,
        )
        .filter(Q(ends__isnull=True) | Q(ends__gte=today))
        .select_related("user")
    )
    lineage = set(_lineage(case.district))
    local = [p.user for p in postings if p.admin_unit_id and p.admin_unit_id in lineage]
    wide = [p.user for p in postings if p.admin_unit_id is None]
    pool = (local or wide) if level == Appeal.Level.FIRST else wide
    unique = {user.pk: user for user in pool if user.pk not in exclude}
    return list(unique.values())


def _least_loaded(officers: list[User]) -> User | None:
    """The appellate officer with the fewest undecided appeals (ties: lowest id)."""
    if not officers:
        return None
    loads = dict(
        Appeal.objects.filter(appellate_officer__in=officers)
        .exclude(status=Appeal.Status.DECIDED)
        .values_list("appellate_officer")
        .annotate(n=Count("id"))
    )
    return min(officers, key=lambda user: (loads.get(user.pk, 0), user.pk))


def _first_order_by(appeal: Appeal) -> int | None:
    if appeal.level != Appeal.Level.SECOND:
        return None
    return (
        Appeal.objects.filter(case_id=appeal.case_id, level=Appeal.Level.FIRST)
        .values_list("decided_by_id", flat=True)
        .first()
    )


def may_view(user: Any, appeal: Appeal) -> bool:
    """Staff who may see the appeal: appellate officers whose posting covers its
    case (department and district). The appellant sees their own (``is_appellant``)."""
    return can(user, APPEAL, appeal)


def is_appellant(user: Any, appeal: Appeal) -> bool:
    return bool(getattr(user, "pk", None)) and appeal.appellant_id == user.pk


def may_hear(user: Any, appeal: Appeal) -> bool:
    """May ``user`` fix the hearing and pass the order? The appellate officer it is
    assigned to, or another of the same reach covering the case: posted in or over
    the district for a first appeal, state-wide for a second; never the officer who
    passed the first order on the second appeal."""
    if not can(user, APPEAL, appeal):
        return False
    if appeal.level == Appeal.Level.SECOND and _first_order_by(appeal) == user.pk:
        return False
    if appeal.appellate_officer_id == user.pk:
        return True
    postings = _appellate_postings(user, appeal.case.department_code)
    if appeal.level == Appeal.Level.SECOND:
        return any(p.admin_unit_id is None for p in postings)
    lineage = set(_lineage(appeal.case.district))
    return any(p.admin_unit_id is not None and p.admin_unit_id in lineage for p in postings)


def _require_hearer(user: Any, appeal: Appeal) -> None:
    if not may_hear(user, appeal):
        level_en, level_hi = LEVEL_TEXT[appeal.level]
        raise NotAllowed(
            f"You cannot hear this appeal: a {level_en.lower()} is heard by the appellate "
            "officer it is assigned to, or another of its department and reach.",
            f"आप यह अपील नहीं सुन सकते: {level_hi} की सुनवाई वही अपीलीय अधिकारी करता है जिसे "
            "यह सौंपी गई है, या उसी विभाग और क्षेत्र का अन्य अपीलीय अधिकारी।",
        )


# --------------------------------------------------------------------------- messages


def _send(user: Any, template: str, params: dict[str, Any], key: str) -> None:
    """In-app, and SMS where the user has a mobile, in the user's language. The
    dedupe key makes a repeated call send nothing twice."""
    notify.tell_person(user, template, params, key, language=_language(user), email=False)


def _params(appeal: Appeal, language: str) -> dict[str, Any]:
    app = appeal.case.application
    return {
        "reference": appeal.reference,
        "level": text(LEVEL_WORD, appeal.level, language),
        "number": app.number or "",
        "service": app.service.name(language),
    }


# --------------------------------------------------------------------------- filing


def _clean_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise WorkflowError(
            "Say why you are appealing.", "बताएँ कि आप अपील क्यों कर रहे हैं।", field="statement"
        )
    if len(statement) > MAX_STATEMENT:
        raise WorkflowError(
            f"Keep the statement to {MAX_STATEMENT} characters.",
            f"कथन {MAX_STATEMENT} अक्षरों तक रखें।",
            field="statement",
        )
    return statement


def file_appeal(case: Case, *, appellant: Any, statement: str, level: int = 1) -> Appeal:
    """File a first (``level=1``) or second (``level=2``) appeal on ``case`` by its
    applicant, if the Act allows one now (``appeal_window``); assign it to an
    appellate officer and tell both. One per level: a second filing (even at the
    same moment) is refused."""
    statement = _clean_statement(statement)
    if level not in (Appeal.Level.FIRST, Appeal.Level.SECOND):
        raise WorkflowError("There is no such appeal.", "ऐसी कोई अपील नहीं है।", field="level")
    with transaction.atomic():
        current = services.locked(case)
        app = current.application
        if getattr(appellant, "pk", None) is None or app.applicant_id != appellant.pk:
            raise NotAllowed(
                "Only the applicant can appeal on this application.",
                "इस आवेदन पर केवल आवेदक अपील कर सकते हैं।",
            )
        today = clock.today()
        window = appeal_window(current, level, today=today)
        if not window.open:
            raise WorkflowError(window.why_en, window.why_hi)
        exclude: set[int] = set()
        if level == Appeal.Level.SECOND:
            first = Appeal.objects.get(case=current, level=Appeal.Level.FIRST)
            exclude = {first.decided_by_id} if first.decided_by_id else set()
        officer = _least_loaded(_candidates(current, level, exclude=exclude))
        now = clock.now()
        appeal = Appeal(
            reference=ids.issue(f"AP{today:%y}"),
            case=current,
            level=level,
            ground=window.ground,
            appellant=appellant,
            statement=statement,
            filed_at=now,
            appellate_officer=officer,
            status=Appeal.Status.FILED,
        )
        try:
            with transaction.atomic():
                appeal.save(force_insert=True)
        except IntegrityError:
            raise WorkflowError("This appeal is already filed.", "यह अपील पहले से दर्ज है।") from None
        audit.record(
            "workflow.appeal.filed",
            actor=appellant,
            obj=appeal,
            after={
                "reference": appeal.reference,
                "application": app.number,
                "level": level,
                "ground": appeal.ground,
                "appellate_officer": officer.pk if officer else None,
                "until": window.until.isoformat() if window.until else None,
            },
        )
        key = f"appeal:{appeal.reference}"
        _send(appellant, FILED, _params(appeal, _language(appellant)), f"{key}:filed")
        if officer is not None:
            _send(officer, ASSIGNED, _params(appeal, _language(officer)), f"{key}:assigned")
        else:
            log.warning(
                "appeals: no appellate officer posted for %s (%s), level %s: %s is unassigned",
                current.department_code,
                current.district_id,
                level,
                appeal.reference,
            )
    return appeal


# --------------------------------------------------------------------------- hearing


def _locked_appeal(appeal: Appeal | int) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    return (
        Appeal.objects.select_for_update(of=("self",))
        .select_related(
            "case",
            "case__application",
            "case__application__service",
            "case__district",
            "case__designated_officer",
            "appellant",
        )
        .get(pk=pk)
    )


def _refresh(appeal: Appeal | int, current: Appeal) -> None:
    if isinstance(appeal, Appeal) and appeal is not current:
        appeal.refresh_from_db()


def schedule_hearing(appeal: Appeal, *, at: dt.datetime, place: str, actor: Any) -> Appeal:
    """Fix (or move) the hearing of an undecided appeal; the appellant and the
    designated officer are told."""
    place = (place or "").strip()
    if at is None:
        raise WorkflowError(
            "Give the date and time of the hearing.",
            "सुनवाई की तिथि और समय दें।",
            field="at",
        )
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if not place:
        raise WorkflowError(
            "Say where the hearing will be.", "बताएँ कि सुनवाई कहाँ होगी।", field="place"
        )
    if len(place) > MAX_PLACE:
        raise WorkflowError(
            f"Keep the place to {MAX_PLACE} characters.",
            f"स्थान {MAX_PLACE} अक्षरों तक रखें।",
            field="place",
        )
    with transaction.atomic():
        current = _locked_appeal(appeal)
        _require_hearer(actor, current)
        if current.status == Appeal.Status.DECIDED:
            raise WorkflowError(
                "This appeal is decided: no hearing can be fixed.",
                "इस अपील का निर्णय हो चुका है: सुनवाई तय नहीं की जा सकती।",
            )
        if at <= clock.now():
            raise WorkflowError(
                "The hearing must be in the future.",
                "सुनवाई भविष्य की तिथि पर होनी चाहिए।",
                field="at",
            )
        before = {
            "status": current.status,
            "hearing_at": current.hearing_at.isoformat() if current.hearing_at else None,
            "place": current.hearing_place,
        }
        current.status = Appeal.Status.HEARING
        current.hearing_at = at
        current.hearing_place = place
        if current.appellate_officer_id is None:
            current.appellate_officer = actor  # an unassigned appeal is taken by its hearer
        current.save(update_fields=["status", "hearing_at", "hearing_place", "appellate_officer"])
        audit.record(
            "workflow.appeal.hearing",
            actor=actor,
            obj=current,
            before=before,
            after={"status": current.status, "hearing_at": at.isoformat(), "place": place},
        )
        when = timezone.localtime(at).strftime("%d-%m-%Y %H:%M")
        key = f"appeal:{current.reference}:hearing:{at.isoformat()}"
        people = [current.appellant]
        designated = current.case.designated_officer
        if designated is not None:
            people.append(designated)
        for person in people:
            params = {**_params(current, _language(person)), "when": when, "place": place}
            _send(person, HEARING, params, f"{key}:{person.pk}")
    _refresh(appeal, current)
    return current


# --------------------------------------------------------------------------- the order


def penalty_candidates(case: Case) -> list[User]:
    """Who an order may penalise for the case's delay: the officer who had it when
    it breached (the delay register), its designated officer and every officer it
    was assigned to or who acted on it. The default first."""
    record = DelayRecord.objects.filter(case_id=case.pk).select_related("officer").first()
    people: list[User] = []
    if record is not None and record.officer is not None:
        people.append(record.officer)
    if case.designated_officer_id:
        people.append(case.designated_officer)
    ids_ = set()
    for actor_id, assignee_id in case.actions.values_list("actor_id", "assignee_id"):
        ids_.update(i for i in (actor_id, assignee_id) if i)
    held = User.objects.filter(
        pk__in=ids_,
        postings__department_code=case.department_code,
        postings__role__in=[Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER],
    ).order_by("pk")
    people.extend(held)
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.pk, person)
    return list(unique.values())


@dataclass(frozen=True)
class PenaltyPreview:
    """What a penalty on this appeal's case would be if ordered today."""

    officer: User | None
    days_late: int
    amount: int  # paise
    already: Penalty | None  # a penalty another order of this case imposed


def penalty_preview(appeal: Appeal) -> PenaltyPreview:
    case = appeal.case
    candidates = penalty_candidates(case)
    late = days_late(case)
    already = (
        Penalty.objects.filter(appeal__case_id=case.pk)
        .exclude(appeal_id=appeal.pk)
        .select_related("officer", "appeal")
        .first()
    )
    return PenaltyPreview(
        officer=candidates[0] if candidates else None,
        days_late=late,
        amount=penalty_amount(late),
        already=already,
    )


def decide(
    appeal: Appeal,
    *,
    outcome: str,
    order_text: str,
    actor: Any,
    penalise: bool = False,
    penalty_officer: Any = None,
    compensation: int = 0,
) -> Appeal:
    """Pass the order on an appeal: ``outcome`` allowed or dismissed and the text
    of the order; with ``penalise`` (an allowed appeal on a delayed case), a penalty
    on the officer responsible and ``compensation`` (paise) to the applicant out
    of it. Once: a decided appeal is final at its level."""
    order_text = (order_text or "").strip()
    if outcome not in Appeal.Outcome.values:
        raise WorkflowError(
            "Choose whether the appeal is allowed or dismissed.",
            "चुनें कि अपील स्वीकार है या खारिज।",
            field="outcome",
        )
    if not order_text:
        raise WorkflowError("Write the order.", "आदेश लिखें।", field="order_text")
    if len(order_text) > MAX_ORDER:
        raise WorkflowError(
            f"Keep the order to {MAX_ORDER} characters.",
            f"आदेश {MAX_ORDER} अक्षरों तक रखें।",
            field="order_text",
        )
    if isinstance(compensation, bool) or not isinstance(compensation, int) or compensation < 0:
        raise WorkflowError(
            "Compensation must be an amount of zero or more.",
            "क्षतिपूर्ति शून्य या अधिक राशि होनी चाहिए।",
            field="compensation",
        )
    if compensation and not penalise:
        raise WorkflowError(
            "Compensation is paid out of a penalty: impose the penalty too, or leave "
            "compensation at zero.",
            "क्षतिपूर्ति शास्ति में से दी जाती है: शास्ति भी लगाएँ, या क्षतिपूर्ति शून्य रखें।",
            field="compensation",
        )
    if penalise and outcome != Appeal.Outcome.ALLOWED:
        raise WorkflowError(
            "A penalty is imposed only by an order allowing the appeal.",
            "शास्ति केवल अपील स्वीकार करने वाले आदेश से लगाई जाती है।",
            field="penalise",
        )
    with transaction.atomic():
        current = _locked_appeal(appeal)
        _require_hearer(actor, current)
        if current.status == Appeal.Status.DECIDED:
            raise WorkflowError(
                "This appeal is already decided: its order stands.",
                "इस अपील का निर्णय हो चुका है: इसका आदेश अंतिम है।",
            )
        case = current.case
        penalty = None
        if penalise:
            penalty = _penalty(current, case, penalty_officer, compensation)
        now = clock.now()
        before = {"status": current.status}
        current.status = Appeal.Status.DECIDED
        current.outcome = outcome
        current.order_text = order_text
        current.decided_at = now
        current.decided_by = actor
        current.save(update_fields=["status", "outcome", "order_text", "decided_at", "decided_by"])
        if penalty is not None:
            penalty.created_at = now
            penalty.save(force_insert=True)
            audit.record(
                "workflow.penalty.imposed",
                actor=actor,
                obj=penalty,
                after={
                    "appeal": current.reference,
                    "officer": penalty.officer_id,
                    "days_late": penalty.days_late,
                    "amount": penalty.amount,
                    "compensation": penalty.compensation,
                },
            )
        audit.record(
            "workflow.appeal.decided",
            actor=actor,
            obj=current,
            before=before,
            after={
                "reference": current.reference,
                "outcome": outcome,
                "penalty": penalty.amount if penalty else None,
                "compensation": penalty.compensation if penalty else None,
                "directs": outcome == Appeal.Outcome.ALLOWED,
            },
        )
        _tell_order(current, penalty)
    _refresh(appeal, current)
    return current


def _penalty(appeal: Appeal, case: Case, officer: Any, compensation: int) -> Penalty:
    if Penalty.objects.filter(appeal__case_id=case.pk).exists():
        raise WorkflowError(
            "A penalty for this application's delay was already imposed by an earlier order.",
            "इस आवेदन के विलंब पर पिछले आदेश से शास्ति पहले ही लगाई जा चुकी है।",
            field="penalise",
        )
    late = days_late(case)
    if late <= 0:
        raise WorkflowError(
            "The application was not late: there is no delay to penalise.",
            "आवेदन में विलंब नहीं हुआ: शास्ति का कोई आधार नहीं है।",
            field="penalise",
        )
    candidates = penalty_candidates(case)
    if officer is None:
        officer = candidates[0] if candidates else None
    if officer is None:
        raise WorkflowError(
            "Name the officer responsible for the delay.",
            "विलंब के लिए उत्तरदायी अधिकारी का नाम दें।",
            field="penalty_officer",
        )
    if officer.pk not in {person.pk for person in candidates}:
        raise WorkflowError(
            "The penalty can be imposed only on an officer who had this application.",
            "शास्ति केवल उसी अधिकारी पर लगाई जा सकती है जिसके पास यह आवेदन था।",
            field="penalty_officer",
        )
    amount = penalty_amount(late)
    if compensation > amount:
        raise WorkflowError(
            f"Compensation cannot be more than the penalty ({format_inr(amount)}).",
            f"क्षतिपूर्ति शास्ति ({format_inr(amount)}) से अधिक नहीं हो सकती।",
            field="compensation",
        )
    return Penalty(
        appeal=appeal, officer=officer, days_late=late, amount=amount, compensation=compensation
    )


def _tell_order(appeal: Appeal, penalty: Penalty | None) -> None:
    key = f"appeal:{appeal.reference}:order"
    appellant = appeal.appellant
    language = _language(appellant)
    params = {
        **_params(appeal, language),
        "outcome": text(OUTCOME_TEXT, appeal.outcome, language),
    }
    _send(appellant, ORDER, params, f"{key}:appellant")
    designated = appeal.case.designated_officer
    if appeal.outcome == Appeal.Outcome.ALLOWED and designated is not None:
        _send(designated, DIRECTED, _params(appeal, _language(designated)), f"{key}:directed")
    if penalty is not None:
        officer = penalty.officer
        params = {**_params(appeal, _language(officer)), "amount": format_inr(penalty.amount)}
        _send(officer, PENALISED, params, f"{key}:penalty")


# --------------------------------------------------------------------------- reads


def _related(queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
    return queryset.select_related(
        "case",
        "case__application",
        "case__application__service",
        "case__district",
        "appellant",
        "appellate_officer",
        "decided_by",
    )


def appeals_of(user: Any) -> QuerySet[Appeal]:
    """The appellant's own appeals, newest first."""
    return _related(Appeal.objects.filter(appellant_id=getattr(user, "pk", None)))


def scope_q(user: Any) -> Q:
    """The appeals ``user``'s appellate postings cover: their department, and the
    districts in or under their unit (all districts for a state-wide posting)."""
    q = Q(pk__in=[])
    for posting in accounts.postings_of(user):
        if posting.role != Role.APPELLATE_OFFICER:
            continue
        q |= accounts.reach_q(posting, department="case__department_code", unit="case__district")
    return q


def queue_for(
    user: Any, *, status: str = "open", level: int | None = None, mine: bool = True
) -> QuerySet[Appeal]:
    """An appellate officer's queue: appeals in their scope (``mine``: assigned to
    them); ``status`` "open" (filed or hearing), one of ``Appeal.Status`` or "all";
    oldest first while open."""
    queryset = _related(Appeal.objects.filter(scope_q(user)))
    if mine:
        queryset = queryset.filter(appellate_officer_id=user.pk)
    if level in (Appeal.Level.FIRST, Appeal.Level.SECOND):
        queryset = queryset.filter(level=level)
    if status == "open":
        queryset = queryset.exclude(status=Appeal.Status.DECIDED)
    elif status in Appeal.Status.values:
        queryset = queryset.filter(status=status)
    if status == Appeal.Status.DECIDED or status == "all":
        return queryset.order_by("-filed_at", "-id")
    return queryset.order_by("filed_at", "id")


def appeal_for(user: Any, reference: str) -> Appeal | None:
    """The appeal by its reference if ``user`` is its appellant or may view it."""
    appeal = _related(Appeal.objects.filter(reference=ids.normalise(reference or ""))).first()
    if appeal is None:
        return None
    if is_appellant(user, appeal) or may_view(user, appeal):
        return appeal
    return None


# --------------------------------------------------------------------------- figures


def _totals(queryset: QuerySet[Penalty]) -> dict[str, int]:
    figures = queryset.aggregate(
        count=Count("id"), amount=Sum("amount"), compensation=Sum("compensation")
    )
    return {
        "count": figures["count"] or 0,
        "amount": figures["amount"] or 0,
        "compensation": figures["compensation"] or 0,
    }


def penalties_for(officer: Any) -> dict[str, int]:
    """The penalties imposed on ``officer``: count, amount and compensation (paise)."""
    return _totals(Penalty.objects.filter(officer_id=officer.pk))


def penalties(
    *,
    department_code: str = "",
    district: AdminUnit | int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Penalty]:
    """Penalties by the case's department and district, imposed from ``start`` to
    ``end`` (inclusive, local dates)."""
    queryset = Penalty.objects.all()
    if department_code:
        queryset = queryset.filter(appeal__case__department_code=department_code)
    if district is not None:
        district_id = district.pk if isinstance(district, AdminUnit) else district
        queryset = queryset.filter(appeal__case__district_id=district_id)
    if start is not None:
        queryset = queryset.filter(created_at__gte=_start_of(start))
    if end is not None:
        queryset = queryset.filter(created_at__lt=_start_of(end + dt.timedelta(days=1)))
    return queryset


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def penalty_totals(**filters: Any) -> dict[str, int]:
    """``penalties(**filters)`` summed: count, amount and compensation (paise)."""
    return _totals(penalties(**filters))


def penalty_figures(queryset: QuerySet[Penalty] | None = None) -> list[dict[str, Any]]:
    """Penalties grouped by department and district: count, amount, compensation."""
    queryset = Penalty.objects.all() if queryset is None else queryset
    rows = (
        queryset.values("appeal__case__department_code", "appeal__case__district_id")
        .annotate(count=Count("id"), amount=Sum("amount"), compensation=Sum("compensation"))
        .order_by("appeal__case__department_code", "appeal__case__district_id")
    )
    return [
        {
            "department_code": row["appeal__case__department_code"],
            "district_id": row["appeal__case__district_id"],
            "count": row["count"],
            "amount": row["amount"] or 0,
            "compensation": row["compensation"] or 0,
        }
        for row in rows
    ]


# --------------------------------------------------------------------------- wiring


def register() -> None:
    """Message templates and the staff home's link of this area."""
    from django.utils.translation import gettext_lazy as _

    from ekseva.accounts import workspace

    def both(en: str, hi: str) -> dict[str, str]:
        return {"en": en, "hi": hi}

    templates.register(
        FILED,
        sms=both(
            "ekseva: your {level} {reference} on application {number} ({service}) is filed. "
            "You will be told the date of the hearing.",
            "ई-सेवा: आवेदन {number} ({service}) पर आपकी {level} {reference} दर्ज हो गई है। "
            "सुनवाई की तिथि आपको बताई जाएगी।",
        ),
        inapp=both(
            "Your {level} {reference} on application {number} is filed.",
            "आवेदन {number} पर आपकी {level} {reference} दर्ज हो गई है।",
        ),
    )
    templates.register(
        ASSIGNED,
        sms=both(
            "ekseva: the {level} {reference} on application {number} ({service}) is assigned "
            "to you. Please fix the hearing.",
            "ई-सेवा: आवेदन {number} ({service}) पर {level} {reference} आपको सौंपी गई है। सुनवाई तय करें।",
        ),
        inapp=both(
            "Assigned to you: {level} {reference} on application {number} ({service}).",
            "आपको सौंपी गई: आवेदन {number} ({service}) पर {level} {reference}।",
        ),
    )
    templates.register(
        HEARING,
        sms=both(
            "ekseva: hearing of the {level} {reference} (application {number}) on {when} at "
            "{place}. Please attend.",
            "ई-सेवा: {level} {reference} (आवेदन {number}) की सुनवाई {when} को {place} में। "
            "कृपया उपस्थित हों।",
        ),
        inapp=both(
            "Hearing of the {level} {reference} (application {number}): {when}, {place}.",
            "{level} {reference} (आवेदन {number}) की सुनवाई: {when}, {place}।",
        ),
    )
    templates.register(
        ORDER,
        sms=both(
            "ekseva: order on your {level} {reference} (application {number}): {outcome}. "
            "Read the order on ekseva.",
            "ई-सेवा: आपकी {level} {reference} (आवेदन {number}) पर आदेश: {outcome}। आदेश ई-सेवा पर पढ़ें।",
        ),
        inapp=both(
            "Order on your {level} {reference} (application {number}): {outcome}.",
            "आपकी {level} {reference} (आवेदन {number}) पर आदेश: {outcome}।",
        ),
    )
    templates.register(
        DIRECTED,
        sms=both(
            "ekseva: the {level} {reference} on application {number} ({service}) is allowed. "
            "The order directs you: read it and act on it.",
            "ई-सेवा: आवेदन {number} ({service}) पर {level} {reference} स्वीकार हुई है। "
            "आदेश में आपको निर्देश हैं: उसे पढ़ें और पालन करें।",
        ),
        inapp=both(
            "Allowed: the {level} {reference} on application {number}. The order directs you.",
            "आवेदन {number} पर {level} {reference} स्वीकार: आदेश में आपको निर्देश हैं।",
        ),
    )
    templates.register(
        PENALISED,
        sms=both(
            "ekseva: the order on the {level} {reference} (application {number}) imposes a "
            "penalty of {amount} on you for the delay.",
            "ई-सेवा: {level} {reference} (आवेदन {number}) के आदेश से विलंब के लिए आप पर "
            "{amount} की शास्ति लगाई गई है।",
        ),
        inapp=both(
            "Penalty of {amount} imposed on you by the order on the {level} {reference} "
            "(application {number}).",
            "{level} {reference} (आवेदन {number}) के आदेश से आप पर {amount} की शास्ति।",
        ),
    )
    workspace.register(
        workspace.Link(
            "workflow.appeals",
            _("Appeals"),
            "workflow:appeals",
            APPEAL,
            order=6,
            hint=_("First and second appeals: hearings, orders and penalties"),
        )
    )
