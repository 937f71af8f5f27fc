"""JSON Schema (draft 2020-12) of a form, for API clients.

The schema says what the API accepts: types, options, patterns, limits, what is
always required, and — where a condition is a plain comparison of answers with
constants — ``if``/``then`` for conditional requirements. Every rule is also listed
in ``x-ekseva-rules`` in the engine's own language; the server's :func:`validate`
stays the judge (e.g. of Verhoeff check digits and PINs inside a district).
"""

from __future__ import annotations

import ast
from typing import Any

from ekseva.forms.definition import Field, FormDefinition
from ekseva.forms.expressions import Expression

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_PATTERNS = {
    "mobile": r"^(\+91[ -]?|91|0)?[6-9][0-9]{9}$",
    "pincode": r"^[1-9][0-9]{5}$",
    "aadhaar": r"^[2-9][0-9]{3} ?[0-9]{4} ?[0-9]{4}$",
    "pan": r"^[A-Za-z]{3}[ABCFGHJKLPTabcfghjklpt][A-Za-z][0-9]{4}[A-Za-z]$",
    "ifsc": r"^[A-Za-z]{4}0[A-Za-z0-9]{6}$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
_SCRIPT_PATTERNS = {
    "latin": r"^[\x20-\x7e\s]*$",
    "devanagari": r"^[^A-Za-z]*$",
}


def json_schema(defn: FormDefinition, language: str = "en") -> dict[str, Any]:
    """The JSON Schema of the answers to ``defn`` with titles in ``language``."""
    fields = defn.all_fields()
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "type": "object",
        "properties": {f.id: _property(f, language) for f in fields},
    }
    required = _required(fields)
    if required:
        schema["required"] = required
    conditions = [c for f in fields if (c := _conditional(f)) is not None]
    if conditions:
        schema["allOf"] = conditions
    schema["x-ekseva-steps"] = [
        {"id": s.id, "title": s.title.get(language), "fields": [f.id for f in s.fields()]}
        for s in defn.steps
    ]
    schema["x-ekseva-rules"] = _rules(defn, fields, language)
    return schema


def _required(fields: list[Field]) -> list[str]:
    return [
        f.id
        for f in fields
        if f.type != "computed"
        and f.visible_if is None
        and (f.required or (f.type == "group" and (f.min_items or 0) > 0))
    ]


def _property(f: Field, language: str) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": f.label.get(language)}
    if f.help is not None:
        prop["description"] = f.help.get(language)
    prop.update(_type_schema(f, language))
    return prop


def _type_schema(f: Field, language: str) -> dict[str, Any]:
    t = f.type
    if t in ("text", "textarea"):
        s: dict[str, Any] = {"type": "string"}
        if f.min_length is not None:
            s["minLength"] = f.min_length
        if f.max_length is not None:
            s["maxLength"] = f.max_length
        patterns = []
        if f.pattern is not None:
            patterns.append(f"^(?:{f.pattern.pattern})$")
        if f.script in _SCRIPT_PATTERNS:
            patterns.append(_SCRIPT_PATTERNS[f.script])
        if len(patterns) == 1:
            s["pattern"] = patterns[0]
        elif patterns:
            s["allOf"] = [{"pattern": p} for p in patterns]
        s["x-ekseva-script"] = f.script
        return s
    if t == "number":
        s = {"type": "integer" if f.decimals == 0 else "number"}
        if f.min is not None:
            s["minimum"] = f.min
        if f.max is not None:
            s["maximum"] = f.max
        if f.decimals:
            s["x-ekseva-decimals"] = f.decimals
        return s
    if t == "date":
        s = {"type": "string", "format": "date", "pattern": _PATTERNS["date"]}
        if f.min is not None:
            s["x-ekseva-minimum"] = f.min.source
        if f.max is not None:
            s["x-ekseva-maximum"] = f.max.source
        return s
    if t == "choice":
        return {
            "type": "string",
            "enum": list(f.option_values()),
            "oneOf": [{"const": o.value, "title": o.label.get(language)} for o in f.options],
        }
    if t == "multichoice":
        s = {
            "type": "array",
            "items": {
                "enum": list(f.option_values()),
                "oneOf": [{"const": o.value, "title": o.label.get(language)} for o in f.options],
            },
            "uniqueItems": True,
        }
        if f.min_items is not None:
            s["minItems"] = f.min_items
        if f.max_items is not None:
            s["maxItems"] = f.max_items
        return s
    if t == "yesno":
        return {"type": "boolean"}
    if t == "email":
        return {"type": "string", "format": "email", "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"}
    if t in _PATTERNS:
        return {"type": "string", "pattern": _PATTERNS[t], "x-ekseva-format": t}
    if t in ("district", "tehsil", "village"):
        unit: dict[str, Any] = {"kind": t}
        if f.depends_on:
            unit["depends_on"] = f.depends_on
            unit["choices_url"] = f"/{language}/geo/units/{{{f.depends_on}}}/children/?kind={t}"
        return {"type": "string", "x-ekseva-admin-unit": unit}
    if t == "file":
        assert f.file is not None
        return {
            "type": "object",
            "properties": {"name": {"type": "string"}, "size": {"type": "integer", "minimum": 1}},
            "required": ["name", "size"],
            "x-ekseva-file": {
                "allowed": list(f.file.allowed),
                "max_kb": f.file.max_kb,
                "dims": f.file.dims,
            },
        }
    if t == "group":
        s = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {sub.id: _property(sub, language) for sub in f.fields},
            },
        }
        sub_required = _required(list(f.fields))
        if sub_required:
            s["items"]["required"] = sub_required
        sub_conditions = [c for sub in f.fields if (c := _conditional(sub)) is not None]
        if sub_conditions:
            s["items"]["allOf"] = sub_conditions
        if f.min_items is not None:
            s["minItems"] = f.min_items
        if f.max_items is not None:
            s["maxItems"] = f.max_items
        return s
    if t == "computed":
        return {"readOnly": True}
    raise ValueError(f"no schema for field type {t}")  # parse_form admits no other type


def _conditional(f: Field) -> dict[str, Any] | None:
    """``if``/``then`` for a field required under a condition that JSON Schema can
    express (comparisons of answers with constants, joined by and/or/not)."""
    if f.type == "computed":
        return None
    conditions = []
    if f.visible_if is not None and f.required and f.required_if is None:
        conditions.append(f.visible_if)
    elif f.required_if is not None and f.visible_if is None and not f.required:
        conditions.append(f.required_if)
    elif f.required_if is not None and f.visible_if is not None:
        conditions.extend([f.visible_if, f.required_if])
    else:
        return None
    translated = [_condition(ast.parse(c.source, mode="eval").body) for c in conditions]
    if any(t is None for t in translated):
        return None
    condition = translated[0] if len(translated) == 1 else {"allOf": translated}
    return {"if": condition, "then": {"required": [f.id]}}


def _condition(node: ast.expr) -> dict[str, Any] | None:
    if isinstance(node, ast.BoolOp):
        parts = [_condition(v) for v in node.values]
        if any(p is None for p in parts):
            return None
        return {"allOf" if isinstance(node.op, ast.And) else "anyOf": parts}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _condition(node.operand)
        return None if inner is None else {"not": inner}
    if isinstance(node, ast.Name):  # a yes/no answer on its own
        return _on(node.id, {"const": True})
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            if isinstance(op, ast.Eq):
                return _on(left.id, {"const": right.value})
            if isinstance(op, ast.NotEq):
                return _on(left.id, {"not": {"const": right.value}})
        if isinstance(left, ast.Name) and isinstance(right, ast.List | ast.Tuple):
            values = [e.value for e in right.elts if isinstance(e, ast.Constant)]
            if len(values) == len(right.elts) and isinstance(op, ast.In | ast.NotIn):
                cond = {"enum": values}
                return _on(left.id, cond if isinstance(op, ast.In) else {"not": cond})
        if (
            isinstance(left, ast.Constant)
            and isinstance(right, ast.Name)
            and isinstance(op, ast.In)
        ):
            return _on(right.id, {"contains": {"const": left.value}})
    return None


def _on(name: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {name: condition}, "required": [name]}


def _rules(defn: FormDefinition, fields: list[Field], language: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []

    def add(field_id: str, kind: str, rule: Expression | None) -> None:
        if rule is not None:
            rules.append({"field": field_id, "kind": kind, "rule": rule.source})

    for f in fields:
        for sub in (f, *f.fields):
            field_id = sub.id if sub is f else f"{f.id}.*.{sub.id}"
            add(field_id, "visible_if", sub.visible_if)
            add(field_id, "required_if", sub.required_if)
            add(field_id, "compute", sub.compute)
    for v in defn.validations:
        rules.append(
            {
                "kind": "validation",
                "rule": v.rule.source,
                "fields": list(v.fields),
                "message": v.message.get(language),
            }
        )
    return rules
