"""The public performance page (/<lang>/performance/): no sign-in, counts by service
and district only (no names, mobiles, numbers or officers), filters, the Act
explained in both languages, and the figures cached for a few minutes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from ekseva.workflow import reports
from tests.workflow.figures_seed import applicant, make_case, seed_mix


def url(lang: str = "en") -> str:
    with translation.override(lang):
        return reverse("performance:index")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mix(service, places, designated_officer, indore_officer):
    cases = seed_mix(service, places, designated_officer, indore_officer)
    person = applicant("Kamla Devi", "9826012345", "kamla@example.in")
    cases["kamla"] = make_case(service, district=places.bhopal, person=person)
    return cases


def test_anyone_sees_the_counts_by_service_and_district(client, mix, places):
    response = client.get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-total-received>11<" in page
    assert 'data-table="service"' in page and 'data-table="district"' in page
    report = response.context["report"]
    exam = next(r for r in report.by_service if r.service_code == "tst-exam")
    assert (exam.received, exam.in_time, exam.late, exam.beyond) == (
        9,
        2,
        1,
        3,
    )  # Kamla: due 12 June
    # the public table leaves out the staff columns
    assert "Pending within time" not in page and "Average days" not in page


def test_the_page_shows_no_personal_data(client, mix, designated_officer):
    page = client.get(url()).content.decode()
    page += client.get(url(), {"service": "tst-exam"}).content.decode()
    for secret in ("Kamla", "9826012345", "2345", "kamla@example.in", "R. K. Verma", "Meena"):
        assert secret not in page, secret
    for case in mix.values():
        assert case.application.number not in page


def test_filters_show_each_service_in_each_district(client, mix, places):
    response = client.get(url(), {"service": "tst-exam", "district": str(places.indore.pk)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-table="rows"' in page and "data-total-received>2<" in page
    rows = response.context["report"].rows
    assert [(r.service_code, r.district_id) for r in rows] == [("tst-exam", places.indore.pk)]
    response = client.get(url(), {"district": str(places.bhopal.pk)})
    assert {r.service_code for r in response.context["report"].rows} == {"tst-exam", "oth-licence"}


def test_a_bad_filter_is_explained(client, mix):
    response = client.get(url(), {"service": "no-such-service"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and 'href="#id_service"' in page
    # and the figures shown are the whole state's
    assert "data-total-received>11<" in page


def test_the_act_is_explained_in_hindi(client, mix):
    response = client.get(url("hi"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "सेवाओं का प्रदर्शन",
        "लोक सेवाओं के प्रदान की गारंटी अधिनियम, 2010",
        "प्रथम अपील",
        "30 दिन",
        "₹250",
        "भोपाल",
        "समय-सीमा के बाद लंबित",
    ):
        assert text in page, text


def test_the_act_is_explained_in_english(client, mix):
    page = client.get(url()).content.decode()
    assert "Public Services Guarantee Act, 2010" in page
    assert "first appeal within 30 days" in page and "₹250" in page and "₹5,000" in page


def test_the_figures_are_cached_briefly(client, mix, service, places):
    assert reports.PUBLIC_CACHE_SECONDS <= 600
    with CaptureQueriesContext(connection) as first:
        client.get(url())
    assert len(first.captured_queries) >= 1
    with CaptureQueriesContext(connection) as second:
        response = client.get(url())
    assert len(second.captured_queries) == 0
    # a new case shows only once the cache has expired
    make_case(service, district=places.bhopal)
    assert "data-total-received>11<" in response.content.decode()
    assert "data-total-received>11<" in client.get(url()).content.decode()
    cache.clear()  # what PUBLIC_CACHE_SECONDS does in time
    assert "data-total-received>12<" in client.get(url()).content.decode()


def test_the_footer_links_to_it(client, db):
    page = client.get(reverse("web:home")).content.decode()
    assert f'href="{url()}"' in page and "Service performance" in page


def test_no_applications_yet(client, service):
    response = client.get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-total-received>0<" in page and "No applications match." in page
    assert "data-total-percent>—<" in page
