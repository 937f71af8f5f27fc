"""Exports of the applications in a staff member's scope: CSV (streamed row by row)
and XLSX (openpyxl's write-only workbook, spooled to a temporary file), with the
filters of the data page.

Personal data is masked by default: the applicant's name becomes initials, the
mobile ``******1234``, and email, date of birth and answers are left out (the
answers are not even read from the database). An unmasked export needs
``hooks.DATA`` (not held by auditors). Every export is written to the audit log
before the first row leaves: who, which filters, how many rows, masked or not.

A cell that would start with ``= + - @`` (a formula to a spreadsheet) is written as
text: with a leading apostrophe in CSV, as a string cell in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse

from ekseva.accounts.models import User
from ekseva.accounts.permissions import can
from ekseva.applications.models import STATUS_TEXT
from ekseva.core import audit, clock

from . import reports
from .hooks import DATA
from .models import Case, NotAllowed, WorkflowError

FORMATS = ("csv", "xlsx")
CHUNK = 500
# XLSX rows are written to a temporary file; up to this many bytes stay in memory.
SPOOL_BYTES = 8 * 1024 * 1024
# The most characters a spreadsheet cell holds (Excel's limit); longer text is cut.
XLSX_CELL_CHARS = 32_767

# (key, English, Hindi): the columns of an export, in order.
COLUMNS: list[tuple[str, str, str]] = [
    ("number", "Application number", "आवेदन क्रमांक"),
    ("department", "Department", "विभाग"),
    ("service", "Service", "सेवा"),
    ("district", "District", "ज़िला"),
    ("status", "Status", "स्थिति"),
    ("received", "Received on", "प्राप्ति दिनांक"),
    ("due", "Due date", "नियत दिनांक"),
    ("disposed", "Disposed on", "निराकरण दिनांक"),
    ("outcome", "Outcome", "परिणाम"),
    ("days", "Days taken", "लगे दिन"),
    ("in_time", "In time?", "समय-सीमा में?"),
    ("officer", "Designated officer", "पदाभिहित अधिकारी"),
    ("assignee", "With officer", "वर्तमान अधिकारी"),
    ("applicant", "Applicant", "आवेदक"),
    ("mobile", "Mobile", "मोबाइल"),
    ("email", "Email", "ईमेल"),
    ("date_of_birth", "Date of birth", "जन्म तिथि"),
    ("answers", "Answers", "उत्तर"),
]
# Left out of a masked export altogether.
MASKED_OUT = frozenset({"email", "date_of_birth", "answers"})

OUTCOME_TEXT = {
    "approved": ("Approved", "स्वीकृत"),
    "rejected": ("Rejected", "अस्वीकृत"),
}
IN_TIME_TEXT = {
    "yes": ("Yes", "हाँ"),
    "no": ("No", "नहीं"),
    "beyond": ("No: pending beyond time", "नहीं: समय-सीमा के बाद लंबित"),
    "within": ("Pending within time", "समय-सीमा में लंबित"),
    "paused": ("Returned to the applicant (clock paused)", "आवेदक को लौटाया (समय रुका)"),
}


def _text(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "hi" else pair[0]


def columns(*, masked: bool) -> list[str]:
    return [key for key, _en, _hi in COLUMNS if not (masked and key in MASKED_OUT)]


def headings(*, masked: bool, language: str) -> list[str]:
    keep = set(columns(masked=masked))
    return [hi if language == "hi" else en for key, en, hi in COLUMNS if key in keep]


# --------------------------------------------------------------------------- masking


def initials(name: str) -> str:
    """``Asha Verma`` → ``A. V.``: the first letter of each word, nothing else."""
    return " ".join(f"{word[0]}." for word in name.split() if word[0].isalnum())


def mask_mobile(mobile: str) -> str:
    """``9876500011`` → ``******0011`` (the last four digits only)."""
    digits = "".join(ch for ch in mobile if ch.isdigit())
    return f"******{digits[-4:]}" if len(digits) >= 4 else ""


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Export:
    """One export asked for: by whom, what, in which form."""

    user: User
    filters: reports.Filters
    masked: bool = True
    fmt: str = "csv"
    language: str = "en"

    @property
    def action(self) -> str:
        return reports.DATA_VIEW if self.masked else DATA


def cases(export: Export):
    """The export's cases with everything a row needs, in one query."""
    qs = (
        reports.scoped_cases(export.user, export.filters, export.action)
        .select_related(
            "application",
            "application__applicant",
            "application__applicant__profile",
            "district",
            "designated_officer",
            "assignee",
        )
        .order_by("received_on", "pk")
    )
    if export.masked:
        # Never read what a masked export does not show.
        qs = qs.defer(
            "application__answers",
            "application__applicant__email",
            "application__applicant__profile__date_of_birth",
        )
    return qs


def _names(export: Export) -> tuple[dict[str, str], dict[str, str]]:
    from ekseva.catalog.models import Department, Service

    language = export.language
    services = {s.code: s.name(language) for s in Service.objects.all()}
    departments = {d.code: d.name(language) for d in Department.objects.all()}
    return services, departments


def _time_state(case: Case, today: dt.date) -> str:
    if case.state == Case.State.DISPOSED:
        in_time = case.disposed_in_time
        if in_time is None and case.disposed_on:
            in_time = case.due_date is None or case.disposed_on <= case.due_date
        return "yes" if in_time else "no"
    if case.state == Case.State.RETURNED:
        return "paused"
    if case.due_date is not None and case.due_date < today:
        return "beyond"
    return "within"


def _person(user: User | None) -> str:
    return (user.full_name or user.username) if user is not None else ""


def row_of(case: Case, export: Export, services: dict, departments: dict, today: dt.date) -> dict:
    """One case as the export's cells (masked as asked)."""
    language = export.language
    app = case.application
    applicant = app.applicant
    profile = getattr(applicant, "profile", None)
    name = (profile.name_hi if language == "hi" and profile and profile.name_hi else "") or (
        (profile.name_en if profile else "") or applicant.full_name
    )
    days = (
        (case.disposed_on - case.received_on).days
        if case.state == Case.State.DISPOSED and case.disposed_on
        else None
    )
    status = STATUS_TEXT.get(app.status)
    row: dict[str, Any] = {
        "number": app.number or "",
        "department": departments.get(case.department_code, case.department_code),
        "service": services.get(case.service_code, case.service_code),
        "district": case.district.name(language) if case.district else "",
        "status": _text(status, language) if status else app.status,
        "received": case.received_on,
        "due": case.due_date,
        "disposed": case.disposed_on,
        "outcome": _text(OUTCOME_TEXT[case.outcome], language)
        if case.outcome in OUTCOME_TEXT
        else "",
        "days": days,
        "in_time": _text(IN_TIME_TEXT[_time_state(case, today)], language),
        "officer": _person(case.designated_officer),
        "assignee": _person(case.assignee),
    }
    if export.masked:
        row["applicant"] = initials(name)
        row["mobile"] = mask_mobile(applicant.mobile)
    else:
        dob = (profile.date_of_birth if profile else None) or (app.answers or {}).get(
            "date_of_birth", ""
        )
        row.update(
            applicant=name,
            mobile=applicant.mobile,
            email=applicant.email,
            date_of_birth=dob,
            answers=json.dumps(app.answers or {}, ensure_ascii=False, sort_keys=True),
        )
    return row


def rows(export: Export) -> Iterator[list[Any]]:
    """The export's rows (without the heading), read in chunks from one query."""
    services, departments = _names(export)
    today = clock.today()
    keys = columns(masked=export.masked)
    for case in cases(export).iterator(chunk_size=CHUNK):
        row = row_of(case, export, services, departments, today)
        yield [row[key] for key in keys]


# --------------------------------------------------------------------------- the service


def start(export: Export) -> int:
    """Check the exporter may, count the rows and write the audit event; returns the
    number of rows. Raises ``NotAllowed`` (no right, or unmasked without ``DATA``)."""
    if export.fmt not in FORMATS:
        raise WorkflowError("Choose CSV or Excel.", "CSV या एक्सेल चुनें।", field="format")
    if not can(export.user, reports.DATA_VIEW):
        raise NotAllowed("You may not export applications.", "आप आवेदनों का निर्यात नहीं कर सकते।")
    if not export.masked and not can(export.user, DATA):
        raise NotAllowed(
            "Only officers and operator staff may export personal data; tick “Mask personal data”.",
            "व्यक्तिगत जानकारी का निर्यात केवल अधिकारी और ऑपरेटर स्टाफ कर सकते हैं; "
            "“व्यक्तिगत जानकारी छिपाएँ” चुनें।",
            field="masked",
        )
    count = reports.scoped_cases(export.user, export.filters, export.action).count()
    with transaction.atomic():
        audit.record(
            "workflow.applications.exported",
            actor=export.user,
            object_type="workflow.export",
            object_id=export.fmt,
            after={
                "format": export.fmt,
                "masked": export.masked,
                "rows": count,
                "filters": export.filters.as_dict(),
                "language": export.language,
            },
        )
    return count


def file_name(export: Export) -> str:
    kind = "masked" if export.masked else "personal"
    return f"applications-{clock.today():%Y%m%d}-{kind}.{export.fmt}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def csv_lines(export: Export) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(headings(masked=export.masked, language=export.language))
    for row in rows(export):
        yield writer.writerow([_csv_value(value) for value in row])


def csv_response(export: Export) -> StreamingHttpResponse:
    """``start()`` must have been called: the rows are read as the response streams."""
    response = StreamingHttpResponse(csv_lines(export), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(export)}"'
    response["Cache-Control"] = "no-store"
    return response


def xlsx_file(export: Export):
    """The workbook in a temporary file (rewound), written row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="आवेदन" if export.language == "hi" else "Applications")
    sheet.append(headings(masked=export.masked, language=export.language))

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            value = value[:XLSX_CELL_CHARS]
            if value.startswith("="):
                text = WriteOnlyCell(sheet, value=value)
                text.data_type = "s"  # text, never a formula
                return text
        return value

    for row in rows(export):
        sheet.append([cell(value) for value in row])
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    book.save(out)
    out.seek(0)
    return out


def xlsx_response(export: Export) -> FileResponse:
    response = FileResponse(
        xlsx_file(export),
        as_attachment=True,
        filename=file_name(export),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return response


def response(export: Export):
    return xlsx_response(export) if export.fmt == "xlsx" else csv_response(export)
