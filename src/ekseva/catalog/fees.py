"""The fee a person pays for a service, itemised, from the version's fee schedule.

Pure: the same version, answers, channel and lateness always give the same quote.
Issue 4 (applications and payments) calls ``compute`` and charges ``total``.

Lines, in order: the government fee (first matching rule wins, and the line names
it), the portal convenience fee, GST on the convenience fee, the kiosk service
charge (kiosk channel only), the late fee (in the late window) and the correction
fee (for a correction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ekseva.core.money import MoneyError, Paise, percent_of, rupees
from ekseva.forms.expressions import ExpressionError

from .rules import compiled, context, definition_of


class FeeError(ValueError):
    """A quote that cannot be made (an amount that is not whole paise, no rule matched)."""

    def __init__(self, en: str, hi: str) -> None:
        super().__init__(en)
        self.en, self.hi = en, hi


@dataclass(frozen=True)
class FeeLine:
    code: str
    label_en: str
    label_hi: str
    amount_paise: Paise
    rule: str


@dataclass(frozen=True)
class FeeQuote:
    lines: list[FeeLine]
    total: Paise

    def as_dict(self) -> dict[str, Any]:
        return {"lines": [line.__dict__ for line in self.lines], "total_paise": self.total}


def _computed_source(form: dict, field_id: str) -> str | None:
    """The ``compute`` rule of a top-level computed field of the raw form."""
    for step in form.get("steps", []):
        for fields in [step.get("fields") or []] + [
            s.get("fields") or [] for s in step.get("sections") or []
        ]:
            for f in fields:
                if f.get("id") == field_id and f.get("type") == "computed":
                    return f.get("compute")
    return None


def _answer(definition: dict, field_id: str, values: dict) -> Any:
    """An answer, or for a computed field (e.g. a total) its value from the answers."""
    raw = values.get(field_id)
    if raw is None:
        source = _computed_source(definition.get("form") or {}, field_id)
        if source:
            try:
                raw = compiled(source).evaluate(values)
            except ExpressionError:
                raw = None
    return raw


def _government_line(definition: dict, values: dict) -> FeeLine:
    schedule = definition["fees"]
    for line in schedule["government"]:
        when = line.get("when")
        if when and not compiled(when).test(values):
            continue
        amount = line.get("amount_paise")
        if line.get("amount_from"):
            raw = _answer(definition, line["amount_from"], values)
            if raw is None or raw == "":
                raise FeeError(
                    "The amount to pay has not been given.", "भुगतान की राशि नहीं दी गई है।"
                )
            try:
                amount = rupees(raw) if not isinstance(raw, float) else rupees(repr(raw))
            except MoneyError as exc:
                raise FeeError(
                    f"{raw!r} is not a whole number of paise.", f"{raw!r} पैसे की पूर्ण संख्या नहीं है।"
                ) from exc
            if amount <= 0:
                raise FeeError(
                    "The amount to pay must be more than zero.",
                    "भुगतान की राशि शून्य से अधिक होनी चाहिए।",
                )
        label = line.get("label") or {"en": "Government fee", "hi": "सरकारी शुल्क"}
        return FeeLine("government", label["en"], label["hi"], amount, line["rule"])
    # The checker insists the last rule applies to everyone; a stored definition
    # without one is corrupt, and charging nothing would be wrong.
    raise FeeError(
        "No fee rule applies to this application.", "इस आवेदन पर कोई शुल्क नियम लागू नहीं होता।"
    )


def compute(
    version: Any, answers: dict, *, channel: str, late: bool = False, correction: bool = False
) -> FeeQuote:
    """Itemised fee for ``answers`` made through ``channel`` ("online" or "kiosk")."""
    definition = definition_of(version)
    schedule = definition["fees"]
    values = context(definition, answers, channel=channel, late=late)
    lines = [_government_line(definition, values)]
    convenience = schedule.get("convenience_paise", 0)
    if convenience:
        lines.append(
            FeeLine(
                "convenience", "Portal convenience fee", "पोर्टल सुविधा शुल्क", convenience, "portal"
            )
        )
        gst_bp = schedule.get("gst_on_convenience_bp", 0)
        if gst_bp:
            pct = f"{gst_bp / 100:g}%"
            lines.append(
                FeeLine(
                    "gst",
                    f"GST {pct} on convenience fee",
                    f"सुविधा शुल्क पर {pct} जीएसटी",
                    percent_of(convenience, gst_bp),
                    f"gst {pct}",
                )
            )
    if channel == "kiosk" and schedule.get("kiosk_charge_paise", 0):
        lines.append(
            FeeLine(
                "kiosk",
                "Kiosk service charge",
                "कियोस्क सेवा शुल्क",
                schedule["kiosk_charge_paise"],
                "kiosk",
            )
        )
    if late and schedule.get("late_fee_paise", 0):
        lines.append(
            FeeLine("late", "Late fee", "विलंब शुल्क", schedule["late_fee_paise"], "late window")
        )
    if correction and schedule.get("correction_fee_paise", 0):
        lines.append(
            FeeLine(
                "correction",
                "Correction fee",
                "संशोधन शुल्क",
                schedule["correction_fee_paise"],
                "correction window",
            )
        )
    return FeeQuote(lines, sum(line.amount_paise for line in lines))


@dataclass(frozen=True)
class ScheduleRow:
    """One row of the published fee table (what each kind of applicant pays)."""

    code: str
    label_en: str
    label_hi: str
    amount_paise: Paise | None  # None: the amount comes from the form (e.g. a bill)
    condition: str  # "" when it applies to everyone it reaches
    rule: str


def schedule(version: Any) -> list[ScheduleRow]:
    """The whole fee schedule, for the service page: every government fee rule in
    order (first match wins), then the charges added on top."""
    fees = definition_of(version)["fees"]
    rows = []
    for line in fees["government"]:
        label = line.get("label") or {"en": "Government fee", "hi": "सरकारी शुल्क"}
        rows.append(
            ScheduleRow(
                "government",
                label["en"],
                label["hi"],
                line.get("amount_paise"),
                line.get("when") or "",
                line["rule"],
            )
        )
    extras = [
        ("convenience", "convenience_paise", "Portal convenience fee", "पोर्टल सुविधा शुल्क"),
        (
            "kiosk",
            "kiosk_charge_paise",
            "Kiosk service charge (at a kiosk)",
            "कियोस्क सेवा शुल्क (कियोस्क पर)",
        ),
        ("late", "late_fee_paise", "Late fee (in the late window)", "विलंब शुल्क (विलंब अवधि में)"),
        (
            "correction",
            "correction_fee_paise",
            "Correction fee (per correction)",
            "संशोधन शुल्क (प्रति संशोधन)",
        ),
    ]
    for code, key, en, hi in extras:
        if fees.get(key):
            rows.append(ScheduleRow(code, en, hi, fees[key], "", code))
            if code == "convenience" and fees.get("gst_on_convenience_bp"):
                bp = fees["gst_on_convenience_bp"]
                pct = f"{bp / 100:g}%"
                rows.append(
                    ScheduleRow(
                        "gst",
                        f"GST {pct} on the convenience fee",
                        f"सुविधा शुल्क पर {pct} जीएसटी",
                        percent_of(fees[key], bp),
                        "",
                        f"gst {pct}",
                    )
                )
    return rows
