"""Query budgets of the back office's and the public's pages in a deadline surge:
an officer's inbox and a case, the public performance page and the check of a
certificate by its number.

Each test runs with ``n`` = 1 and 30 (cases in the officer's inbox, cases in the
figures) or 1 and 3 (certificates issued; each costs a signed PDF): the budget is
the same for both."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.certificates import pages
from tests.workflow import conftest as back_office
from tests.workflow.figures_seed import make_case, seed_mix
from tests.workflow.test_inbox import signed_in

pytestmark = pytest.mark.django_db

# The back office's fixtures (tests/workflow/conftest.py, and the certificate
# pages' ``issued``), used as they are.
_gateway = back_office._gateway
fake_gateway = back_office.fake_gateway
english = back_office.english
citizen = back_office.citizen
places = back_office.places
service = back_office.service
received = back_office.received
scrutiny_officer = back_office.scrutiny_officer
designated_officer = back_office.designated_officer
indore_officer = back_office.indore_officer
issued = pages.issued


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


@pytest.fixture(params=[1, 30], ids=lambda n: f"n{n}")
def n(request):
    return request.param


def test_inbox(n, received, designated_officer, within):
    for _ in range(n):
        received()
    office = signed_in(Client(), designated_officer)
    html = within(13, lambda: ok(office.get("/en/office/inbox/?tab=scope"))).content.decode()
    assert len(re.findall(r'<tr data-case="', html)) == n


def test_case_page(n, received, scrutiny_officer, within):
    apps = [received() for _ in range(n)]
    office = signed_in(Client(), scrutiny_officer)
    within(18, lambda: ok(office.get(f"/en/office/case/{apps[-1].number}/")))


def test_performance_page(n, service, places, designated_officer, indore_officer, within):
    seed_mix(service, places, designated_officer, indore_officer)
    for i in range(n):  # a row each: a service of its own, half of them in Indore
        district = places.indore if i % 2 else places.bhopal
        make_case(service, district=district, service_code=f"tst-perf-{i}")
    client = Client()
    html = within(8, lambda: ok(client.get("/en/performance/"))).content.decode()
    assert "tst-perf" in html or n == 1, "the rows of the cases made here are on the page"
    within(8, lambda: ok(client.get("/en/performance/", {"district": str(places.bhopal.pk)})))


@pytest.mark.parametrize("count", [1, 3])
def test_verify_by_number(count, issued, within):
    certificates = [issued() for _ in range(count)]
    client = Client()
    number = certificates[-1].number
    # One query: the certificate's shown columns with its service's and department's names.
    html = within(1, lambda: ok(client.get(f"/en/verify/{number}/"))).content.decode()
    assert 'data-verdict="' in html
