"""The catalogue pages' rendered content is cached (catalog.views): what a visitor
sees must not change because of it."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from ekseva.accounts.models import User
from ekseva.catalog import selectors
from ekseva.catalog.models import Department, Service, normalise_text
from ekseva.core import clock
from ekseva.geo.models import AdminUnit

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _body(client: Client, path: str, **query) -> str:
    response = client.get(path, query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_renamed_service_shows_at_once_on_both_pages(client, mini_loaded):
    assert "Test Examination" in _body(client, "/en/services/")
    assert "Test Examination" in _body(client, "/en/services/tst-exam/")
    # A bulk update: no signal, no save(); the digest still sees it.
    Service.objects.filter(pk=mini_loaded.pk).update(name_en="Renamed Examination")
    index, page = _body(client, "/en/services/"), _body(client, "/en/services/tst-exam/")
    assert "Renamed Examination" in index and "Test Examination" not in index
    assert "Renamed Examination" in page and "Test Examination" not in page


def test_a_department_change_shows_at_once(client, mini_loaded):
    assert "Test Department" in _body(client, "/en/services/tst-exam/")
    Department.objects.filter(code="TST").update(name_en="Testing Department")
    assert "Testing Department" in _body(client, "/en/services/tst-exam/")
    assert "Testing Department" in _body(client, "/en/services/")
    Department.objects.filter(code="TST").update(active=False)
    assert "Test Examination" not in _body(client, "/en/services/")
    assert client.get("/en/services/tst-exam/").status_code == 404


def test_a_new_search_word_and_a_district_show_at_once(client, mini_loaded):
    assert "Test Examination" not in _body(client, "/en/services/", q="zebra")
    Service.objects.filter(pk=mini_loaded.pk).update(search_text=normalise_text("zebra exam"))
    assert "Test Examination" in _body(client, "/en/services/", q="zebra")
    AdminUnit.objects.create(code="district:9999", kind="district", name_en="Newtown")
    assert "Newtown" in _body(client, "/en/services/")


def test_a_version_published_shows_at_once(client, mini_loaded):
    from ekseva.catalog.models import ServiceVersion

    assert "Test Examination" in _body(client, "/en/services/", category="recruitment")
    retired = ServiceVersion.objects.get(pk=mini_loaded.current_version_id)
    Service.objects.filter(pk=mini_loaded.pk).update(current_version=None)
    assert "Test Examination" not in _body(client, "/en/services/", category="recruitment")
    Service.objects.filter(pk=mini_loaded.pk).update(current_version=retired)
    assert "Test Examination" in _body(client, "/en/services/", category="recruitment")


def test_english_and_hindi_are_never_mixed(client, mini_loaded):
    for _round in range(2):  # the second round is served from the cache
        hindi = _body(client, "/hi/services/")
        english = _body(client, "/en/services/")
        assert "परीक्षण परीक्षा" in hindi and "Test Examination" not in hindi
        assert "Test Examination" in english and "परीक्षण परीक्षा" not in english
        hindi = _body(client, "/hi/services/tst-exam/")
        english = _body(client, "/en/services/tst-exam/")
        assert "<title>परीक्षण परीक्षा" in hindi and "परीक्षण विभाग" in hindi
        assert "Test Department" not in hindi
        assert "<title>Test Examination" in english and "Test Department" in english
        assert "परीक्षण विभाग" not in english


def test_a_signed_in_header_is_not_served_to_anyone_else(mini_loaded):
    person = User.objects.create_citizen("9876512345")
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(person)
    for path in ("/en/services/", "/en/services/tst-exam/"):
        mine = _body(signed_in, path)
        theirs = _body(anonymous, path)
        assert "Sign out" in mine and "My applications" in mine
        assert "Sign out" not in theirs and "My applications" not in theirs
        assert "Sign in" in theirs
        # Each page carries its own reader's CSRF token, never a cached one.
        tokens = [re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1) for page in (mine, theirs)]
        assert tokens[0] != tokens[1]
        # The content between the header and the footer is the same for both.
        assert _content(mine) == _content(theirs)


def _content(page: str) -> str:
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_the_apply_button_follows_the_day(client, mini_loaded):
    with clock.frozen(dt.datetime(2026, 6, 30, 12, tzinfo=IST)):
        page = _body(client, "/en/services/tst-exam/")
        assert "Applications are open." in page and "data-apply" in page
        clock.advance(days=6)  # after the late-fee window
        page = _body(client, "/en/services/tst-exam/")
        assert "Closed." in page and "data-apply" not in page


def test_the_digest_changes_with_what_the_pages_show(mini_loaded):
    first = selectors.catalogue_version()
    assert first == selectors.catalogue_version()
    Department.objects.filter(code="TST").update(name_hi="नया विभाग")
    second = selectors.catalogue_version()
    assert second != first
    Department.objects.filter(code="TST").update(contact_phone="0755-7654321")
    assert selectors.catalogue_version() == second  # not shown on a page


def test_queries_are_bounded_and_one_when_cached(
    client, mini_loaded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        _body(client, "/en/services/")
    with django_assert_max_num_queries(1):
        _body(client, "/en/services/")
    with django_assert_max_num_queries(3):
        _body(client, "/hi/services/tst-exam/")
    with django_assert_max_num_queries(1):
        _body(client, "/hi/services/tst-exam/")
