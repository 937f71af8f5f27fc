from ekseva.core import audit, ids
from ekseva.core.money import format_inr


def test_money_formats_with_indian_grouping():
    assert format_inr(12345600) == "₹1,23,456.00"


def test_identifier_round_trip(db):
    number = ids.issue("MP26PEB")
    assert ids.is_valid(number)


def test_audit_chain_verifies(db):
    audit.record("test.thing", object_type="x", object_id="1", after={"a": 1})
    audit.seal_pending()
    checked, problem = audit.verify()
    assert problem is None and checked >= 1
