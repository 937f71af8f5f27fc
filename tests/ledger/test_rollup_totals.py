"""rollup_totals: the rollups summed over shards, grouped by any dimension, filtered."""

import datetime as dt

import pytest

from ekseva.ledger import selectors, services

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


def fee(chart, key, amount, **dims):
    """A fee paid through the gateway: the department gets ``amount``."""
    return services.post(
        "payment.success",
        [(chart["gateway"], amount), (chart["dept"], -amount)],
        idempotency_key=key,
        dimensions=dims,
    )


@pytest.fixture
def book(chart, frozen_clock):
    """Two days of fees over services, channels and districts; one refund."""
    lsg = {"department": "LSG"}
    for n in range(12):  # 12 entries: more than the 8 shards, so shards must be summed
        fee(chart, f"a{n}", 100, **lsg, service="income", channel="online", district="BPL")
    fee(chart, "b1", 500, **lsg, service="income", channel="kiosk", district="BPL")
    fee(chart, "b2", 700, **lsg, service="caste", channel="online", district="IND")
    services.post(
        "refund.owed",
        [(chart["dept"], 300), (chart["revenue"], -300)],
        idempotency_key="r1",
        dimensions={**lsg, "service": "caste", "channel": "online", "district": "IND"},
    )
    frozen_clock.advance(days=1)
    fee(chart, "c1", 900, **lsg, service="income", channel="online", district="BPL")
    fee(chart, "c2", 50, service="other")  # no department dimension
    services.post(
        "settlement.department",
        [(chart["dept"], 1000), (chart["bank"], -1000)],
        idempotency_key="s1",
        dimensions={"department": "LSG", "flow": "settlement"},
    )
    return chart


def test_groups_by_chosen_dimensions_and_sums_shards(book):
    rows = selectors.rollup_totals(DAY, DAY, account=book["dept"], group_by=("service", "channel"))
    assert rows == [
        {"service": "caste", "channel": "online", "debits": 300, "credits": 700, "count": 2},
        {"service": "income", "channel": "kiosk", "debits": 0, "credits": 500, "count": 1},
        {"service": "income", "channel": "online", "debits": 0, "credits": 1200, "count": 12},
    ]


def test_by_day_and_missing_dimension(book):
    rows = selectors.rollup_totals(
        DAY,
        DAY + dt.timedelta(days=1),
        account=book["dept"].code,
        group_by=("department",),
        by_day=True,
    )
    assert rows == [
        {"day": DAY, "department": "LSG", "debits": 300, "credits": 2400, "count": 15},
        {
            "day": DAY + dt.timedelta(days=1),
            "department": "",
            "debits": 0,
            "credits": 50,
            "count": 1,
        },
        {
            "day": DAY + dt.timedelta(days=1),
            "department": "LSG",
            "debits": 1000,
            "credits": 900,
            "count": 2,
        },
    ]


def test_filters_equal_one_of_and_absent(book):
    both_days = (DAY, DAY + dt.timedelta(days=1))
    no_flow = selectors.rollup_totals(
        *both_days, account=book["dept"], group_by=(), filters={"flow": None}
    )
    assert no_flow == [{"debits": 300, "credits": 3350, "count": 17}]
    flows = selectors.rollup_totals(
        *both_days, account=book["dept"], group_by=("flow",), filters={"flow": "settlement"}
    )
    assert flows == [{"flow": "settlement", "debits": 1000, "credits": 0, "count": 1}]
    districts = selectors.rollup_totals(
        *both_days,
        account=book["dept"],
        group_by=("district",),
        filters={"district": ["IND", "XYZ"], "department": "LSG"},
    )
    assert districts == [{"district": "IND", "debits": 300, "credits": 700, "count": 2}]
    # "" in a collection lets rows without the key through too
    with_blank = selectors.rollup_totals(
        *both_days, account=book["dept"], group_by=("service",), filters={"service": ["", "other"]}
    )
    assert with_blank == [
        {"service": "", "debits": 1000, "credits": 0, "count": 1},
        {"service": "other", "debits": 0, "credits": 50, "count": 1},
    ]


def test_a_value_is_matched_whole_not_as_a_prefix(chart, frozen_clock):
    fee(chart, "x1", 100, department="LSG", service="income")
    fee(chart, "x2", 200, department="LSG", service="income-cert")
    rows = selectors.rollup_totals(
        DAY, DAY, account=chart["dept"], group_by=("service",), filters={"service": "income"}
    )
    assert rows == [{"service": "income", "debits": 0, "credits": 100, "count": 1}]


def test_account_kind_owner_and_account_keys(book):
    rows = selectors.rollup_totals(
        DAY, DAY, account_kind="department_payable", group_by=("owner", "account")
    )
    assert rows == [
        {"owner": "LSG", "account": "dept_payable:LSG", "debits": 300, "credits": 2400, "count": 15}
    ]
    every_account = selectors.rollup_totals(DAY, DAY, group_by=())
    assert every_account[0]["debits"] == every_account[0]["credits"] == 2700


def test_outside_the_days_nothing(book):
    before = DAY - dt.timedelta(days=1)
    assert selectors.rollup_totals(before, before, account=book["dept"]) == []


def test_agrees_with_daily_totals(book):
    end = DAY + dt.timedelta(days=1)
    per_day = selectors.daily_totals(book["dept"], DAY, end)
    grouped = selectors.rollup_totals(DAY, end, account=book["dept"], group_by=(), by_day=True)
    assert [(r["day"], r["debits"], r["credits"], r["count"]) for r in grouped] == [
        (t.day, t.debits, t.credits, t.count) for t in per_day
    ]


def test_parse_dimensions_round_trips_the_canonical_key():
    dims = {"service": "income-cert", "department": "LSG", "channel": "online"}
    assert selectors.parse_dimensions(services.dimensions_key(dims)) == dims
    assert selectors.parse_dimensions("") == {}
