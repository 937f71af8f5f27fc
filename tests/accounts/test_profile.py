"""Citizen profile: validation, Aadhaar tokenisation, audit, pages, who may see what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from ekseva.accounts import services
from ekseva.accounts.models import CitizenProfile, Role
from ekseva.core.models import AuditEvent
from ekseva.geo.models import PostOffice

from .conftest import totp_now

AADHAAR = "234123412346"  # valid Verhoeff check digit
AADHAAR_2 = "499118665246"


def good(geo, **changes):
    data = {
        "name_en": "Asha Verma",
        "name_hi": "आशा वर्मा",
        "guardian_name": "Ramesh Verma",
        "date_of_birth": dt.date(1990, 4, 12),
        "gender": "F",
        "social_category": "OBC",
        "pwd": False,
        "address_line": "12 Shivaji Nagar",
        "district": geo.bhopal,
        "tehsil": geo.huzur,
        "pincode": "462016",
        "aadhaar": "",
    }
    data.update(changes)
    return data


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}


def test_update_profile_saves_and_audits(make_citizen, geo):
    user = make_citizen()
    profile = services.update_profile(user, good(geo, aadhaar="2341 2341 2346"), actor=user)
    profile.refresh_from_db()
    assert profile.name_hi == "आशा वर्मा" and profile.district == geo.bhopal
    assert profile.aadhaar_last4 == "2346" and profile.aadhaar_masked == "XXXX XXXX 2346"
    assert profile.aadhaar_token == services.aadhaar_token(AADHAAR) != AADHAAR
    user.refresh_from_db()
    assert user.full_name == "Asha Verma"
    event = AuditEvent.objects.get(action="accounts.profile.updated")
    assert event.actor_id == user.pk
    assert event.before["name_en"] == "" and event.after["name_en"] == "Asha Verma"
    assert event.after["aadhaar"] == "XXXX XXXX 2346"


def test_aadhaar_never_stored_in_clear(make_citizen, geo):
    user = make_citizen()
    services.update_profile(user, good(geo, aadhaar=AADHAAR), actor=user)
    services.update_profile(user, good(geo, name_en="Asha V", aadhaar=AADHAAR_2), actor=user)
    profile_row = CitizenProfile.objects.filter(user=user).values().get()
    assert not any(AADHAAR[-8:] in str(v) or AADHAAR_2[-8:] in str(v) for v in profile_row.values())
    for event in AuditEvent.objects.all():
        blob = json.dumps([event.before, event.after, event.object_id], ensure_ascii=False)
        assert AADHAAR not in blob and AADHAAR_2 not in blob and AADHAAR[:8] not in blob
    # nor anywhere else in the database
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                assert AADHAAR not in text and AADHAAR_2 not in text, table


def test_blank_aadhaar_keeps_the_linked_one(make_citizen, geo):
    user = make_citizen()
    services.update_profile(user, good(geo, aadhaar=AADHAAR), actor=user)
    profile = services.update_profile(user, good(geo, name_en="Asha Devi"), actor=user)
    assert profile.aadhaar_last4 == "2346"


@pytest.mark.parametrize("number", ["234123412347", "123412341234", "2341234123", "abcd"])
def test_invalid_aadhaar_refused(make_citizen, geo, number):
    user = make_citizen()
    with pytest.raises(ValidationError) as err:
        services.update_profile(user, good(geo, aadhaar=number), actor=user)
    assert list(errors_of(err.value)) == ["aadhaar"]
    assert CitizenProfile.objects.get(user=user).aadhaar_token == ""


def test_one_aadhaar_one_profile(make_citizen, geo):
    asha, ravi = make_citizen(), make_citizen()
    services.update_profile(asha, good(geo, aadhaar=AADHAAR), actor=asha)
    with pytest.raises(ValidationError) as err:
        services.update_profile(ravi, good(geo, aadhaar=AADHAAR), actor=ravi)
    assert "already linked" in errors_of(err.value)["aadhaar"][0]
    services.update_profile(asha, good(geo, aadhaar=AADHAAR), actor=asha)  # re-linking own: fine


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_en": ""}, "name_en"),
        ({"name_en": "आशा"}, "name_en"),
        ({"name_en": "Asha 123"}, "name_en"),
        ({"name_hi": "Asha"}, "name_hi"),
        ({"name_hi": "आशा Verma"}, "name_hi"),
        ({"guardian_name": "R@mesh"}, "guardian_name"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"date_of_birth": dt.date(2999, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": dt.date(1850, 1, 1)}, "date_of_birth"),
        ({"gender": "X"}, "gender"),
        ({"gender": ""}, "gender"),
        ({"social_category": "VIP"}, "social_category"),
        ({"pincode": "062016"}, "pincode"),
        ({"pincode": "46201"}, "pincode"),
        ({"pincode": "46201A"}, "pincode"),
        ({"address_line": "x" * 251}, "address_line"),
    ],
)
def test_validation_errors_are_on_the_field(make_citizen, geo, changes, field):
    user = make_citizen()
    with pytest.raises(ValidationError) as err:
        services.update_profile(user, good(geo, **changes), actor=user)
    assert list(errors_of(err.value)) == [field]
    assert CitizenProfile.objects.get(user=user).name_en == ""  # nothing half-written


def test_dob_today_is_fine_and_tomorrow_is_not(make_citizen, geo, frozen_clock):
    user = make_citizen()
    today = frozen_clock.today()
    services.update_profile(user, good(geo, date_of_birth=today), actor=user)
    with pytest.raises(ValidationError):
        services.update_profile(
            user, good(geo, date_of_birth=today + dt.timedelta(days=1)), actor=user
        )


def test_tehsil_must_be_in_the_district(make_citizen, geo):
    user = make_citizen()
    with pytest.raises(ValidationError) as err:
        services.update_profile(user, good(geo, tehsil=geo.mhow), actor=user)
    assert list(errors_of(err.value)) == ["tehsil"]
    with pytest.raises(ValidationError) as err:
        services.update_profile(user, good(geo, district=geo.huzur, tehsil=None), actor=user)
    assert list(errors_of(err.value)) == ["district"]


def test_pin_must_lie_in_the_district_when_post_offices_are_known(make_citizen, geo):
    user = make_citizen()
    PostOffice.objects.create(pincode="462016", name="Shivaji Nagar", district=geo.bhopal)
    PostOffice.objects.create(pincode="452001", name="Indore GPO", district=geo.indore)
    services.update_profile(user, good(geo), actor=user)
    with pytest.raises(ValidationError) as err:
        services.update_profile(user, good(geo, pincode="452001"), actor=user)
    assert "not in Bhopal" in errors_of(err.value)["pincode"][0]
    # a PIN the geo data does not know is judged by its shape alone
    services.update_profile(user, good(geo, pincode="462099"), actor=user)


def test_nobody_edits_another_citizens_profile(make_citizen, make_staff, geo):
    asha, ravi = make_citizen(), make_citizen()
    with pytest.raises(PermissionDenied):
        services.update_profile(asha, good(geo), actor=ravi)
    auditor = make_staff(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.update_profile(asha, good(geo), actor=auditor)
    assert CitizenProfile.objects.get(user=asha).name_en == ""
    ops = make_staff(Role.OPERATOR_STAFF)  # helpdesk corrections are allowed, and audited
    services.update_profile(asha, good(geo), actor=ops)
    assert AuditEvent.objects.get(action="accounts.profile.updated").actor_id == ops.pk


# --- pages -------------------------------------------------------------------------------


def form_data(geo, **changes):
    data = {
        "name_en": "Asha Verma",
        "name_hi": "आशा वर्मा",
        "guardian_name": "",
        "date_of_birth": "1990-04-12",
        "gender": "F",
        "social_category": "OBC",
        "address_line": "",
        "district": str(geo.bhopal.pk),
        "tehsil": str(geo.huzur.pk),
        "pincode": "462016",
        "aadhaar": "",
    }
    data.update(changes)
    return data


def test_profile_edit_page_saves(client, make_citizen, geo):
    user = make_citizen()
    client.force_login(user)
    page = client.get(reverse("accounts:profile_edit"))
    assert page.status_code == 200 and 'name="name_hi"' in page.content.decode()
    response = client.post(reverse("accounts:profile_edit"), form_data(geo, aadhaar=AADHAAR))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "आशा वर्मा" in page and "XXXX XXXX 2346" in page and AADHAAR not in page


def test_profile_errors_in_hindi(client, make_citizen, geo):
    client.force_login(make_citizen())
    response = client.post(
        "/hi/account/profile/edit/",
        form_data(geo, name_hi="Asha", aadhaar="234123412347", date_of_birth="2999-01-01"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name_hi", "aadhaar", "date_of_birth"}
    page = response.content.decode()
    assert "देवनागरी" in str(errors["name_hi"])
    assert "आधार" in str(errors["aadhaar"])
    assert "भविष्य" in str(errors["date_of_birth"])
    assert 'id="id_name_hi_error" role="alert"' in page
    assert 'aria-describedby="id_name_hi_error"' in page
    assert "234123412347" not in page  # the typed Aadhaar is not echoed back


def test_profile_errors_in_english(client, make_citizen, geo):
    client.force_login(make_citizen())
    response = client.post("/en/account/profile/edit/", form_data(geo, name_hi="Asha"))
    assert "Devanagari" in str(response.context["form"].errors["name_hi"])


def test_profile_pages_need_sign_in(client, db):
    for name in ("accounts:profile", "accounts:profile_edit"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/account/signin/" in response["Location"]


def test_another_users_profile_is_not_reachable(client, make_citizen, make_staff, geo):
    asha, ravi = make_citizen(), make_citizen()
    services.update_profile(asha, good(geo), actor=asha)
    url = reverse("accounts:citizen_profile", args=[asha.pk])
    # the citizen pages show only one's own profile
    client.force_login(ravi)
    assert "Asha Verma" not in client.get(reverse("accounts:profile")).content.decode()
    # the staff page needs a TOTP-verified staff session
    response = client.get(url)
    assert response.status_code == 302 and "/staff/signin/" in response["Location"]
    client.logout()
    # staff outside the district are refused; inside it they may look
    outsider = make_staff(Role.DISTRICT_COORDINATOR, admin_unit=geo.indore)
    staff_sign_in(client, outsider)
    assert client.get(url).status_code == 403
    client.logout()
    coordinator = make_staff(Role.DISTRICT_COORDINATOR, admin_unit=geo.bhopal)
    staff_sign_in(client, coordinator)
    page = client.get(url)
    assert page.status_code == 200 and "Asha Verma" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="accounts.profile.viewed", actor_id=coordinator.pk
    ).exists()


def staff_sign_in(client, user):
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": "right-password-42", "token": totp_now(user)},
    )
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_profile_page_renders(client, make_citizen, geo, lang):
    user = make_citizen()
    services.update_profile(user, good(geo), actor=user)
    client.force_login(user)
    page = client.get(f"/{lang}/account/profile/").content.decode()
    assert ("भोपाल" if lang == "hi" else "Bhopal") in page
