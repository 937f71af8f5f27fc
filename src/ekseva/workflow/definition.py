"""A service version's stages and the explicit map of what each action does.

The stages are the version's ``workflow`` list (stage id, name in two languages,
the role that acts there, optional days). Every officer's action is checked
against ``TRANSITIONS`` on every call: where it may be taken, what it needs, and
where the case and the application go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ekseva.applications.models import Status as AppStatus

from .models import Case


@dataclass(frozen=True)
class Stage:
    id: str
    name_en: str
    name_hi: str
    role: str
    days: int | None
    index: int
    last: bool

    def name(self, language: str) -> str:
        return self.name_hi if language == "hi" and self.name_hi else self.name_en


# A stage of the appellate officer in a version's list describes the appeal path
# (first appeal), which the Act runs apart from processing (``appeals``): it is not
# a stage a case passes through on its way to a decision.
APPEAL_ROLES = frozenset({"appellate_officer"})


def stages_of(version: Any) -> list[Stage]:
    """The processing stages of a service version, in order (at least one: the
    loader checks), leaving out appeal stages (``APPEAL_ROLES``)."""
    listed = (version.definition or {}).get("workflow") or []
    raw = [item for item in listed if item.get("role") not in APPEAL_ROLES] or listed
    stages = []
    for index, item in enumerate(raw):
        name = item.get("name") or {}
        stages.append(
            Stage(
                id=str(item["stage"]),
                name_en=str(name.get("en") or item["stage"]),
                name_hi=str(name.get("hi") or ""),
                role=str(item["role"]),
                days=item.get("days"),
                index=index,
                last=index == len(raw) - 1,
            )
        )
    return stages


def stage_of(version: Any, stage_id: str) -> Stage:
    for stage in stages_of(version):
        if stage.id == stage_id:
            return stage
    raise KeyError(stage_id)


@dataclass(frozen=True)
class Move:
    """What an action does: the case states it may be taken in, whether only at the
    last stage (approve) or only before it (forward), what it needs, and where the
    case and the application go (None: they stay)."""

    from_states: frozenset[str]
    case_state: str | None
    app_status: str | None
    at_last: bool | None = None  # True: only at the last stage; False: only before it
    needs: tuple[str, ...] = ()  # reason_code, remark, fields, hearing_at


OPEN = frozenset({Case.State.OPEN})

TRANSITIONS: dict[str, Move] = {
    # to the next stage; the application is in process
    "forward": Move(OPEN, Case.State.OPEN, AppStatus.IN_PROCESS, at_last=False),
    # the decision, at the last stage: the deliverable is issued
    "approve": Move(OPEN, Case.State.DISPOSED, AppStatus.APPROVED, at_last=True),
    "reject": Move(OPEN, Case.State.DISPOSED, AppStatus.REJECTED, needs=("reason_code", "remark")),
    # back to the applicant with what to fix: the clock pauses
    "return": Move(OPEN, Case.State.RETURNED, AppStatus.RETURNED, needs=("fields", "remark")),
    "ask_document": Move(OPEN, Case.State.RETURNED, AppStatus.RETURNED, needs=("fields",)),
    # a hearing with the applicant; nothing else moves
    "schedule_hearing": Move(OPEN, None, None, needs=("hearing_at",)),
}
OFFICER_ACTIONS = tuple(TRANSITIONS)

# Why an application is rejected: a fixed list, so the figures can count by reason.
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    "not_eligible": ("Not eligible under the service's rules", "सेवा के नियमों के अनुसार पात्र नहीं"),
    "documents_invalid": ("Documents are not valid or not genuine", "दस्तावेज़ मान्य या असली नहीं हैं"),
    "information_false": ("Information given is false", "दी गई जानकारी असत्य है"),
    "not_corrected": (
        "Not corrected after being returned",
        "लौटाए जाने के बाद सुधार नहीं किया गया",
    ),
    "duplicate": ("A duplicate of an earlier application", "पहले के आवेदन की दोहरी प्रति"),
    "outside_jurisdiction": (
        "Outside this office's jurisdiction",
        "इस कार्यालय के क्षेत्राधिकार से बाहर",
    ),
    "other": ("Other (see the remark)", "अन्य (टिप्पणी देखें)"),
}


def allowed_actions(case: Case, stage: Stage) -> list[str]:
    """The officer's actions the map allows on ``case`` at ``stage`` now."""
    allowed = []
    for kind, move in TRANSITIONS.items():
        if case.state not in move.from_states:
            continue
        if move.at_last is True and not stage.last:
            continue
        if move.at_last is False and stage.last:
            continue
        allowed.append(kind)
    return allowed
