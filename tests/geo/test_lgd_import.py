import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ekseva.core.models import AuditEvent
from ekseva.geo import services
from ekseva.geo.models import AdminUnit

SUBDISTRICT_HEADER = (
    "S.No.,State Code,State Name (In English),District Code,District Name (In English),"
    "Sub-District Code,Sub-District Version,Sub-District Name (In English),"
    "Sub-District Name (In Local),Census 2001 Code,Census 2011 Code\n"
)


def subdistricts(*rows: str) -> str:
    return SUBDISTRICT_HEADER + "".join(row + "\n" for row in rows)


GOOD_AND_BAD = subdistricts(
    "1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur,हुजूर,,",  # line 2: good
    "2,23,Madhya Pradesh,999,Nowhere,3402,1,Lost,,,",  # line 3: unknown district
    "3,23,Madhya Pradesh,396,Bhopal,3403,1,,,,",  # line 4: missing name
    "4,23,Madhya Pradesh,396,Bhopal,34O4,1,Typo,,,",  # line 5: letter O in code
    "5,23,Madhya Pradesh,427,Sehore,3405,1,Ashta,आष्टा,,",  # line 6: good
    "6,22,Chhattisgarh,396,Bhopal,3406,1,Elsewhere,,,",  # line 7: other state
    "7,23,Madhya Pradesh,427,Sehore,3405,1,Ashta again,,,",  # line 8: repeated code
    ",,,,,,,,,,",  # line 9: blank, ignored
)


@pytest.mark.django_db
def test_bad_rows_are_reported_by_line_and_good_rows_kept(seeded, write_csv):
    report = services.import_lgd(write_csv(GOOD_AND_BAD))

    assert report.kind == "sub-district"
    assert (report.rows, report.created, report.updated) == (7, 2, 0)
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "unknown district code '999'"),
        (4, "missing sub-district name (In English)"),
        (5, "bad sub-district code '34O4' (LGD codes are 1 to 8 digits)"),
        (7, "state code '22' is not this state (23)"),
        (8, "sub-district code 3405 repeated (first on line 6)"),
    ]
    assert not report.ok
    huzur = AdminUnit.objects.get(kind="tehsil", lgd_code="3401")
    assert (huzur.code, huzur.name_en, huzur.name_hi, huzur.parent.name_en) == (
        "tehsil:3401",
        "Huzur",
        "हुजूर",
        "Bhopal",
    )
    assert AdminUnit.objects.get(code="tehsil:3405").parent.name_en == "Sehore"
    assert AdminUnit.objects.filter(kind="tehsil").count() == 2

    event = AuditEvent.objects.get(action="geo.lgd_imported")
    assert event.after == {
        "file": "lgd.csv",
        "kind": "tehsil",
        "rows": 7,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 5,
    }


@pytest.mark.django_db
def test_reimport_updates_a_changed_name_without_duplicating(seeded, write_csv):
    services.import_lgd(
        write_csv(
            subdistricts(
                "1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur,,,",
                "2,23,Madhya Pradesh,396,Bhopal,3402,1,Kolar,,,",
            )
        )
    )
    report = services.import_lgd(
        write_csv(
            subdistricts(
                "1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur Nagar,हुज़ूर नगर,,",
                "2,23,Madhya Pradesh,396,Bhopal,3402,1,Kolar,,,",
            )
        )
    )
    assert (report.created, report.updated, report.unchanged, report.ok) == (0, 1, 1, True)
    assert AdminUnit.objects.filter(kind="tehsil").count() == 2
    unit = AdminUnit.objects.get(code="tehsil:3401")
    assert (unit.name_en, unit.name_hi) == ("Huzur Nagar", "हुज़ूर नगर")
    assert unit.aliases == ["Huzur"]  # the old name stays searchable
    # Nothing changed: no audit noise.
    services.import_lgd(
        write_csv(subdistricts("1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur Nagar,हुज़ूर नगर,,"))
    )
    assert AuditEvent.objects.filter(action="geo.lgd_imported").count() == 2


@pytest.mark.django_db
def test_report_style_export_with_preamble_bom_and_loose_headers(seeded, write_csv):
    text = (
        ",,,,\n,,All Sub-Districts of Madhya Pradesh State,,\n,,,,\n"
        "S.No,District LGD Code,Sub-district LGD Code,Sub-district Name(In English),"
        "Sub-district Name (In Local language)\n"
        "1,410,3501,Sanwer,सांवेर\n"
    )
    report = services.import_lgd(write_csv(text, encoding="utf-8-sig"))
    assert (report.kind, report.created, report.ok) == ("sub-district", 1, True)
    assert AdminUnit.objects.get(code="tehsil:3501").name_hi == "सांवेर"


@pytest.mark.django_db
def test_block_export_is_detected_and_hung_under_districts(seeded, write_csv):
    text = (
        "State Code,State Name,District Code,District,Block Code,Block Name,"
        "Block Name (In Local)\n"
        "23,Madhya Pradesh,396,Bhopal,4101,Phanda,फंदा\n"
        "23,Madhya Pradesh,396,Bhopal,,Berasia,बैरसिया\n"
        "23,Madhya Pradesh,396,Bhopal,४१०२,Berasia,बैरसिया\n"
    )
    report = services.import_lgd(write_csv(text))
    assert report.kind == "block"
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "missing block code"),
        (4, "bad block code '४१०२' (LGD codes are 1 to 8 digits)"),
    ]
    block = AdminUnit.objects.get(code="block:4101")
    assert (block.kind, block.parent.name_en, block.name_hi) == ("block", "Bhopal", "फंदा")


@pytest.mark.django_db
def test_village_export_needs_its_sub_district_first(seeded, write_csv):
    services.import_lgd(
        write_csv(subdistricts("1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur,,,"), name="sub.csv")
    )
    text = (
        "S No,State Code,District Code,Sub-District Code,Village Code,"
        "Village Name (In English),Village Name (In Local language)\n"
        "1,23,396,3401,482001,Barkheda Nathu,बरखेड़ा नाथू\n"
        "2,23,396,3999,482002,Elsewhere,\n"
    )
    report = services.import_lgd(write_csv(text, name="villages.csv"))
    assert report.kind == "village"
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, "unknown sub-district code '3999' (import the sub-district export first)")
    ]
    village = AdminUnit.objects.get(code="village:482001")
    assert (village.parent.code, village.parent.parent.name_en) == ("tehsil:3401", "Bhopal")


@pytest.mark.django_db
def test_unreadable_files_are_refused_whole(seeded, write_csv, tmp_path):
    with pytest.raises(services.LgdImportError, match="no LGD sub-district, block or village"):
        services.import_lgd(write_csv("name,code\nHuzur,3401\n"))
    with pytest.raises(services.LgdImportError, match="district code"):
        services.import_lgd(write_csv("Sub-District Code,Sub-District Name (In English)\n1,A\n"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(SUBDISTRICT_HEADER.encode() + b"1,23,MP,396,Bhopal,3401,1,Hu\xe9zur,,,\n")
    with pytest.raises(services.LgdImportError, match="not UTF-8"):
        services.import_lgd(latin)
    with pytest.raises(services.LgdImportError, match="no such file"):
        services.import_lgd(tmp_path / "missing.csv")
    assert not AdminUnit.objects.filter(kind="tehsil").exists()
    assert not AuditEvent.objects.filter(action="geo.lgd_imported").exists()


@pytest.mark.django_db
def test_command_prints_report_and_fails_on_bad_rows_but_keeps_good_ones(seeded, write_csv, capsys):
    path = write_csv(GOOD_AND_BAD)
    with pytest.raises(CommandError, match="5 row\\(s\\) rejected"):
        call_command("geo", "import-lgd", str(path))
    out = capsys.readouterr().out
    assert "2 created" in out
    assert "line 3: unknown district code '999'" in out
    assert AdminUnit.objects.filter(kind="tehsil").count() == 2

    clean = write_csv(subdistricts("1,23,Madhya Pradesh,396,Bhopal,3401,1,Huzur,,,"), "ok.csv")
    call_command("geo", "import-lgd", str(clean))
    assert "0 rejected" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_command_reports_and_refuses_unknown_districts(seeded, capsys):
    call_command("geo", "seed", "--districts", "Bhopal,Sehore,Indore")
    assert "already up to date" in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown district"):
        call_command("geo", "seed", "--districts", "Atlantis")
