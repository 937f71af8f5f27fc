"""The public kiosk locator and a kiosk's public page: by PIN code (from its post
offices' coordinates), by district (by name), by the browser's location (nearest
first, with distances), suspended kiosks hidden, pages in English and Hindi."""

from __future__ import annotations

import itertools
import math
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekseva.core import clock
from ekseva.geo.models import PostOffice
from ekseva.geo.selectors import haversine_km
from ekseva.kiosks import locator, services
from ekseva.kiosks.models import Kiosk, Rating
from tests.web.a11y import problems

from .test_core import _staff

BHOPAL = (23.2333, 77.4000)  # PIN 462003's post office, in the fixtures
_n = itertools.count(1)


def near(km_north: float, km_east: float = 0.0, origin=BHOPAL) -> dict:
    """Coordinates ``km_north`` and ``km_east`` of ``origin`` (small distances)."""
    lat = origin[0] + km_north / locator.KM_PER_DEGREE
    lon = origin[1] + km_east / (locator.KM_PER_DEGREE * math.cos(math.radians(origin[0])))
    return {"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"}


@pytest.fixture
def offices(places):
    PostOffice.objects.create(
        pincode="462003",
        name="Bhopal GPO",
        district=places.bhopal,
        latitude=Decimal(f"{BHOPAL[0]:.6f}"),
        longitude=Decimal(f"{BHOPAL[1]:.6f}"),
    )
    PostOffice.objects.create(pincode="462099", name="No coordinates BO", district=places.bhopal)
    PostOffice.objects.create(
        pincode="452001",
        name="Indore GPO",
        district=places.indore,
        latitude=Decimal("22.719600"),
        longitude=Decimal("75.857700"),
    )


@pytest.fixture
def spread(make_kiosk, places, offices):
    """Bhopal kiosks 0.5, 3 and 12 km from the GPO (made out of order), one in Indore."""
    far = make_kiosk(business_name="Far Kendra", **near(12))
    mid = make_kiosk(business_name="Middle Kendra", **near(0, 3))
    close = make_kiosk(business_name="Close Kendra", **near(-0.5))
    indore = make_kiosk(
        places.indore,
        business_name="Indore Kendra",
        pin_code="452001",
        latitude="22.719600",
        longitude="75.857700",
    )
    return close, mid, far, indore


def codes(html: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', html)


def distances(html: str) -> list[float]:
    return [float(d) for d in re.findall(r'data-distance="([^"]+)"', html)]


# --------------------------------------------------------------------------- the search


def test_by_pin_nearest_first_from_the_pins_post_office(spread):
    close, mid, far, indore = spread
    found = locator.search(pin="462003")
    assert [f.kiosk.code for f in found.results] == [close.code, mid.code, far.code]
    assert [f.distance_km for f in found.results] == [0.5, 3.0, 12.0]
    assert found.radius_km == locator.MAX_KM  # widened to the end: too few kiosks to stop
    assert indore.code not in [f.kiosk.code for f in found.results]  # ~185 km away


def test_by_location_measures_from_the_point(spread):
    close, mid, far, _indore = spread
    origin = locator.Origin(*(float(v) for v in near(12).values()))
    found = locator.search(origin=origin)
    # from 12 km north: the middle one (3 km east of the GPO) is nearer than the close one
    assert [f.kiosk.code for f in found.results] == [far.code, mid.code, close.code]
    assert [f.distance_km for f in found.results] == [0.0, 12.4, 12.5]


def test_by_district_by_name_and_suspended_kiosks_hidden(spread, places):
    _close, mid, _far, indore = spread
    found = locator.search(district=places.bhopal)
    names = [f.kiosk.business_name for f in found.results]
    assert names == sorted(names) and len(names) == 3
    assert all(f.distance_km is None for f in found.results)
    services.suspend(mid, reason="Inspection found overcharging", actor=_staff())
    assert mid.code not in [f.kiosk.code for f in locator.search(district=places.bhopal).results]
    assert mid.code not in [f.kiosk.code for f in locator.search(pin="462003").results]
    assert [f.kiosk.code for f in locator.search(district=places.indore).results] == [indore.code]


def test_a_district_with_a_point_is_that_district_by_distance(spread, places):
    close, mid, far, _indore = spread
    found = locator.search(district=places.bhopal, origin=locator.Origin(*BHOPAL))
    assert [f.kiosk.code for f in found.results] == [close.code, mid.code, far.code]


def test_a_pin_without_coordinates_lists_its_district_and_an_unknown_pin_finds_nothing(
    spread, places
):
    found = locator.search(pin="462099")  # an office without coordinates, in Bhopal
    assert found.district == places.bhopal and len(found.results) == 3
    assert locator.search(pin="799999").empty


def test_kiosks_without_coordinates_at_the_pin_come_after_those_measured(make_kiosk, offices):
    unknown = make_kiosk(business_name="Somewhere Kendra", latitude=None, longitude=None)
    known = make_kiosk(business_name="Mapped Kendra", **near(1))
    found = locator.search(pin="462003")
    assert [f.kiosk.code for f in found.results] == [known.code, unknown.code]
    assert found.results[1].distance_km is None


def test_the_box_widens_until_it_holds_enough_kiosks(make_kiosk, offices, monkeypatch):
    monkeypatch.setattr(locator, "WANT", 2)
    make_kiosk(**near(1))
    make_kiosk(**near(7))
    make_kiosk(**near(30))
    found = locator.search(pin="462003")
    assert found.radius_km == 10.0  # 5 km held one; 10 km holds two and stops
    assert len(found.results) == 2


@st.composite
def scatter(draw):
    points = draw(
        st.lists(st.tuples(st.floats(-60, 60), st.floats(-60, 60)), min_size=0, max_size=25)
    )
    origin = draw(st.tuples(st.floats(-40, 40), st.floats(-40, 40)))
    return points, origin


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=scatter())
def test_results_are_nearest_first_and_none_nearer_is_missing(places, frozen_clock, case):
    """Whatever the kiosks and the point: the order is non-decreasing in distance,
    and every active kiosk within the radius the search kept is in the results."""
    points, (north, east) = case
    Kiosk.objects.all().delete()
    rows = []
    for i, (dn, de) in enumerate(points):
        spot = near(dn, de)
        rows.append(
            Kiosk(
                code=f"KH{next(_n)}",
                status=Kiosk.Status.SUSPENDED if i % 7 == 3 else Kiosk.Status.ACTIVE,
                kind="csc",
                business_name=f"K{i}",
                owner_name="O",
                owner_mobile="9000000000",
                pan="ABCPE1234F",
                bank_account_name="O",
                bank_account_number="1",
                bank_ifsc="SBIN0001234",
                district=places.bhopal,
                address="A",
                pin_code="462003",
                latitude=Decimal(spot["latitude"]),
                longitude=Decimal(spot["longitude"]),
                opened_at=clock.now(),
            )
        )
    Kiosk.objects.bulk_create(rows)
    origin = locator.Origin(*(float(v) for v in near(north, east).values()))
    found = locator.search(origin=origin, page=1)
    pairs, radius = locator.nearest_ids(Kiosk.objects.filter(status="active"), origin)
    got = [d for d, _pk in pairs]
    assert got == sorted(got)
    expected = {
        k.pk
        for k in Kiosk.objects.filter(status="active")
        if haversine_km(origin.latitude, origin.longitude, float(k.latitude), float(k.longitude))
        <= radius
    }
    assert {pk for _d, pk in pairs} == expected
    shown = [f.distance_km for f in found.results]
    assert shown == sorted(shown)


# --------------------------------------------------------------------------- the pages


def test_the_locator_page_by_pin(client, spread, service):
    close, mid, far, _indore = spread
    Rating.objects.create(
        kiosk=close, application_number="MPX1", citizen=_staff(), stars=4, created_at=clock.now()
    )
    html = client.get("/en/kiosks/", {"pin": "462003"}).content.decode()
    assert codes(html) == [close.code, mid.code, far.code]
    assert distances(html) == [0.5, 3.0, 12.0]
    assert "Kiosks nearest to PIN code 462003" in html
    assert "0.5 km away" in html and "Common Service Centre" in html
    assert "Mon–Sat 09:00–19:00" in html and "Shop 4, New Market" in html
    assert "All services offered at kiosks" in html
    assert "4.0 of 5 (1 rating)" in html and "Not rated yet" in html
    assert problems(html) == []


def test_the_locator_page_without_javascript_offers_pin_and_district(client, places):
    html = client.get("/en/kiosks/").content.decode()
    assert 'name="pin"' in html and 'name="district"' in html
    assert '<option value="district:k-bhopal">Bhopal</option>' in html
    assert 'id="use-location" hidden' in html  # shown only by the script
    assert "navigator.geolocation" in html
    assert "data-none" not in html  # nothing searched yet: no "not found"
    assert problems(html) == []


def test_the_locator_page_by_district_and_by_location(client, spread, places):
    close, mid, far, indore = spread
    html = client.get("/en/kiosks/", {"district": "district:k-indore"}).content.decode()
    assert codes(html) == [indore.code] and "Kiosks in Indore district" in html
    point = near(12)
    html = client.get(
        "/en/kiosks/", {"lat": point["latitude"] + "123456", "lon": point["longitude"]}
    ).content.decode()
    assert codes(html) == [far.code, mid.code, close.code]
    assert "Kiosks nearest to your location" in html


def test_the_locator_page_says_when_nothing_is_found_and_refuses_bad_input(client, places):
    html = client.get("/en/kiosks/", {"pin": "799999"}).content.decode()
    assert "No kiosk found." in html and "Try a nearby PIN code, or choose your district." in html
    html = client.get("/en/kiosks/", {"pin": "12ab"}).content.decode()
    assert "Enter a PIN code of six digits" in html and 'href="#id_pin"' in html
    assert "data-none" not in html
    html = client.get("/en/kiosks/", {"lat": "abc", "lon": "77"}).content.decode()
    assert "Your location could not be read." in html


def test_the_locator_pages_through_results(client, make_kiosk, offices, monkeypatch):
    monkeypatch.setattr(locator, "PAGE_SIZE", 2)
    made = [make_kiosk(**near(k)) for k in (4, 1, 3, 2, 5)]
    first = client.get("/en/kiosks/", {"pin": "462003"}).content.decode()
    second = client.get("/en/kiosks/", {"pin": "462003", "page": "2"}).content.decode()
    assert codes(first) == [made[1].code, made[3].code]
    assert codes(second) == [made[2].code, made[0].code]
    assert "Page 2 of 3" in second and "pin=462003&amp;page=3" in second


def test_the_locator_in_hindi(client, spread):
    html = client.get("/hi/kiosks/", {"pin": "462003"}).content.decode()
    assert 'lang="hi"' in html
    assert "कियोस्क खोजें" in html  # find a kiosk
    assert "सोम–शनि 09:00–19:00" in html  # the Hindi opening hours
    assert "कॉमन सर्विस सेंटर" in html
    assert "Find a kiosk" not in html and problems(html) == []


def test_the_locator_reads_a_fixed_number_of_queries(client, make_kiosk, offices):
    for k in range(3):
        make_kiosk(**near(k))
    with CaptureQueriesContext(connection) as few:
        client.get("/en/kiosks/", {"pin": "462003"})
    for k in range(12):
        make_kiosk(**near(k + 0.5), services=["tst-exam"])
    with CaptureQueriesContext(connection) as many:
        client.get("/en/kiosks/", {"pin": "462003"})
    assert len(many) <= len(few) + 1  # the services' names: one query for the page


# --------------------------------------------------------------------------- a kiosk's page


def test_a_kiosks_page_shows_its_services_and_fees(client, kiosk, service):
    html = client.get(f"/en/kiosks/k/{kiosk.code}/").content.decode()
    assert kiosk.business_name in html and "Shop 4, New Market" in html
    assert "https://www.openstreetmap.org/?mlat=23.233300&amp;mlon=77.400000" in html
    assert 'data-service="tst-exam"' in html
    assert "₹0.00 – ₹500.00" in html and "depends on the applicant" in html
    assert "₹47.20" in html  # convenience 40 + GST 7.20
    assert re.search(r"data-kiosk-charge>₹20.00<", html)
    assert "This kiosk offers every service that can be applied for at kiosks." in html
    assert f"/en/kiosks/complain/{kiosk.code}/" in html
    assert problems(html) == []
    hindi = client.get(f"/hi/kiosks/k/{kiosk.code.lower()}/").content.decode()
    assert "परीक्षण परीक्षा" in hindi and "कियोस्क शुल्क की सीमा" in hindi


def test_a_kiosk_listing_services_offers_only_those(client, make_kiosk, service):
    listed = make_kiosk(services=["another-service"])
    html = client.get(f"/en/kiosks/k/{listed.code}/").content.decode()
    assert "tst-exam" not in html
    assert "No service can be applied for at this kiosk at present." in html


def test_a_suspended_kiosks_page_says_so_and_a_closed_one_is_gone(client, kiosk):
    staff = _staff()
    services.suspend(kiosk, reason="Inquiry", actor=staff)
    html = client.get(f"/en/kiosks/k/{kiosk.code}/").content.decode()
    assert "data-suspended" in html
    services.close(kiosk, reason="Licence cancelled", actor=staff)
    assert client.get(f"/en/kiosks/k/{kiosk.code}/").status_code == 404
    assert client.get("/en/kiosks/k/K0000000/").status_code == 404


def test_the_menu_links_to_the_locator(client, db):
    html = client.get("/en/").content.decode()
    assert 'href="/en/kiosks/"' in html and "Find a kiosk" in html
