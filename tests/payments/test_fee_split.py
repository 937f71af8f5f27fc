"""From a pinned service version's fee quote to one journal entry, line by line."""

import pytest

from ekseva.catalog import fees, loader
from ekseva.catalog.models import Service
from ekseva.ledger.models import JournalEntry
from ekseva.payments import services
from ekseva.payments.models import PaymentError
from tests.catalog.conftest import write_definitions

from .conftest import make_payment, succeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(tmp_path):
    write_definitions(tmp_path)
    _changes, problems = loader.load_paths([tmp_path])
    assert problems == []
    return Service.objects.get(code="tst-exam").current_version


ANSWERS = {"gender": "M", "social_category": "GEN", "pwd": False, "graduate": True}


def postings(payment):
    entry = JournalEntry.objects.get(idempotency_key=services.success_key(payment))
    return {p.account.code: p.amount for p in entry.postings.select_related("account")}


def test_kiosk_payment_in_the_late_window_splits_every_line(fake_gateway, effects, version):
    quote = fees.compute(version, ANSWERS, channel="kiosk", late=True)
    assert [line.code for line in quote.lines] == [
        "government",
        "convenience",
        "gst",
        "kiosk",
        "late",
    ]
    payment = make_payment(
        lines=quote.lines, department_code="TST", kiosk_code="K0042", channel="kiosk"
    )
    assert payment.amount == quote.total == 50000 + 4000 + 720 + 2000 + 10000
    assert payment.lines[0]["rule"] == "general"  # the rule that chose the line is kept
    succeed(payment)
    assert postings(payment) == {
        "gateway:fake": 66720,
        "dept_payable:TST": -60000,  # government fee + late fee
        "operator_revenue": -4000,
        "gst_payable": -720,
        "kiosk_commission:K0042": -2000,
    }


def test_the_rule_for_the_applicant_is_charged(fake_gateway, effects, version):
    quote = fees.compute(version, {**ANSWERS, "social_category": "SC"}, channel="online")
    payment = make_payment(lines=quote.lines, department_code="TST")
    assert payment.lines[0]["rule"] == "sc-st" and payment.lines[0]["amount_paise"] == 25000
    succeed(payment)
    assert postings(payment)["dept_payable:TST"] == -25000


def test_a_kiosk_line_without_a_kiosk_is_refused_before_anyone_pays(fake_gateway, effects, version):
    quote = fees.compute(version, ANSWERS, channel="kiosk")
    with pytest.raises(PaymentError):
        make_payment(lines=quote.lines, department_code="TST", channel="kiosk")


def test_a_fee_waived_to_zero_still_charges_the_rest(fake_gateway, effects, version):
    quote = fees.compute(version, {**ANSWERS, "pwd": True}, channel="online")
    payment = make_payment(lines=quote.lines, department_code="TST")
    assert [line["code"] for line in payment.lines] == ["convenience", "gst"]
    succeed(payment)
    assert "dept_payable:TST" not in postings(payment)
