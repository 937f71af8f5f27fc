"""Form definitions: the ``form:`` section of a service YAML, parsed and checked.

:func:`parse_form` turns the plain dict into a :class:`FormDefinition` or raises
:class:`DefinitionError` listing *every* problem found, each with the path to the
offending key (``("form", "steps", 0, "sections", 1, "fields", 3, "required_if")``)
so that the catalog loader can point an analyst at the line to fix. A definition
that parses is safe to publish: its rules compile, its names exist, its choices
are consistent and none of its conditions is impossible.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ekseva.core import clock
from ekseva.forms.expressions import Expression, ExpressionError, compile_expression

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "date",
    "choice",
    "multichoice",
    "yesno",
    "email",
    "mobile",
    "pincode",
    "aadhaar",
    "pan",
    "ifsc",
    "district",
    "tehsil",
    "village",
    "file",
    "group",
    "computed",
)
ADMIN_UNIT_TYPES = ("district", "tehsil", "village")
CHOICE_TYPES = ("choice", "multichoice")
FILE_KINDS = ("pdf", "jpeg", "png")
SCRIPTS = ("latin", "devanagari", "any")
PREFILL_PATHS = frozenset(
    {
        "profile.name_en",
        "profile.name_hi",
        "profile.date_of_birth",
        "profile.gender",
        "profile.social_category",
        "profile.pwd",
        "profile.guardian_name",
        "profile.address_line",
        "profile.district",
        "profile.tehsil",
        "profile.pincode",
        "user.mobile",
        "user.email",
        "user.full_name",
    }
)

_COMMON_KEYS = {"id", "type", "label", "help", "required", "required_if", "visible_if"}
_INPUT_KEYS = _COMMON_KEYS | {"prefill", "default"}
_KEYS_BY_TYPE: dict[str, set[str]] = {
    "text": _INPUT_KEYS | {"script", "min_length", "max_length", "pattern", "pattern_message"},
    "textarea": _INPUT_KEYS | {"script", "min_length", "max_length"},
    "number": _INPUT_KEYS | {"min", "max", "decimals"},
    "date": _INPUT_KEYS | {"min", "max"},
    "choice": _INPUT_KEYS | {"options", "widget"},
    "multichoice": _INPUT_KEYS | {"options", "min_items", "max_items"},
    "yesno": _INPUT_KEYS,
    "email": _INPUT_KEYS,
    "mobile": _INPUT_KEYS,
    "pincode": _INPUT_KEYS | {"district_field"},
    "aadhaar": _INPUT_KEYS,
    "pan": _INPUT_KEYS,
    "ifsc": _INPUT_KEYS,
    "district": _INPUT_KEYS,
    "tehsil": _INPUT_KEYS | {"depends_on"},
    "village": _INPUT_KEYS | {"depends_on"},
    "file": _COMMON_KEYS | {"file"},
    "group": _COMMON_KEYS | {"fields", "min_items", "max_items"},
    "computed": {"id", "type", "label", "help", "visible_if", "compute"},
}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_RELATIVE_DATE_RE = re.compile(r"^today(?:\s*([+-])\s*(\d{1,3})\s*([dmy]))?$")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition, at ``path``."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(str(p) for p in self.path)}: {self.message}"


class DefinitionError(ValueError):
    """A definition with mistakes; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Text:
    """A string in English and Hindi."""

    en: str
    hi: str

    def get(self, language: str = "en") -> str:
        return self.hi if language == "hi" and self.hi else self.en


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class FileRule:
    allowed: tuple[str, ...] = FILE_KINDS
    max_kb: int | None = None
    dims: dict[str, int] | None = None  # min_width, max_width, min_height, max_height (px)


@dataclass(frozen=True)
class DateBound:
    """A date limit: fixed (``2026-01-01``) or relative to the day of validation
    (``today``, ``today-18y``, ``today+30d``)."""

    source: str
    fixed: dt.date | None = None
    sign: int = 0
    amount: int = 0
    unit: str = "d"

    def resolve(self, today: dt.date | None = None) -> dt.date:
        if self.fixed is not None:
            return self.fixed
        base = today or clock.today()
        n = self.sign * self.amount
        if self.unit == "d":
            return base + dt.timedelta(days=n)
        months = base.month - 1 + (n * 12 if self.unit == "y" else n)
        year, month = base.year + months // 12, months % 12 + 1
        day = min(base.day, _days_in_month(year, month))
        return dt.date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


@dataclass(frozen=True, eq=False)
class Field:
    id: str
    type: str
    label: Text
    help: Text | None = None
    required: bool = False
    required_if: Expression | None = None
    visible_if: Expression | None = None
    options: tuple[Option, ...] = ()
    widget: Literal["radio", "select"] = "radio"
    min: Any = None  # number, or DateBound for dates
    max: Any = None
    decimals: int = 0
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_message: Text | None = None
    script: str = "any"
    compute: Expression | None = None
    prefill: str | None = None
    default: Any = None
    depends_on: str | None = None
    district_field: str | None = None
    fields: tuple[Field, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    file: FileRule | None = None

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def subfield(self, field_id: str) -> Field:
        for sub in self.fields:
            if sub.id == field_id:
                return sub
        raise KeyError(field_id)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text | None
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    sections: tuple[Section, ...]

    def fields(self) -> list[Field]:
        return [f for s in self.sections for f in s.fields]


@dataclass(frozen=True)
class Validation:
    """A cross-field rule: when ``rule`` is false, ``message`` goes on ``fields``."""

    rule: Expression
    message: Text
    fields: tuple[str, ...]


@dataclass(frozen=True, repr=False)
class FormDefinition:
    steps: tuple[Step, ...]
    validations: tuple[Validation, ...] = ()
    context_names: frozenset[str] = frozenset()
    _index: dict[str, Field] = field(default_factory=dict, repr=False, compare=False)
    _step_of: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"FormDefinition(steps={[s.id for s in self.steps]}, fields={len(self._index)})"

    def all_fields(self) -> list[Field]:
        """Top-level fields in document order (group sub-fields stay in their group)."""
        return [f for step in self.steps for f in step.fields()]

    def field(self, field_id: str) -> Field:
        return self._index[field_id]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def step_of(self, field_id: str) -> str:
        return self._step_of[field_id]

    def names(self) -> frozenset[str]:
        return frozenset(self._index) | self.context_names


def parse_form(
    data: dict, *, context_names: set[str] | frozenset[str] = frozenset()
) -> FormDefinition:
    """Parse the ``form:`` section of a service definition; raise DefinitionError
    with all problems found."""
    return _Parser(frozenset(context_names)).parse(data)


class _Parser:
    def __init__(self, context_names: frozenset[str]) -> None:
        self.context = context_names
        self.problems: list[Problem] = []
        self.field_paths: dict[str, Path] = {}
        self.raw_fields: list[tuple[Path, dict]] = []  # top-level fields: (path, data)
        self.validation_rules: list[tuple[Path, Expression]] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- structure -----------------------------------------------------------------

    def parse(self, data: Any) -> FormDefinition:
        root: Path = ("form",)
        if not isinstance(data, dict):
            raise DefinitionError([Problem(root, "the form must be a mapping with 'steps'")])
        self._unknown_keys(root, data, {"steps", "validations"})
        steps_data = data.get("steps")
        if not isinstance(steps_data, list) or not steps_data:
            self.problem((*root, "steps"), "a form needs a non-empty list of steps")
            steps_data = []
        # First pass: collect every field id so that rules may refer forward.
        self._collect(root, steps_data)
        top_level = frozenset(r["id"] for _p, r in self.raw_fields if isinstance(r.get("id"), str))
        names = top_level | self.context
        group_names: dict[str, frozenset[str]] = {}
        for _path, raw in self.raw_fields:
            if raw.get("type") == "group" and isinstance(raw.get("id"), str):
                group_names[raw["id"]] = frozenset(
                    s.get("id") for s in raw.get("fields") or [] if isinstance(s, dict)
                )
        self.group_names = group_names
        self.names = names
        steps: list[Step] = []
        seen_steps: set[str] = set()
        seen_sections: set[str] = set()
        for i, step_data in enumerate(steps_data):
            path = (*root, "steps", i)
            if not isinstance(step_data, dict):
                self.problem(path, "a step must be a mapping")
                continue
            self._unknown_keys(path, step_data, {"id", "title", "sections", "fields"})
            step_id = self._id(path, step_data, seen_steps, "step")
            title = self._text(path, step_data, "title", required=True)
            sections = []
            if "sections" in step_data and "fields" in step_data:
                self.problem(path, "a step has either 'sections' or 'fields', not both")
            if "fields" in step_data:
                fields = self._fields((*path, "fields"), step_data["fields"], None)
                sections.append(Section(step_id, None, tuple(fields)))
            else:
                for j, sec in enumerate(step_data.get("sections") or []):
                    spath = (*path, "sections", j)
                    if not isinstance(sec, dict):
                        self.problem(spath, "a section must be a mapping")
                        continue
                    self._unknown_keys(spath, sec, {"id", "title", "fields"})
                    sec_id = self._id(spath, sec, seen_sections, "section")
                    sec_title = self._text(spath, sec, "title", required=False)
                    fields = self._fields((*spath, "fields"), sec.get("fields"), None)
                    sections.append(Section(sec_id, sec_title, tuple(fields)))
            if "fields" not in step_data and not step_data.get("sections"):
                self.problem(path, "a step needs 'fields' or a non-empty list of 'sections'")
            steps.append(Step(step_id, title or Text("", ""), tuple(sections)))

        index = {f.id: f for step in steps for f in step.fields()}
        step_of = {f.id: step.id for step in steps for f in step.fields()}
        validations = self._validations(root, data.get("validations"), index)
        self._check_fields(index)
        self._check_computed_cycles(index)
        if self.problems:
            raise DefinitionError(self.problems)
        return FormDefinition(tuple(steps), tuple(validations), self.context, index, step_of)

    def _collect(self, root: Path, steps_data: list) -> None:
        """Record each field id with its path; report duplicates (across steps and groups)."""

        def walk(path: Path, fields: Any, group: str | None) -> None:
            if not isinstance(fields, list):
                return
            for k, raw in enumerate(fields):
                if not isinstance(raw, dict):
                    continue
                fpath = (*path, k)
                fid = raw.get("id")
                if isinstance(fid, str):
                    if fid in self.field_paths:
                        first = ".".join(str(p) for p in self.field_paths[fid])
                        self.problem(
                            (*fpath, "id"), f"duplicate field id '{fid}' (first at {first})"
                        )
                    else:
                        self.field_paths[fid] = fpath
                if group is None:
                    self.raw_fields.append((fpath, raw))
                if raw.get("type") == "group":
                    walk((*fpath, "fields"), raw.get("fields"), fid)

        for i, step in enumerate(steps_data):
            if not isinstance(step, dict):
                continue
            path = (*root, "steps", i)
            walk((*path, "fields"), step.get("fields"), None)
            for j, sec in enumerate(step.get("sections") or []):
                if isinstance(sec, dict):
                    walk((*path, "sections", j, "fields"), sec.get("fields"), None)

    def _fields(self, path: Path, data: Any, group: Field | str | None) -> list[Field]:
        if not isinstance(data, list) or not data:
            self.problem(path, "'fields' must be a non-empty list")
            return []
        result = []
        for k, raw in enumerate(data):
            parsed = self._field((*path, k), raw, group)
            if parsed is not None:
                result.append(parsed)
        return result

    def _field(self, path: Path, raw: Any, group: Any) -> Field | None:
        if not isinstance(raw, dict):
            self.problem(path, "a field must be a mapping")
            return None
        ftype = raw.get("type")
        if ftype not in FIELD_TYPES:
            self.problem(
                (*path, "type"), f"unknown field type {ftype!r}; one of: {', '.join(FIELD_TYPES)}"
            )
            return None
        fid = raw.get("id")
        if not isinstance(fid, str) or not _ID_RE.match(fid) or keyword.iskeyword(fid):
            self.problem(
                (*path, "id"),
                "a field id is lower-case letters, digits and _ (starting with a letter)",
            )
            fid = f"_invalid_{len(self.problems)}"
        if fid in self.context:
            self.problem((*path, "id"), f"'{fid}' is a context name and cannot be a field id")
        if group is not None and ftype in ("group", "file"):
            self.problem((*path, "type"), f"a {ftype} field cannot be inside a group")
        self._unknown_keys(path, raw, _KEYS_BY_TYPE[ftype])
        names = self.names | (
            self.group_names.get(group, frozenset()) if isinstance(group, str) else frozenset()
        )
        kw: dict[str, Any] = {
            "id": fid,
            "type": ftype,
            "label": self._text(path, raw, "label", required=True) or Text("", ""),
            "help": self._text(path, raw, "help", required=False),
            "required_if": self._rule(path, raw, "required_if", names),
            "visible_if": self._rule(path, raw, "visible_if", names),
        }
        if "required" in raw:
            if not isinstance(raw["required"], bool):
                self.problem((*path, "required"), "'required' is true or false")
            kw["required"] = raw["required"] is True
        if ftype in ("text", "textarea"):
            kw["min_length"] = self._int(path, raw, "min_length", 0)
            kw["max_length"] = self._int(path, raw, "max_length", 1)
            self._min_max(path, kw["min_length"], kw["max_length"], "min_length", "max_length")
            script = raw.get("script", "any")
            if script not in SCRIPTS:
                self.problem((*path, "script"), f"script is one of: {', '.join(SCRIPTS)}")
            kw["script"] = script if script in SCRIPTS else "any"
            if "pattern" in raw:
                try:
                    kw["pattern"] = re.compile(str(raw["pattern"]))
                except re.error as exc:
                    self.problem((*path, "pattern"), f"not a valid regular expression: {exc}")
            kw["pattern_message"] = self._text(path, raw, "pattern_message", required=False)
        elif ftype == "number":
            decimals = self._int(path, raw, "decimals", 0) or 0
            if decimals > 6:
                self.problem((*path, "decimals"), "at most 6 decimals")
            kw["decimals"] = decimals
            for key in ("min", "max"):
                value = raw.get(key)
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                ):
                    self.problem((*path, key), f"'{key}' must be a number")
                else:
                    kw[key] = value
            self._min_max(path, kw.get("min"), kw.get("max"), "min", "max")
        elif ftype == "date":
            for key in ("min", "max"):
                if key in raw:
                    kw[key] = self._date_bound((*path, key), raw[key])
            if kw.get("min") and kw.get("max"):
                today = clock.today()
                self._min_max(
                    path, kw["min"].resolve(today), kw["max"].resolve(today), "min", "max"
                )
        elif ftype in CHOICE_TYPES:
            kw["options"] = self._options(path, raw.get("options"))
            if ftype == "choice":
                widget = raw.get("widget", "radio")
                if widget not in ("radio", "select"):
                    self.problem((*path, "widget"), "widget is 'radio' or 'select'")
                kw["widget"] = widget if widget in ("radio", "select") else "radio"
            else:
                kw["min_items"] = self._int(path, raw, "min_items", 0)
                kw["max_items"] = self._int(path, raw, "max_items", 1)
                self._min_max(path, kw["min_items"], kw["max_items"], "min_items", "max_items")
        elif ftype == "pincode" and "district_field" in raw:
            kw["district_field"] = self._ref(path, raw, "district_field", ("district",))
        elif ftype in ("tehsil", "village"):
            parent_types = ("district",) if ftype == "tehsil" else ("tehsil", "district")
            kw["depends_on"] = self._ref(path, raw, "depends_on", parent_types)
        elif ftype == "file":
            kw["file"] = self._file_rule((*path, "file"), raw.get("file"))
        elif ftype == "group":
            kw["fields"] = tuple(self._fields((*path, "fields"), raw.get("fields"), fid))
            kw["min_items"] = self._int(path, raw, "min_items", 0)
            kw["max_items"] = self._int(path, raw, "max_items", 1)
            self._min_max(path, kw["min_items"], kw["max_items"], "min_items", "max_items")
        elif ftype == "computed":
            if "compute" not in raw:
                self.problem((*path, "compute"), "a computed field needs 'compute'")
            kw["compute"] = self._rule(path, raw, "compute", names)
            if kw["compute"] is not None and fid in kw["compute"].names:
                self.problem((*path, "compute"), "a computed field cannot use itself")
        if "prefill" in raw:
            if raw["prefill"] not in PREFILL_PATHS:
                self.problem(
                    (*path, "prefill"),
                    f"unknown prefill source; one of: {', '.join(sorted(PREFILL_PATHS))}",
                )
            else:
                kw["prefill"] = raw["prefill"]
        if "default" in raw:
            kw["default"] = raw["default"]
        return Field(**kw)

    def _validations(self, root: Path, data: Any, index: dict[str, Field]) -> list[Validation]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem((*root, "validations"), "'validations' must be a list")
            return []
        result = []
        for i, raw in enumerate(data):
            path = (*root, "validations", i)
            if not isinstance(raw, dict):
                self.problem(path, "a validation must be a mapping with rule, message, fields")
                continue
            self._unknown_keys(path, raw, {"rule", "message", "fields"})
            if "rule" not in raw:
                self.problem((*path, "rule"), "a validation needs a 'rule'")
            rule = self._rule(path, raw, "rule", self.names)
            message = self._text(path, raw, "message", required=True)
            fields = raw.get("fields") or []
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                self.problem((*path, "fields"), "'fields' is a list of field ids")
                fields = []
            for k, fid in enumerate(fields):
                if fid not in index:
                    self.problem((*path, "fields", k), f"unknown field '{fid}'")
            if rule is not None:
                self.validation_rules.append(((*path, "rule"), rule))
            if rule is not None and message is not None:
                result.append(Validation(rule, message, tuple(fields)))
        return result

    # -- small parsers ---------------------------------------------------------------

    def _unknown_keys(self, path: Path, raw: dict, allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                self.problem((*path, str(key)), f"unknown key '{key}'")

    def _id(self, path: Path, raw: dict, seen: set[str], what: str) -> str:
        value = raw.get("id")
        if not isinstance(value, str) or not _ID_RE.match(value):
            self.problem((*path, "id"), f"a {what} id is lower-case letters, digits and _")
            return f"_{what}{len(seen)}"
        if value in seen:
            self.problem((*path, "id"), f"duplicate {what} id '{value}'")
        seen.add(value)
        return value

    def _text(self, path: Path, raw: dict, key: str, *, required: bool) -> Text | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem((*path, key), f"'{key}' needs en and hi")
            return None
        if isinstance(value, str):
            self.problem((*path, key), f"'{key}' needs both en and hi, e.g. {{en: ..., hi: ...}}")
            return None
        if not isinstance(value, dict):
            self.problem((*path, key), f"'{key}' must be a mapping with en and hi")
            return None
        ok = True
        for lang in ("en", "hi"):
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.problem((*path, key, lang), f"missing {lang} text")
                ok = False
        return Text(value["en"].strip(), value["hi"].strip()) if ok else None

    def _int(self, path: Path, raw: dict, key: str, minimum: int) -> int | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem((*path, key), f"'{key}' must be a whole number >= {minimum}")
            return None
        return value

    def _min_max(self, path: Path, low: Any, high: Any, low_key: str, high_key: str) -> None:
        if low is not None and high is not None and low > high:
            self.problem((*path, low_key), f"{low_key} ({low}) is greater than {high_key} ({high})")

    def _date_bound(self, path: Path, value: Any) -> DateBound | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return DateBound(value.isoformat(), fixed=value)
        if isinstance(value, str):
            text = value.strip()
            match = _RELATIVE_DATE_RE.match(text)
            if match:
                sign, amount, unit = match.groups()
                if sign is None:
                    return DateBound(text)
                return DateBound(text, sign=1 if sign == "+" else -1, amount=int(amount), unit=unit)
            try:
                return DateBound(text, fixed=dt.date.fromisoformat(text))
            except ValueError:
                pass
        self.problem(path, "a date limit is YYYY-MM-DD, 'today', or like 'today-18y' / 'today+30d'")
        return None

    def _options(self, path: Path, data: Any) -> tuple[Option, ...]:
        if not isinstance(data, list) or not data:
            self.problem((*path, "options"), "a choice field needs a non-empty list of options")
            return ()
        result, seen = [], set()
        for k, raw in enumerate(data):
            opath = (*path, "options", k)
            if not isinstance(raw, dict) or "value" not in raw:
                self.problem(opath, "an option is {value: ..., label: {en: ..., hi: ...}}")
                continue
            self._unknown_keys(opath, raw, {"value", "label"})
            value = raw["value"]
            if isinstance(value, bool) or not isinstance(value, str | int):
                self.problem((*opath, "value"), "an option value is a string or whole number")
                continue
            value = str(value)
            if value in seen:
                self.problem((*opath, "value"), f"duplicate option value '{value}'")
            seen.add(value)
            label = self._text(opath, raw, "label", required=True)
            if label is not None:
                result.append(Option(value, label))
        return tuple(result)

    def _ref(self, path: Path, raw: dict, key: str, types: tuple[str, ...]) -> str | None:
        ref = raw.get(key)
        target = self.field_paths.get(ref) if isinstance(ref, str) else None
        target_type = None
        if target is not None:
            target_type = next((r.get("type") for p, r in self.raw_fields if p == target), None)
        if target_type not in types:
            self.problem((*path, key), f"'{key}' must name a field of type {' or '.join(types)}")
            return None
        return ref

    def _file_rule(self, path: Path, data: Any) -> FileRule:
        if data is None:
            return FileRule()
        if not isinstance(data, dict):
            self.problem(path, "'file' is a mapping: allowed, max_kb, dims")
            return FileRule()
        self._unknown_keys(path, data, {"allowed", "max_kb", "dims"})
        allowed = data.get("allowed", list(FILE_KINDS))
        if (
            not isinstance(allowed, list)
            or not allowed
            or any(a not in FILE_KINDS for a in allowed)
        ):
            self.problem((*path, "allowed"), f"'allowed' is a list from: {', '.join(FILE_KINDS)}")
            allowed = list(FILE_KINDS)
        max_kb = self._int(path, data, "max_kb", 1)
        dims = data.get("dims")
        if dims is not None:
            keys = {"min_width", "max_width", "min_height", "max_height"}
            if not isinstance(dims, dict) or not dims or set(dims) - keys:
                self.problem((*path, "dims"), f"'dims' has keys from: {', '.join(sorted(keys))}")
                dims = None
            else:
                for key in dims:
                    self._int((*path, "dims"), dims, key, 1)
                self._min_max(
                    (*path, "dims"),
                    dims.get("min_width"),
                    dims.get("max_width"),
                    "min_width",
                    "max_width",
                )
                self._min_max(
                    (*path, "dims"),
                    dims.get("min_height"),
                    dims.get("max_height"),
                    "min_height",
                    "max_height",
                )
            if dims and "pdf" in allowed and len(allowed) == 1:
                self.problem((*path, "dims"), "dimensions apply to images, but only pdf is allowed")
        return FileRule(tuple(allowed), max_kb, dims)

    def _rule(self, path: Path, raw: dict, key: str, names: frozenset[str]) -> Expression | None:
        if key not in raw:
            return None
        source = raw[key]
        if isinstance(source, bool):
            self.problem(
                (*path, key), f"'{key}' is a rule; for a fixed answer use 'required: true'"
            )
            return None
        try:
            return compile_expression(
                str(source) if isinstance(source, int | float) else source, names
            )
        except ExpressionError as exc:
            self.problem((*path, key), exc.message)
            return None

    # -- whole-form checks -------------------------------------------------------------

    def _rules_with_paths(self, index: dict[str, Field]) -> list[tuple[Path, Expression, str]]:
        found = [(path, rule, "rule") for path, rule in self.validation_rules]
        for fid, fpath in self.field_paths.items():
            f = index.get(fid) or _find_sub(index, fid)
            if f is None:
                continue
            for key in ("visible_if", "required_if", "compute"):
                rule = getattr(f, key)
                if rule is not None:
                    found.append(((*fpath, key), rule, key))
        return found

    def _check_fields(self, index: dict[str, Field]) -> None:
        everything = dict(index)
        for f in index.values():
            for sub in f.fields:
                everything[sub.id] = sub
        for fid, fpath in self.field_paths.items():
            f = everything.get(fid)
            if f is not None and f.default is not None:
                self._check_default((*fpath, "default"), f)
        for path, rule, key in self._rules_with_paths(index):
            before = len(self.problems)
            self._check_choice_values(path, rule, everything)
            if key != "compute" and len(self.problems) == before:
                possible = _can_be_true(rule, everything, self.context)
                if possible is False:
                    self.problem(path, "this condition can never be true")

    def _check_default(self, path: Path, f: Field) -> None:
        if f.type == "choice" and str(f.default) not in f.option_values():
            self.problem(path, f"default '{f.default}' is not one of the options")
        elif f.type == "multichoice":
            values = f.default if isinstance(f.default, list) else [f.default]
            for v in values:
                if str(v) not in f.option_values():
                    self.problem(path, f"default '{v}' is not one of the options")
        elif f.type == "yesno" and not isinstance(f.default, bool):
            self.problem(path, "the default of a yes/no field is true or false")

    def _check_choice_values(self, path: Path, rule: Expression, fields: dict[str, Field]) -> None:
        """A choice field compared with a value that is not one of its options is a
        typo that would silently make the rule always false (or always true)."""
        tree = ast.parse(rule.source, mode="eval")
        for node in ast.walk(tree):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                pairs = [(operands[i], operands[i + 1]) for i in range(len(node.ops))]
            elif _is_call(node, "contains") and len(node.args) == 2:
                pairs = [(node.args[0], node.args[1])]
            for left, right in pairs:
                for name_node, other in ((left, right), (right, left)):
                    if not isinstance(name_node, ast.Name) or name_node.id not in fields:
                        continue
                    f = fields[name_node.id]
                    for value in _constants(other):
                        self._check_one_value(path, f, value)

    def _check_one_value(self, path: Path, f: Field, value: Any) -> None:
        if value is None:
            return
        if f.type in CHOICE_TYPES and (
            not isinstance(value, str) or value not in f.option_values()
        ):
            options = ", ".join(f.option_values())
            self.problem(path, f"'{value}' is not an option of '{f.id}' ({options})")
        elif f.type == "yesno" and not isinstance(value, bool):
            self.problem(
                path, f"'{f.id}' is a yes/no field: compare it with True or False, not {value!r}"
            )

    def _check_computed_cycles(self, index: dict[str, Field]) -> None:
        computed = {f.id: f for f in index.values() if f.type == "computed" and f.compute}
        state: dict[str, int] = {}

        def visit(fid: str, trail: list[str]) -> None:
            if state.get(fid) == 2:
                return
            if state.get(fid) == 1:
                cycle = " -> ".join([*trail[trail.index(fid) :], fid])
                self.problem(
                    (*self.field_paths[fid], "compute"),
                    f"computed fields depend on each other: {cycle}",
                )
                return
            state[fid] = 1
            for name in sorted(computed[fid].compute.names):  # type: ignore[union-attr]
                if name in computed:
                    visit(name, [*trail, fid])
            state[fid] = 2

        for fid in computed:
            visit(fid, [])


def _is_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _find_sub(index: dict[str, Field], fid: str) -> Field | None:
    for f in index.values():
        for sub in f.fields:
            if sub.id == fid:
                return sub
    return None


def _constants(node: ast.expr) -> list[Any]:
    """The literal values in ``node`` when it is a literal or a list/tuple of them."""
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return []


# -- "can this condition ever be true?" ------------------------------------------------

_MAX_COMBINATIONS = 20000


def _can_be_true(
    rule: Expression, fields: dict[str, Field], context: frozenset[str]
) -> bool | None:
    """Try the rule over the finite domains of the fields it reads (options, yes/no)
    and a few sample values for the others. ``None`` when undecidable here (it reads
    a context value, or there are too many combinations)."""
    names = sorted(rule.names)
    if any(n in context or n not in fields for n in names):
        return None
    consts = _literal_samples(rule)
    domains = [_domain(fields[n], consts) for n in names]
    total = 1
    for d in domains:
        total *= len(d)
    if total > _MAX_COMBINATIONS:
        return None
    for combo in itertools.product(*domains):
        if rule.test(dict(zip(names, combo, strict=True))):
            return True
    return False


@dataclass
class _Samples:
    numbers: set[float] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)
    dates: set[dt.date] = field(default_factory=set)


def _literal_samples(rule: Expression) -> _Samples:
    samples = _Samples({0, 1})
    for node in ast.walk(ast.parse(rule.source, mode="eval")):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "date"
        ):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                try:
                    day = dt.date.fromisoformat(arg.value)
                except ValueError:
                    continue
                samples.dates.update({day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)})
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None:
                continue
            if isinstance(node.value, int | float):
                samples.numbers.update({node.value - 1, node.value, node.value + 1})
            elif isinstance(node.value, str):
                samples.strings.update({node.value, node.value.lower(), node.value.upper()})
    return samples


def _domain(f: Field, s: _Samples) -> list[Any]:
    today = clock.today()
    if f.type == "choice":
        return [None, *f.option_values()]
    if f.type == "multichoice":
        return [None, *([v] for v in f.option_values()), list(f.option_values())]
    if f.type == "yesno":
        return [None, True, False]
    if f.type == "number":
        extra = {v for v in (f.min, f.max) if v is not None}
        return [None, *sorted(s.numbers | extra)]
    if f.type == "date":
        years = [
            today.replace(year=today.year - n, day=min(today.day, 28))
            for n in (0, 1, 17, 18, 30, 60, 80)
        ]
        return [
            None,
            *sorted(s.dates | set(years) | {today + dt.timedelta(days=d) for d in (-1, 1, 365)}),
        ]
    if f.type == "group":
        lengths = sorted({int(n) for n in s.numbers if 0 <= n <= 50} | {0, 1, 2})
        return [None, *([{}] * n for n in lengths)]
    if f.type == "computed":
        return [None, *sorted(s.numbers), *sorted(s.dates), *sorted(s.strings)]
    return [None, "", "a", *sorted(s.strings)]
