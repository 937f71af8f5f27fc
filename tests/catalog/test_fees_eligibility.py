"""Fees (first matching rule, named; paise exact) and eligibility (age with relaxations)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekseva.catalog import eligibility, fees, spec, yamlio

from .conftest import SERVICE


@pytest.fixture(scope="module")
def definition():
    data, issues = spec.check_service(yamlio.load(SERVICE))
    assert issues == []
    return data


BASE = {
    "gender": "M",
    "social_category": "GEN",
    "pwd": False,
    "graduate": True,
    "date_of_birth": "1996-05-01",
}


@pytest.mark.parametrize(
    ("answers", "rule", "amount"),
    [
        ({}, "general", 50000),
        ({"social_category": "SC"}, "sc-st", 25000),
        ({"social_category": "ST", "gender": "F"}, "sc-st", 25000),  # first match wins
        ({"gender": "F"}, "women", 30000),
        ({"pwd": True}, "pwd", 0),
    ],
)
def test_government_fee_by_category_gender_pwd_names_the_rule(definition, answers, rule, amount):
    quote = fees.compute(definition, {**BASE, **answers}, channel="online")
    government = quote.lines[0]
    assert (government.code, government.rule, government.amount_paise) == (
        "government",
        rule,
        amount,
    )


def test_online_quote_is_itemised_with_gst_on_the_convenience_fee(definition):
    quote = fees.compute(definition, BASE, channel="online")
    assert [(line.code, line.amount_paise) for line in quote.lines] == [
        ("government", 50000),
        ("convenience", 4000),
        ("gst", 720),
    ]
    assert quote.total == 54720


def test_kiosk_late_and_correction_charges_are_added(definition):
    quote = fees.compute(definition, BASE, channel="kiosk", late=True, correction=True)
    assert [line.code for line in quote.lines] == [
        "government",
        "convenience",
        "gst",
        "kiosk",
        "late",
        "correction",
    ]
    assert quote.total == 50000 + 4000 + 720 + 2000 + 10000 + 5000
    assert quote.lines[-2].label_hi == "विलंब शुल्क"


def _bill_definition(definition):
    bill = {
        **definition,
        "fees": {
            **definition["fees"],
            "government": [
                {
                    "rule": "bill",
                    "label": None,
                    "when": None,
                    "amount_paise": None,
                    "amount_from": "graduate",
                }
            ],
        },
    }
    return bill


def test_amount_from_an_answer_refuses_fractions_of_a_paisa(definition):
    bill = _bill_definition(definition)
    assert (
        fees.compute(bill, {**BASE, "graduate": "1234.50"}, channel="online").lines[0].amount_paise
        == 123450
    )
    for bad in ("12.345", 12.345, "", None, "0"):
        with pytest.raises(fees.FeeError):
            fees.compute(bill, {**BASE, "graduate": bad}, channel="online")


def test_amount_from_a_computed_total_is_computed_from_the_answers():
    from ekseva.catalog.demo import definitions_dir

    data = yamlio.load((definitions_dir() / "BU" / "bu-revaluation.yaml").read_text("utf-8"))
    definition, issues = spec.check_service(data)
    assert issues == []
    quote = fees.compute(
        definition, {"subjects": [{"paper_code": "P1"}, {"paper_code": "P2"}]}, channel="online"
    )
    assert (quote.lines[0].amount_paise, quote.lines[0].rule) == (100000, "per-paper")


@settings(deadline=None)
@given(st.decimals(min_value=1, max_value=10**6, places=2))
def test_any_whole_paise_bill_is_charged_exactly(amount):
    data, _ = spec.check_service(yamlio.load(SERVICE))
    bill = _bill_definition(data)
    quote = fees.compute(bill, {"graduate": str(amount)}, channel="online")
    assert quote.lines[0].amount_paise == int(amount * 100)


def test_schedule_lists_every_rule_and_charge(definition):
    rows = fees.schedule(definition)
    assert [r.rule for r in rows] == [
        "sc-st",
        "women",
        "pwd",
        "general",
        "convenience",
        "gst 18%",
        "kiosk",
        "late",
        "correction",
    ]


TODAY = dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("answers", "eligible"),
    [
        ({"date_of_birth": "1986-01-02"}, True),  # 39 on 2026-01-01
        ({"date_of_birth": "1985-01-01"}, False),  # 41
        ({"date_of_birth": "1985-01-01", "social_category": "SC"}, True),  # 41 <= 45
        ({"date_of_birth": "1982-01-01", "gender": "F"}, False),  # 44 > 40 + 3
        ({"date_of_birth": "1983-01-01", "gender": "F"}, True),  # 43 on the day: still eligible
        # Relaxations do not add up (largest wins) and never pass the cap of 45.
        ({"date_of_birth": "1980-01-01", "gender": "F", "social_category": "ST"}, False),
        ({"date_of_birth": "2008-01-02"}, False),  # 17
    ],
)
def test_age_on_the_cutoff_date_with_relaxations(definition, answers, eligible):
    reasons = eligibility.check(definition, {**BASE, **answers}, TODAY)
    assert (reasons == []) is eligible, reasons
    if not eligible:
        assert reasons[0].code == "age" and "आयु" in reasons[0].hi


def test_the_age_message_names_the_limit_that_applies(definition):
    (reason,) = eligibility.check(
        definition, {**BASE, "date_of_birth": "1980-01-01", "social_category": "SC"}, TODAY
    )
    assert reason.en == "Age must be 18 to 45 (you are 46)"


def test_other_rules_give_their_message_in_both_languages(definition):
    reasons = eligibility.check(definition, {**BASE, "graduate": False}, TODAY)
    assert [(r.code, r.en, r.hi) for r in reasons] == [("graduate", "Graduates only", "केवल स्नातक")]


def test_missing_date_of_birth_is_a_reason(definition):
    reasons = eligibility.check(definition, {**BASE, "date_of_birth": None}, TODAY)
    assert reasons[0].code == "age"
