"""A service's definition turned into what its public page shows, in one language.

Templates stay free of rules: everything here is a plain string or number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from ekseva.core import clock
from ekseva.core.money import format_inr

from . import fees
from .models import Category, Deliverable, Service


def _t(text: dict | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en", "")


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def availability(definition: dict, today: dt.date) -> dict[str, Any]:
    window = definition.get("availability") or {}
    opens, closes = _date(window.get("opens")), _date(window.get("closes"))
    late_until = _date(window.get("late_until"))
    last_day = late_until or closes
    if opens and today < opens:
        state = "upcoming"
    elif last_day and today > last_day:
        state = "closed"
    elif closes and late_until and today > closes:
        state = "late"
    else:
        state = "open"
    correction = window.get("correction") or {}
    return {
        "opens": opens,
        "closes": closes,
        "late_until": late_until,
        "state": state,
        "correction_opens": _date(correction.get("opens")),
        "correction_closes": _date(correction.get("closes")),
    }


def _eligibility(definition: dict, lang: str) -> list[dict[str, Any]]:
    rules = definition.get("eligibility") or {}
    lines: list[dict[str, Any]] = []
    age = rules.get("age")
    if age:
        as_of = age.get("as_of", "cutoff_date")
        on = (
            definition.get("cutoff_date")
            if as_of == "cutoff_date"
            else clock.today().isoformat()
            if as_of == "today"
            else as_of
        )
        on_text = dt.date.fromisoformat(on).strftime("%d/%m/%Y")
        low, high = age.get("min"), age.get("max")
        if low is not None and high is not None:
            text = _("Age %(min)s to %(max)s years on %(on)s") % {
                "min": low,
                "max": high,
                "on": on_text,
            }
        elif low is not None:
            text = _("At least %(min)s years old on %(on)s") % {"min": low, "on": on_text}
        else:
            text = _("At most %(max)s years old on %(on)s") % {"max": high, "on": on_text}
        relaxations = [
            _("%(who)s: %(years)s more years") % {"who": _t(r["label"], lang), "years": r["years"]}
            for r in age.get("relaxations") or []
        ]
        if relaxations and age.get("max_limit"):
            relaxations.append(
                _("Upper age limit at most %(limit)s years with relaxations")
                % {"limit": age["max_limit"]}
            )
        lines.append({"text": text, "details": relaxations})
    lines.extend(
        {"text": _t(rule["message"], lang), "details": []} for rule in rules.get("rules", [])
    )
    return lines


def _documents(definition: dict, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "label": _t(doc["label"], lang),
            "formats": ", ".join(f.upper() for f in doc["formats"]),
            "max_kb": doc["max_kb"],
            "mandatory": doc.get("mandatory", "mandatory_if" not in doc),
            "conditional": "mandatory_if" in doc,
        }
        for doc in definition.get("documents") or []
    ]


def _fees(definition: dict, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "label": row.label_hi if lang == "hi" else row.label_en,
            "amount": format_inr(row.amount_paise)
            if row.amount_paise is not None
            else _("as per your bill"),
            "code": row.code,
            "rule": row.rule,
        }
        for row in fees.schedule(definition)
    ]


def service_page(service: Service, lang: str) -> dict[str, Any]:
    version = service.current_version
    assert version is not None
    definition = version.definition
    limit = definition.get("time_limit") or {}
    kind = limit.get("kind", "calendar")
    days = limit.get("days")
    return {
        "name": service.name(lang),
        "summary": _t(definition.get("summary"), lang),
        "department": service.department.name(lang),
        "category": Category(version.category).label,
        "online": "online" in version.channels,
        "kiosk": "kiosk" in version.channels,
        "availability": availability(definition, clock.today()),
        "eligibility": _eligibility(definition, lang),
        "documents": _documents(definition, lang),
        "fees": _fees(definition, lang),
        "several_fee_rules": len(definition["fees"]["government"]) > 1,
        "time_limit": (
            _("%(days)s working days") if kind == "working" else _("%(days)s calendar days")
        )
        % {"days": days},
        "stages": [_t(stage["name"], lang) for stage in definition.get("workflow", [])],
        "deliverable": Deliverable(version.deliverable).label,
        "how_to_apply": _t(definition.get("how_to_apply"), lang),
        "illustrative": bool(definition.get("illustrative")),
        "note": _t(definition.get("note"), lang),
        "version": version.number,
    }
