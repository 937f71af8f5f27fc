"""The rule language: what it accepts, what it refuses, what its functions compute."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekseva.core import clock
from ekseva.forms.expressions import (
    FUNCTIONS,
    ExpressionError,
    age_on,
    compile_expression,
    years_between,
)


def ev(source, **values):
    return compile_expression(source, set(values)).evaluate(values)


def test_operators_and_names():
    assert ev("a + b * 2 == 7 and not c", a=1, b=3, c=False) is True
    assert ev("x in ['SC', 'ST']", x="ST") is True
    assert ev("x not in ('SC', 'ST')", x="GEN") is True
    assert ev("'yes' if n > 2 else 'no'", n=3) == "yes"
    assert ev("a / 2 + a // 2 + a % 2 - -a", a=5) == 2.5 + 2 + 1 + 5
    assert ev("a <= b < c >= 1 != 0", a=1, b=2, c=3) is True
    assert ev("a or b", a=None, b="x") == "x"


def test_names_reported_are_those_read_not_functions():
    rule = compile_expression(
        "age_on(dob, today) >= 18 and len(name) > 0", {"dob", "today", "name", "x"}
    )
    assert rule.names == frozenset({"dob", "today", "name"})


def test_function_call_is_not_shadowed_by_a_context_name():
    # 'today' as a context value and today() as the function coexist.
    with clock.frozen(dt.date(2026, 6, 15)):
        assert ev("today() == date('2026-06-15') and today == 3", today=3) is True


def test_context_record_field_access():
    assert ev("profile.district == 'district:415'", profile={"district": "district:415"}) is True
    assert ev("profile.gender", profile=None) is None
    with pytest.raises(ExpressionError):
        ev("profile.real", profile=1.5)


@pytest.mark.parametrize(
    "source, message",
    [
        ("", "non-empty"),
        ("1 +", "syntax error"),
        ("unknown_field > 1", "unknown name: unknown_field"),
        ("open('x')", "unknown function: open"),
        ("__import__('os')", "unknown function: __import__"),
        ("x.__class__", "only name.field"),
        ("x.y.z", "only name.field"),
        ("x[0]", "Subscript"),
        ("[i for i in x]", "ListComp"),
        ("lambda: 1", "Lambda"),
        ("2 ** 1000", "Pow"),
        ("x.lower()", "unknown function"),
        ("age_on(x)", "takes 2 argument"),
        ("len(x, x)", "takes 1 argument"),
        ("round(x, ndigits=2)", "no keyword"),
        ("{'a': 1}", "Dict"),
        ("f'{x}'", "JoinedStr"),
        ("x if x", "syntax error"),
        ("a" * 2001, "at most"),
    ],
)
def test_refused(source, message):
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, {"x"})
    assert message in info.value.message


def test_runtime_failure_is_an_expression_error_and_test_is_false():
    rule = compile_expression("x > 5", {"x"})
    with pytest.raises(ExpressionError):
        rule.evaluate({})  # None > 5
    assert rule.test({}) is False
    assert rule.test({"x": 6}) is True
    with pytest.raises(ExpressionError):
        compile_expression("int(x)", {"x"}).evaluate({"x": "abc"})
    with pytest.raises(ExpressionError):
        compile_expression("date(x)", {"x"}).evaluate({"x": "31-12-2020"})


def test_multiline_yaml_source_is_one_expression():
    rule = compile_expression("a > 1\n  and b > 1", {"a", "b"})
    assert rule.evaluate({"a": 2, "b": 2}) is True
    assert rule.source == "a > 1 and b > 1"


def test_age_on_counts_completed_years():
    assert age_on(dt.date(2008, 1, 2), dt.date(2026, 1, 1)) == 17
    assert age_on(dt.date(2008, 1, 1), dt.date(2026, 1, 1)) == 18
    assert age_on("2008-02-29", "2026-02-28") == 17
    assert age_on("2008-02-29", "2026-03-01") == 18
    assert age_on(dt.datetime(2000, 5, 5, 23, 0), dt.date(2001, 5, 5)) == 1
    assert years_between("2026-01-01", "2020-01-01") == -6


@given(st.dates(), st.dates())
def test_years_between_matches_calendar_definition(a, b):
    years = years_between(a, b)
    lo, hi = (a, b) if a <= b else (b, a)
    n = abs(years)

    # n whole years after lo is not after hi; n+1 is.
    def shift(d, k):
        try:
            return d.replace(year=d.year + k)
        except ValueError:  # 29 Feb -> 1 Mar
            return dt.date(d.year + k, 3, 1)

    if lo.year + n + 1 <= dt.MAXYEAR:
        assert shift(lo, n + 1) > hi
    assert shift(lo, n) <= hi
    assert (years < 0) == (b < a and n > 0)


def test_helper_functions():
    assert ev("lower(x) == 'abc' and upper(x) == 'ABC'", x="aBc") is True
    assert ev("contains(x, 'b') and not contains(y, 'b')", x=["a", "b"], y=None) is True
    assert ev("sum(x) + len(x) + min(x) + max(1, 2)", x=[1, 2, None][:2]) == 3 + 2 + 1 + 2
    assert ev("any(x) and not all(x)", x=[True, False]) is True
    assert ev("round(x, 1) + int('7')", x=2.25) == pytest.approx(9.2)
    assert ev("len(x)", x=None) == 0
    assert set(FUNCTIONS) == {
        "age_on",
        "years_between",
        "today",
        "date",
        "len",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "lower",
        "upper",
        "contains",
        "round",
        "int",
    }


def test_huge_string_multiplication_is_refused():
    with pytest.raises(ExpressionError):
        ev("x * 100000000", x="ab")
