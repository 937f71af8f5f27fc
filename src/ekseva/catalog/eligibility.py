"""Who may apply: the age band (with relaxations) and the version's other rules.

``check`` returns the reasons a person is not eligible, in English and Hindi; an
empty list means eligible. The application journey shows them before payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ekseva.forms.expressions import ExpressionError, age_on

from .rules import compiled, context, definition_of


@dataclass(frozen=True)
class Reason:
    code: str
    en: str
    hi: str


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, values: dict) -> str:
    return text.format_map(_Blank(values))


def age_limits(definition: dict, values: dict) -> tuple[int | None, int | None, list[str]]:
    """(minimum, maximum after relaxations, labels of relaxations applied)."""
    age = definition["eligibility"]["age"]
    applied = [r for r in age.get("relaxations") or [] if compiled(r["when"]).test(values)]
    years = [r["years"] for r in applied]
    extra = (sum(years) if age.get("combine") == "sum" else max(years)) if years else 0
    upper = age.get("max")
    if upper is not None:
        upper += extra
        if age.get("max_limit") is not None:
            upper = min(upper, age["max_limit"])
    return age.get("min"), upper, [r["label"]["en"] for r in applied]


def _check_age(definition: dict, values: dict) -> list[Reason]:
    age = definition["eligibility"]["age"]
    on_key = age.get("as_of", "cutoff_date")
    on = values[on_key] if on_key in ("cutoff_date", "today") else dt.date.fromisoformat(on_key)
    dob = values.get(age["date_of_birth"])
    if not dob:
        return [
            Reason(
                "age",
                "Your date of birth is needed to check your age.",
                "आयु जांचने के लिए जन्म तिथि आवश्यक है।",
            )
        ]
    try:
        years = age_on(dob, on)
    except ExpressionError:
        return [
            Reason("age", "Your date of birth is not a valid date.", "जन्म तिथि मान्य तिथि नहीं है।")
        ]
    low, high, _labels = age_limits(definition, values)
    if (low is not None and years < low) or (high is not None and years > high):
        fill = {"min": low, "max": high, "age": years, "on": on.strftime("%d/%m/%Y")}
        return [Reason("age", _fill(age["message"]["en"], fill), _fill(age["message"]["hi"], fill))]
    return []


def check(version: Any, answers: dict, today: dt.date | None = None) -> list[Reason]:
    """Reasons (en/hi) why ``answers`` do not meet the version's eligibility; [] if eligible."""
    definition = definition_of(version)
    rules = definition.get("eligibility")
    if not rules:
        return []
    values = context(definition, answers, today=today)
    reasons = _check_age(definition, values) if rules.get("age") else []
    for rule in rules.get("rules", []):
        if not compiled(rule["require"]).test(values):
            reasons.append(Reason(rule["id"], rule["message"]["en"], rule["message"]["hi"]))
    return reasons
