import pytest

from ekseva.geo import selectors, services
from ekseva.geo.models import AdminUnit, PostOffice

BHOPAL = (23.2599, 77.4126)
INDORE = (22.7196, 75.8577)


@pytest.mark.django_db
def test_districts_are_ordered_by_name_and_skip_inactive(seeded):
    state = AdminUnit.objects.get(kind="state")
    names = [d.name_en for d in selectors.districts(state)]
    assert len(names) == 55
    assert names == sorted(names)
    AdminUnit.objects.filter(name_en="Bhopal").update(active=False)
    assert "Bhopal" not in [d.name_en for d in selectors.districts()]


@pytest.mark.django_db
def test_children_filters_by_kind(seeded, write_csv):
    services.import_lgd(services.DATA_DIR / "sample_lgd_subdistricts.csv")
    bhopal = selectors.unit_by_code("district:396")
    assert bhopal is not None and bhopal.parent.code == "state:23"
    AdminUnit.objects.create(
        code="block:1", kind="block", lgd_code="1", name_en="Phanda", parent=bhopal
    )
    assert [u.name_en for u in selectors.children(bhopal, "tehsil")] == [
        "Berasia",
        "Huzur",
        "Kolar",
    ]
    assert [u.kind for u in selectors.children(bhopal)].count("block") == 1
    assert selectors.unit_by_code("district:0") is None


@pytest.mark.django_db
def test_pin_lookups(seeded):
    offices = list(selectors.offices_for_pin("462001"))
    assert offices and all(o.district.name_en == "Bhopal" for o in offices)
    head = next(o for o in offices if o.office_type == "HO")
    assert head.latitude is not None and head.longitude is not None
    bhopal = selectors.district_for_pin("462001")
    assert bhopal.name_en == "Bhopal"
    assert selectors.pin_in_district("462001", bhopal)
    assert not selectors.pin_in_district("462001", AdminUnit.objects.get(name_en="Sehore"))
    assert selectors.district_for_pin("110001") is None
    assert not selectors.offices_for_pin("110001").exists()


@pytest.mark.django_db
def test_district_for_pin_takes_the_district_of_most_offices(seeded):
    sehore = AdminUnit.objects.get(name_en="Sehore")
    bhopal = AdminUnit.objects.get(name_en="Bhopal")
    PostOffice.objects.create(pincode="466999", name="A", district=sehore)
    PostOffice.objects.create(pincode="466999", name="B", district=bhopal)
    PostOffice.objects.create(pincode="466999", name="C", district=bhopal)
    assert selectors.district_for_pin("466999") == bhopal
    assert selectors.pin_in_district("466999", sehore)


def test_is_pincode():
    assert selectors.is_pincode("462001")
    for bad in ("062001", "46200", "4620011", "46200a", "४६२००१"):
        assert not selectors.is_pincode(bad)


def test_haversine_and_nearest_ordering():
    assert selectors.haversine_km(*BHOPAL, *BHOPAL) == 0
    assert 170 < selectors.haversine_km(*BHOPAL, *INDORE) < 180
    points = [
        {"name": "indore", "latitude": INDORE[0], "longitude": INDORE[1]},
        {"name": "nowhere", "latitude": None, "longitude": 77.0},
        {"name": "bhopal", "latitude": BHOPAL[0], "longitude": BHOPAL[1]},
        {"name": "sehore", "latitude": 23.2032, "longitude": 77.0844},
    ]
    ranked = selectors.nearest(points, *BHOPAL)
    assert [p["name"] for _, p in ranked] == ["bhopal", "sehore", "indore"]
    assert [d for d, _ in ranked] == sorted(d for d, _ in ranked)
    assert [p for _, p in selectors.nearest([INDORE, BHOPAL], *BHOPAL, n=1)] == [BHOPAL]

    class Kiosk:
        def __init__(self, lat, lon):
            self.lat, self.lon = lat, lon

    kiosks = [Kiosk(*INDORE), Kiosk(*BHOPAL)]
    ranked = selectors.nearest(kiosks, *INDORE, coords=lambda k: (k.lat, k.lon))
    assert ranked[0][1] is kiosks[0]


@pytest.mark.django_db
def test_nearest_offices_are_nearest_first_and_match_a_full_scan(seeded):
    ranked = selectors.nearest_offices(*BHOPAL, n=5)
    assert len(ranked) == 5
    distances = [d for d, _ in ranked]
    assert distances == sorted(distances)
    assert distances[0] < 3
    everything = selectors.nearest(PostOffice.objects.all(), *BHOPAL, n=5)
    assert [o.pk for _, o in ranked] == [o.pk for _, o in everything]
    # Far from any seeded office the box keeps growing until it finds some.
    far = selectors.nearest_offices(21.5, 82.5, n=2)
    assert len(far) == 2 and far[0][0] > 100
    assert [o.pk for _, o in far] == [
        o.pk for _, o in selectors.nearest(PostOffice.objects.all(), 21.5, 82.5, n=2)
    ]


@pytest.mark.django_db
def test_search_units_matches_english_hindi_and_old_names(seeded):
    def names(q, kind=None):
        return [u.name_en for u in selectors.search_units(q, kind)]

    assert names("hoshangabad") == ["Narmadapuram"]
    assert names("HOSHANG") == ["Narmadapuram"]
    assert names("भोपाल") == ["Bhopal"]
    assert names("पूर्वी निमाड़") == ["Khandwa"]
    assert names("east nimar", kind="district") == ["Khandwa"]
    assert names("east nimar", kind="tehsil") == []
    assert names("  ") == []
    # Names that start with the query come before names that merely contain it.
    assert names("sa")[:2] == ["Sagar", "Satna"]
    assert "Mandsaur" in names("sa")
