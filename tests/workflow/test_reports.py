"""The figures (workflow.reports) and the staff data page: the sums against a seeded
mix of cases, the real path (received() and act()), who sees which figures, the
filters, the CSV, a query budget that does not grow with the cases, and Hindi."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.accounts.permissions import can
from ekseva.workflow import reports, services
from ekseva.workflow.hooks import DATA
from ekseva.workflow.models import Case
from tests.workflow.conftest import PASSWORD, officer
from tests.workflow.figures_seed import D, make_case, other_service, seed_mix


def signed_in(client, user: User):
    """The real staff sign-in: password and TOTP."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return client


def staff(role: Role, department: str = "", district=None) -> User:
    return officer(role, district, department=department)


def url(name: str = "data", lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"workflow:{name}")


@pytest.fixture
def indore_designated(places) -> User:
    return officer(Role.DESIGNATED_OFFICER, places.indore, name="Indore DO")


@pytest.fixture
def mix(service, places, designated_officer, indore_designated):
    return seed_mix(service, places, designated_officer, indore_designated)


def by(rows, **where):
    found = [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, rows)
    return found[0]


def counts(row) -> tuple:
    return (row.received, row.in_time, row.late, row.within, row.beyond, row.approved, row.rejected)


# --------------------------------------------------------------------------- the sums


def test_figures_per_service_and_district_and_their_totals(mix, places):
    ops = staff(Role.OPERATOR_STAFF)
    report = reports.figures(ops, reports.Filters())
    bhopal, indore = places.bhopal.pk, places.indore.pk
    exam_bhopal = by(report.rows, service_code="tst-exam", district_id=bhopal)
    # received, in time, late, within (incl. returned and due today), beyond, approved, rejected
    assert counts(exam_bhopal) == (6, 1, 1, 3, 1, 1, 1)
    assert exam_bhopal.average_days == 14.0  # (9 + 19) / 2
    assert exam_bhopal.percent_in_time == 33.3  # 1 of 2 disposed + 1 beyond
    exam_indore = by(report.rows, service_code="tst-exam", district_id=indore)
    assert counts(exam_indore) == (2, 1, 0, 0, 1, 1, 0)
    assert exam_indore.average_days == 14.0 and exam_indore.percent_in_time == 50.0
    other = by(report.rows, service_code="oth-licence", district_id=bhopal)
    # disposed after its due date with no flag: late by the dates
    assert counts(other) == (2, 0, 1, 0, 1, 1, 0)
    assert other.percent_in_time == 0.0 and other.average_days == 20.0

    exam = by(report.by_service, service_code="tst-exam")
    assert counts(exam) == (8, 2, 1, 3, 2, 2, 1)
    assert exam.average_days == 14.0 and exam.percent_in_time == 40.0
    assert counts(by(report.by_district, district_id=bhopal)) == (8, 1, 2, 3, 2, 2, 1)
    assert counts(by(report.by_district, district_id=indore)) == (2, 1, 0, 0, 1, 1, 0)
    assert counts(by(report.by_department, department_code="TST")) == (8, 2, 1, 3, 2, 2, 1)
    assert counts(by(report.by_department, department_code="OTH")) == (2, 0, 1, 0, 1, 1, 0)
    assert counts(report.total) == (10, 2, 2, 3, 3, 3, 1)
    assert report.total.disposed == 4 and report.total.pending == 6
    assert report.total.percent_in_time == round(100 * 2 / 7, 1)


def test_figures_per_designated_officer_and_service(mix, designated_officer, indore_designated):
    report = reports.figures(staff(Role.OPERATOR_STAFF), reports.Filters())
    mine = by(report.officers, officer_id=designated_officer.pk, service_code="tst-exam")
    assert (mine.received, mine.in_time, mine.late, mine.beyond) == (6, 1, 1, 1)
    theirs = by(report.officers, officer_id=indore_designated.pk)
    assert (theirs.received, theirs.in_time, theirs.late, theirs.beyond) == (2, 1, 0, 1)
    nobody = by(report.officers, officer_id=None)
    assert (nobody.received, nobody.late, nobody.beyond) == (2, 1, 1)
    reports.label(report, "en")
    assert mine.officer_name == "R. K. Verma" and nobody.officer_name == "No designated officer"


def test_filters_department_service_district_and_received_between(mix, places):
    ops = staff(Role.OPERATOR_STAFF)

    def total(**filters) -> int:
        return reports.figures(ops, reports.Filters(**filters)).total.received

    assert total(department="OTH") == 2
    assert total(service="tst-exam") == 8
    assert total(district_id=places.indore.pk) == 2
    assert total(service="tst-exam", district_id=places.bhopal.pk) == 6
    # received on 1 June or later: not the May ones (b_late, b_beyond, b_returned, o_*)
    assert total(received_from=D(2026, 6, 1)) == 5
    assert total(received_to=D(2026, 5, 31)) == 5
    assert total(received_from=D(2026, 6, 1), received_to=D(2026, 6, 1)) == 3
    assert total(service="no-such-service") == 0


def test_beyond_time_is_judged_against_today(mix, frozen_clock):
    ops = staff(Role.OPERATOR_STAFF)
    assert reports.figures(ops, reports.Filters()).total.beyond == 3
    frozen_clock.advance(days=1)  # Tuesday 16 June: the case due on the 15th is now late
    assert reports.figures(ops, reports.Filters()).total.beyond == 4


def test_the_real_path_received_and_acted_on(
    received, scrutiny_officer, designated_officer, frozen_clock, places
):
    """Applications received and decided through services.act: one approved in time,
    one rejected, one left to run past its time limit, one approved after it."""

    def case(app) -> Case:
        return Case.objects.get(application=app)

    approved, rejected, pending, late = (case(received()) for _ in range(4))
    services.act(
        services.act(approved, "forward", actor=scrutiny_officer),
        "approve",
        actor=designated_officer,
    )
    services.act(
        rejected,
        "reject",
        actor=scrutiny_officer,
        reason_code="not_eligible",
        remark="Not a graduate.",
    )
    late = services.act(late, "forward", actor=scrutiny_officer)
    frozen_clock.advance(days=20)  # past the 10 working days
    services.act(late, "approve", actor=designated_officer)
    report = reports.figures(staff(Role.OPERATOR_STAFF), reports.Filters())
    row = by(report.rows, service_code="tst-exam", district_id=places.bhopal.pk)
    assert counts(row) == (4, 2, 1, 0, 1, 2, 1)
    assert row.average_days == round(20 / 3, 1)  # 0, 0 and 20 days
    assert row.percent_in_time == 50.0  # 2 of 3 disposed + 1 beyond
    beyond = Case.objects.filter(reports.beyond_time_q(frozen_clock.today()))
    assert list(beyond.values_list("pk", flat=True)) == [pending.pk]
    officer_row = by(report.officers, officer_id=designated_officer.pk)
    assert (officer_row.received, officer_row.in_time, officer_row.late) == (4, 2, 1)


def test_figures_cost_two_grouped_queries_however_many_cases(
    service, places, designated_officer, django_assert_num_queries
):
    ops = staff(Role.OPERATOR_STAFF)
    reports.figures(ops, reports.Filters())  # the postings, cached on the user
    for n in range(3):
        make_case(service, district=places.bhopal, designated=designated_officer)
    with django_assert_num_queries(2):
        small = reports.figures(ops, reports.Filters())
    for n in range(40):
        make_case(service, district=places.indore if n % 2 else places.bhopal)
    with django_assert_num_queries(2):
        large = reports.figures(ops, reports.Filters())
    with django_assert_num_queries(3):  # names: services, departments, districts
        reports.label(large, "hi")
    assert small.total.received == 3 and large.total.received == 43
    assert by(large.by_district, district_id=places.bhopal.pk).district_name == "भोपाल"


# --------------------------------------------------------------------------- scope


def test_each_posting_sees_its_own_department_and_district(mix, places):
    def seen(user, action=reports.DATA_VIEW) -> int:
        return reports.figures(user, reports.Filters(), action=action).total.received

    assert seen(staff(Role.OPERATOR_STAFF)) == 10
    assert seen(staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal)) == 6
    assert seen(staff(Role.DESIGNATED_OFFICER, "TST", places.indore)) == 2
    assert seen(staff(Role.APPELLATE_OFFICER, "TST")) == 8  # state-wide for TST
    assert seen(staff(Role.DEPARTMENT_OFFICER, "OTH")) == 2
    # a posting for the state unit covers its districts
    assert seen(staff(Role.DEPARTMENT_OFFICER, "TST", places.state)) == 8
    # auditors: the figures (a .view action) in their scope, never DATA
    auditor = staff(Role.AUDITOR, "TST")
    assert seen(auditor) == 8
    assert seen(auditor, DATA) == 0 and not can(auditor, DATA)
    # others: nothing at all
    assert seen(staff(Role.KIOSK_OPERATOR)) == 0
    assert seen(staff(Role.DISTRICT_COORDINATOR, "", places.bhopal)) == 0
    citizen = User.objects.create_citizen("9000000001")
    assert seen(citizen) == 0
    assert seen(None) == 0


def test_an_ended_posting_sees_nothing(mix, places, frozen_clock):
    user = staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal)
    Posting.objects.filter(user=user).update(ends=frozen_clock.today() - dt.timedelta(days=1))
    assert reports.figures(user, reports.Filters()).total.received == 0


def test_a_filter_cannot_reach_outside_the_scope(mix, places):
    bhopal_officer = staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal)
    outside = [
        reports.Filters(department="OTH"),
        reports.Filters(district_id=places.indore.pk),
        reports.Filters(service="oth-licence"),
    ]
    for filters in outside:
        assert reports.figures(bhopal_officer, filters).total.received == 0


# --------------------------------------------------------------------------- the page


def test_the_page_shows_the_officers_figures_only(client, mix, places):
    user = staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal)
    response = signed_in(client, user).get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-total-received>6<" in page
    assert "Other licence" not in page and "Indore" not in page
    assert 'data-service="oth-licence"' not in page
    # the filters offer only what the officer may see
    form = response.context["form"]
    assert [code for code, _ in form.fields["department"].choices] == ["", "TST"]
    assert [code for code, _ in form.fields["district"].choices] == ["", str(places.bhopal.pk)]
    # and a tampered filter is refused, not obeyed
    response = client.get(url(), {"department": "OTH"})
    assert response.status_code == 400 and response.context["report"] is None


def test_operator_staff_see_everything_and_filter(client, mix, places):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    page = client.get(url()).content.decode()
    assert "data-total-received>10<" in page and "Other licence" in page
    assert "By department" in page
    response = client.get(
        url(),
        {"service": "tst-exam", "district": str(places.indore.pk), "received_from": "2026-06-01"},
    )
    assert response.status_code == 200
    assert "data-total-received>2<" in response.content.decode()


def test_bad_filters_are_explained(client, mix):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    response = client.get(url(), {"received_from": "2026-06-10", "received_to": "2026-06-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "cannot be before its start" in page
    response = client.get(url(), {"received_from": "not a date"})
    assert response.status_code == 400


def test_the_auditor_sees_the_page_but_exports_masked_only(client, mix):
    signed_in(client, staff(Role.AUDITOR, "TST"))
    response = client.get(url())
    assert response.status_code == 200
    assert "data-total-received>8<" in response.content.decode()
    assert response.context["export_form"].fields["masked"].disabled


def test_who_is_refused_the_page(client, mix, citizen, places):
    # not signed in: off to the staff sign-in
    response = client.get(url())
    assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]
    # a citizen signed in with their OTP is not staff: the staff sign-in again
    client.force_login(citizen)
    response = client.get(url())
    assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]
    client.logout()
    # staff without a data role: 403
    signed_in(client, staff(Role.DISTRICT_COORDINATOR, "", places.bhopal))
    assert client.get(url()).status_code == 403
    assert client.get(url("data_csv")).status_code == 403
    assert client.post(url("data_export"), {"format": "csv", "masked": "on"}).status_code == 403


def test_the_figures_csv_and_the_officers_csv(client, mix, places):
    signed_in(client, staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal))
    response = client.get(url("data_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Level", "Department", "Service", "District", "Received"]
    total = rows[-1]
    assert total[0] == "total" and total[4:11] == ["6", "1", "1", "3", "1", "1", "1"]
    assert total[11:] == ["14.0", "33.3"]
    assert not any("Other" in cell for row in rows for cell in row)
    response = client.get(url("data_csv"), {"table": "officers"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Designated officer"
    assert rows[1][0] == "R. K. Verma" and rows[1][3:] == ["6", "1", "1", "1"]
    assert len(rows) == 2  # the Indore officer's cases are not this officer's to see


def test_the_page_costs_the_same_queries_however_many_cases(
    client, service, places, django_assert_max_num_queries
):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    make_case(service, district=places.bhopal)
    client.get(url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url())
    for n in range(60):
        make_case(service, district=places.indore if n % 2 else places.bhopal)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url())
    assert "data-total-received>61<" in response.content.decode()


def test_the_page_in_hindi(client, mix, places):
    signed_in(client, staff(Role.OPERATOR_STAFF))
    response = client.get(url(lang="hi"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="hi"' in page
    for text in ("सेवा के आँकड़े", "समय-सीमा में निराकृत", "समय-सीमा के बाद लंबित", "भोपाल", "अन्य लाइसेंस"):
        assert text in page, text
    csv_text = client.get(url("data_csv", lang="hi")).content.decode("utf-8-sig")
    assert csv_text.startswith("स्तर,विभाग,सेवा,ज़िला,प्राप्त")


def test_the_staff_home_links_to_the_data_page(client, places):
    user = staff(Role.DESIGNATED_OFFICER, "TST", places.bhopal)
    page = signed_in(client, user).get(reverse("accounts:staff_home")).content.decode()
    assert url() in page
    other = staff(Role.KIOSK_OPERATOR)
    client.logout()
    page = signed_in(client, other).get(reverse("accounts:staff_home")).content.decode()
    assert url() not in page


def test_no_district_and_no_due_date_are_counted_sensibly(service, places):
    """An application without a district, a service without a time limit."""
    make_case(service, district=None, due_date=None, received_on=D(2026, 1, 1))
    make_case(
        service,
        district=None,
        due_date=None,
        state=Case.State.DISPOSED,
        disposed_on=D(2026, 1, 5),
        received_on=D(2026, 1, 1),
        outcome="approved",
    )
    report = reports.label(reports.figures(staff(Role.OPERATOR_STAFF), reports.Filters()), "en")
    row = by(report.rows, district_id=None)
    assert counts(row) == (2, 1, 0, 1, 0, 1, 0)
    assert row.district_name == "No district" and row.average_days == 4.0
    # a district officer does not see district-less cases; a department-wide one does
    assert (
        reports.figures(
            staff(Role.DEPARTMENT_OFFICER, "TST", places.bhopal), reports.Filters()
        ).total.received
        == 0
    )
    assert (
        reports.figures(staff(Role.DEPARTMENT_OFFICER, "TST"), reports.Filters()).total.received
        == 2
    )


def test_other_service_names_come_from_the_catalogue(mix):
    other_service()
    report = reports.label(reports.figures(staff(Role.OPERATOR_STAFF), reports.Filters()), "hi")
    assert by(report.by_service, service_code="oth-licence").service_name == "अन्य लाइसेंस"
    assert by(report.by_department, department_code="OTH").department_name == "अन्य विभाग"
