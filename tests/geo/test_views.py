import re

import pytest

from ekseva.geo import services
from ekseva.geo.models import AdminUnit

OPTION = re.compile(r'<option value="([^"]*)">([^<]*)</option>')


@pytest.fixture
def tehsils(seeded):
    services.import_lgd(services.DATA_DIR / "sample_lgd_subdistricts.csv")


@pytest.mark.django_db
def test_children_options_in_english_and_hindi(client, tehsils, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get("/en/geo/units/district:396/children/?kind=tehsil")
    assert response.status_code == 200
    assert OPTION.findall(response.content.decode()) == [
        ("", "Select"),
        ("tehsil:990102", "Berasia"),
        ("tehsil:990101", "Huzur"),
        ("tehsil:990103", "Kolar"),
    ]
    hindi = OPTION.findall(client.get("/hi/geo/units/district:396/children/").content.decode())
    assert ("tehsil:990101", "हुजूर") in hindi


@pytest.mark.django_db
def test_children_of_the_state_are_its_districts(client, seeded):
    options = OPTION.findall(
        client.get("/en/geo/units/state:23/children/?kind=district").content.decode()
    )
    assert len(options) == 56  # the blank choice and 55 districts
    assert ("district:396", "Bhopal") in options


@pytest.mark.django_db
def test_children_refuses_unknown_units_kinds_and_writes(client, seeded):
    assert client.get("/en/geo/units/district:0/children/").status_code == 404
    assert client.get("/en/geo/units/district:396/children/?kind=planet").status_code == 400
    assert client.post("/en/geo/units/district:396/children/").status_code == 405


@pytest.mark.django_db
def test_pincode_json(client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/en/geo/pincode/462001/")
    assert response.status_code == 200
    data = response.json()
    assert data["pincode"] == "462001"
    assert data["district"] == {"code": "district:396", "name": "Bhopal"}
    assert data["offices"]
    head = next(o for o in data["offices"] if o["type"] == "HO")
    assert 23 < head["latitude"] < 23.5 and 77.2 < head["longitude"] < 77.6
    assert {o["district"] for o in data["offices"]} == {"district:396"}
    hindi = client.get("/hi/geo/pincode/462001/").json()
    assert hindi["district"]["name"] == "भोपाल"


@pytest.mark.django_db
def test_pincode_unknown_and_malformed(client, seeded):
    response = client.get("/en/geo/pincode/110001/")
    assert response.status_code == 404
    assert response.json() == {"pincode": "110001", "error": "This PIN code is not known."}
    bad = client.get("/en/geo/pincode/46200x/")
    assert bad.status_code == 400
    assert "six digits" in bad.json()["error"]
    assert client.post("/en/geo/pincode/462001/").status_code == 405


@pytest.mark.django_db
def test_pickers_need_no_sign_in_and_show_inactive_units_nowhere(client, seeded):
    AdminUnit.objects.filter(code="district:396").update(active=False)
    options = OPTION.findall(client.get("/en/geo/units/state:23/children/").content.decode())
    assert ("district:396", "Bhopal") not in options
