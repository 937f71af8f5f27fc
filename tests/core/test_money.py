"""Money: integer paise, Indian grouping, refusals, percentages, the ``inr`` filter."""

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ekseva.core.money import MAX_PAISE, MoneyError, format_inr, group_indian, percent_of, rupees

amounts = st.integers(min_value=-(10**30), max_value=10**30)


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0.00"),
        (5, "₹0.05"),
        (100, "₹1.00"),
        (99_999, "₹999.99"),
        (100_000, "₹1,000.00"),
        (12_345_600, "₹1,23,456.00"),
        (1_234_567_89, "₹12,34,567.89"),
        (10_000_000_00, "₹1,00,00,000.00"),
        (-12_345_600, "-₹1,23,456.00"),
        (-5, "-₹0.05"),
        (10**20, "₹10,00,00,00,00,00,00,00,000.00"),
    ],
)
def test_format_inr_examples(paise, text):
    assert format_inr(paise) == text


@given(amounts)
def test_format_inr_groups_the_indian_way(paise):
    text = format_inr(paise, symbol=False)
    whole, fraction = text.lstrip("-").split(".")
    groups = whole.split(",")
    assert len(groups[-1]) == (3 if len(groups) > 1 else len(groups[-1]))
    assert all(len(group) == 2 for group in groups[1:-1])
    assert 1 <= len(groups[0]) <= (2 if len(groups) > 1 else 3)
    assert int(whole.replace(",", "")) == abs(paise) // 100
    assert int(fraction) == abs(paise) % 100 and len(fraction) == 2
    assert text.startswith("-") == (paise < 0)


@given(st.integers(min_value=-MAX_PAISE, max_value=MAX_PAISE))
def test_round_trip_through_text(paise):
    assert rupees(format_inr(paise, symbol=False)) == paise
    assert rupees(format_inr(paise)) == paise


def test_rupees_takes_the_largest_storable_amount():
    assert rupees(format_inr(MAX_PAISE)) == MAX_PAISE
    with pytest.raises(MoneyError, match="stored"):
        rupees(format_inr(MAX_PAISE + 1))


def test_group_indian():
    assert [group_indian(n) for n in (7, 999, 1000, 99999, 100000, 1234567)] == [
        "7",
        "999",
        "1,000",
        "99,999",
        "1,00,000",
        "12,34,567",
    ]


@pytest.mark.parametrize("bad", [1.5, 100.0, True, False, Decimal("1"), "100", None])
def test_format_inr_refuses_what_is_not_integer_paise(bad):
    with pytest.raises(MoneyError):
        format_inr(bad)


@pytest.mark.parametrize(
    ("amount", "paise"),
    [
        ("1,234.50", 123_450),
        ("₹ 1,23,456.00", 12_345_600),
        ("0.01", 1),
        ("-10", -1000),
        (500, 50_000),
        (Decimal("12.3"), 1230),
    ],
)
def test_rupees_parses(amount, paise):
    assert rupees(amount) == paise


@pytest.mark.parametrize(
    "bad",
    [1.5, True, "1.005", "0.001", "abc", "", "NaN", "Infinity", "-Inf", "sNaN", "1e999999"],
)
def test_rupees_refuses(bad):
    with pytest.raises(MoneyError):
        rupees(bad)


@pytest.mark.parametrize(
    ("paise", "bp", "share"),
    [
        (10_000, 1800, 1800),  # 18 % GST of ₹100
        (50, 100, 1),  # 0.5 paisa rounds up
        (49, 100, 0),  # 0.49 paisa rounds down
        (-50, 100, -1),  # a refund mirrors its payment
        (-49, 100, 0),
        (12_345, 250, 309),  # 308.625
        (0, 1800, 0),
    ],
)
def test_percent_of_rounds_half_away_from_zero(paise, bp, share):
    assert percent_of(paise, bp) == share


@given(amounts, st.integers(min_value=-20_000, max_value=20_000))
def test_percent_of_matches_decimal_half_up(paise, bp):
    with localcontext() as ctx:
        ctx.prec = 100
        exact = Decimal(paise) * bp / 10_000
        expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert percent_of(paise, bp) == expected
    assert percent_of(-paise, bp) == -expected


@pytest.mark.parametrize(("paise", "bp"), [(100.0, 1800), (100, 18.0), (True, 1800), (100, True)])
def test_percent_of_refuses_floats_and_bools(paise, bp):
    with pytest.raises(MoneyError):
        percent_of(paise, bp)


def _render(value) -> str:
    return Template("{% load money %}[{{ value|inr }}]").render(Context({"value": value}))


def test_inr_filter_formats_paise():
    assert _render(12_345_600) == "[₹1,23,456.00]"
    assert _render(-5) == "[-₹0.05]"
    assert _render(0) == "[₹0.00]"
    with translation.override("hi"):
        assert _render(12_345_600) == "[₹1,23,456.00]"


def test_inr_filter_shows_nothing_for_no_amount():
    assert _render(None) == "[]"


@pytest.mark.parametrize("bad", [123.45, "12345"])
def test_inr_filter_refuses_what_is_not_paise(bad):
    with pytest.raises(MoneyError):
        _render(bad)
