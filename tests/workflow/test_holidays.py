"""The holidays page (/<lang>/office/holidays/): operator staff see the year's
public holidays and the ones staff added, add one (the due dates of undecided
cases move), remove one they added; officers, kiosks and citizens are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import clock, workdays
from ekseva.core.audit import AuditEvent
from ekseva.workflow import sla
from ekseva.workflow.models import Case, Holiday
from tests.kiosks.test_commission_pages import signed_in
from tests.workflow.conftest import PASSWORD, officer

D = dt.date


def url(name: str = "holidays", *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"workflow:{name}", args=args)


@pytest.fixture
def ops(db, frozen_clock) -> User:
    user = User.objects.create_user("ops.holidays", PASSWORD, full_name="Ops Desk")
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user


@pytest.fixture
def ops_client(client, ops, frozen_clock):
    return signed_in(client, ops, PASSWORD)


def test_the_page_lists_the_years_public_holidays_and_the_ones_staff_added(ops_client, ops):
    sla.declare_holiday(D(2026, 7, 7), "Bhopal fair", "भोपाल मेला", actor=ops)
    response = ops_client.get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-holiday="2026-08-15" data-source="public"' in page
    assert "Independence Day" in page
    assert 'data-holiday="2026-07-07" data-source="staff"' in page and "Bhopal fair" in page
    assert url("holiday_remove", Holiday.objects.get().pk) in page
    # the add form, labelled, with today's year kept
    assert 'for="id_date"' in page and 'for="id_name_en"' in page and 'for="id_name_hi"' in page


def test_the_page_in_hindi_names_the_holidays_in_hindi(ops_client, ops):
    sla.declare_holiday(D(2026, 7, 7), "Bhopal fair", "भोपाल मेला", actor=ops)
    page = ops_client.get(url(lang="hi")).content.decode()
    assert "स्वतंत्रता दिवस" in page and "भोपाल मेला" in page
    assert "अवकाश" in page


def test_another_year_and_a_year_out_of_range(ops_client):
    page = ops_client.get(url(), {"year": "2027"}).content.decode()
    assert 'data-holiday="2027-01-26"' in page and 'data-holiday="2026-01-26"' not in page
    for bad in ("1999", "x"):
        page = ops_client.get(url(), {"year": bad}).content.decode()
        assert 'data-holiday="2026-01-26"' in page


def test_adding_a_holiday_moves_the_due_dates_and_says_so(ops_client, received):
    case = Case.objects.get(application=received())
    assert case.due_date == D(2026, 6, 27)
    response = ops_client.post(
        url(), {"date": "2026-06-18", "name_en": " Local fair ", "name_hi": "स्थानीय मेला"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    holiday = Holiday.objects.get()
    assert (holiday.date, holiday.name_en, holiday.name_hi) == (
        D(2026, 6, 18),
        "Local fair",
        "स्थानीय मेला",
    )
    assert holiday.added_by.username == "ops.holidays"
    assert not workdays.is_working_day(D(2026, 6, 18))
    case.refresh_from_db()
    assert case.due_date == D(2026, 6, 29)
    page = ops_client.get(response["Location"]).content.decode()
    assert "Due dates moved: 1" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "", "name_en": "Fair"}, "date"),
        ({"date": "18-06-2026", "name_en": "Fair"}, "date"),
        ({"date": "2026-06-18", "name_en": ""}, "name_en"),
        ({"date": "2026-06-18", "name_en": "x" * 121}, "name_en"),
        ({"date": "2026-06-01", "name_en": "Past"}, "date"),
        ({"date": "2026-08-15", "name_en": "Again"}, "date"),
    ],
)
def test_bad_input_is_refused_with_the_error_linked_to_its_field(ops_client, data, field):
    response = ops_client.post(url(), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and f'href="#id_{field}"' in page
    assert not Holiday.objects.exists()


def test_a_day_already_added_is_refused(ops_client, ops):
    sla.declare_holiday(D(2026, 7, 7), "Bhopal fair", actor=ops)
    response = ops_client.post(url(), {"date": "2026-07-07", "name_en": "Twice"})
    assert response.status_code == 400 and "already a holiday" in response.content.decode()
    assert Holiday.objects.count() == 1


def test_removing_a_holiday_staff_added(ops_client, ops, received):
    case = Case.objects.get(application=received())
    holiday, _moved = sla.declare_holiday(D(2026, 6, 18), "Local fair", actor=ops)
    case.refresh_from_db()
    assert case.due_date == D(2026, 6, 29)
    response = ops_client.post(url("holiday_remove", holiday.pk))
    assert response.status_code == 302
    assert not Holiday.objects.exists()
    case.refresh_from_db()
    assert case.due_date == D(2026, 6, 27)
    assert AuditEvent.objects.filter(action="workflow.holiday.removed").count() == 1
    # twice: nothing to remove
    assert ops_client.post(url("holiday_remove", holiday.pk)).status_code == 404
    assert ops_client.get(url("holiday_remove", holiday.pk)).status_code == 405


def test_a_past_holiday_stays(ops_client, ops):
    holiday, _moved = sla.declare_holiday(D(2026, 6, 16), "Local", actor=ops)
    clock.advance(days=3)
    page = ops_client.get(url()).content.decode()
    assert url("holiday_remove", holiday.pk) not in page
    response = ops_client.post(url("holiday_remove", holiday.pk), follow=True)
    assert "cannot be changed" in response.content.decode()
    assert Holiday.objects.filter(pk=holiday.pk).exists()


@pytest.mark.parametrize("role", [Role.DESIGNATED_OFFICER, Role.DEPARTMENT_OFFICER])
def test_officers_may_not_change_holidays(client, places, frozen_clock, ops, role):
    holiday, _moved = sla.declare_holiday(D(2026, 7, 7), "Local", actor=ops)
    client = signed_in(client, officer(role, places.bhopal), PASSWORD)
    assert client.get(url()).status_code == 403
    assert client.post(url(), {"date": "2026-07-08", "name_en": "Mine"}).status_code == 403
    assert client.post(url("holiday_remove", holiday.pk)).status_code == 403
    assert Holiday.objects.count() == 1


def test_signed_out_people_go_to_the_staff_sign_in(client, db):
    response = client.get(url())
    assert response.status_code == 302 and "/account/staff/signin/" in response["Location"]


def test_the_staff_home_links_to_the_holidays_for_staff_and_the_register_for_officers(
    client, places, frozen_clock, ops
):
    home = reverse("accounts:staff_home")
    page = signed_in(client, ops, PASSWORD).get(home).content.decode()
    assert url() in page and url("delays") in page
    client.logout()
    page = signed_in(client, officer(Role.DEPARTMENT_OFFICER, places.bhopal), PASSWORD)
    page = page.get(home).content.decode()
    assert url() not in page and url("delays") in page
