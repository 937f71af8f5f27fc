"""The journey's forms as people meet them: the eligibility questions asked before
a draft exists, a step's POST in the shape ``services.save_step`` takes, the
error summary, and the answers read back in the page language (preview).

The questions, rules and messages are the service version's (the form engine
renders and validates them); nothing here decides who is eligible or what is valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ekseva.catalog.rules import compiled, definition_of, form_of
from ekseva.catalog.spec import CONTEXT_NAMES
from ekseva.forms import validation
from ekseva.forms.definition import Field, FormDefinition, Section, Step, Text
from ekseva.forms.messages import word

ELIGIBILITY_STEP = "eligibility"


# --------------------------------------------------------------------------- eligibility


def eligibility_names(version: Any) -> set[str]:
    """The answers the version's eligibility rules read (the date of birth of the
    age rule, the relaxations' and rules' conditions), without context names."""
    rules = definition_of(version).get("eligibility") or {}
    names: set[str] = set()
    sources: list[str] = []
    age = rules.get("age")
    if age:
        names.add(age["date_of_birth"])
        sources += [r["when"] for r in age.get("relaxations") or []]
    sources += [r["require"] for r in rules.get("rules") or []]
    for source in sources:
        names |= set(compiled(source).names)
    return names - CONTEXT_NAMES


def eligibility_form(version: Any) -> FormDefinition | None:
    """One step holding the version's own fields that its eligibility rules read
    (with the inputs of a computed one), in form order; None without rules."""
    if not (definition_of(version).get("eligibility") or {}):
        return None
    defn = form_of(version)
    wanted = eligibility_names(version)
    by_id = {f.id: f for f in defn.all_fields()}
    pending = list(wanted)
    while pending:  # a computed field needs the answers it is computed from
        f = by_id.get(pending.pop())
        if f is not None and f.compute is not None:
            extra = set(f.compute.names) - CONTEXT_NAMES - wanted
            wanted |= extra
            pending += list(extra)
    fields = tuple(f for f in defn.all_fields() if f.id in wanted and f.type != "file")
    if not fields:
        return None
    step = Step(
        id=ELIGIBILITY_STEP,
        title=Text("Who can apply", "कौन आवेदन कर सकता है"),
        sections=(Section(id=ELIGIBILITY_STEP, title=None, fields=fields),),
    )
    return FormDefinition(
        steps=(step,),
        context_names=defn.context_names,
        _index={f.id: f for f in fields},
        _step_of={f.id: ELIGIBILITY_STEP for f in fields},
    )


def answers_by_step(version: Any, data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``data`` (answers by field id) split by the step of the version's form that
    asks each one, steps in form order."""
    defn = form_of(version)
    out: dict[str, dict[str, Any]] = {}
    for step in defn.steps:
        part = {f.id: data[f.id] for f in step.fields() if f.id in data}
        if part:
            out[step.id] = part
    return out


# --------------------------------------------------------------------------- a step's POST


def step_data(defn: FormDefinition, step_id: str, post: Any, files: Any = None) -> dict[str, Any]:
    """The answers of one step from an HTML POST: only that step's fields, and a
    multiple choice left with nothing ticked counts as answered empty (so that
    unticking every box clears it)."""
    data = validation.from_post(defn, post, files or {})
    fields = defn.step(step_id).fields()
    ids = {f.id for f in fields}
    out = {key: value for key, value in data.items() if key in ids}
    for f in fields:
        if f.type == "multichoice" and f.id not in out:
            out[f.id] = []
    return out


@dataclass(frozen=True)
class ErrorItem:
    anchor: str  # the id of the control the message is on
    label: str
    message: str


def error_items(
    defn: FormDefinition, errors: Mapping[str, list[str]], language: str
) -> list[ErrorItem]:
    """The error summary: each message with its field's label and a link target
    (``education.0.year`` is the control ``id_education-0-year``), in form order."""
    order = {f.id: i for i, f in enumerate(defn.all_fields())}
    items = []

    def position(key: str) -> tuple[int, str]:
        return (order.get(key.split(".")[0], len(order)), key)

    for key in sorted(errors, key=position):
        head, *rest = key.split(".")
        if key == validation.ALL_ERRORS or head not in order:
            for message in errors[key]:
                items.append(ErrorItem("", "", message))
            continue
        f = defn.field(head)
        label = f.label.get(language)
        if rest and len(rest) == 2:
            try:
                sub = f.subfield(rest[1])
                label = f"{label}, {word('row', language, n=int(rest[0]) + 1)}: "
                label += sub.label.get(language)
            except (KeyError, ValueError):
                pass
        anchor = "id_" + "-".join([head, *rest])
        for message in errors[key]:
            items.append(ErrorItem(anchor, label, message))
    return items


# --------------------------------------------------------------------------- read back


@dataclass(frozen=True)
class AnswerRow:
    id: str
    label: str
    value: str
    rows: tuple[tuple[tuple[str, str], ...], ...] = ()  # a repeating group's rows


@dataclass(frozen=True)
class StepAnswers:
    id: str
    title: str
    rows: tuple[AnswerRow, ...]


def _unit_name(code: str, language: str) -> str:
    from ekseva.geo import selectors as geo

    unit = geo.unit_by_code(code)
    return unit.name(language) if unit is not None else code


def show_value(f: Field, value: Any, language: str) -> str:
    """One clean answer as people read it: option labels, not codes; dates as
    dd-mm-yyyy; yes/no in the page language; places by name; Aadhaar masked."""
    if value is None or value == "" or value == []:
        return ""
    if f.type == "yesno" or isinstance(value, bool):
        return word("yes" if value else "no", language)
    if f.type == "date" and isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if f.type in ("choice", "multichoice"):
        labels = {o.value: o.label.get(language) for o in f.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if f.type in ("district", "tehsil", "village"):
        return _unit_name(str(value), language)
    if f.type == "aadhaar":
        last4 = value.get("last4", "") if isinstance(value, dict) else ""
        return f"XXXX XXXX {last4}" if last4 else ""
    if f.type == "file":
        return str(value.get("name", "")) if isinstance(value, dict) else ""
    return str(value)


def read_back(
    version: Any, answers: Mapping[str, Any], language: str, context: Mapping[str, Any]
) -> list[StepAnswers]:
    """Every question shown to this applicant, step by step, with the answer kept
    ("" when not answered); fields the answers hide are left out."""
    defn = form_of(version)
    cleaned = validation.validate(defn, answers, context=context).cleaned
    _env, visible = validation.answers_in_effect(defn, answers, context)
    steps = []
    for step in defn.steps:
        rows = []
        for f in step.fields():
            if f.id not in visible:
                continue
            value = cleaned.get(f.id)
            if f.type == "group":
                group_rows = tuple(
                    tuple(
                        (sub.label.get(language), show_value(sub, row.get(sub.id), language))
                        for sub in f.fields
                        if row.get(sub.id) is not None
                    )
                    for row in value or []
                )
                rows.append(AnswerRow(f.id, f.label.get(language), "", group_rows))
            else:
                rows.append(AnswerRow(f.id, f.label.get(language), show_value(f, value, language)))
        steps.append(StepAnswers(step.id, step.title.get(language), tuple(rows)))
    return steps
