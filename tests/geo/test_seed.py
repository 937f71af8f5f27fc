from decimal import Decimal

import pytest

from ekseva.core.models import AuditEvent
from ekseva.geo import services
from ekseva.geo.models import AdminUnit, GeoDataset, PostOffice

# Typed out independently of the bundled CSV: the 55 districts as of 2024.
MP_DISTRICTS = {
    "Agar Malwa",
    "Alirajpur",
    "Anuppur",
    "Ashoknagar",
    "Balaghat",
    "Barwani",
    "Betul",
    "Bhind",
    "Bhopal",
    "Burhanpur",
    "Chhatarpur",
    "Chhindwara",
    "Damoh",
    "Datia",
    "Dewas",
    "Dhar",
    "Dindori",
    "Guna",
    "Gwalior",
    "Harda",
    "Indore",
    "Jabalpur",
    "Jhabua",
    "Katni",
    "Khandwa",
    "Khargone",
    "Maihar",
    "Mandla",
    "Mandsaur",
    "Mauganj",
    "Morena",
    "Narmadapuram",
    "Narsinghpur",
    "Neemuch",
    "Niwari",
    "Pandhurna",
    "Panna",
    "Raisen",
    "Rajgarh",
    "Ratlam",
    "Rewa",
    "Sagar",
    "Satna",
    "Sehore",
    "Seoni",
    "Shahdol",
    "Shajapur",
    "Sheopur",
    "Shivpuri",
    "Sidhi",
    "Singrauli",
    "Tikamgarh",
    "Ujjain",
    "Umaria",
    "Vidisha",
}
DEVANAGARI = range(0x0900, 0x0980)


def _is_devanagari(text: str) -> bool:
    letters = [c for c in text if not c.isspace()]
    return bool(letters) and all(ord(c) in DEVANAGARI for c in letters)


@pytest.mark.django_db
def test_full_seed_loads_state_districts_and_every_office(django_assert_max_num_queries):
    result = services.seed_state()

    state = AdminUnit.objects.get(kind="state")
    assert (state.code, state.lgd_code, state.name_hi) == ("state:23", "23", "मध्य प्रदेश")
    districts = AdminUnit.objects.filter(kind="district")
    assert {d.name_en for d in districts} == MP_DISTRICTS
    assert all(d.parent_id == state.pk for d in districts)
    assert all(_is_devanagari(d.name_hi) for d in districts)
    assert all(d.division for d in districts)

    # India Post lists 10,292 MP rows: one exact duplicate and 9 with no usable district.
    assert result.offices_created == PostOffice.objects.count() == 10_282
    assert result.offices_unmapped == 9
    # Offices under the old names now sit in the renamed districts.
    assert PostOffice.objects.filter(pincode="461001", district__name_en="Narmadapuram").exists()
    assert PostOffice.objects.filter(district__name_en="Khandwa").count() == 178
    # District "Na" in India Post's file is resolved through the PIN's other offices.
    assert PostOffice.objects.get(name="Chhawani Pathar B.O").district.name_en == "Bhopal"
    # Only plausible coordinates are kept: inside the state, near the district.
    with_coords = PostOffice.objects.exclude(latitude=None)
    assert 7_000 < with_coords.count() < 8_000
    assert not with_coords.filter(latitude__lt=21).exists()
    assert not with_coords.filter(longitude__gt=83).exists()
    assert not PostOffice.objects.filter(latitude=None).exclude(longitude=None).exists()

    with django_assert_max_num_queries(4):
        again = services.seed_state()
    assert again.unchanged
    assert PostOffice.objects.count() == 10_282
    assert AdminUnit.objects.count() == 56
    assert AuditEvent.objects.filter(action="geo.seeded").count() == 1


@pytest.mark.django_db
def test_renamed_and_new_districts_keep_old_names_and_hindi(seeded):
    narmadapuram = AdminUnit.objects.get(name_en="Narmadapuram")
    assert narmadapuram.name_hi == "नर्मदापुरम"
    assert "Hoshangabad" in narmadapuram.aliases
    assert narmadapuram.division == "Narmadapuram"
    assert "East Nimar" in AdminUnit.objects.get(name_en="Khandwa").aliases
    assert "West Nimar" in AdminUnit.objects.get(name_en="Khargone").aliases
    for name, hindi, division in [
        ("Maihar", "मैहर", "Rewa"),
        ("Mauganj", "मऊगंज", "Rewa"),
        ("Pandhurna", "पांढुर्णा", "Jabalpur"),
        ("Niwari", "निवाड़ी", "Sagar"),
    ]:
        unit = AdminUnit.objects.get(name_en=name)
        assert (unit.name_hi, unit.division) == (hindi, division)
    bhopal = AdminUnit.objects.get(name_en="Bhopal")
    assert (bhopal.code, bhopal.lgd_code) == ("district:396", "396")


@pytest.mark.django_db
def test_unconfirmed_lgd_codes_are_left_empty_not_invented(seeded):
    empty = set(
        AdminUnit.objects.filter(kind="district", lgd_code="").values_list("name_en", flat=True)
    )
    assert empty == {"Maihar", "Mauganj", "Narmadapuram", "Niwari", "Pandhurna"}
    codes = list(AdminUnit.objects.exclude(lgd_code="").values_list("lgd_code", flat=True))
    assert len(codes) == len(set(codes))


@pytest.mark.django_db
def test_seeding_twice_duplicates_nothing_and_audits_once(seeded):
    assert seeded.offices_created > 0
    before = (AdminUnit.objects.count(), PostOffice.objects.count())
    again = services.seed_state(limit_districts=["Bhopal", "Sehore", "Indore"])
    assert again.unchanged
    forced = services.seed_state(limit_districts=["Bhopal", "Sehore", "Indore"], force=True)
    assert not forced.unchanged
    assert (forced.units_created, forced.offices_created, forced.offices_updated) == (0, 0, 0)
    assert (AdminUnit.objects.count(), PostOffice.objects.count()) == before
    assert set(PostOffice.objects.values_list("district__name_en", flat=True)) == {
        "Bhopal",
        "Sehore",
        "Indore",
    }
    # The forced run changed nothing but is still one recorded run.
    assert AuditEvent.objects.filter(action="geo.seeded").count() == 2


@pytest.mark.django_db
def test_seed_repairs_deleted_and_edited_rows(seeded):
    PostOffice.objects.filter(pincode="462001").delete()
    AdminUnit.objects.filter(name_en="Sehore").update(name_hi="गलत")
    result = services.seed_state(limit_districts=["Bhopal", "Sehore", "Indore"])
    # A count that no longer matches the marker makes the seed run again.
    assert not result.unchanged
    assert result.units_updated == 1
    assert result.offices_created >= 1
    assert PostOffice.objects.filter(pincode="462001").exists()
    assert AdminUnit.objects.get(name_en="Sehore").name_hi == "सीहोर"


@pytest.mark.django_db
def test_seed_adopts_an_existing_unit_by_name_instead_of_duplicating():
    state = AdminUnit.objects.create(code="state:mp", kind="state", name_en="Madhya Pradesh")
    old = AdminUnit.objects.create(
        code="district:bhopal", kind="district", name_en="Bhopal", parent=state
    )
    services.seed_state(limit_districts=["Bhopal"])
    assert AdminUnit.objects.filter(name_en="Bhopal").count() == 1
    old.refresh_from_db()
    assert (old.code, old.lgd_code, old.name_hi) == ("district:396", "396", "भोपाल")
    state.refresh_from_db()
    assert state.code == "state:23"


@pytest.mark.django_db
def test_seed_refuses_an_unknown_district_name():
    with pytest.raises(ValueError, match="Hoshangabad"):
        services.seed_state(limit_districts=["Hoshangabad"])
    assert not AdminUnit.objects.exists()
    assert not GeoDataset.objects.exists()


@pytest.mark.django_db
def test_seed_records_counts_in_the_audit_log(seeded):
    event = AuditEvent.objects.get(action="geo.seeded")
    assert event.object_type == "geo.adminunit"
    assert event.after["units_created"] == 56
    assert event.after["offices_total"] == PostOffice.objects.count()
    assert event.after["source"].startswith("bharatpin ")


def test_post_office_parsing_maps_old_names_na_rows_and_bad_coordinates(tmp_path):
    path = tmp_path / "pincodes.csv"
    path.write_text(
        "pincode,officename,area,officetype,delivery,district,state,division,region,circle,"
        "latitude,longitude\n"
        "461001,Hoshangabad H.O,Hoshangabad,HO,Delivery,Hoshangabad,Madhya Pradesh,d,r,c,"
        "22.75,77.72\n"
        "450001,Khandwa H.O,Khandwa,HO,Delivery,EAST NIMAR,Madhya Pradesh,d,r,c,21.82,76.35\n"
        "450001,Ghost B.O,Ghost,BO,Non Delivery,Na,Madhya Pradesh,d,r,c,12.0,77.0\n"
        "450001,Ghost B.O,Ghost,BO,Non Delivery,Na,Madhya Pradesh,d,r,c,12.0,77.0\n"
        "999999,Lost S.O,Lost,SO,Delivery,Na,Madhya Pradesh,d,r,c,,\n"
        '462001,"Bhopal, G.P.O.",Bhopal,HO,Delivery,Bhopal,Madhya Pradesh,d,r,c,23.2604722,\n'
        "110001,Madhya Marg S.O,Delhi,SO,Delivery,New Delhi,Delhi,d,r,c,28.6,77.2\n",
        encoding="utf-8",
    )
    data = services.load_post_offices(
        str(path), "test-digest", ("Narmadapuram", "Khandwa", "Bhopal")
    )
    rows = {r.name: r for r in data.rows}
    assert set(rows) == {"Hoshangabad H.O", "Khandwa H.O", "Ghost B.O", "Bhopal, G.P.O."}
    assert rows["Hoshangabad H.O"].district == "Narmadapuram"
    assert rows["Hoshangabad H.O"].latitude == Decimal("22.750000")
    assert rows["Khandwa H.O"].district == "Khandwa"
    ghost = rows["Ghost B.O"]
    assert (ghost.district, ghost.delivery, ghost.latitude, ghost.longitude) == (
        "Khandwa",
        False,
        None,
        None,
    )
    assert rows["Bhopal, G.P.O."].latitude is None  # half a pair is no position
    assert data.unmapped == 1
    assert data.coordinates_dropped == 3  # the ghost twice (deduplicated after) + Bhopal


def test_positions_far_from_their_district_are_dropped():
    def office(name, lat, lon):
        return services.OfficeRow("462001", name, "BO", True, "Bhopal", Decimal(lat), Decimal(lon))

    rows = [
        office("a", "23.26", "77.41"),
        office("b", "23.30", "77.50"),
        office("c", "23.20", "77.30"),
        office("far", "22.72", "75.86"),
    ]  # Indore
    kept, dropped = services._drop_outliers(rows)
    assert dropped == 1
    assert [(r.name, r.latitude) for r in kept if r.latitude is None] == [("far", None)]
    assert kept[0].latitude == Decimal("23.26")
