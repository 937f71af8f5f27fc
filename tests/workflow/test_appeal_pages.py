"""Appeal pages: the applicant's form (may I appeal, until when), their appeals and
an appeal's page; the appellate officer's queue, the appeal with the case's history,
the hearing and order forms with the penalty shown; who sees what (404 out of
scope, 403 without an appellate posting, the staff sign-in for staff)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Role, User
from ekseva.core import clock
from ekseva.workflow import appeals, sla
from ekseva.workflow.models import Appeal, Case, Penalty
from tests.workflow.conftest import PASSWORD, officer
from tests.workflow.test_appeals import DUE, STATEMENT, case_of, go_to, late_by, reject


def signed_in(user: User) -> Client:
    """A client through the real staff sign-in: password and the device's TOTP code."""
    client = Client()
    device = TOTPDevice.objects.filter(user=user).first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def as_citizen(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"workflow:{name}", args=args)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def rejected(received, scrutiny_officer) -> Case:
    return reject(case_of(received()), scrutiny_officer)


@pytest.fixture
def late_appeal(received, citizen, appellate_officer) -> Appeal:
    """A first appeal on an application breached and still undecided, 3 working days late."""
    case = case_of(received())
    go_to(DUE + dt.timedelta(days=1))
    sla.escalate_breaches()
    appeal = appeals.file_appeal(case, appellant=citizen, statement=STATEMENT)
    go_to(late_by(3))
    return appeal


# --------------------------------------------------------------------------- the applicant


def test_the_applicant_files_an_appeal_against_a_rejection(rejected, citizen, appellate_officer):
    client = as_citizen(citizen)
    number = rejected.application.number
    page = client.get(url("appeal_new", number))
    assert page.status_code == 200
    body = text_of(page)
    until = rejected.disposed_on + dt.timedelta(days=30)
    assert "First appeal" in body and 'data-open="yes"' in body
    assert f"{until:%-d} {until:%B} {until:%Y}" in body
    assert 'name="statement"' in body

    empty = client.post(url("appeal_new", number), {"statement": ""})
    assert empty.status_code == 400
    assert 'href="#id_statement"' in empty.content.decode()
    assert not Appeal.objects.exists()

    filed = client.post(url("appeal_new", number), {"statement": "The marksheet is genuine."})
    appeal = Appeal.objects.get()
    assert filed.status_code == 302 and filed["Location"] == url("appeal", appeal.reference)
    assert appeal.appellant == citizen and appeal.appellate_officer == appellate_officer

    detail = text_of(client.get(filed["Location"]))
    assert appeal.reference in detail and "Filed: awaiting a hearing" in detail
    assert "The marksheet is genuine." in detail
    assert "Delay register" not in detail  # the officers' part is not shown
    mine = text_of(client.get(url("appeals_mine")))
    assert f'data-reference="{appeal.reference}"' in mine

    # Filed: the page now speaks of the second appeal (after the order), and a post is refused.
    again = text_of(client.get(url("appeal_new", number)))
    assert 'data-open="no"' in again and "is not decided yet" in again
    assert f'data-appeal="{appeal.reference}"' in again
    refused = client.post(url("appeal_new", number), {"statement": "Again."})
    assert refused.status_code == 400 and Appeal.objects.count() == 1


def test_the_appeal_form_in_hindi(rejected, citizen, appellate_officer):
    client = as_citizen(citizen)
    page = client.get(url("appeal_new", rejected.application.number, lang="hi"))
    assert page.status_code == 200
    body = text_of(page)
    assert "प्रथम अपील" in body and "क्या आप अभी अपील कर सकते हैं?" in body
    assert "अपील दर्ज करें" in body


def test_no_appeal_while_the_application_is_within_its_time_limit(received, citizen):
    app = received()
    client = as_citizen(citizen)
    page = client.get(url("appeal_new", app.number))
    assert page.status_code == 200
    body = text_of(page)
    assert 'data-open="no"' in body and "within its time limit" in body
    assert 'name="statement"' not in body
    refused = client.post(url("appeal_new", app.number), {"statement": STATEMENT})
    assert refused.status_code == 400 and not Appeal.objects.exists()


def test_someone_elses_application_or_appeal_is_not_found(rejected, citizen, appellate_officer):
    appeal = appeals.file_appeal(rejected, appellant=citizen, statement="Appeal.")
    other = as_citizen(User.objects.create_citizen("9876500077", full_name="Other"))
    assert other.get(url("appeal_new", rejected.application.number)).status_code == 404
    assert (
        other.post(url("appeal_new", rejected.application.number), {"statement": "x"}).status_code
        == 404
    )
    assert other.get(url("appeal", appeal.reference)).status_code == 404
    assert f'data-reference="{appeal.reference}"' not in text_of(other.get(url("appeals_mine")))
    assert other.get(url("appeal_new", "MP26TST9999999X")).status_code == 404
    # Not signed in: to the sign-in.
    anonymous = Client()
    for path in (url("appeal_new", rejected.application.number), url("appeal", appeal.reference)):
        response = anonymous.get(path)
        assert response.status_code == 302 and "signin" in response["Location"]


def test_the_applicant_sees_the_order_the_penalty_and_the_second_appeal(
    late_appeal, citizen, appellate_officer
):
    appeals.decide(
        late_appeal,
        outcome="allowed",
        order_text="Decide within 7 days.",
        actor=appellate_officer,
        penalise=True,
        compensation=25_000,
    )
    body = text_of(as_citizen(citizen).get(url("appeal", late_appeal.reference)))
    assert 'data-outcome="allowed"' in body and "Decide within 7 days." in body
    assert 'data-penalty="75000"' in body and "₹750.00" in body and "₹250.00" in body
    assert url("appeal_new", late_appeal.case.application.number) in body  # second appeal
    assert "Officer penalised" not in body


# --------------------------------------------------------------------------- the officer


def test_the_appellate_officer_hears_and_orders_with_the_penalty(
    late_appeal, citizen, scrutiny_officer, appellate_officer
):
    client = signed_in(appellate_officer)
    queue = text_of(client.get(url("appeals")))
    assert f'data-reference="{late_appeal.reference}"' in queue

    page = client.get(url("appeal", late_appeal.reference))
    assert page.status_code == 200
    body = text_of(page)
    assert 'data-kind="escalate"' in body and "Escalated: time limit passed" in body
    assert "data-delay" in body and 'data-days-late="3"' in body
    assert 'data-penalty-preview="75000"' in body and "₹750.00" in body
    assert 'id="hearing-form"' in body and 'id="order-form"' in body

    when = (clock.now() + dt.timedelta(days=2)).astimezone().strftime("%Y-%m-%dT11:00")
    fixed = client.post(
        url("appeal_hearing", late_appeal.reference),
        {"hearing_at": when, "place": "Collectorate, room 4"},
    )
    assert fixed.status_code == 302
    late_appeal.refresh_from_db()
    assert late_appeal.status == Appeal.Status.HEARING
    assert late_appeal.hearing_place == "Collectorate, room 4"

    too_much = client.post(
        url("appeal_order", late_appeal.reference),
        {
            "outcome": "allowed",
            "order_text": "Penalty.",
            "penalise": "on",
            "penalty_officer": scrutiny_officer.pk,
            "compensation": "800",
        },
    )
    assert too_much.status_code == 400
    assert 'href="#id_compensation"' in too_much.content.decode()
    assert "more than the penalty" in text_of(too_much)
    assert not Penalty.objects.exists()

    passed = client.post(
        url("appeal_order", late_appeal.reference),
        {
            "outcome": "allowed",
            "order_text": "The delay was without sufficient cause.",
            "penalise": "on",
            "penalty_officer": scrutiny_officer.pk,
            "compensation": "500",
        },
    )
    assert passed.status_code == 302
    penalty = Penalty.objects.get()
    assert (penalty.officer, penalty.amount, penalty.compensation) == (
        scrutiny_officer,
        75_000,
        50_000,
    )
    after = text_of(client.get(url("appeal", late_appeal.reference)))
    assert "Officer penalised" in after and 'id="order-form"' not in after
    # Decided: off the open queue, on the decided one.
    assert late_appeal.reference not in text_of(client.get(url("appeals")))
    assert late_appeal.reference in text_of(client.get(url("appeals") + "?status=decided"))
    assert late_appeal.reference not in text_of(client.get(url("appeals") + "?level=2&status=all"))


def test_an_order_without_outcome_or_text_is_refused_on_the_page(late_appeal, appellate_officer):
    client = signed_in(appellate_officer)
    response = client.post(url("appeal_order", late_appeal.reference), {"order_text": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#id_order_text"' in body and 'aria-invalid="true"' in body
    late_appeal.refresh_from_db()
    assert late_appeal.status == Appeal.Status.FILED


def test_officers_out_of_reach_get_404_and_others_403(
    late_appeal, places, designated_officer, appellate_officer
):
    indore = signed_in(officer(Role.APPELLATE_OFFICER, places.indore))
    assert indore.get(url("appeal", late_appeal.reference)).status_code == 404
    post = {"hearing_at": "2026-08-01T11:00", "place": "Room"}
    assert indore.post(url("appeal_hearing", late_appeal.reference), post).status_code == 404
    assert late_appeal.reference not in text_of(indore.get(url("appeals") + "?whose=all"))

    other_department = signed_in(officer(Role.APPELLATE_OFFICER, places.bhopal, department="REV"))
    assert other_department.get(url("appeal", late_appeal.reference)).status_code == 404

    # The designated officer holds no appellate posting: no queue, no appeal page.
    designated = signed_in(designated_officer)
    assert designated.get(url("appeals")).status_code == 403
    assert designated.get(url("appeal", late_appeal.reference)).status_code == 404
    assert designated.post(url("appeal_order", late_appeal.reference), {}).status_code == 403

    # A state-wide officer sees the first appeal but cannot hear it: no forms; a post is 403.
    wide = signed_in(officer(Role.APPELLATE_OFFICER, None, name="Commissioner"))
    body = text_of(wide.get(url("appeal", late_appeal.reference)))
    assert late_appeal.reference in body and 'id="order-form"' not in body
    assert wide.post(url("appeal_hearing", late_appeal.reference), post).status_code == 403
    late_appeal.refresh_from_db()
    assert late_appeal.status == Appeal.Status.FILED


def test_staff_must_sign_in_with_totp(late_appeal, appellate_officer):
    client = Client()
    client.force_login(appellate_officer)  # no TOTP verification
    for path in (url("appeals"), url("appeal", late_appeal.reference)):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:staff_signin"))


def test_the_citizen_has_no_queue(rejected, citizen):
    response = as_citizen(citizen).get(url("appeals"))
    assert response.status_code == 403


def test_the_queue_in_hindi(late_appeal, appellate_officer):
    client = signed_in(appellate_officer)
    body = text_of(client.get(url("appeals", lang="hi")))
    assert "अपीलें" in body and "प्रथम अपील" in body


def test_the_case_history_on_the_officers_page_after_a_rejection(
    rejected, citizen, appellate_officer
):
    appeal = appeals.file_appeal(rejected, appellant=citizen, statement="Appeal.")
    body = text_of(signed_in(appellate_officer).get(url("appeal", appeal.reference)))
    assert 'data-kind="reject"' in body and "The marksheet is not genuine." in body
    assert "Documents are not valid or not genuine" in body
    assert "Not in the delay register." in body
    assert "no penalty can be imposed" in body


def test_services_still_refuse_what_the_page_would(late_appeal, appellate_officer):
    """The page's forms only parse: the rules are the service's (a forged post of a
    penalty on a dismissed appeal is refused there)."""
    client = signed_in(appellate_officer)
    response = client.post(
        url("appeal_order", late_appeal.reference),
        {"outcome": "dismissed", "order_text": "No.", "penalise": "on"},
    )
    assert response.status_code == 400
    assert not Penalty.objects.exists()
