"""Validating answers against a form definition — the one verdict for HTML and API.

    result = validate(defn, data, language="hi", context={"cutoff_date": date(2026, 1, 1)})
    result.cleaned   # {field id: clean value}; hidden and empty fields left out
    result.errors    # {"mobile": ["..."], "education.0.year": ["..."], "__all__": [...]}

``data`` is what the JSON API sends (strings, numbers, booleans, lists, lists of
row objects); :func:`from_post` turns an HTML form's QueryDict into the same shape.
Clean values are Python values (``date`` for dates, ``int``/``float`` for numbers,
``bool`` for yes/no, ``{"token", "last4"}`` for Aadhaar); :func:`jsonable` makes
them JSON for storage.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import aadhaar as stdnum_aadhaar
from stdnum.in_ import pan as stdnum_pan

from ekseva.core import clock
from ekseva.core.files import UploadRefused, check_upload
from ekseva.core.phone import indian_mobile as normalise_mobile
from ekseva.forms.definition import Field, FormDefinition, Text
from ekseva.forms.expressions import ExpressionError
from ekseva.forms.messages import message

ALL_ERRORS = "__all__"
IFSC_RE = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
_LATIN_RE = re.compile(r"^[\x20-\x7e\s]*$")
_DEVANAGARI_RE = re.compile(
    r"^[\u0900-\u097f\ua8e0-\ua8ff\u200c\u200d\s0-9\x20-\x40\x5b-\x60\x7b-\x7e]*$"
)
_DMY_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
DEFAULT_MAX_KB = 5120  # a file field without max_kb
FILE_EXTENSIONS = {"pdf": (".pdf",), "jpeg": (".jpg", ".jpeg"), "png": (".png",)}

Error = tuple[str, dict[str, Any]] | Text


@dataclass
class Result:
    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Invalid(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        self.error: Error = (code, params)


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return all(is_empty(v) for v in value)
    if isinstance(value, dict):
        return len(value) == 0
    return False


# -- one value of one type ------------------------------------------------------------


def clean_value(f: Field, raw: Any, values: Mapping[str, Any]) -> Any:
    """The clean value of a non-empty ``raw`` answer to ``f``; raises _Invalid.
    ``values`` holds the other clean answers (for dependent pickers and PINs)."""
    cleaner = _CLEANERS[f.type]
    return cleaner(f, raw, values)


def _string(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Invalid("invalid")
    return unicodedata.normalize("NFC", str(raw)).strip()


def _clean_text(f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    text = _string(raw)
    if f.type == "text":
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    if f.script == "latin" and not _LATIN_RE.match(text):
        raise _Invalid("script_latin")
    if f.script == "devanagari" and not _DEVANAGARI_RE.match(text):
        raise _Invalid("script_devanagari")
    if f.min_length is not None and len(text) < f.min_length:
        raise _Invalid("too_short", n=f.min_length)
    if f.max_length is not None and len(text) > f.max_length:
        raise _Invalid("too_long", n=f.max_length)
    if f.pattern is not None and not f.pattern.fullmatch(text):
        raise _Invalid("pattern") if f.pattern_message is None else _InvalidText(f.pattern_message)
    return text


class _InvalidText(_Invalid):
    def __init__(self, text: Text) -> None:
        self.error = text


def _clean_number(f: Field, raw: Any, _values: Mapping[str, Any]) -> int | float:
    if isinstance(raw, bool):
        raise _Invalid("number_invalid")
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, TypeError, ValueError):
        raise _Invalid("number_invalid") from None
    if not number.is_finite():
        raise _Invalid("number_invalid")
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if f.decimals == 0 and exponent < 0:
        raise _Invalid("number_whole")
    if -exponent > f.decimals:
        raise _Invalid("number_decimals", n=f.decimals)
    if f.min is not None and number < Decimal(str(f.min)):
        raise _Invalid("min_value", n=f.min)
    if f.max is not None and number > Decimal(str(f.max)):
        raise _Invalid("max_value", n=f.max)
    return int(number) if f.decimals == 0 else float(number)


def parse_date(raw: Any) -> dt.date:
    """A date from a ``date``, ISO ``YYYY-MM-DD`` or Indian ``DD/MM/YYYY``."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _string(raw)
    match = _DMY_RE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if len(text) == 10:
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise _Invalid("date_invalid")


def _clean_date(f: Field, raw: Any, _values: Mapping[str, Any]) -> dt.date:
    try:
        day = parse_date(raw)
    except _Invalid:
        raise _Invalid("date_invalid") from None
    today = clock.today()
    if f.min is not None and day < (low := f.min.resolve(today)):
        raise _Invalid("date_min", d=low.strftime("%d/%m/%Y"))
    if f.max is not None and day > (high := f.max.resolve(today)):
        raise _Invalid("date_max", d=high.strftime("%d/%m/%Y"))
    return day


def _clean_choice(f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _Invalid("choice_invalid")
    value = str(raw).strip()
    if value not in f.option_values():
        raise _Invalid("choice_invalid")
    return value


def _clean_multichoice(f: Field, raw: Any, values: Mapping[str, Any]) -> list[str]:
    items = [raw] if isinstance(raw, str | int) and not isinstance(raw, bool) else raw
    if not isinstance(items, list | tuple):
        raise _Invalid("choice_invalid")
    chosen: list[str] = []
    for item in items:
        if is_empty(item):
            continue
        value = _clean_choice(f, item, values)
        if value not in chosen:
            chosen.append(value)
    if f.min_items is not None and len(chosen) < f.min_items:
        raise _Invalid("choice_min", n=f.min_items)
    if f.max_items is not None and len(chosen) > f.max_items:
        raise _Invalid("choice_max", n=f.max_items)
    return chosen


_YES = {"yes", "true", "1", "on", "y", "हाँ", "हां"}
_NO = {"no", "false", "0", "off", "n", "नहीं"}


def _clean_yesno(_f: Field, raw: Any, _values: Mapping[str, Any]) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, str | int) else ""
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _Invalid("yesno_invalid")


def _clean_email(_f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    text = _string(raw)
    try:
        validate_email(text)
    except ValidationError:
        raise _Invalid("email_invalid") from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_mobile(_f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    mobile = normalise_mobile(_string(raw))
    if mobile is None:
        raise _Invalid("mobile_invalid")
    return mobile


def _clean_pincode(f: Field, raw: Any, values: Mapping[str, Any]) -> str:
    from ekseva.geo import selectors

    pin = re.sub(r"\s", "", _string(raw))
    if not selectors.is_pincode(pin):
        raise _Invalid("pincode_invalid")
    if f.district_field and values.get(f.district_field):
        district = selectors.unit_by_code(values[f.district_field])
        if district is not None and not selectors.pin_in_district(pin, district):
            raise _Invalid("pincode_district")
    return pin


def _clean_aadhaar(_f: Field, raw: Any, _values: Mapping[str, Any]) -> dict[str, str]:
    from ekseva.accounts.services import aadhaar_token

    if isinstance(raw, dict):  # already a token (a re-validated saved draft)
        token, last4 = str(raw.get("token", "")), str(raw.get("last4", ""))
        if re.fullmatch(r"[0-9a-f]{64}", token) and re.fullmatch(r"[0-9]{4}", last4):
            return {"token": token, "last4": last4}
        raise _Invalid("aadhaar_invalid")
    try:
        number = stdnum_aadhaar.validate(_string(raw))
    except StdnumError:
        raise _Invalid("aadhaar_invalid") from None
    return {"token": aadhaar_token(number), "last4": number[-4:]}


def _clean_pan(_f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    try:
        return stdnum_pan.validate(_string(raw).upper())
    except StdnumError:
        raise _Invalid("pan_invalid") from None


def _clean_ifsc(_f: Field, raw: Any, _values: Mapping[str, Any]) -> str:
    code = re.sub(r"\s", "", _string(raw)).upper()
    if not IFSC_RE.match(code):
        raise _Invalid("ifsc_invalid")
    return code


_UNIT_KINDS = {"district": ("district",), "tehsil": ("tehsil",), "village": ("village", "town")}


def _clean_unit(f: Field, raw: Any, values: Mapping[str, Any]) -> str:
    from ekseva.geo import selectors

    code = _string(raw)
    unit = selectors.unit_by_code(code)
    if unit is None or not unit.active or unit.kind not in _UNIT_KINDS[f.type]:
        raise _Invalid("unit_invalid")
    if f.depends_on:
        parent_code = values.get(f.depends_on)
        ancestor, codes = unit.parent, set()
        while ancestor is not None:
            codes.add(ancestor.code)
            ancestor = ancestor.parent
        if not parent_code or parent_code not in codes:
            raise _Invalid("unit_parent")
    return unit.code


def _clean_file(f: Field, raw: Any, _values: Mapping[str, Any]) -> Any:
    """Checks the declared kinds and size against the name and size; an uploaded
    file (HTML path) is also checked by content: magic bytes, PDF safety, image
    dimensions (``ekseva.core.files.check_upload``). An API client's ``{name, size}``
    refers to a file stored (and content-checked) by the upload endpoint."""
    rule = f.file
    assert rule is not None
    if isinstance(raw, Mapping):
        name, size = raw.get("name"), raw.get("size")
    else:
        name, size = getattr(raw, "name", None), getattr(raw, "size", None)
    if (
        not isinstance(name, str)
        or not isinstance(size, int)
        or isinstance(size, bool)
        or size <= 0
    ):
        raise _Invalid("file_invalid")
    extensions = tuple(e for kind in rule.allowed for e in FILE_EXTENSIONS[kind])
    if not name.lower().endswith(extensions):
        raise _Invalid("file_type", types=", ".join(k.upper() for k in rule.allowed))
    max_kb = rule.max_kb or DEFAULT_MAX_KB
    if size > max_kb * 1024:
        raise _Invalid("file_size", n=max_kb)
    if hasattr(raw, "read"):
        dims = rule.dims or {}
        try:
            check_upload(
                raw,
                allowed=set(rule.allowed),
                max_bytes=max_kb * 1024,
                min_dims=_pair(dims, "min", 1),
                max_dims=_pair(dims, "max", 10**6),
            )
        except UploadRefused as exc:
            raise _InvalidText(Text(exc.message_en, exc.message_hi)) from None
    return raw


def _pair(dims: Mapping[str, int], side: str, missing: int) -> tuple[int, int] | None:
    width, height = dims.get(f"{side}_width"), dims.get(f"{side}_height")
    if width is None and height is None:
        return None
    return (width or missing, height or missing)


_CLEANERS = {
    "text": _clean_text,
    "textarea": _clean_text,
    "number": _clean_number,
    "date": _clean_date,
    "choice": _clean_choice,
    "multichoice": _clean_multichoice,
    "yesno": _clean_yesno,
    "email": _clean_email,
    "mobile": _clean_mobile,
    "pincode": _clean_pincode,
    "aadhaar": _clean_aadhaar,
    "pan": _clean_pan,
    "ifsc": _clean_ifsc,
    "district": _clean_unit,
    "tehsil": _clean_unit,
    "village": _clean_unit,
    "file": _clean_file,
}


# -- a whole form ---------------------------------------------------------------------


def validate(
    defn: FormDefinition,
    data: Mapping[str, Any],
    *,
    language: str = "en",
    context: Mapping[str, Any] | None = None,
    step: str | None = None,
) -> Result:
    """Clean and check ``data`` (one ``step`` or the whole form). Hidden fields are
    dropped and never required; computed fields are computed here, whatever the
    client sent; cross-field rules run once the fields they read are valid."""
    run = _Run(defn, data, context or {}, step)
    run.execute()
    return Result(
        cleaned=run.cleaned,
        errors={key: [_render(e, language) for e in errs] for key, errs in run.errors.items()},
    )


def _render(error: Error, language: str) -> str:
    if isinstance(error, Text):
        return error.get(language)
    code, params = error
    return message(code, language, **params)


class _Run:
    def __init__(
        self,
        defn: FormDefinition,
        data: Mapping[str, Any],
        context: Mapping[str, Any],
        step: str | None,
    ) -> None:
        self.defn = defn
        self.data = data
        self.context = dict(context)
        self.fields = defn.all_fields()
        if step is None:
            self.scope = {f.id for f in self.fields}
            self.steps_so_far = {s.id for s in defn.steps}
        else:
            index = [s.id for s in defn.steps].index(step)  # ValueError: unknown step
            self.scope = {f.id for f in defn.steps[index].fields()}
            self.steps_so_far = {s.id for s in defn.steps[: index + 1]}
        self.step = step
        self.cleaned: dict[str, Any] = {}
        self.errors: dict[str, list[Error]] = {}
        self.field_errors: dict[str, Error] = {}

    def execute(self) -> None:
        values = self._clean_simple_fields()
        env, visible = self._settle_visibility(values)
        for f in self.fields:
            if f.id not in self.scope or f.id not in visible:
                continue
            if f.type == "group":
                self._group(f, env)
                continue
            if f.id in self.field_errors:
                self._error(f.id, self.field_errors[f.id])
            elif env.get(f.id) is None and f.type != "computed" and self._required(f, env):
                self._error(f.id, ("required", {}))
            elif env.get(f.id) is not None:
                self.cleaned[f.id] = env[f.id]
        self._cross_field(env, visible)

    def _clean_simple_fields(self) -> dict[str, Any]:
        """Clean every top-level answer (also outside the step: rules may read it),
        district pickers first so that tehsils and PINs can be checked against them."""
        values: dict[str, Any] = {}
        order = sorted(
            self.fields, key=lambda f: 0 if f.type == "district" else 1 if f.type == "tehsil" else 2
        )
        for f in order:
            if f.type in ("group", "computed"):
                continue
            raw = self.data.get(f.id)
            if is_empty(raw):
                values[f.id] = None
                continue
            try:
                values[f.id] = clean_value(f, raw, values)
            except _Invalid as exc:
                values[f.id] = None
                self.field_errors[f.id] = exc.error
        for f in self.fields:  # groups as a value for rules: the raw rows, cleaned later
            if f.type == "group":
                rows = self.data.get(f.id)
                values[f.id] = rows if isinstance(rows, list) and rows else None
        return values

    def _settle_visibility(self, values: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Hide fields whose visible_if is false, treating hidden fields as empty,
        until nothing changes (a hidden field can hide another)."""
        visible = {f.id for f in self.fields}
        for _ in range(len(self.fields) + 1):
            env = {**self.context, **{k: (v if k in visible else None) for k, v in values.items()}}
            self._compute(env, visible)
            now_visible = {
                f.id for f in self.fields if f.visible_if is None or f.visible_if.test(env)
            }
            if now_visible == visible:
                return env, visible
            visible = now_visible
        return env, visible

    def _compute(self, env: dict[str, Any], visible: set[str]) -> None:
        pending = [f for f in self.fields if f.type == "computed"]
        for _ in range(len(pending)):  # definition guarantees no cycles
            for f in pending:
                assert f.compute is not None
                try:
                    env[f.id] = f.compute.evaluate(env) if f.id in visible else None
                except ExpressionError:
                    env[f.id] = None

    def _required(self, f: Field, env: Mapping[str, Any]) -> bool:
        at_least_one = f.type in ("multichoice", "group") and (f.min_items or 0) > 0
        return f.required or at_least_one or (f.required_if is not None and f.required_if.test(env))

    def _group(self, f: Field, env: dict[str, Any]) -> None:
        rows = self.data.get(f.id)
        if is_empty(rows):
            if self._required(f, env):
                self._error(f.id, ("required", {}))
            return
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
            self._error(f.id, ("group_invalid", {}))
            return
        if f.min_items is not None and len(rows) < f.min_items:
            self._error(f.id, ("group_min", {"n": f.min_items}))
        if f.max_items is not None and len(rows) > f.max_items:
            self._error(f.id, ("group_max", {"n": f.max_items}))
            return
        cleaned_rows = []
        for i, row in enumerate(rows):
            values: dict[str, Any] = {}
            row_errors: dict[str, Error] = {}
            for sub in f.fields:
                raw = row.get(sub.id)
                if is_empty(raw) or sub.type == "computed":
                    values[sub.id] = None
                    continue
                try:
                    values[sub.id] = clean_value(sub, raw, {**env, **values})
                except _Invalid as exc:
                    values[sub.id] = None
                    row_errors[sub.id] = exc.error
            row_env = {**env, **values}
            for sub in f.fields:
                if sub.type == "computed" and sub.compute is not None:
                    try:
                        row_env[sub.id] = values[sub.id] = sub.compute.evaluate(row_env)
                    except ExpressionError:
                        row_env[sub.id] = values[sub.id] = None
            clean_row = {}
            for sub in f.fields:
                if sub.visible_if is not None and not sub.visible_if.test(row_env):
                    continue
                key = f"{f.id}.{i}.{sub.id}"
                if sub.id in row_errors:
                    self._error(key, row_errors[sub.id])
                elif (
                    values[sub.id] is None
                    and sub.type != "computed"
                    and self._required(sub, row_env)
                ):
                    self._error(key, ("required", {}))
                elif values[sub.id] is not None:
                    clean_row[sub.id] = values[sub.id]
            cleaned_rows.append(clean_row)
        env[f.id] = cleaned_rows
        if not any(k == f.id or k.startswith(f"{f.id}.") for k in self.errors):
            self.cleaned[f.id] = cleaned_rows

    def _cross_field(self, env: dict[str, Any], visible: set[str]) -> None:
        for rule in self.defn.validations:
            targets = [fid for fid in rule.fields if fid in visible] if rule.fields else []
            read = rule.rule.names - self.defn.context_names
            involved = set(rule.fields) | read
            if self.step is not None:
                steps = {self.defn.step_of(fid) for fid in involved}
                if not steps <= self.steps_so_far or self.step not in steps:
                    continue
            if rule.fields and not targets:
                continue  # every field it concerns is hidden
            if any(fid in self.field_errors or fid in self.errors for fid in involved):
                continue
            try:
                passed = bool(rule.rule.evaluate(env))
            except ExpressionError:
                continue  # an optional answer it needs is empty: nothing to compare
            if not passed:
                for key in targets or [ALL_ERRORS]:
                    self._error(key, rule.message)

    def _error(self, key: str, error: Error) -> None:
        self.errors.setdefault(key, []).append(error)


def answers_in_effect(
    defn: FormDefinition, data: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], set[str]]:
    """The values rules see (valid answers, computed values, hidden ones as None)
    and the ids of the visible fields — what the HTML shows before validating."""
    run = _Run(defn, data, context or {}, None)
    return run._settle_visibility(run._clean_simple_fields())


# -- HTML POST to the API's shape ------------------------------------------------------


def from_post(
    defn: FormDefinition, post: Any, files: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The answers of an HTML form (a QueryDict: strings, lists for multichoice,
    group rows as ``education-0-year``) in the shape the JSON API sends, so the one
    :func:`validate` decides both. Rows left wholly empty are dropped."""
    files = files or {}
    data: dict[str, Any] = {}
    for f in defn.all_fields():
        if f.type == "computed":
            continue
        if f.type == "group":
            rows = _post_rows(f, post, files)
            if rows:
                data[f.id] = rows
        elif f.type == "file":
            if f.id in files:
                data[f.id] = files[f.id]
        elif f.type == "multichoice":
            chosen = [v for v in post.getlist(f.id) if v != ""]
            if chosen:
                data[f.id] = chosen
        elif f.id in post:
            data[f.id] = post.get(f.id)
    return data


def _post_rows(f: Field, post: Any, files: Mapping[str, Any]) -> list[dict[str, Any]]:
    pattern = re.compile(rf"^{re.escape(f.id)}-(\d{{1,3}})-([a-z][a-z0-9_]*)$")
    indexes = sorted(
        {int(m.group(1)) for key in [*post.keys(), *files.keys()] if (m := pattern.match(key))}
    )
    rows = []
    for i in indexes:
        row: dict[str, Any] = {}
        for sub in f.fields:
            key = f"{f.id}-{i}-{sub.id}"
            if sub.type == "computed":
                continue
            if sub.type == "multichoice":
                chosen = [v for v in post.getlist(key) if v != ""]
                if chosen:
                    row[sub.id] = chosen
            elif key in post and post.get(key) != "":
                row[sub.id] = post.get(key)
        if row:
            rows.append(row)
    return rows


def jsonable(value: Any) -> Any:
    """Clean values as JSON (dates ISO; uploaded files as name and size)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"name": getattr(value, "name", ""), "size": getattr(value, "size", 0)}
