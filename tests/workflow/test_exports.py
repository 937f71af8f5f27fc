"""Exports of applications (workflow.exports): CSV streamed and XLSX, masked by
default (no name but initials, no mobile but its last four digits, no email, date of
birth or answers), unmasked only with workflow.data and always audited; the rows in
the exporter's scope and filters; a query count that does not grow with the rows."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from ekseva.accounts.models import Role
from ekseva.core.audit import AuditEvent
from ekseva.workflow import exports, reports
from ekseva.workflow.models import Case, NotAllowed
from tests.workflow.figures_seed import D, applicant, make_case, seed_mix
from tests.workflow.test_reports import signed_in, staff

NAME, MOBILE, EMAIL, DOB = "Kamla Devi Prajapati", "9826012345", "kamla@example.in", D(1984, 3, 9)


def url(name: str, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"workflow:{name}")


@pytest.fixture
def mix(service, places, designated_officer, indore_officer):
    return seed_mix(service, places, designated_officer, indore_officer)


@pytest.fixture
def kamla(service, places, designated_officer) -> Case:
    person = applicant(NAME, MOBILE, EMAIL, DOB)
    return make_case(
        service,
        district=places.bhopal,
        person=person,
        designated=designated_officer,
        answers={"date_of_birth": "1984-03-09", "father_name": "Ramdeen Prajapati"},
    )


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


def post(client, lang: str = "en", **data):
    data.setdefault("format", "csv")
    return client.post(url("data_export", lang), data)


# --------------------------------------------------------------------------- masking


def test_masking_helpers():
    assert exports.initials("Kamla Devi Prajapati") == "K. D. P."
    assert exports.initials("कमला देवी") == "क. द."
    assert exports.initials("  ") == ""
    assert exports.mask_mobile("9826012345") == "******2345"
    assert exports.mask_mobile("") == ""
    assert exports.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports.safe_cell("-1+2") == "'-1+2" and exports.safe_cell("Asha") == "Asha"
    assert exports.safe_cell(5) == 5


def test_a_masked_csv_has_no_name_mobile_email_birth_date_or_answers(client, kamla):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    response = post(client, masked="on")
    assert response.status_code == 200 and response.streaming
    assert "masked" in response["Content-Disposition"]
    text = body(response).decode("utf-8-sig")
    for secret in ("Kamla", "Prajapati", MOBILE, EMAIL, "1984", "Ramdeen", "father_name"):
        assert secret not in text, secret
    rows = list(csv.reader(io.StringIO(text)))
    heading, row = rows
    assert "Email" not in heading and "Date of birth" not in heading and "Answers" not in heading
    record = dict(zip(heading, row, strict=True))
    assert record["Applicant"] == "K. D. P." and record["Mobile"] == "******2345"
    assert record["Application number"] == kamla.application.number
    assert record["Designated officer"] == "R. K. Verma"
    event = AuditEvent.objects.get(action="workflow.applications.exported")
    assert event.after["masked"] is True and event.after["rows"] == 1


def test_a_masked_xlsx_has_none_either(client, kamla):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    response = post(client, masked="on", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(response)
    assert len(rows) == 2
    flat = " ".join(str(cell) for row in rows for cell in row if cell is not None)
    for secret in ("Kamla", "Prajapati", MOBILE, EMAIL, "1984", "Ramdeen"):
        assert secret not in flat, secret
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Applicant"] == "K. D. P." and record["Mobile"] == "******2345"


def test_unmasked_gives_the_personal_data_and_is_audited(client, kamla, places):
    user = staff(Role.DESIGNATED_OFFICER, "TST", places.bhopal)
    signed_in(client, user)
    response = post(client, format="xlsx", department="TST")  # the box left unticked
    assert response.status_code == 200 and "personal" in response["Content-Disposition"]
    heading, row = xlsx_rows(response)
    record = dict(zip(heading, row, strict=True))
    assert record["Applicant"] == NAME and record["Mobile"] == MOBILE
    assert record["Email"] == EMAIL and record["Date of birth"].date() == DOB
    assert "Ramdeen Prajapati" in record["Answers"]
    event = AuditEvent.objects.get(action="workflow.applications.exported")
    assert event.actor_id == user.pk
    assert event.after["masked"] is False and event.after["rows"] == 1
    assert event.after["format"] == "xlsx" and event.after["filters"]["department"] == "TST"


def test_an_auditor_cannot_unmask(client, kamla):
    auditor = staff(Role.AUDITOR, "TST")
    signed_in(client, auditor)
    # the box is disabled for an auditor: an unticked box still exports masked
    response = post(client)
    assert response.status_code == 200
    assert NAME not in body(response).decode("utf-8-sig")
    assert AuditEvent.objects.get(action="workflow.applications.exported").after["masked"] is True
    # and the service refuses outright
    job = exports.Export(user=auditor, filters=reports.Filters(), masked=False)
    with pytest.raises(NotAllowed):
        exports.start(job)


def test_who_may_not_export_at_all(client, kamla, citizen, places):
    assert client.post(url("data_export"), {"format": "csv"}).status_code == 302
    client.force_login(citizen)
    response = client.post(url("data_export"), {"format": "csv"})
    assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]
    client.logout()
    signed_in(client, staff(Role.KIOSK_OPERATOR))
    assert post(client, masked="on").status_code == 403
    with pytest.raises(NotAllowed):
        exports.start(exports.Export(user=citizen, filters=reports.Filters()))
    assert not AuditEvent.objects.filter(action="workflow.applications.exported").exists()


def test_an_export_is_a_post(client, kamla):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    assert client.get(url("data_export"), {"format": "csv"}).status_code == 405


def test_a_bad_format_or_filter_is_explained(client, kamla):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    response = post(client, format="pdf", masked="on")
    assert response.status_code == 400 and "error-summary" in response.content.decode()
    response = post(client, masked="on", received_from="2026-06-10", received_to="2026-06-01")
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="workflow.applications.exported").exists()


# --------------------------------------------------------------------------- rows and scope


def test_the_rows_are_the_exporters_scope_and_filters(client, mix, places):
    signed_in(client, staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal))
    rows = csv_rows(post(client, masked="on"))
    heading, data = rows[0], rows[1:]
    numbers = {dict(zip(heading, row, strict=True))["Application number"] for row in data}
    bhopal_exam = {
        mix[key].application.number
        for key in ("b_in_time", "b_late", "b_beyond", "b_within", "b_returned", "b_due_today")
    }
    assert numbers == bhopal_exam
    # the filters narrow it further; one outside the scope gives nothing
    rows = csv_rows(post(client, masked="on", received_from="2026-06-01"))
    assert len(rows) - 1 == 3
    response = post(client, masked="on", department="OTH")
    assert response.status_code == 400  # not a choice this officer has


def test_each_column_says_what_happened(client, mix):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    heading, *data = csv_rows(post(client, masked="on"))
    by_number = {row[0]: dict(zip(heading, row, strict=True)) for row in data}
    late = by_number[mix["b_late"].application.number]
    assert (late["Received on"], late["Due date"], late["Disposed on"]) == (
        "2026-05-20",
        "2026-06-03",
        "2026-06-08",
    )
    assert late["Outcome"] == "Rejected" and late["Days taken"] == "19" and late["In time?"] == "No"
    assert by_number[mix["b_in_time"].application.number]["In time?"] == "Yes"
    assert by_number[mix["b_beyond"].application.number]["In time?"].startswith("No: pending")
    assert by_number[mix["b_within"].application.number]["In time?"] == "Pending within time"
    assert by_number[mix["b_returned"].application.number]["In time?"].startswith("Returned")
    assert by_number[mix["o_late"].application.number]["In time?"] == "No"  # by its dates
    assert by_number[mix["b_within"].application.number]["Days taken"] == ""
    assert late["District"] == "Bhopal" and late["Service"] and late["Status"]


def test_a_formula_is_written_as_text(client, service, places):
    make_case(service, district=places.bhopal, person=applicant('=HYPERLINK("http://x") Evil'))
    signed_in(client, staff(Role.OPERATOR_STAFF))
    heading, row = csv_rows(post(client))
    assert dict(zip(heading, row, strict=True))["Applicant"].startswith("'=HYPERLINK")
    response = post(client, format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    cell = book.active.cell(row=2, column=heading.index("Applicant") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_hindi_headings_and_names(client, kamla):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    heading, row = csv_rows(post(client, lang="hi", masked="on"))
    assert heading[:3] == ["आवेदन क्रमांक", "विभाग", "सेवा"]
    assert "भोपाल" in row
    rows = xlsx_rows(post(client, lang="hi", masked="on", format="xlsx"))
    assert rows[0][0] == "आवेदन क्रमांक"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hundreds_of_rows_cost_the_same_queries_as_a_few(
    client, service, places, designated_officer, fmt, django_assert_max_num_queries
):
    signed_in(client, staff(Role.OPERATOR_STAFF))

    def export() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = post(client, format=fmt, masked="on")
            rows = xlsx_rows(response) if fmt == "xlsx" else csv_rows(response)
        return len(rows) - 1, len(queries.captured_queries)

    for n in range(5):
        make_case(service, district=places.bhopal, designated=designated_officer)
    few, budget = export()
    assert few == 5
    for n in range(295):
        make_case(
            service,
            district=places.indore if n % 3 else places.bhopal,
            designated=designated_officer if n % 2 else None,
            state=Case.State.DISPOSED if n % 5 == 0 else Case.State.OPEN,
            disposed_on=D(2026, 6, 5) if n % 5 == 0 else None,
            outcome="approved" if n % 5 == 0 else "",
        )
    with django_assert_max_num_queries(budget):
        many, _ = export()
    assert many == 300
    assert (
        AuditEvent.objects.filter(action="workflow.applications.exported").last().after["rows"]
        == 300
    )
