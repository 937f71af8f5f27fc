"""HTML for one step of a form: accessible, escaped, working without JavaScript.

Every input has a ``<label for>`` (or a ``<fieldset>``/``<legend>`` for radios,
checkboxes and repeating groups), help and error texts tied to it with
``aria-describedby``, the error next to the field with ``role="alert"``, the right
``inputmode``/``autocomplete``, and ``lang="hi"`` where Devanagari is expected.
Dependent administrative-unit pickers refill through htmx from the geo endpoint.
Field names follow :func:`ekseva.forms.validation.from_post` (group rows as
``education-0-year``), so a POST comes back in the shape ``validate`` expects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ekseva.forms.definition import Field, FormDefinition
from ekseva.forms.messages import word
from ekseva.forms.validation import answers_in_effect

_AUTOCOMPLETE_BY_PREFILL = {
    "profile.name_en": "name",
    "profile.date_of_birth": "bday",
    "profile.address_line": "street-address",
    "profile.pincode": "postal-code",
    "user.mobile": "tel-national",
    "user.email": "email",
    "user.full_name": "name",
}
_AUTOCOMPLETE_BY_TYPE = {
    "email": "email",
    "mobile": "tel-national",
    "pincode": "postal-code",
    "aadhaar": "off",
    "pan": "off",
    "ifsc": "off",
}
_INPUTMODE = {"mobile": "numeric", "pincode": "numeric", "aadhaar": "numeric"}
_MAXLENGTH = {"mobile": 16, "pincode": 6, "aadhaar": 14, "pan": 10, "ifsc": 11}
# htmx: put the chosen code into the children URL; nothing to fetch for "Select".
_SWAP_CODE = (
    "if (!this.value) { event.preventDefault(); return; } event.detail.path = "
    "event.detail.path.replace('__code__', encodeURIComponent(this.value))"
)
_ACCEPT = {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png"}


def render_step(
    defn: FormDefinition,
    step_id: str,
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    language: str = "en",
    *,
    context: Mapping[str, Any] | None = None,
) -> SafeString:
    """The fields of step ``step_id`` with ``values`` filled in and ``errors``
    (as returned by ``validate``) shown on their fields."""
    step = defn.step(step_id)
    env, visible = answers_in_effect(defn, values, context)
    renderer = _Renderer(defn, values, errors, language, env, visible)
    sections = []
    for section in step.sections:
        body = SafeString("".join(renderer.field(f) for f in section.fields))
        if section.title is None:
            sections.append(format_html('<div class="form-section">{}</div>', body))
        else:
            sections.append(
                format_html(
                    '<section class="form-section" aria-labelledby="section-{0}">'
                    '<h2 id="section-{0}">{1}</h2>{2}</section>',
                    section.id,
                    section.title.get(language),
                    body,
                )
            )
    form_errors = errors.get("__all__") or []
    summary = (
        format_html(
            '<div class="form-errors" role="alert">{}</div>',
            format_html_join("", "<p>{}</p>", ((m,) for m in form_errors)),
        )
        if form_errors
        else ""
    )
    return format_html(
        '<div class="form-step" data-step="{}">{}{}</div>',
        step.id,
        summary,
        SafeString("".join(sections)),
    )


def render_fields(
    defn: FormDefinition,
    field_ids: Iterable[str],
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    language: str = "en",
    *,
    context: Mapping[str, Any] | None = None,
) -> SafeString:
    """Just the fields ``field_ids`` (top-level ids, in the order given), framed as in
    :func:`render_step`: for pages that ask for some answers again (a correction)."""
    env, visible = answers_in_effect(defn, values, context)
    renderer = _Renderer(defn, values, errors, language, env, visible)
    return SafeString("".join(renderer.field(defn.field(fid)) for fid in field_ids))


def _attrs(attrs: Mapping[str, Any]) -> SafeString:
    """HTML attributes, escaped; True gives a bare attribute, None/False none."""
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        )
    return SafeString("".join(parts))


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):  # an Aadhaar token is never shown back
        return ""
    return str(value)


class _Renderer:
    def __init__(
        self,
        defn: FormDefinition,
        values: Mapping[str, Any],
        errors: Mapping[str, list[str]],
        language: str,
        env: Mapping[str, Any],
        visible: set[str],
    ) -> None:
        self.defn = defn
        self.values = values
        self.errors = errors
        self.language = language
        self.env = env
        self.visible = visible
        self.dependents = {f.depends_on: f for f in defn.all_fields() if f.depends_on is not None}

    # -- a field and its frame ---------------------------------------------------------

    def field(self, f: Field) -> SafeString:
        hidden = f.id not in self.visible
        return self._frame(
            f, f.id, f.id, self.values.get(f.id), self.errors.get(f.id, []), hidden, self.env
        )

    def _frame(
        self,
        f: Field,
        name: str,
        error_key: str,
        value: Any,
        messages: list[str],
        hidden: bool,
        env: Mapping[str, Any],
    ) -> SafeString:
        iid = f"id_{name}"
        described = []
        help_html: Any = ""
        if f.help is not None or f.file is not None:
            described.append(f"{iid}-help")
            help_html = format_html(
                '<p class="field__help" id="{}-help">{}</p>', iid, self._help(f)
            )
        error_html: Any = ""
        if messages:
            described.append(f"{iid}-error")
            error_html = format_html(
                '<p class="field__error" id="{}-error" role="alert">{}</p>',
                iid,
                format_html_join(" ", "{}", ((m,) for m in messages)),
            )
        a11y = {
            "aria-describedby": " ".join(described) or None,
            "aria-invalid": "true" if messages else None,
        }
        required = self._required_mark(f, env)
        outer = {
            "class": f"field field--{f.type}" + (" field--error" if messages else ""),
            "id": f"field-{name}",
            "hidden": hidden,
            "data-visible-if": f.visible_if.source if f.visible_if else None,
        }
        if f.type in ("choice", "multichoice", "yesno", "group") and not (
            f.type == "choice" and f.widget == "select"
        ):
            body = self._fieldset(f, name, iid, value, a11y, required, help_html, error_html, env)
            return format_html("<div{}>{}</div>", _attrs(outer), body)
        label = format_html(
            '<label for="{}">{}{}</label>', iid, f.label.get(self.language), required
        )
        control = self._control(f, name, iid, value, a11y, env)
        return format_html(
            "<div{}>{}{}{}{}</div>", _attrs(outer), label, help_html, error_html, control
        )

    def _required_mark(self, f: Field, env: Mapping[str, Any]) -> SafeString:
        if f.required or (f.required_if is not None and f.required_if.test(env)):
            return format_html(
                ' <abbr class="field__required" title="{}">*</abbr>',
                word("required", self.language),
            )
        return SafeString("")

    def _help(self, f: Field) -> str:
        parts = [f.help.get(self.language)] if f.help is not None else []
        if f.file is not None:
            kinds = ", ".join(k.upper() for k in f.file.allowed)
            parts.append(f"{kinds}" + (f", ≤ {f.file.max_kb} KB" if f.file.max_kb else ""))
        return " ".join(parts)

    # -- inputs ---------------------------------------------------------------------------

    def _control(
        self,
        f: Field,
        name: str,
        iid: str,
        value: Any,
        a11y: dict[str, Any],
        env: Mapping[str, Any],
    ) -> SafeString:
        base = {"id": iid, "name": name, **a11y}
        if f.required:
            base["aria-required"] = "true"
        text = _display(value)
        if f.type == "textarea":
            attrs = {**base, "rows": 4, "maxlength": f.max_length, "lang": self._lang(f)}
            return format_html("<textarea{}>{}</textarea>", _attrs(attrs), text)
        if f.type == "choice":
            options = [(o.value, o.label.get(self.language)) for o in f.options]
            return self._select(base, options, text)
        if f.type in ("district", "tehsil", "village"):
            return self._unit_select(f, base, text, env)
        if f.type == "computed":
            return format_html(
                '<output{} aria-live="polite">{}</output>',
                _attrs(
                    {
                        "id": iid,
                        "for": " ".join(
                            f"id_{n}" for n in sorted(f.compute.names - self.defn.context_names)
                        )
                        or None,
                    }
                )
                if f.compute
                else "",
                _display(env.get(f.id)),
            )
        if f.type == "file":
            accept = ",".join(_ACCEPT[k] for k in f.file.allowed) if f.file else None
            return format_html("<input{}>", _attrs({**base, "type": "file", "accept": accept}))
        attrs = {**base, "type": "text", "value": text}
        if f.type == "date":
            attrs["type"] = "date"
            attrs["min"] = f.min.resolve().isoformat() if f.min is not None else None
            attrs["max"] = f.max.resolve().isoformat() if f.max is not None else None
            attrs["autocomplete"] = _AUTOCOMPLETE_BY_PREFILL.get(f.prefill or "")
        elif f.type == "number":
            attrs["inputmode"] = "numeric" if f.decimals == 0 else "decimal"
        elif f.type == "email":
            attrs["type"] = "email"
        elif f.type == "mobile":
            attrs["type"] = "tel"
        elif f.type in ("text",):
            attrs["maxlength"] = f.max_length
            attrs["lang"] = self._lang(f)
        if f.type in ("pan", "ifsc"):
            attrs["autocapitalize"] = "characters"
            attrs["spellcheck"] = "false"
        attrs.setdefault("inputmode", _INPUTMODE.get(f.type))
        attrs["maxlength"] = attrs.get("maxlength") or _MAXLENGTH.get(f.type)
        if attrs.get("autocomplete") is None:
            attrs["autocomplete"] = _AUTOCOMPLETE_BY_PREFILL.get(
                f.prefill or ""
            ) or _AUTOCOMPLETE_BY_TYPE.get(f.type)
        return format_html("<input{}>", _attrs(attrs))

    def _lang(self, f: Field) -> str | None:
        return {"devanagari": "hi", "latin": "en"}.get(f.script)

    def _select(
        self, attrs: Mapping[str, Any], options: Iterable[tuple[str, str]], chosen: str
    ) -> SafeString:
        items = [format_html('<option value="">{}</option>', word("select", self.language))]
        for value, label in options:
            items.append(
                format_html(
                    "<option{}>{}</option>",
                    _attrs({"value": value, "selected": value == chosen}),
                    label,
                )
            )
        return format_html("<select{}>{}</select>", _attrs(attrs), SafeString("".join(items)))

    def _unit_select(
        self, f: Field, base: dict[str, Any], chosen: str, env: Mapping[str, Any]
    ) -> SafeString:
        from ekseva.geo import selectors

        if f.type == "district":
            units = list(selectors.districts())
        else:
            parent = selectors.unit_by_code(env.get(f.depends_on) or "") if f.depends_on else None
            units = [] if parent is None else list(selectors.children(parent, f.type))
        attrs = dict(base)
        dependent = self.dependents.get(f.id)
        if dependent is not None:
            with translation.override(self.language):
                url = reverse("geo:children", kwargs={"code": "__code__"})
            attrs.update(
                {
                    "hx-get": f"{url}?kind={dependent.type}",
                    "hx-trigger": "change",
                    "hx-target": f"#id_{dependent.id}",
                    "hx-swap": "innerHTML",
                    "hx-on::config-request": _SWAP_CODE,
                    "aria-controls": f"id_{dependent.id}",
                }
            )
        return self._select(attrs, [(u.code, u.name(self.language)) for u in units], chosen)

    # -- fieldsets: radios, checkboxes, yes/no, groups -----------------------------------

    def _fieldset(
        self,
        f: Field,
        name: str,
        iid: str,
        value: Any,
        a11y: dict[str, Any],
        required: SafeString,
        help_html: Any,
        error_html: Any,
        env: Mapping[str, Any],
    ) -> SafeString:
        legend = format_html("<legend>{}{}</legend>", f.label.get(self.language), required)
        if f.type == "group":
            body = self._group_rows(f, value, env)
        else:
            if f.type == "yesno":
                options = [("yes", word("yes", self.language)), ("no", word("no", self.language))]
                chosen = {_display(value)} if value is not None else set()
            else:
                options = [(o.value, o.label.get(self.language)) for o in f.options]
                chosen = {str(v) for v in value} if isinstance(value, list) else {_display(value)}
            kind = "checkbox" if f.type == "multichoice" else "radio"
            body = format_html_join(
                "",
                '<div class="field__option"><input{}><label for="{}">{}</label></div>',
                (
                    (
                        _attrs(
                            {
                                "type": kind,
                                "id": f"{iid}-{k}",
                                "name": name,
                                "value": opt_value,
                                "checked": opt_value in chosen,
                            }
                        ),
                        f"{iid}-{k}",
                        opt_label,
                    )
                    for k, (opt_value, opt_label) in enumerate(options)
                ),
            )
        attrs = {"id": iid, **a11y}
        return format_html(
            "<fieldset{}>{}{}{}{}</fieldset>", _attrs(attrs), legend, help_html, error_html, body
        )

    def _group_rows(self, f: Field, value: Any, env: Mapping[str, Any]) -> SafeString:
        rows = [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []
        count = max(len(rows), f.min_items or 1)
        if f.max_items is None or count < f.max_items:
            count += 1  # a spare empty row; from_post drops rows left empty
        html = []
        for i in range(count):
            row = rows[i] if i < len(rows) else {}
            row_env = {**env, **row}
            fields = []
            for sub in f.fields:
                name = f"{f.id}-{i}-{sub.id}"
                hidden = sub.visible_if is not None and not sub.visible_if.test(row_env)
                messages = self.errors.get(f"{f.id}.{i}.{sub.id}", [])
                fields.append(
                    self._frame(sub, name, name, row.get(sub.id), messages, hidden, row_env)
                )
            html.append(
                format_html(
                    '<fieldset class="group__row"><legend>{}</legend>{}</fieldset>',
                    word("row", self.language, n=i + 1),
                    SafeString("".join(fields)),
                )
            )
        return SafeString("".join(html))
