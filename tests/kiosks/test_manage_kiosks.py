"""Staff pages of kiosks and complaints: who sees what (operator staff all,
district coordinators their district, auditors read-only, everyone else
refused), the figures, suspend / reinstate with a reason, the complaints queue,
and a fixed number of queries however many kiosks are listed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import audit, clock
from ekseva.kiosks import feedback, locator, services
from ekseva.kiosks.models import Complaint, Kiosk, KioskStatusChange, Rating
from ekseva.notifications.models import Message
from ekseva.payments.models import Payment
from tests.applications.test_mine_views import verified_login
from tests.web.a11y import problems

from .conftest import assisted_submitted, fund, login

LIST = "/en/kiosks/manage/kiosks/"
QUEUE = "/en/kiosks/manage/complaints/"


def staff(role: Role, unit=None, name: str = "") -> User:
    user = User.objects.create_user(
        name or f"{role}.{unit.pk if unit else 'all'}", "x-pass-2026-long"
    )
    Posting.objects.create(user=user, role=role, admin_unit=unit)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def ops(db) -> User:
    return staff(Role.OPERATOR_STAFF)


@pytest.fixture
def bhopal_dc(places) -> User:
    return staff(Role.DISTRICT_COORDINATOR, places.bhopal)


@pytest.fixture
def indore_dc(places) -> User:
    return staff(Role.DISTRICT_COORDINATOR, places.indore)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', html)


def cell(html: str, code: str, name: str) -> str:
    row = html[html.index(f'<tr data-code="{code}"') :]
    return re.search(rf'data-{name}="([^"]*)"', row).group(1)


# --------------------------------------------------------------------------- access


def test_operator_staff_see_every_kiosk_a_coordinator_only_their_district(
    client, kiosk, other_kiosk, ops, bhopal_dc, indore_dc
):
    verified_login(client, ops)
    html = client.get(LIST).content.decode()
    assert sorted(rows(html)) == sorted([kiosk.code, other_kiosk.code])
    assert problems(html) == []
    client.logout()
    verified_login(client, bhopal_dc)
    html = client.get(LIST).content.decode()
    assert rows(html) == [kiosk.code]
    assert 'value="district:k-indore"' not in html  # the district filter offers theirs only
    assert client.get(f"{LIST}{other_kiosk.code}/").status_code == 404
    assert (
        client.post(
            f"{LIST}{other_kiosk.code}/status/", {"action": "suspend", "reason": "x"}
        ).status_code
        == 404
    )
    client.logout()
    verified_login(client, indore_dc)
    assert rows(client.get(LIST).content.decode()) == [other_kiosk.code]


def test_citizens_kiosk_logins_and_strangers_are_refused(client, kiosk, citizen, franchisee):
    response = client.get(LIST)
    assert response.status_code == 302 and "/staff" in response["Location"]
    client.force_login(citizen)
    assert client.get(LIST).status_code == 403
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{LIST}{kiosk.code}/").status_code == 403
    client.logout()
    verified_login_kiosk(client, franchisee)
    assert client.get(LIST).status_code == 403  # the kiosk's own login is not staff here
    assert client.get(QUEUE).status_code == 403


def verified_login_kiosk(client, user: User) -> None:
    """A kiosk login signed in with its (enrolled) authenticator."""
    TOTPDevice.objects.filter(user=user).update(confirmed=True)
    verified_login(client, user)


def test_staff_signed_in_without_totp_are_sent_to_the_staff_sign_in(client, ops):
    client.force_login(ops)
    response = client.get(LIST)
    assert response.status_code == 302 and "staff" in response["Location"]


def test_an_auditor_sees_but_cannot_suspend_or_decide(client, kiosk, places):
    auditor = staff(Role.AUDITOR, places.bhopal)
    verified_login(client, auditor)
    assert rows(client.get(LIST).content.decode()) == [kiosk.code]
    html = client.get(f"{LIST}{kiosk.code}/").content.decode()
    assert "status-form" not in html
    response = client.post(f"{LIST}{kiosk.code}/status/", {"action": "suspend", "reason": "x"})
    assert response.status_code == 403
    assert client.get(QUEUE).status_code == 403
    kiosk.refresh_from_db()
    assert kiosk.status == Kiosk.Status.ACTIVE


# --------------------------------------------------------------------------- figures


@pytest.fixture
def busy(kiosk, operator, citizen, other_citizen, service, places):
    """Two paid applications at ``kiosk`` (one moved to last month), a complaint of
    each outcome, two ratings, one suspension and reinstatement."""
    fund(kiosk, 500_000)
    first = assisted_submitted(operator, citizen, service)
    second = assisted_submitted(operator, other_citizen, service)
    one = services.pay_assisted(operator, first, idempotency_key="b1")
    two = services.pay_assisted(operator, second, idempotency_key="b2")
    Payment.objects.filter(pk=one.pk).update(succeeded_at=clock.now() - dt.timedelta(days=30))
    ops = staff(Role.OPERATOR_STAFF, name="ops.busy")
    for kind in ("behaviour", "service", "other"):
        feedback.complain(kiosk=kiosk, kind=kind, description=kind)
    upheld, dismissed, _open = Complaint.objects.order_by("pk")
    feedback.resolve(upheld, uphold=True, resolution="Warned", actor=ops)
    feedback.resolve(dismissed, uphold=False, resolution="Not borne out", actor=ops)
    Rating.objects.create(
        kiosk=kiosk,
        application_number=first.number,
        citizen=citizen,
        stars=5,
        created_at=clock.now(),
    )
    Rating.objects.create(
        kiosk=kiosk,
        application_number=second.number,
        citizen=other_citizen,
        stars=2,
        created_at=clock.now(),
    )
    services.suspend(kiosk, reason="Inspection", actor=ops)
    services.reinstate(kiosk, reason="Explained", actor=ops)
    return {"one": one, "two": two}


def test_the_figures_are_right(client, kiosk, other_kiosk, busy, ops):
    one, two = busy["one"], busy["two"]
    verified_login(client, ops)
    html = client.get(LIST).content.decode()
    assert cell(html, kiosk.code, "month") == f"1:{two.amount}"
    assert cell(html, kiosk.code, "all") == f"2:{one.amount + two.amount}"
    assert cell(html, kiosk.code, "complaints") == "1:1"
    assert cell(html, kiosk.code, "rating") == "2" and "3.5 (2)" in html
    assert cell(html, kiosk.code, "suspensions") == "1"
    assert cell(html, kiosk.code, "wallet") == str(services.wallet_balance(kiosk))
    assert int(cell(html, kiosk.code, "wallet")) == 500_000 - one.amount - two.amount
    assert (
        cell(html, other_kiosk.code, "all") == "0:0"
        and cell(html, other_kiosk.code, "wallet") == "0"
    )
    detail = client.get(f"{LIST}{kiosk.code}/").content.decode()
    assert 'data-figure="month"><span class="figure">1</span>' in detail
    assert "Inspection" in detail and "Explained" in detail
    assert problems(detail) == []


def test_filters_search_and_sorting(client, make_kiosk, places, ops, kiosk, other_kiosk):
    quiet = make_kiosk(kind="cyber_cafe", business_name="Quiet Cafe")
    for n in range(2):
        feedback.complain(kiosk=other_kiosk, kind="other", description=f"{n}")
    feedback.complain(kiosk=quiet, kind="other", description="x")
    verified_login(client, ops)
    by_complaints = rows(client.get(LIST, {"sort": "complaints"}).content.decode())
    assert by_complaints[:2] == [other_kiosk.code, quiet.code]
    assert rows(client.get(LIST, {"kind": "cyber_cafe"}).content.decode()) == [quiet.code]
    assert rows(client.get(LIST, {"q": "quiet"}).content.decode()) == [quiet.code]
    assert rows(client.get(LIST, {"district": "district:k-indore"}).content.decode()) == [
        other_kiosk.code
    ]
    services.suspend(kiosk, reason="x", actor=ops)
    assert rows(client.get(LIST, {"status": "suspended"}).content.decode()) == [kiosk.code]
    Rating.objects.create(
        kiosk=quiet, application_number="A1", citizen=ops, stars=1, created_at=clock.now()
    )
    Rating.objects.create(
        kiosk=kiosk, application_number="A2", citizen=ops, stars=5, created_at=clock.now()
    )
    assert rows(client.get(LIST, {"sort": "rating"}).content.decode())[:2] == [
        quiet.code,
        kiosk.code,
    ]


def test_the_list_reads_a_fixed_number_of_queries(client, make_kiosk, ops, places):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(queries)

    verified_login(client, ops)
    for _ in range(2):
        make_kiosk()
    few = measure()
    for n in range(10):
        kiosk = make_kiosk(places.indore if n % 2 else places.bhopal)
        feedback.complain(kiosk=kiosk, kind="other", description="x")
        Rating.objects.create(
            kiosk=kiosk, application_number=f"N{n}", citizen=ops, stars=3, created_at=clock.now()
        )
    assert measure() == few


def test_the_list_stays_within_a_query_budget(
    client, make_kiosk, ops, django_assert_max_num_queries
):
    for _ in range(6):
        make_kiosk()
    verified_login(client, ops)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200


# --------------------------------------------------------------------------- suspend / reinstate


def test_suspend_and_reinstate_through_the_page(client, kiosk, bhopal_dc):
    verified_login(client, bhopal_dc)
    url = f"{LIST}{kiosk.code}/status/"
    response = client.post(url, {"action": "suspend", "reason": ""})
    assert response.status_code == 400 and 'id="id_reason_error"' in response.content.decode()
    response = client.post(url, {"action": "suspend", "reason": "Overcharging upheld twice"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}{kiosk.code}/"
    kiosk.refresh_from_db()
    assert kiosk.status == Kiosk.Status.SUSPENDED
    change = KioskStatusChange.objects.get()
    assert change.reason == "Overcharging upheld twice" and change.actor == bhopal_dc
    assert audit.AuditEvent.objects.filter(action="kiosks.kiosk.suspended").exists()
    html = client.get(f"{LIST}{kiosk.code}/").content.decode()
    assert "Reinstate this kiosk" in html and 'value="reinstate"' in html
    client.post(url, {"action": "reinstate", "reason": "Refunds made"})
    kiosk.refresh_from_db()
    assert kiosk.status == Kiosk.Status.ACTIVE and KioskStatusChange.objects.count() == 2


def test_a_closed_kiosk_offers_no_status_form(client, kiosk, ops):
    services.close(kiosk, reason="Gone", actor=ops)
    verified_login(client, ops)
    html = client.get(f"{LIST}{kiosk.code}/").content.decode()
    assert "status-form" not in html
    response = client.post(f"{LIST}{kiosk.code}/status/", {"action": "reinstate", "reason": "x"})
    assert response.status_code == 400 and "This kiosk is closed." in response.content.decode()


# --------------------------------------------------------------------------- complaints


def test_the_complaints_queue_is_scoped_and_decided_on_the_page(
    client, kiosk, other_kiosk, bhopal_dc
):
    mine = feedback.complain(kiosk=kiosk, kind="behaviour", description="Rude", mobile="9123456780")
    later = feedback.complain(kiosk=kiosk, kind="service", description="Slow")
    theirs = feedback.complain(kiosk=other_kiosk, kind="other", description="x")
    verified_login(client, bhopal_dc)
    html = client.get(QUEUE).content.decode()
    listed = re.findall(r'<tr data-reference="([^"]+)"', html)
    assert listed == [mine.reference, later.reference]  # oldest first, their district only
    assert problems(html) == []
    assert client.get(f"{QUEUE}{theirs.reference}/").status_code == 404
    url = f"{QUEUE}{mine.reference}/"
    page = client.get(url).content.decode()
    assert "9123456780" in page and "Rude" in page and problems(page) == []
    response = client.post(url, {"decision": "uphold", "resolution": ""})
    assert response.status_code == 400
    response = client.post(url, {"decision": "uphold", "resolution": "Operator warned in writing."})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Complaint.Status.UPHELD and mine.resolved_by == bhopal_dc
    sms = Message.objects.get(template="kiosks.complaint_upheld")
    assert sms.recipient == "9123456780"
    assert audit.AuditEvent.objects.filter(action="kiosks.complaint.upheld").count() == 1
    assert "resolve-form" not in client.get(url).content.decode()
    again = client.post(url, {"decision": "dismiss", "resolution": "No"})
    assert again.status_code == 400 and "already been decided" in again.content.decode()
    html = client.get(QUEUE, {"status": "all"}).content.decode()
    assert mine.reference in html and later.reference in html
    client.post(f"{QUEUE}{later.reference}/", {"decision": "dismiss", "resolution": "Busy day"})
    later.refresh_from_db()
    assert later.status == Complaint.Status.DISMISSED
    assert not Message.objects.filter(template="kiosks.complaint_dismissed").exists()  # no mobile


def test_the_staff_pages_in_hindi(client, kiosk, ops):
    complaint = feedback.complain(kiosk=kiosk, kind="behaviour", description="x")
    verified_login(client, ops)
    for url in (LIST, f"{LIST}{kiosk.code}/", QUEUE, f"{QUEUE}{complaint.reference}/"):
        html = client.get(url.replace("/en/", "/hi/")).content.decode()
        assert 'lang="hi"' in html and problems(html) == [], url
    html = client.get(QUEUE.replace("/en/", "/hi/")).content.decode()
    assert "अभद्र या अनुचित व्यवहार" in html and "कियोस्क के विरुद्ध शिकायतें" in html


def test_scope_filter_matches_the_permission_check(kiosk, other_kiosk, places, bhopal_dc, ops):
    from ekseva.accounts.permissions import can

    for user in (bhopal_dc, ops, login(kiosk)):
        scoped = set(locator.scoped_kiosks(user).values_list("code", flat=True))
        allowed = {
            k.code
            for k in Kiosk.objects.all()
            if can(user, "kiosks.view", k)
            and any(p.role in locator.STAFF_VIEW_ROLES for p in user.postings.all())
        }
        assert scoped == allowed
