"""The public catalogue (HTML) and API, over the real definitions/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ekseva.catalog import demo, selectors
from ekseva.catalog.models import Service, ServiceVersion, normalise_text


def test_demo_load_is_idempotent(catalogue):
    assert any("created, version 1 published" in c for c in catalogue)
    versions = ServiceVersion.objects.count()
    assert all(c.endswith("unchanged") for c in demo.load_changes())
    assert ServiceVersion.objects.count() == versions


@pytest.mark.parametrize("q", ["मूल निवासी", "मूल", "domicile", "DOMICILE", "niwas praman"])
def test_search_finds_the_domicile_certificate_in_either_language(catalogue, q):
    codes = [s.code for s in selectors.search_services(selectors.Filters(q=q))]
    assert "lsg-domicile-certificate" in codes


def test_search_normalises_devanagari(catalogue):
    # The nukta letter ड़ is one code point (U+095C) from some keyboards and two
    # (ड + ◌़) from others; both must find the same service.
    composed, decomposed = "प\u095cोस", "प\u0921\u093cोस"
    Service.objects.filter(code="lsg-income-certificate").update(
        search_text=normalise_text(f"आय प्रमाण पत्र {composed}")
    )
    for typed in (composed, decomposed):
        found = selectors.search_services(selectors.Filters(q=typed))
        assert [s.code for s in found] == ["lsg-income-certificate"]


def test_search_for_nonsense_finds_nothing(catalogue):
    assert not selectors.search_services(selectors.Filters(q="zzqxj")).exists()


def test_district_filter_keeps_statewide_services_and_that_districts_own(catalogue):
    bhopal = {s.code for s in selectors.search_services(selectors.Filters(district="district:396"))}
    indore = {s.code for s in selectors.search_services(selectors.Filters(district="district:410"))}
    assert "bmc-property-tax" in bhopal and "bmc-property-tax" not in indore
    assert "imc-property-tax" in indore and "imc-property-tax" not in bhopal
    assert "lsg-domicile-certificate" in bhopal & indore


def test_browse_page_by_category_and_department(client, catalogue):
    response = client.get(reverse("catalog:index", kwargs={}) + "?category=bill_payment")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Electricity Bill Payment (Central Discom)" in body
    assert "Domicile Certificate" not in body
    response = client.get("/en/services/?department=LSG")
    assert "Domicile Certificate" in response.content.decode()
    assert "Electricity Bill" not in response.content.decode()


def test_hindi_search_page(client, catalogue):
    response = client.get("/hi/services/", {"q": "मूल निवासी"})
    body = response.content.decode()
    assert 'href="/hi/services/lsg-domicile-certificate/"' in body
    assert "मूल निवासी प्रमाण पत्र" in body


def test_service_page_in_hindi_shows_fees_eligibility_and_apply(client, catalogue):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from ekseva.core import clock

    # Inside the exam's application window (15 Nov – 20 Dec 2026), whatever today is.
    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))):
        response = client.get("/hi/services/esb-group4-2026/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "समूह-4 संयुक्त भर्ती परीक्षा 2026" in body
    assert "₹500.00" in body and "₹250.00" in body and "₹7.20" in body
    assert "हायर सेकेंडरी (कक्षा 12)" in body
    assert 'href="/hi/applications/start/esb-group4-2026/"' in body


def test_service_page_in_english_and_unknown_service(client, catalogue):
    body = client.get("/en/services/lsg-domicile-certificate/").content.decode()
    assert "Domicile Certificate" in body and "7 working days" in body
    assert client.get("/en/services/no-such-service/").status_code == 404


def test_pages_refuse_other_methods(client, catalogue):
    assert client.post("/en/services/").status_code == 405
    assert client.post("/en/services/lsg-domicile-certificate/").status_code == 405


def test_api_lists_the_whole_catalogue(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/services/", {"page_size": 100})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] >= 40 and len(data["results"]) == data["count"]
    assert data["next"] is None
    assert len({s["category"] for s in data["results"]}) >= 5
    assert len({s["department"]["code"] for s in data["results"]}) >= 10


def test_api_filters_and_paginates(client, catalogue):
    data = client.get("/api/v1/services/", {"category": "citizen", "page_size": 2}).json()
    assert data["count"] >= 5 and len(data["results"]) == 2 and data["next"]
    assert {s["category"] for s in data["results"]} == {"citizen"}
    data = client.get("/api/v1/services/", {"department": "MPPSC"}).json()
    assert {s["department"]["code"] for s in data["results"]} == {"MPPSC"}
    data = client.get("/api/v1/services/", {"q": "मूल निवासी"}).json()
    assert [s["code"] for s in data["results"]] == ["lsg-domicile-certificate"]


def test_api_detail_has_form_schema_and_fees(client, catalogue):
    data = client.get("/api/v1/services/esb-group4-2026/").json()
    assert data["code"] == "esb-group4-2026"
    assert data["time_limit"] == {"days": 60, "kind": "calendar"}
    assert [f["rule"] for f in data["fees"]][:3] == ["mp-reserved", "mp-pwd", "general"]
    assert data["fees"][2]["amount_paise"] == 50000
    schema = data["form_schema"]
    assert "date_of_birth" in schema["properties"]
    assert "date_of_birth" in schema.get("required", [])
    assert client.get("/api/v1/services/nope/").status_code == 404


def test_api_is_read_only(client, catalogue):
    assert client.post("/api/v1/services/", {}).status_code == 405
    assert client.delete("/api/v1/services/esb-group4-2026/").status_code == 405
    assert client.put("/api/v1/services/esb-group4-2026/", {}).status_code == 405


def test_openapi_schema_lists_the_catalogue(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/services/" in paths and "/api/v1/services/{code}/" in paths
    assert set(paths["/api/v1/services/{code}/"]) == {"get"}


def test_openapi_schema_generates_without_warnings(capsys):
    from drf_spectacular.generators import SchemaGenerator

    SchemaGenerator().get_schema(request=None, public=True)
    captured = capsys.readouterr()
    catalog_warnings = [
        line for line in captured.err.splitlines() if "catalog" in line or "Service" in line
    ]
    assert catalog_warnings == []
