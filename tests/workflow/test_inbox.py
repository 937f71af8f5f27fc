"""The officer's inbox (/<lang>/office/inbox/): only my cases, or my scope's for a
designated officer; queues by stage; filters; the time left in words; a fixed
number of queries however many cases; bulk approval of clean cases; Hindi."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.applications.models import Status
from ekseva.workflow import inbox, services
from ekseva.workflow.models import Case
from tests.workflow.conftest import PASSWORD, officer

# --------------------------------------------------------------------------- helpers


def signed_in(client, user: User, password: str = PASSWORD):
    """The real staff sign-in: password and the TOTP code of the user's device."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": password, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"workflow:{name}", args=args)


def case_of(app) -> Case:
    return Case.objects.get(application=app)


def numbers(response) -> list[str]:
    """The application numbers of the inbox's rows, in order."""
    import re

    return re.findall(r'<tr data-case="([A-Z0-9]+)"', response.content.decode())


def countdowns(response) -> dict[str, str]:
    import re

    html = response.content.decode()
    found = re.findall(
        r'<tr data-case="([A-Z0-9]+)".*?data-countdown="[a-z]+">([^<]+)</span>', html, re.S
    )
    return dict(found)


@pytest.fixture(autouse=True)
def _frozen(frozen_clock):
    """The clock stops first, so postings made by the fixtures start on its day."""
    return frozen_clock


@pytest.fixture
def officer_client(client, scrutiny_officer):
    return signed_in(client, scrutiny_officer)


# --------------------------------------------------------------------------- who sees what


def test_the_inbox_lists_the_cases_assigned_to_me_and_no_others(
    client, received, scrutiny_officer, places, citizen
):
    second = officer(Role.DEPARTMENT_OFFICER, places.bhopal, name="Second Officer")
    apps = [received(), received(), received()]
    mine = [a.number for a in apps if case_of(a).assignee_id == scrutiny_officer.pk]
    theirs = [a.number for a in apps if case_of(a).assignee_id == second.pk]
    assert mine and theirs  # shared by load between the two officers
    response = signed_in(client, scrutiny_officer).get(url("inbox"))
    assert response.status_code == 200
    assert sorted(numbers(response)) == sorted(mine)
    assert 'data-tab="scope"' not in response.content.decode()  # no second tab
    # asking for the scope tab without the role gives my own cases
    assert sorted(numbers(client.get(url("inbox") + "?tab=scope"))) == sorted(mine)


def test_a_designated_officer_sees_all_open_cases_of_the_scope_in_a_second_tab(
    client, received, designated_officer, scrutiny_officer, places, citizen
):
    in_bhopal = [received().number, received().number]
    # an Indore application, with Indore's own officers
    officer(Role.DEPARTMENT_OFFICER, places.indore)
    officer(Role.DESIGNATED_OFFICER, places.indore)
    indore_citizen = User.objects.create_citizen("9876500099", full_name="Indore Citizen")
    from ekseva.accounts.models import CitizenProfile

    CitizenProfile.objects.create(user=indore_citizen, district=places.indore, name_en="I C")
    elsewhere = received(indore_citizen)
    assert case_of(elsewhere).district == places.indore
    # another department's case in Bhopal is not theirs either
    other = case_of(received())
    Case.objects.filter(pk=other.pk).update(department_code="OTH")
    signed_in(client, designated_officer)
    assert numbers(client.get(url("inbox"))) == []  # nothing assigned to them yet
    response = client.get(url("inbox") + "?tab=scope")
    html = response.content.decode()
    assert 'data-tab="scope" aria-current="page"' in html
    assert sorted(numbers(response)) == sorted(in_bhopal)
    assert "Meena Sharma" in html  # the scope tab shows whose each case is


def test_operator_staff_see_every_open_case_in_the_scope_tab(client, received, places):
    ops = User.objects.create_user("ops.inbox", PASSWORD)
    Posting.objects.create(user=ops, role=Role.OPERATOR_STAFF)
    app = received()
    response = signed_in(client, ops).get(url("inbox") + "?tab=scope")
    assert numbers(response) == [app.number]


def test_people_without_the_inbox_are_refused(client, received, citizen, places):
    received()
    anonymous = client.get(url("inbox"))
    assert anonymous.status_code == 302 and "/staff/signin/" in anonymous["Location"]
    client.force_login(citizen)
    assert client.get(url("inbox")).status_code == 404
    client.logout()
    kiosk = User.objects.create_user("kiosk.inbox", PASSWORD)
    Posting.objects.create(user=kiosk, role=Role.KIOSK_OPERATOR, kiosk_code="K1")
    assert signed_in(client, kiosk).get(url("inbox")).status_code == 403


def test_an_officer_signed_in_without_totp_is_sent_to_the_staff_sign_in(client, scrutiny_officer):
    client.force_login(scrutiny_officer)  # password only: not verified
    response = client.get(url("inbox"))
    assert response.status_code == 302 and "/staff/signin/" in response["Location"]


def test_the_staff_home_links_to_the_inbox(officer_client):
    response = officer_client.get(reverse("accounts:staff_home"))
    assert url("inbox") in response.content.decode()


# --------------------------------------------------------------------------- the time left


def _case(**fields) -> Case:
    base = {
        "state": Case.State.OPEN,
        "limit_kind": "working",
        "received_on": dt.date(2026, 6, 1),
        "due_date": dt.date(2026, 6, 15),
    }
    return Case(**{**base, **fields})


TODAY = dt.date(2026, 6, 15)  # a Monday


@pytest.mark.parametrize(
    ("fields", "kind", "text"),
    [
        # counted as the limit counts: Saturday 13 and Monday 15 (Sunday is off)
        ({"due_date": dt.date(2026, 6, 12)}, "overdue", "Overdue by 2 working days"),
        ({"due_date": dt.date(2026, 6, 14)}, "overdue", "Overdue by 1 working day"),
        (
            {"due_date": dt.date(2026, 6, 12), "limit_kind": "calendar"},
            "overdue",
            "Overdue by 3 days",
        ),
        ({"due_date": TODAY}, "today", "Due today"),
        ({"due_date": dt.date(2026, 6, 16)}, "soon", "Due in 1 working day"),
        ({"due_date": dt.date(2026, 6, 17)}, "soon", "Due in 2 working days"),
        ({"due_date": dt.date(2026, 6, 18)}, "later", "Due in 3 working days"),
        # over Sunday 21 June: six working days, not seven calendar days
        ({"due_date": dt.date(2026, 6, 22)}, "later", "Due in 6 working days"),
        (
            {"due_date": dt.date(2026, 6, 17), "limit_kind": "calendar"},
            "soon",
            "Due in 2 days",
        ),
        ({"due_date": dt.date(2026, 6, 18), "limit_kind": "calendar"}, "later", "Due in 3 days"),
        (
            {"state": Case.State.RETURNED, "paused_on": dt.date(2026, 6, 10)},
            "paused",
            "Paused: returned on 10-06-2026",
        ),
        ({"due_date": None, "limit_days": None}, "none", "No time limit"),
    ],
)
def test_the_countdown_in_words(db, settings, fields, kind, text):
    settings.WORKFLOW_REMIND_DAYS = 2
    shown = inbox.countdown(_case(**fields), TODAY)
    assert (shown.kind, shown.text) == (kind, text)


def test_overdue_by_no_working_day_yet_counts_calendar_days(db):
    saturday, sunday = dt.date(2026, 6, 13), dt.date(2026, 6, 14)
    shown = inbox.countdown(_case(due_date=saturday), sunday)
    assert (shown.kind, shown.text) == ("overdue", "Overdue by 1 day")


def test_the_countdown_in_hindi(db):
    with translation.override("hi"):
        overdue = inbox.countdown(_case(due_date=dt.date(2026, 6, 12)), TODAY).text
        soon = inbox.countdown(_case(due_date=dt.date(2026, 6, 17)), TODAY).text
        today = inbox.countdown(_case(), TODAY).text
    assert "2" in overdue and "कार्य दिवस" in overdue and "Overdue" not in overdue
    assert "2" in soon and "कार्य" in soon
    assert today != "Due today"


def test_the_inbox_counts_the_days_down_from_the_frozen_clock(
    officer_client, received, frozen_clock
):
    app = received()  # received Monday 15 June; due Saturday 27 June (10 working days)
    assert case_of(app).due_date == dt.date(2026, 6, 27)
    assert countdowns(officer_client.get(url("inbox")))[app.number] == "Due in 10 working days"
    frozen_clock.advance(days=10)  # Thursday 25 June; Friday 26 is a holiday
    assert countdowns(officer_client.get(url("inbox")))[app.number] == "Due in 1 working day"
    frozen_clock.advance(days=2)
    assert countdowns(officer_client.get(url("inbox")))[app.number] == "Due today"
    frozen_clock.advance(days=3)
    row = countdowns(officer_client.get(url("inbox")))[app.number]
    assert row == "Overdue by 2 working days"  # Tuesday 30 June: Monday 29 and today


def test_a_returned_case_shows_its_paused_clock(officer_client, received, scrutiny_officer):
    app = received()
    services.act(
        case_of(app), "return", actor=scrutiny_officer, fields=["gender"], remark="Check it"
    )
    response = officer_client.get(url("inbox"))
    assert countdowns(response)[app.number] == "Paused: returned on 15-06-2026"


def test_a_case_past_its_due_date_is_escalated_into_the_designated_officers_inbox(
    client, received, designated_officer, frozen_clock
):
    from ekseva.workflow import sla

    app = received()
    frozen_clock.advance(days=15)  # Tuesday 30 June: due 27 June
    assert sla.escalate_breaches() == 1
    response = signed_in(client, designated_officer).get(url("inbox"))
    html = response.content.decode()
    assert numbers(response) == [app.number]
    assert countdowns(response)[app.number] == "Overdue by 2 working days"
    assert "data-escalated>Escalated<" in html
    case_page = client.get(url("case", app.number)).content.decode()
    assert "escalated on 30-06-2026" in case_page


# --------------------------------------------------------------------------- queues and filters


@pytest.fixture
def four(received, scrutiny_officer, designated_officer, frozen_clock):
    """Four cases of the scrutiny officer: received on different days (so different
    due dates), one returned to its applicant; and one forwarded to approval."""
    made = {}
    made["first"] = received()
    frozen_clock.advance(days=1)
    made["second"] = received()
    made["returned"] = received()
    services.act(
        case_of(made["returned"]), "return", actor=scrutiny_officer, fields=["gender"], remark="x"
    )
    made["forwarded"] = received()
    services.act(case_of(made["forwarded"]), "forward", actor=scrutiny_officer)
    frozen_clock.advance(days=1)
    assert case_of(made["first"]).due_date == dt.date(2026, 6, 27)
    assert case_of(made["second"]).due_date == dt.date(2026, 6, 29)
    return made


def test_the_inbox_sorts_by_due_date_with_paused_cases_last(officer_client, four):
    response = officer_client.get(url("inbox"))
    assert numbers(response) == [
        four["first"].number,
        four["second"].number,
        four["returned"].number,
    ]


def test_queues_count_the_cases_at_each_stage(client, four, designated_officer):
    response = signed_in(client, designated_officer).get(url("inbox") + "?tab=scope")
    html = response.content.decode()
    import re

    counts = dict(re.findall(r'data-queue="tst-exam:(\w+)".*?data-count>(\d+)<', html, re.S))
    assert counts == {"scrutiny": "3", "approval": "1"}
    assert "Scrutiny" in html and "Approval" in html


def test_the_filters(client, four, designated_officer, settings, frozen_clock):
    signed_in(client, designated_officer)
    scope = url("inbox") + "?tab=scope"

    def shown(query: str) -> set[str]:
        response = client.get(f"{scope}&{query}")
        assert response.status_code == 200
        return set(numbers(response))

    everything = {app.number for app in four.values()}
    assert shown("") == everything
    assert shown("stage=approval") == {four["forwarded"].number}
    assert shown("stage=scrutiny") == everything - {four["forwarded"].number}
    assert shown("service=tst-exam") == everything
    assert shown("due=paused") == {four["returned"].number}
    assert shown(f"q={four['second'].number[-6:]}") == {four["second"].number}
    assert shown(f"q={four['second'].number.lower()}") == {four["second"].number}
    # today is 17 June: the first is due 27 June, the others 29 June (working days)
    assert shown("due=later") == everything - {four["returned"].number}
    settings.WORKFLOW_REMIND_DAYS = 8  # 17 June + 8 working days = 27 June (26 a holiday)
    assert shown("due=soon") == {four["first"].number}
    frozen_clock.advance(days=10)  # Saturday 27 June
    assert shown("due=today") == {four["first"].number}
    frozen_clock.advance(days=3)  # Tuesday 30 June
    assert shown("due=overdue") == everything - {four["returned"].number}
    # an unknown choice is an error on its field, and filters nothing
    response = client.get(f"{scope}&stage=nonsense")
    assert response.status_code == 200
    assert 'class="field has-error"' in response.content.decode()
    assert set(numbers(response)) == everything


def test_the_inbox_costs_the_same_queries_for_3_or_30_cases(
    client, received, scrutiny_officer, designated_officer, django_assert_max_num_queries
):
    for _ in range(3):
        received()
    signed_in(client, designated_officer)
    page = url("inbox") + "?tab=scope"
    with CaptureQueriesContext(connection) as three:
        assert len(numbers(client.get(page))) == 3
    for _ in range(27):
        received()
    with django_assert_max_num_queries(len(three.captured_queries)):
        assert len(numbers(client.get(page))) == 30


# --------------------------------------------------------------------------- bulk approval


@pytest.fixture
def at_approval(received, scrutiny_officer):
    def make(**kwargs):
        app = received(**kwargs)
        services.act(case_of(app), "forward", actor=scrutiny_officer)
        return app

    return make


def test_bulk_approval_approves_the_clean_and_lists_the_refused(
    client, at_approval, designated_officer, received
):
    clean = at_approval()
    unclean = at_approval()
    Case.objects.filter(application=unclean).update(clean=False)
    at_scrutiny = received()
    assert case_of(clean).clean, "the fixture's application passes every check"
    signed_in(client, designated_officer)
    inbox_page = client.get(url("inbox")).content.decode()
    assert f'name="cases" value="{clean.number}"' in inbox_page
    assert f'name="cases" value="{unclean.number}"' not in inbox_page  # not clean: no box
    assert "data-bulk-approve" in inbox_page
    response = client.post(
        url("inbox_approve"),
        {"cases": [clean.number, unclean.number, at_scrutiny.number, "MP26XXXX00000"]},
    )
    assert response.status_code == 302 and response["Location"] == url("inbox_approved")
    result = client.get(response["Location"])
    html = result.content.decode()
    assert result.status_code == 200
    clean.refresh_from_db()
    unclean.refresh_from_db()
    assert clean.status in (Status.APPROVED, Status.DELIVERED)
    assert unclean.status == Status.IN_PROCESS
    approved = html.split("data-refused")[0]
    assert clean.number in approved
    refused = html.split("data-refused")[1]
    assert unclean.number in refused and "Not marked clean" in refused
    assert at_scrutiny.number in refused
    assert "MP26XXXX00000" in refused and "No such case" in refused
    # pressing again approves nothing twice
    again = client.post(url("inbox_approve"), {"cases": [clean.number]})
    assert again.status_code == 302
    assert (
        clean.number in client.get(url("inbox_approved")).content.decode().split("data-refused")[1]
    )
    assert case_of(clean).actions.filter(kind="approve").count() == 1


def test_bulk_approval_cannot_reach_another_district(client, at_approval, places, received):
    app = at_approval()
    indore_designated = officer(Role.DESIGNATED_OFFICER, places.indore)
    signed_in(client, indore_designated)
    client.post(url("inbox_approve"), {"cases": [app.number]})
    html = client.get(url("inbox_approved")).content.decode()
    assert "No such case in your inbox" in html
    app.refresh_from_db()
    assert app.status == Status.IN_PROCESS


def test_bulk_approval_of_nothing_says_so(client, designated_officer):
    signed_in(client, designated_officer)
    response = client.post(url("inbox_approve"), {}, follow=True)
    assert "Tick the cases to approve." in response.content.decode()


# --------------------------------------------------------------------------- Hindi


def test_the_inbox_in_hindi(client, received, scrutiny_officer):
    app = received()
    signed_in(client, scrutiny_officer)
    response = client.get(url("inbox", lang="hi"))
    assert response.status_code == 200
    html = response.content.decode()
    assert app.number in html
    assert "जाँच" in html  # the stage's Hindi name
    for english in ("Cases inbox", "Queues by stage", "Application number", "Show cases", "Due in"):
        assert english not in html, english
