"""The department's certificate pages (/<lang>/certificates/manage/): the list of
its certificates with search and the revoked filter, one certificate with its audit
trail and the revoke form (designated and appellate officers of its department and
district; everyone else 404/403), the signing keys and their rotation (operator
staff), the staff home's links and the pages in Hindi."""

from __future__ import annotations

import pytest

from ekseva.accounts.models import Role
from ekseva.certificates.models import SigningKey
from ekseva.core.audit import AuditEvent

from . import pages
from .pages import officer, signed_in, text_of, url

# The fixtures (tests/workflow/conftest.py and pages.py), used here as they are.
_fresh_cache = pages._fresh_cache
_gateway = pages._gateway
appellate_officer = pages.appellate_officer
citizen = pages.citizen
designated_officer = pages.designated_officer
english = pages.english
fake_gateway = pages.fake_gateway
indore_officer = pages.indore_officer
issued = pages.issued
places = pages.places
received = pages.received
scrutiny_officer = pages.scrutiny_officer
service = pages.service


@pytest.fixture
def operator(places):
    return officer(Role.OPERATOR_STAFF, None, department="", name="Operator Staff")


def rows(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-certificate="')[1:]]


# --------------------------------------------------------------------------- the list


def test_the_designated_officer_lists_the_departments_certificates(
    client, issued, designated_officer
):
    first, second = issued(), issued()
    signed_in(client, designated_officer)
    response = client.get(url("manage_list"))
    assert response.status_code == 200
    assert set(rows(response)) == {first.number, second.number}
    assert "Asha Verma" in text_of(response)


def test_search_by_certificate_or_application_number(client, issued, designated_officer):
    first, second = issued(), issued()
    signed_in(client, designated_officer)
    by_number = client.get(url("manage_list"), {"q": first.number.lower()})
    assert rows(by_number) == [first.number]
    by_application = client.get(url("manage_list"), {"q": second.application.number})
    assert rows(by_application) == [second.number]
    nothing = client.get(url("manage_list"), {"q": "NOSUCHNUMBER"})
    assert rows(nothing) == [] and "No certificates match." in text_of(nothing)


def test_filter_the_revoked(client, issued, designated_officer):
    from ekseva.certificates import services

    kept, revoked = issued(), issued()
    services.revoke(revoked, reason="Issued in error", actor=designated_officer)
    signed_in(client, designated_officer)
    assert rows(client.get(url("manage_list"), {"state": "revoked"})) == [revoked.number]
    assert rows(client.get(url("manage_list"), {"state": "valid"})) == [kept.number]


def test_another_departments_officer_sees_none_of_them(client, issued, places):
    issued()
    stranger = officer(Role.DESIGNATED_OFFICER, places.bhopal, department="OTH")
    signed_in(client, stranger)
    response = client.get(url("manage_list"))
    assert response.status_code == 200 and rows(response) == []


def test_another_districts_designated_officer_sees_none_of_them(client, issued, places):
    issued()  # a Bhopal applicant's
    indore = officer(Role.DESIGNATED_OFFICER, places.indore)
    signed_in(client, indore)
    assert rows(client.get(url("manage_list"))) == []


def test_a_state_wide_appellate_officer_sees_every_district(client, issued, places):
    certificate = issued()
    state_wide = officer(Role.APPELLATE_OFFICER, None)
    signed_in(client, state_wide)
    assert rows(client.get(url("manage_list"))) == [certificate.number]


def test_a_department_officer_may_not_open_the_list(client, issued, scrutiny_officer):
    issued()
    signed_in(client, scrutiny_officer)
    assert client.get(url("manage_list")).status_code == 403


def test_a_citizen_is_refused_and_a_visitor_sent_to_the_staff_sign_in(client, issued, citizen):
    issued()
    anonymous = client.get(url("manage_list"))
    assert anonymous.status_code == 302 and "staff" in anonymous["Location"]
    client.force_login(citizen)
    assert client.get(url("manage_list")).status_code == 403


# --------------------------------------------------------------------------- one certificate


def test_the_certificate_page_shows_the_record_and_the_audit_trail(
    client, issued, designated_officer
):
    certificate = issued()
    signed_in(client, designated_officer)
    response = client.get(url("manage_detail", certificate.number))
    assert response.status_code == 200
    text = text_of(response)
    assert certificate.number in text and certificate.application.number in text
    assert certificate.key.key_id in text and certificate.pdf_sha256 in text
    assert 'data-action="certificates.issued"' in response.content.decode()
    assert 'id="revoke"' in response.content.decode()


def test_an_officer_of_another_department_gets_404_for_the_page_and_the_revoke(
    client, issued, places
):
    certificate = issued()
    stranger = officer(Role.DESIGNATED_OFFICER, places.bhopal, department="OTH")
    signed_in(client, stranger)
    assert client.get(url("manage_detail", certificate.number)).status_code == 404
    response = client.post(
        url("manage_revoke", certificate.number), {"reason": "Not ours to say", "confirm": "on"}
    )
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_another_districts_officer_cannot_revoke(client, issued, places):
    certificate = issued()
    indore = officer(Role.DESIGNATED_OFFICER, places.indore)
    signed_in(client, indore)
    response = client.post(
        url("manage_revoke", certificate.number), {"reason": "Wrong district", "confirm": "on"}
    )
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_a_department_officer_cannot_revoke(client, issued, scrutiny_officer):
    certificate = issued()
    signed_in(client, scrutiny_officer)
    response = client.post(
        url("manage_revoke", certificate.number), {"reason": "Not my role", "confirm": "on"}
    )
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_revoke_needs_a_reason_and_the_confirmation(client, issued, designated_officer):
    certificate = issued()
    signed_in(client, designated_officer)
    no_reason = client.post(url("manage_revoke", certificate.number), {"confirm": "on"})
    assert no_reason.status_code == 400
    html = no_reason.content.decode()
    assert "Give the reason for revoking." in html and 'href="#id_reason"' in html
    unconfirmed = client.post(url("manage_revoke", certificate.number), {"reason": "Forged"})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.content.decode()
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_revoke_from_the_page(client, issued, appellate_officer):
    certificate = issued()
    signed_in(client, appellate_officer)
    response = client.post(
        url("manage_revoke", certificate.number),
        {"reason": "  Issued on a forged   income record ", "confirm": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("manage_detail", certificate.number)
    certificate.refresh_from_db()
    assert certificate.is_revoked
    assert certificate.revoked_reason == "Issued on a forged income record"
    assert certificate.revoked_by == appellate_officer
    event = AuditEvent.objects.get(action="certificates.revoked")
    assert event.actor_id == appellate_officer.pk
    page = client.get(response["Location"])
    text = text_of(page)
    assert "is revoked. Anyone who checks it is told so." in text
    assert "Issued on a forged income record" in text
    assert 'id="revoke"' not in page.content.decode()  # no second form
    assert 'data-action="certificates.revoked"' in page.content.decode()
    # and the public check says so
    public = client.get(url("verify_number", certificate.number))
    assert 'data-verdict="revoked"' in public.content.decode()


def test_a_second_revoke_changes_nothing(client, issued, designated_officer):
    certificate = issued()
    signed_in(client, designated_officer)
    data = {"reason": "First reason given", "confirm": "on"}
    client.post(url("manage_revoke", certificate.number), data)
    again = client.post(
        url("manage_revoke", certificate.number), {"reason": "Second reason", "confirm": "on"}
    )
    assert again.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "First reason given"
    assert AuditEvent.objects.filter(action="certificates.revoked").count() == 1
    assert "already revoked" in text_of(client.get(again["Location"]))


def test_the_revoke_form_only_takes_posts(client, issued, designated_officer):
    certificate = issued()
    signed_in(client, designated_officer)
    assert client.get(url("manage_revoke", certificate.number)).status_code == 405


# --------------------------------------------------------------------------- keys


def test_operator_staff_see_each_departments_key(client, issued, operator):
    certificate = issued()
    signed_in(client, operator)
    response = client.get(url("keys"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-current="{certificate.key.key_id}"' in html
    assert 'data-department="TST"' in html
    assert url("rotate", "TST") in html


def test_officers_may_not_see_the_keys(client, issued, designated_officer):
    issued()
    signed_in(client, designated_officer)
    assert client.get(url("keys")).status_code == 403
    assert client.get(url("rotate", "TST")).status_code == 403
    assert client.post(url("rotate", "TST"), {"confirm": "on"}).status_code == 403


def test_rotation_asks_for_confirmation(client, issued, operator):
    certificate = issued()
    signed_in(client, operator)
    page = client.get(url("rotate", "TST"))
    assert page.status_code == 200
    assert certificate.key.key_id in page.content.decode()
    refused = client.post(url("rotate", "TST"), {"current": certificate.key.key_id})
    assert refused.status_code == 400
    assert "Tick the box to confirm." in refused.content.decode()
    assert SigningKey.objects.filter(department_code="TST").count() == 1


def test_rotate_the_key(client, issued, operator):
    certificate = issued()
    old = certificate.key
    signed_in(client, operator)
    response = client.post(url("rotate", "TST"), {"current": old.key_id, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == url("keys") + "#dept-TST"
    old.refresh_from_db()
    assert old.retired_at is not None
    new = SigningKey.objects.get(department_code="TST", retired_at__isnull=True)
    assert new.key_id != old.key_id
    assert AuditEvent.objects.filter(action="certificates.key.rotated").count() == 1
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f'data-current="{new.key_id}"' in html and f'data-retired="{old.key_id}"' in html
    assert f"now signs with key {new.key_id}" in text_of(page)
    # the next certificate is signed with the new key; the old one still verifies
    later = issued()
    assert later.key == new
    assert (
        'data-verdict="genuine"'
        in client.get(url("verify_number", certificate.number)).content.decode()
    )


def test_a_second_press_does_not_rotate_again(client, issued, operator):
    certificate = issued()
    signed_in(client, operator)
    data = {"current": certificate.key.key_id, "confirm": "on"}
    client.post(url("rotate", "TST"), data)
    again = client.post(url("rotate", "TST"), data)  # the same page, pressed twice
    assert again.status_code == 302
    assert SigningKey.objects.filter(department_code="TST").count() == 2
    assert "was changed meanwhile" in text_of(client.get(again["Location"]))


def test_an_unknown_department_is_not_found(client, db, operator):
    signed_in(client, operator)
    assert client.get(url("rotate", "NOPE")).status_code == 404
    assert client.get(url("rotate", "bad code")).status_code == 404


# --------------------------------------------------------------------------- staff home, Hindi


def test_the_staff_home_links_to_the_pages_of_each_role(
    client, db, designated_officer, operator, scrutiny_officer
):
    signed_in(client, designated_officer)
    home = client.get("/en/account/staff/").content.decode()
    assert f'href="{url("manage_list")}"' in home and f'href="{url("keys")}"' not in home
    client.logout()
    signed_in(client, operator)
    home = client.get("/en/account/staff/").content.decode()
    assert f'href="{url("keys")}"' in home and f'href="{url("manage_list")}"' not in home
    client.logout()
    signed_in(client, scrutiny_officer)
    home = client.get("/en/account/staff/").content.decode()
    assert f'href="{url("manage_list")}"' not in home


def test_the_department_pages_in_hindi(client, issued, designated_officer, operator):
    certificate = issued()
    signed_in(client, designated_officer)
    listing = text_of(client.get(url("manage_list", lang="hi")))
    assert "प्रमाण पत्र" in listing and "लागू" in listing
    detail = text_of(client.get(url("manage_detail", certificate.number, lang="hi")))
    assert "यह प्रमाण पत्र निरस्त करें" in detail
    refused = client.post(url("manage_revoke", certificate.number, lang="hi"), {"confirm": "on"})
    assert "निरस्त करने का कारण लिखें।" in text_of(refused)
    client.logout()
    signed_in(client, operator)
    keys_page = text_of(client.get(url("keys", lang="hi")))
    assert "प्रमाण पत्र हस्ताक्षर कुंजियाँ" in keys_page


def test_the_list_costs_the_same_queries_for_one_certificate_or_many(
    client, issued, designated_officer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    issued()
    signed_in(client, designated_officer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("manage_list")).status_code == 200
        return len(captured)

    one = queries()
    issued(), issued()
    assert queries() == one
