"""What a service definition must say, checked before anything is stored.

``check(data)`` takes the parsed YAML of one service and returns the definition
as stored (JSON-safe; every amount as integer paise) together with a list of
problems, each with the path of the key it concerns. The loader turns paths into
``FILE:LINE: field <id>: message``. The ``form:`` section is checked by the form
engine (``ekseva.forms.definition.parse_form``); eligibility, document and fee
rules are compiled with the form's field ids plus ``CONTEXT_NAMES``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ekseva.accounts.models import Role
from ekseva.core.money import MoneyError, rupees
from ekseva.forms.definition import DefinitionError, parse_form
from ekseva.forms.expressions import ExpressionError, compile_expression

from .models import Category, Deliverable, Department
from .yamlio import plain

# Names every rule may read besides the form's fields.
CONTEXT_NAMES = frozenset({"today", "cutoff_date", "late", "channel"})
CHANNELS = ("online", "kiosk")
DOCUMENT_FORMATS = ("pdf", "jpg", "jpeg", "png")
TIME_LIMIT_KINDS = ("working", "calendar")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
DEPT_CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")
DISTRICT_RE = re.compile(r"^district:[A-Za-z0-9_-]+$")

SERVICE_KEYS = {
    "code", "department", "name", "summary", "keywords", "category", "channels", "districts",
    "illustrative", "note", "sources", "availability", "cutoff_date", "eligibility", "form",
    "documents", "fees", "time_limit", "workflow", "deliverable", "how_to_apply", "withdrawal",
}  # fmt: skip
WITHDRAWAL_REFUNDS = ("full", "government_fee", "none")
DIM_KEYS = {"min_width", "min_height", "max_width", "max_height"}
REQUIRED_SERVICE_KEYS = (
    "code",
    "department",
    "name",
    "category",
    "channels",
    "form",
    "fees",
    "time_limit",
    "workflow",
    "deliverable",
)
DEPARTMENT_KEYS = {"code", "name", "kind", "contact", "bank", "active", "note"}
FEE_KEYS = {
    "government",
    "convenience",
    "gst_on_convenience_bp",
    "kiosk_charge",
    "late_fee",
    "correction_fee",
}
AMOUNT_KEYS = {
    "convenience": "convenience_paise",
    "kiosk_charge": "kiosk_charge_paise",
    "late_fee": "late_fee_paise",
    "correction_fee": "correction_fee_paise",
}


@dataclass(frozen=True)
class Issue:
    """One problem in a definition: the path of the key it concerns and what is wrong."""

    path: tuple
    message: str


class _Checker:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def bad(self, path: tuple, message: str) -> None:
        self.issues.append(Issue(tuple(path), message))

    def keys(self, data: Any, path: tuple, allowed: set[str], required: tuple = ()) -> bool:
        if not isinstance(data, dict):
            self.bad(path, "must be a mapping of keys to values")
            return False
        for key in data:
            if isinstance(key, bool):
                self.bad(
                    (*path, key), "YAML reads on/off/yes/no as true/false: put the key in quotes"
                )
            elif key not in allowed:
                self.bad(
                    (*path, key),
                    f"unknown key {key!r}; expected one of: " + ", ".join(sorted(allowed)),
                )
        for key in required:
            if key not in data:
                self.bad(path, f"{key!r} is required")
        return True

    def text(self, value: Any, path: tuple) -> None:
        """A bilingual text: {en: ..., hi: ...}, both non-empty."""
        if not isinstance(value, dict):
            self.bad(path, "must give the text in both languages: {en: ..., hi: ...}")
            return
        self.keys(value, path, {"en", "hi"})
        for lang in ("en", "hi"):
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.bad(
                    (*path, lang) if lang in value else path,
                    f"the {'English' if lang == 'en' else 'Hindi'} text is missing",
                )

    def date(self, value: Any, path: tuple) -> dt.date | None:
        if not isinstance(value, str):
            self.bad(path, "must be a date written YYYY-MM-DD")
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.bad(path, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def paise(self, value: Any, path: tuple) -> int | None:
        if isinstance(value, float):
            self.bad(path, f'write the amount as quoted rupees, e.g. "{value:.2f}"')
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.bad(path, 'must be an amount in rupees, e.g. "500.00"')
            return None
        try:
            amount = rupees(value)
        except MoneyError:
            self.bad(path, f"{value!r} is not a whole number of paise")
            return None
        if amount < 0:
            self.bad(path, "an amount cannot be negative")
            return None
        return amount

    def rule(self, value: Any, path: tuple, names: frozenset[str]) -> None:
        if not isinstance(value, str):
            self.bad(path, "a rule must be an expression in quotes")
            return
        try:
            compile_expression(value, names)
        except ExpressionError as exc:
            self.bad(path, f"rule {value!r}: {exc.message}")

    def positive_int(self, value: Any, path: tuple, *, zero: bool = False) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
            self.bad(path, "must be a whole number" + (" (0 or more)" if zero else " above 0"))
            return None
        return value


def check_department(data: Any) -> tuple[dict | None, list[Issue]]:
    """Check a department.yaml; returns the model field values and the problems."""
    c = _Checker()
    if not c.keys(data, (), DEPARTMENT_KEYS, ("code", "name", "kind")):
        return None, c.issues
    code = data.get("code")
    if not isinstance(code, str) or not DEPT_CODE_RE.match(code):
        c.bad(("code",), "a department code is 2-20 capital letters, digits or '-'")
    c.text(data.get("name"), ("name",))
    kind = data.get("kind")
    if kind not in Department.Kind.values:
        c.bad(
            ("kind",),
            f"unknown kind {kind!r}; expected one of: " + ", ".join(Department.Kind.values),
        )
    contact = data.get("contact", {})
    if c.keys(contact, ("contact",), {"email", "phone", "address"}):
        email = contact.get("email", "")
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", str(email)):
            c.bad(("contact", "email"), f"{email!r} is not an email address")
        phone = str(contact.get("phone", ""))
        if phone and not re.match(r"^[0-9 +-]{3,20}$", phone):
            c.bad(("contact", "phone"), f"{phone!r} is not a telephone number")
    bank = data.get("bank", {})
    if c.keys(bank, ("bank",), {"account_name", "account_number", "ifsc"}) and bank:
        from django.core.exceptions import ValidationError

        from .models import validate_ifsc

        try:
            validate_ifsc(str(bank.get("ifsc", "")))
        except ValidationError as exc:
            c.bad(("bank", "ifsc"), " ".join(str(m) for m in exc.messages))
        if not re.match(r"^[0-9]{9,18}$", str(bank.get("account_number", ""))):
            c.bad(("bank", "account_number"), "an account number is 9 to 18 digits")
    if c.issues:
        return None, c.issues
    name = data["name"]
    return {
        "code": code,
        "name_en": name["en"],
        "name_hi": name["hi"],
        "kind": kind,
        "contact_email": contact.get("email", ""),
        "contact_phone": str(contact.get("phone", "")),
        "address": contact.get("address", ""),
        "account_name": bank.get("account_name", ""),
        "account_number": str(bank.get("account_number", "")),
        "ifsc": bank.get("ifsc", ""),
        "active": bool(data.get("active", True)),
    }, []


# Path segments under /<lang>/services/ that a service's own page would shadow.
RESERVED_CODES = frozenset({"manage"})


def check_service(data: Any) -> tuple[dict | None, list[Issue]]:
    """Check one service definition. Returns (definition as stored, problems);
    the definition is None when there is any problem."""
    c = _Checker()
    if not c.keys(data, (), SERVICE_KEYS, REQUIRED_SERVICE_KEYS):
        return None, c.issues
    out = plain(data)

    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        c.bad(("code",), "a service code is 3-60 lower-case letters, digits and '-'")
    elif code in RESERVED_CODES:
        c.bad(("code",), f"'{code}' is reserved for the portal's own pages; choose another code")
    if not isinstance(data.get("department"), str):
        c.bad(("department",), "must be the code of a department")
    c.text(data.get("name"), ("name",))
    for key in ("summary", "how_to_apply", "note"):
        if key in data:
            c.text(data[key], (key,))
    if "illustrative" in data and not isinstance(data["illustrative"], bool):
        c.bad(("illustrative",), "must be true or false")
    if data.get("illustrative") and "note" not in data:
        c.bad(("illustrative",), "an illustrative definition needs a 'note' saying what is assumed")
    _check_keywords(c, data.get("keywords"))
    if data.get("category") not in Category.values:
        c.bad(
            ("category",),
            f"unknown category {data.get('category')!r}; expected one of: "
            + ", ".join(Category.values),
        )
    channels = data.get("channels")
    if not isinstance(channels, list) or not channels or any(ch not in CHANNELS for ch in channels):
        c.bad(("channels",), "channels must be a list of: " + ", ".join(CHANNELS))
    districts = data.get("districts", [])
    if not isinstance(districts, list) or any(
        not isinstance(d, str) or not DISTRICT_RE.match(d) for d in districts
    ):
        c.bad(("districts",), "districts must be a list of codes such as 'district:435'")
    if data.get("deliverable") not in Deliverable.values:
        c.bad(
            ("deliverable",),
            f"unknown deliverable {data.get('deliverable')!r}; expected "
            "one of: " + ", ".join(Deliverable.values),
        )
    cutoff = None
    if "cutoff_date" in data:
        cutoff = c.date(data["cutoff_date"], ("cutoff_date",))
    _check_availability(c, data.get("availability"))
    _check_time_limit(c, data.get("time_limit"))
    _check_workflow(c, data.get("workflow"))

    field_ids = _check_form(c, data.get("form"))
    names = frozenset(field_ids) | CONTEXT_NAMES
    if "eligibility" in data:
        _check_eligibility(c, data["eligibility"], names, field_ids, cutoff is not None)
    _check_documents(c, data.get("documents", []), names)
    _check_correction_fields(c, data.get("availability"), field_ids)
    _check_withdrawal(c, data.get("withdrawal"))
    fees = _check_fees(c, data.get("fees"), names, field_ids)
    if fees is not None:
        out["fees"] = fees
    if c.issues:
        return None, c.issues
    return out, []


def _check_keywords(c: _Checker, keywords: Any) -> None:
    if keywords is None:
        return
    if not c.keys(keywords, ("keywords",), {"en", "hi"}):
        return
    for lang, words in keywords.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            c.bad(("keywords", lang), "keywords must be a list of words or phrases")


def _check_availability(c: _Checker, value: Any) -> None:
    if value is None:
        return
    if not c.keys(value, ("availability",), {"opens", "closes", "late_until", "correction"}):
        return
    path = ("availability",)
    opens = c.date(value["opens"], (*path, "opens")) if "opens" in value else None
    closes = c.date(value["closes"], (*path, "closes")) if "closes" in value else None
    if opens and closes and closes < opens:
        c.bad((*path, "closes"), f"closes ({closes}) before it opens ({opens})")
    if "late_until" in value:
        late = c.date(value["late_until"], (*path, "late_until"))
        if late and closes and late <= closes:
            c.bad((*path, "late_until"), "the late window must end after the form closes")
        if late and not closes:
            c.bad((*path, "late_until"), "a late window needs a closing date")
    correction = value.get("correction")
    if correction is not None and c.keys(
        correction, (*path, "correction"), {"opens", "closes", "fields"}, ("opens", "closes")
    ):
        c_opens = c.date(correction.get("opens"), (*path, "correction", "opens"))
        c_closes = c.date(correction.get("closes"), (*path, "correction", "closes"))
        if c_opens and c_closes and c_closes < c_opens:
            c.bad((*path, "correction", "closes"), "the correction window closes before it opens")


def _check_correction_fields(c: _Checker, availability: Any, field_ids: frozenset[str]) -> None:
    """``availability.correction.fields``: the answers an applicant may correct."""
    correction = (availability or {}).get("correction") if isinstance(availability, dict) else None
    if not isinstance(correction, dict) or "fields" not in correction:
        return
    path = ("availability", "correction", "fields")
    fields = correction["fields"]
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        c.bad(path, "fields must be a list of form field ids")
        return
    for name in fields:
        if name not in field_ids:
            c.bad(path, f"{name!r} is not a field of the form")


def _check_withdrawal(c: _Checker, value: Any) -> None:
    """``withdrawal: {refund: full | government_fee | none}``: what a withdrawal gives back."""
    if value is None:
        return
    if not c.keys(value, ("withdrawal",), {"refund"}, ("refund",)):
        return
    if value.get("refund") not in WITHDRAWAL_REFUNDS:
        c.bad(("withdrawal", "refund"), "refund must be one of: " + ", ".join(WITHDRAWAL_REFUNDS))


def _check_time_limit(c: _Checker, value: Any) -> None:
    if not c.keys(value, ("time_limit",), {"days", "kind"}, ("days", "kind")):
        return
    if "days" in value:
        c.positive_int(value["days"], ("time_limit", "days"))
    if "kind" in value and value["kind"] not in TIME_LIMIT_KINDS:
        c.bad(("time_limit", "kind"), "kind must be 'working' or 'calendar'")


def _check_workflow(c: _Checker, stages: Any) -> None:
    if not isinstance(stages, list) or not stages:
        c.bad(("workflow",), "workflow must list at least one stage")
        return
    seen: set[str] = set()
    for i, stage in enumerate(stages):
        path = ("workflow", i)
        if not c.keys(stage, path, {"stage", "name", "role", "days"}, ("stage", "name", "role")):
            continue
        if stage.get("stage") in seen:
            c.bad((*path, "stage"), f"stage {stage.get('stage')!r} appears twice")
        seen.add(stage.get("stage"))
        if "name" in stage:
            c.text(stage["name"], (*path, "name"))
        if "role" in stage and stage["role"] not in Role.values:
            c.bad(
                (*path, "role"),
                f"unknown role {stage['role']!r}; expected one of: " + ", ".join(Role.values),
            )
        if "days" in stage:
            c.positive_int(stage["days"], (*path, "days"))


def _check_form(c: _Checker, form: Any) -> frozenset[str]:
    """The form engine's verdict (its problem paths start at ``form``); the
    ids of the form's top-level fields, which the service's rules may read."""
    try:
        definition = parse_form(form, context_names=set(CONTEXT_NAMES))
    except DefinitionError as exc:
        for problem in exc.problems:
            c.bad(tuple(problem.path), problem.message)
        # Still let the service's rules see the ids the form declares, so one
        # mistake in the form is not echoed by every rule that reads a field.
        return _declared_ids(form)
    return definition.names() - CONTEXT_NAMES


def _declared_ids(form: Any) -> frozenset[str]:
    ids: set[str] = set()
    steps = form.get("steps") if isinstance(form, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        groups = [step.get("fields")] + [
            s.get("fields") for s in step.get("sections") or [] if isinstance(s, dict)
        ]
        for fields in groups:
            for f in fields if isinstance(fields, list) else []:
                if isinstance(f, dict) and isinstance(f.get("id"), str):
                    ids.add(f["id"])
    return frozenset(ids)


def _check_eligibility(
    c: _Checker, value: Any, names: frozenset[str], field_ids: frozenset[str], has_cutoff: bool
) -> None:
    path = ("eligibility",)
    if not c.keys(value, path, {"age", "rules"}):
        return
    age = value.get("age")
    if age is not None and c.keys(
        age,
        (*path, "age"),
        {"date_of_birth", "as_of", "min", "max", "relaxations", "combine", "max_limit", "message"},
        ("date_of_birth", "message"),
    ):
        apath = (*path, "age")
        if age.get("date_of_birth") not in field_ids:
            c.bad(
                (*apath, "date_of_birth"),
                f"{age.get('date_of_birth')!r} is not a field of the form",
            )
        on = age.get("as_of", "cutoff_date")
        if on == "cutoff_date" and not has_cutoff:
            c.bad(
                (*apath, "as_of"), "age is counted on the cut-off date but 'cutoff_date' is not set"
            )
        elif on not in ("cutoff_date", "today"):
            c.date(on, (*apath, "as_of"))
        for key in ("min", "max", "max_limit"):
            if key in age:
                c.positive_int(age[key], (*apath, key))
        if "min" not in age and "max" not in age:
            c.bad(apath, "give a minimum ('min') or maximum ('max') age, or both")
        if (
            isinstance(age.get("min"), int)
            and isinstance(age.get("max"), int)
            and age["max"] < age["min"]
        ):
            c.bad((*apath, "max"), "the maximum age is below the minimum")
        if age.get("combine", "largest") not in ("largest", "sum"):
            c.bad((*apath, "combine"), "combine must be 'largest' or 'sum'")
        c.text(age.get("message"), (*apath, "message"))
        for i, relax in enumerate(age.get("relaxations") or []):
            rpath = (*apath, "relaxations", i)
            if c.keys(relax, rpath, {"when", "years", "label"}, ("when", "years", "label")):
                c.rule(relax.get("when"), (*rpath, "when"), names)
                c.positive_int(relax.get("years"), (*rpath, "years"))
                c.text(relax.get("label"), (*rpath, "label"))
    rules = value.get("rules", [])
    if not isinstance(rules, list):
        c.bad((*path, "rules"), "rules must be a list")
        return
    for i, rule in enumerate(rules):
        rpath = (*path, "rules", i)
        if c.keys(rule, rpath, {"id", "require", "message"}, ("id", "require", "message")):
            c.rule(rule.get("require"), (*rpath, "require"), names)
            c.text(rule.get("message"), (*rpath, "message"))


def _check_documents(c: _Checker, docs: Any, names: frozenset[str]) -> None:
    if not isinstance(docs, list):
        c.bad(("documents",), "documents must be a list")
        return
    seen: set[str] = set()
    for i, doc in enumerate(docs):
        path = ("documents", i)
        if not c.keys(
            doc,
            path,
            {"id", "label", "formats", "max_kb", "mandatory", "mandatory_if", "dims"},
            ("id", "label", "formats", "max_kb"),
        ):
            continue
        if doc.get("id") in seen:
            c.bad((*path, "id"), f"document {doc.get('id')!r} appears twice")
        seen.add(doc.get("id"))
        c.text(doc.get("label"), (*path, "label"))
        formats = doc.get("formats")
        if (
            not isinstance(formats, list)
            or not formats
            or any(f not in DOCUMENT_FORMATS for f in formats)
        ):
            c.bad((*path, "formats"), "formats must be a list of: " + ", ".join(DOCUMENT_FORMATS))
        size = c.positive_int(doc.get("max_kb"), (*path, "max_kb"))
        if size and size > 5120:
            c.bad((*path, "max_kb"), "an upload may be at most 5120 KB")
        if "mandatory" in doc and "mandatory_if" in doc:
            c.bad((*path, "mandatory_if"), "give either 'mandatory' or 'mandatory_if', not both")
        if "mandatory" in doc and not isinstance(doc["mandatory"], bool):
            c.bad((*path, "mandatory"), "must be true or false")
        if "mandatory_if" in doc:
            c.rule(doc["mandatory_if"], (*path, "mandatory_if"), names)
        if "dims" in doc and c.keys(doc["dims"], (*path, "dims"), DIM_KEYS):
            for key, value in doc["dims"].items():
                c.positive_int(value, (*path, "dims", key))


def _check_fees(
    c: _Checker, fees: Any, names: frozenset[str], field_ids: frozenset[str]
) -> dict | None:
    path = ("fees",)
    if not c.keys(fees, path, FEE_KEYS, ("government",)):
        return None
    out: dict[str, Any] = {"government": []}
    lines = fees.get("government")
    if not isinstance(lines, list) or not lines:
        c.bad((*path, "government"), "list at least one government fee rule")
        lines = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        lpath = (*path, "government", i)
        if not c.keys(line, lpath, {"rule", "label", "when", "amount", "amount_from"}, ("rule",)):
            continue
        rule = line.get("rule")
        if not isinstance(rule, str) or not rule:
            c.bad((*lpath, "rule"), "each fee line needs a rule name")
        elif rule in seen:
            c.bad((*lpath, "rule"), f"fee rule {rule!r} appears twice")
        seen.add(rule)
        if "label" in line:
            c.text(line["label"], (*lpath, "label"))
        if "when" in line:
            c.rule(line["when"], (*lpath, "when"), names)
        elif i != len(lines) - 1:
            c.bad((*lpath, "when"), "only the last fee rule may apply to everyone (no 'when')")
        if i == len(lines) - 1 and "when" in line:
            c.bad(
                (*lpath, "when"),
                "the last fee rule must have no 'when', so every applicant is charged by some rule",
            )
        amount, source = None, None
        if ("amount" in line) == ("amount_from" in line):
            c.bad(lpath, "give either 'amount' or 'amount_from' (a form field with the amount)")
        elif "amount" in line:
            amount = c.paise(line["amount"], (*lpath, "amount"))
        else:
            source = line["amount_from"]
            if source not in field_ids:
                c.bad((*lpath, "amount_from"), f"{source!r} is not a field of the form")
        out["government"].append(
            {
                "rule": rule,
                "label": plain(line.get("label")),
                "when": line.get("when"),
                "amount_paise": amount,
                "amount_from": source,
            }
        )
    for key, stored in AMOUNT_KEYS.items():
        out[stored] = c.paise(fees[key], (*path, key)) if key in fees else 0
    gst = fees.get("gst_on_convenience_bp", 0)
    if isinstance(gst, bool) or not isinstance(gst, int) or not 0 <= gst <= 10000:
        c.bad((*path, "gst_on_convenience_bp"), "GST is written in basis points: 1800 for 18%")
    out["gst_on_convenience_bp"] = gst
    return out
