"""A settlement's statement: CSV for the department's accounts office, PDF in
English and Hindi (text read back from the file)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from ekseva.catalog.models import Department
from ekseva.payments import settlements, statements

from .test_settlements import GOVT, MON, TUE, at, pay, refund

pytestmark = pytest.mark.django_db

BIG = [  # ₹1,23,456.00 to the department, ₹20.00 convenience
    {
        "code": "government",
        "label_en": "Fee",
        "label_hi": "शुल्क",
        "amount_paise": 12345600,
        "rule": "r",
    },
    {
        "code": "convenience",
        "label_en": "Conv",
        "label_hi": "सुविधा",
        "amount_paise": 2000,
        "rule": "p",
    },
]


@pytest.fixture
def batch(fake_gateway, effects, frozen_clock):
    """Monday: a big income-certificate fee, two small fees, one refunded; the
    batch is made on Tuesday at 02:00 and posted; Sunday's batch is posted on
    Monday, so a settlement entry sits on Monday's payable too (left out)."""
    Department.objects.create(
        code="LSG", name_en="Lok Sewa Guarantee", name_hi="लोक सेवा गारंटी", kind="government"
    )
    from ekseva.catalog.models import Service

    Service.objects.create(
        code="income-certificate",
        department=Department.objects.get(code="LSG"),
        name_en="Income certificate",
        name_hi="आय प्रमाण पत्र",
    )
    sunday = MON - dt.timedelta(days=1)
    at(sunday)
    pay(service="caste-certificate")
    at(MON, 1)
    settlements.post(
        settlements.make_batch("LSG", sunday, sunday, "daily", actor=None), "UTR-SUN", actor=None
    )
    at(MON, 11)
    pay(service="income-certificate", lines=BIG)
    pay(service="caste-certificate")
    refund(pay(service="caste-certificate"))
    at(TUE, 2)
    made = settlements.make_batch("LSG", MON, MON, "daily", actor=None)
    return settlements.post(made, "UTR-0042", actor=None)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_header_services_and_items(batch):
    rows = rows_of(statements.settlement_csv(batch))
    head = {row[0]: row[1:] for row in rows[: rows.index([])]}
    assert head["Settlement"] == [batch.reference]
    assert head["Department"] == ["LSG", "Lok Sewa Guarantee", "लोक सेवा गारंटी"]
    assert head["Period"] == ["2026-06-15", "2026-06-15"]
    assert head["Frequency"] == ["daily"] and head["Status"] == ["posted"]
    assert head["Bank reference"] == ["UTR-0042"]
    assert head["Posted at"] == ["2026-06-16 02:00"]
    collected = 12345600 + 2 * GOVT
    assert head["Collected (INR)"] == [statements.rupees_text(collected)] == ["123656.00"]
    assert head["Refunded (INR)"] == ["100.00"]
    assert head["Owed (INR)"] == ["123556.00"]
    assert head["Payments"] == ["3"] and head["Refunds"] == ["1"]
    assert head["Transfer to bank (INR)"] == ["123556.00"]

    first_blank = rows.index([])
    second_blank = rows.index([], first_blank + 1)
    services = rows[first_blank + 1 : second_blank]
    assert services == [
        ["service", "service name", "payments", "refunds", "collected", "refunded", "owed"],
        ["caste-certificate", "caste-certificate", "2", "1", "200.00", "100.00", "100.00"],
        ["income-certificate", "Income certificate", "1", "0", "123456.00", "0.00", "123456.00"],
    ]
    items = rows[second_blank + 1 :]
    assert items[0] == ["date", "time", "entry", "kind", "payment", "memo", "credit", "debit"]
    lines = items[1:]
    assert [line[3] for line in lines] == [
        "payment.success",
        "payment.success",
        "payment.success",
        "refund.owed",
    ]
    assert all(line[0] == "2026-06-15" and re.fullmatch(r"PY26\w+", line[4]) for line in lines)
    credits = sum(round(float(line[6]) * 100) for line in lines)
    debits = sum(round(float(line[7]) * 100) for line in lines)
    assert credits - debits == batch.owed  # Sunday's settlement entry is not an item


def test_csv_of_a_draft_owing_back_has_no_transfer(fake_gateway, effects, frozen_clock):
    monday = pay()
    at(TUE)
    refund(monday)
    at(TUE + dt.timedelta(days=1))
    tuesday = settlements.make_batch("LSG", TUE, TUE, "daily", actor=None)
    rows = rows_of(statements.settlement_csv(tuesday))
    head = {row[0]: row[1:] for row in rows[: rows.index([])]}
    assert head["Owed (INR)"] == ["-100.00"] and head["Status"] == ["draft"]
    assert "Transfer to bank (INR)" not in head and "Bank reference" not in head


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_in_english(batch):
    text = pdf_text(statements.settlement_pdf(batch, "en"))
    for words in (
        "Settlement statement",
        batch.reference,
        "Lok Sewa Guarantee (LSG)",
        "15-06-2026",
        "Posted",
        "UTR-0042",
        "₹1,23,656.00",  # collected, Indian grouping
        "₹1,23,556.00",  # owed and transfer
        "₹1,23,456.00",  # the income certificate's fee
        "Income certificate",
        "caste-certificate",
        "By service",
        "Payments and refunds",
        "Refund",
        "Page 1 of",
    ):
        assert words in text, words


def test_pdf_in_hindi(batch):
    text = pdf_text(statements.settlement_pdf(batch, "hi"))
    squeezed = re.sub(r"\s+", "", text)
    for words in (
        "निपटान विवरण",
        "लोक सेवा गारंटी",
        "विभाग",
        "अवधि",
        "दैनिक",
        "दर्ज",
        "संग्रह",
        "धनवापसी",
        "₹1,23,456.00",
        batch.reference,
    ):
        assert words in text, words
    for words in ("आय प्रमाण पत्र", "विभाग को देय", "बैंक को अंतरण", "सेवा के अनुसार"):
        assert re.sub(r"\s+", "", words) in squeezed, words
    assert "Settlement statement" not in text


def test_pdf_of_an_empty_period(fake_gateway, effects, frozen_clock):
    Department.objects.create(
        code="PEB", name_en="Examination Board", name_hi="परीक्षा मंडल", kind="exam_board"
    )
    at(MON + dt.timedelta(days=1))
    empty = settlements.make_batch("PEB", MON, MON, "daily", actor=None)
    assert empty.owed == 0 and statements.items(empty) == []
    text = pdf_text(statements.settlement_pdf(empty, "en"))
    assert "Nothing in this period." in text and "Examination Board (PEB)" in text


def test_statements_show_what_was_carried(fake_gateway, effects, frozen_clock):
    """Tuesday owes ₹100 back; Wednesday's batch is posted with it set against."""
    monday = pay()
    at(TUE)
    refund(monday)
    wed = TUE + dt.timedelta(days=1)
    at(wed)
    tuesday = settlements.make_batch("LSG", TUE, TUE, "daily", actor=None)
    owing = pdf_text(statements.settlement_pdf(tuesday, "en"))
    assert "The department owes ₹100.00 back for this period" in owing
    pay()
    pay()
    pay()
    at(wed + dt.timedelta(days=1))
    wednesday = settlements.make_batch("LSG", wed, wed, "daily", actor=None)
    draft_head = {
        row[0]: row[1:]
        for row in rows_of(statements.settlement_csv(wednesday))
        if row and row[0].startswith(("Owed back", "Transfer"))
    }
    assert draft_head == {
        "Owed back from an earlier settlement": [tuesday.reference, "-100.00"],
        "Transfer to bank (INR)": ["200.00"],
    }
    wednesday = settlements.post(wednesday, "UTR-W", actor=None)
    rows = rows_of(statements.settlement_csv(wednesday))
    assert ["Set against this settlement", tuesday.reference, "-100.00"] in rows
    assert ["Transfer to bank (INR)", "200.00"] in rows
    text = pdf_text(statements.settlement_pdf(wednesday, "en"))
    assert f"Owed back from {tuesday.reference}" in text and "₹200.00" in text
    tuesday.refresh_from_db()
    told = pdf_text(statements.settlement_pdf(tuesday, "en"))
    assert f"Set against settlement {wednesday.reference}" in told
    assert "owes ₹100.00 back" not in told  # it is settled now
