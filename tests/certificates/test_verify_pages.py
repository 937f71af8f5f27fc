"""The public verification pages (/<lang>/verify/): genuine, revoked and unknown
numbers, the QR code's payload (genuine, tampered, signed by another department),
the PDF file (genuine, edited, re-signed by another department, unsigned, not a
PDF), only what the certificate prints, the language-less URL the QR code
carries, the per-address limit and the pages in Hindi."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from ekseva.certificates import keys, pdf, qr, services
from ekseva.core import clock

from . import pages
from .pages import text_of, url

# The fixtures (tests/workflow/conftest.py and pages.py), used here as they are.
_fresh_cache = pages._fresh_cache
_gateway = pages._gateway
citizen = pages.citizen
designated_officer = pages.designated_officer
english = pages.english
fake_gateway = pages.fake_gateway
issued = pages.issued
places = pages.places
received = pages.received
scrutiny_officer = pages.scrutiny_officer
service = pages.service

TAMPERED = "The QR code's contents were changed or not signed by the department."
CHANGED = "This file was changed after it was signed."
NOT_SIGNED = "This file was not signed by the department."


def verdict(response) -> str:
    html = response.content.decode()
    marker = 'data-verdict="'
    assert marker in html, html[:2000]
    return html.split(marker, 1)[1].split('"', 1)[0]


def pdf_of(certificate) -> bytes:
    certificate.pdf.open("rb")
    try:
        return certificate.pdf.read()
    finally:
        certificate.pdf.close()


def upload(client, data: bytes, lang: str = "en", name: str = "certificate.pdf"):
    return client.post(
        url("verify", lang=lang),
        {"pdf": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


def payload_page(client, payload: str, lang: str = "en"):
    return client.get(f"{url('verify', lang=lang)}?p={quote(payload, safe='')}")


# --------------------------------------------------------------------------- the form


def test_the_form_asks_for_a_number_or_the_pdf(client, db):
    page = client.get(url("verify"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="number"' in html and 'name="pdf"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "data-verdict" not in html
    assert page["X-Robots-Tag"] == "noindex"


def test_a_typed_number_goes_to_its_page_in_canonical_form(client, issued):
    certificate = issued()
    typed = " ".join([certificate.number[:5].lower(), certificate.number[5:]])
    response = client.get(url("verify"), {"number": typed})
    assert response.status_code == 302
    assert response["Location"] == url("verify_number", certificate.number)


def test_a_number_that_cannot_be_one_is_refused_at_the_form(client, db):
    response = client.get(url("verify"), {"number": "<script>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and 'href="#id_number"' in html
    assert "A certificate number has 4 to 24 letters and digits." in html


# --------------------------------------------------------------------------- by number


def test_a_genuine_number_shows_the_recorded_fields(client, issued, citizen):
    certificate = issued()
    response = client.get(url("verify_number", certificate.number))
    assert response.status_code == 200
    assert verdict(response) == "genuine"
    text = text_of(response)
    assert "Genuine" in text
    assert certificate.number in text
    assert "Asha Verma" in text  # the holder's name, as printed
    assert "Test Examination" in text  # the service
    assert "15 June 2026" in text  # issued on
    assert "No end date" in text


def test_the_page_shows_no_more_than_the_certificate_prints(client, issued, citizen):
    certificate = issued()
    html = client.get(url("verify_number", certificate.number)).content.decode()
    assert citizen.mobile not in html
    assert citizen.email not in html
    assert certificate.application.number not in html  # not printed on the page either
    assert "2000" not in html  # the date of birth the application gave


def test_a_lower_case_number_redirects_to_the_printed_form(client, issued):
    certificate = issued()
    response = client.get(url("verify_number", certificate.number.lower()))
    assert response.status_code == 302
    assert response["Location"] == url("verify_number", certificate.number)


def test_a_revoked_number_says_when_and_why(client, issued, designated_officer, frozen_clock):
    certificate = issued()
    frozen_clock.advance(days=3)
    services.revoke(certificate, reason="Issued on a forged caste record", actor=designated_officer)
    response = client.get(url("verify_number", certificate.number))
    assert verdict(response) == "revoked"
    text = text_of(response)
    assert "Revoked" in text
    assert "The department revoked this certificate on 18 June 2026" in text
    assert "Issued on a forged caste record" in text
    assert "Genuine" not in text


def test_an_unknown_number_is_not_found(client, issued):
    certificate = issued()
    # a well-formed number (its check character right) that was never issued
    from ekseva.core import ids

    body = certificate.number[:-2] + ("9" if certificate.number[-2] != "9" else "8")
    never = body + ids.check_character(body)
    response = client.get(url("verify_number", never))
    assert verdict(response) == "not_found"
    text = text_of(response)
    assert "No certificate with this number was issued by this portal." in text
    assert "Asha Verma" not in text


def test_a_mistyped_number_is_not_found(client, issued):
    certificate = issued()
    typo = certificate.number[:-1] + ("A" if certificate.number[-1] != "A" else "B")
    response = client.get(url("verify_number", typo))
    assert verdict(response) == "not_found"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.text(min_size=1, max_size=40).filter(lambda t: "/" not in t and "\x00" not in t))
def test_whatever_is_typed_in_the_url_the_page_answers_calmly(client, db, number):
    from django.core.cache import cache

    cache.clear()
    response = client.get(url("verify") + quote(number, safe="") + "/")
    assert response.status_code in (200, 302, 404)
    if response.status_code == 200:
        assert verdict(response) == "not_found"


# --------------------------------------------------------------------------- by the QR code


def test_the_qr_payload_of_a_genuine_certificate(client, issued):
    certificate = issued()
    response = payload_page(client, certificate.qr_payload)
    assert response.status_code == 200
    assert verdict(response) == "genuine"
    text = text_of(response)
    assert "The QR code's details match the department's record and its signature checks." in text
    assert "Asha Verma" in text and certificate.number in text


def tampered(payload: str, **changes: str) -> str:
    """The payload with its fields changed and the original signature kept."""
    _version, _body, signature = payload.split(".")
    fields = qr.peek(payload)
    values = fields.as_json() | changes
    body = qr.encode(qr.Fields.from_json(values))
    return f"v1.{keys.b64url(body)}.{signature}"


def test_a_payload_whose_name_was_changed_is_not_genuine(client, issued):
    certificate = issued()
    forged = tampered(certificate.qr_payload, name_en="Someone Else")
    response = payload_page(client, forged)
    assert verdict(response) == "not_genuine"
    text = text_of(response)
    assert TAMPERED in text
    assert "Someone Else" not in text and "Asha Verma" not in text


def test_a_payload_signed_with_another_departments_key_is_not_genuine(client, issued):
    certificate = issued()
    other = keys.current_key("OTH")
    claimed = qr.Fields.from_json(certificate.fields | {"key_id": other.key_id})
    forged = qr.sign(claimed, keys.private_key(other))
    response = payload_page(client, forged)
    assert verdict(response) == "not_genuine"
    assert TAMPERED in text_of(response)


def test_another_department_signing_its_own_claim_to_the_number_is_not_genuine(client, issued):
    certificate = issued()
    other = keys.current_key("OTH")
    claimed = qr.Fields.from_json(
        certificate.fields | {"department": "OTH", "key_id": other.key_id}
    )
    response = payload_page(client, qr.sign(claimed, keys.private_key(other)))
    assert verdict(response) == "not_genuine"
    assert "Asha Verma" not in text_of(response)


def test_a_garbled_payload_is_not_genuine(client, db):
    response = payload_page(client, "v1.not-a-real-code")
    assert verdict(response) == "not_genuine"
    assert TAMPERED in text_of(response)


def test_the_payload_of_a_revoked_certificate_says_revoked(client, issued, designated_officer):
    certificate = issued()
    services.revoke(certificate, reason="Obtained by misrepresentation", actor=designated_officer)
    response = payload_page(client, certificate.qr_payload)
    assert verdict(response) == "revoked"
    assert "Obtained by misrepresentation" in text_of(response)


def test_an_old_certificate_still_verifies_after_the_key_is_rotated(client, issued):
    from ekseva.accounts.models import Role
    from tests.workflow.conftest import officer

    certificate = issued()
    operator = officer(Role.OPERATOR_STAFF, None, department="")
    services.rotate_key("TST", actor=operator)
    assert verdict(payload_page(client, certificate.qr_payload)) == "genuine"
    assert verdict(upload(client, pdf_of(certificate))) == "genuine"


# --------------------------------------------------------------------------- by the PDF


def test_the_pdf_as_issued_is_genuine(client, issued):
    certificate = issued()
    response = upload(client, pdf_of(certificate))
    assert response.status_code == 200
    assert verdict(response) == "genuine"
    text = text_of(response)
    assert "This file is the certificate as the department signed it" in text
    assert certificate.number in text and "Asha Verma" in text


def test_a_pdf_with_a_byte_changed_inside_the_signed_part(client, issued):
    data = pdf_of(issued())
    assert data.count(b"/Author (ekseva)") >= 1
    edited = data.replace(b"/Author (ekseva)", b"/Author (eksevb)", 1)
    response = upload(client, edited)
    assert verdict(response) == "not_genuine"
    assert CHANGED in text_of(response)


def test_a_pdf_with_text_added_after_signing(client, issued):
    data = pdf_of(issued())
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    box = generic.StreamObject(stream_data=b"0 0 1 rg 50 50 200 40 re f")
    writer.add_stream_to_page(0, writer.add_object(box))
    out = io.BytesIO()
    writer.write(out)
    response = upload(client, out.getvalue())
    assert verdict(response) == "not_genuine"
    assert CHANGED in text_of(response)
    assert "Asha Verma" not in text_of(response)


def test_a_pdf_signed_with_another_departments_key_is_not_genuine(client, issued):
    certificate = issued()
    other = keys.current_key("OTH")
    content = pdf.Content(
        number=certificate.number,
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test Examination",
        service_hi="परीक्षण परीक्षा",
        holder_en="Someone Else",
        holder_hi="",
        application_number=certificate.application.number,
        issued_on=clock.today(),
        valid_until=None,
        qr_url=qr.url(certificate.qr_payload),
    )
    forged = pdf.sign(pdf.render(content), other, reason="Issued")
    response = upload(client, forged)
    assert verdict(response) == "not_genuine"
    text = text_of(response)
    assert NOT_SIGNED in text
    assert "Someone Else" not in text and "Asha Verma" not in text


def test_an_unsigned_pdf_is_not_genuine(client, issued):
    certificate = issued()
    content = pdf.Content(
        number=certificate.number,
        kind="certificate",
        department_en="Test Department",
        department_hi="",
        service_en="Test Examination",
        service_hi="",
        holder_en="Asha Verma",
        holder_hi="",
        application_number="",
        issued_on=clock.today(),
        valid_until=None,
        qr_url=qr.url(certificate.qr_payload),
    )
    response = upload(client, pdf.render(content).data)
    assert verdict(response) == "not_genuine"
    assert NOT_SIGNED in text_of(response)


def test_a_file_that_is_not_a_pdf_is_refused_by_its_content(client, db):
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="certificate.pdf")
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and "data-verdict" not in html
    assert "This kind of file is not accepted here." in html


def test_a_file_over_5_mb_is_refused(client, db):
    data = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    response = upload(client, data)
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()


def test_a_post_without_a_file_asks_for_one(client, db):
    response = client.post(url("verify"), {})
    assert response.status_code == 400
    assert 'href="#id_pdf"' in response.content.decode()


# --------------------------------------------------------------------------- the QR code's URL


def test_the_qr_url_without_a_language_goes_to_the_readers_language(client, issued):
    certificate = issued()
    path = f"/verify/?p={certificate.qr_payload}"
    assert qr.url(certificate.qr_payload).endswith(path)
    hindi = client.get(path, HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.5")
    assert hindi.status_code == 302
    assert hindi["Location"] == f"/hi/verify/?p={certificate.qr_payload}"
    assert "Accept-Language" in hindi["Vary"]
    english_ = client.get(path, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert english_["Location"] == f"/en/verify/?p={certificate.qr_payload}"
    # and the page it lands on answers
    assert verdict(client.get(hindi["Location"])) == "genuine"


def test_without_accept_language_the_default_language_is_used(client, db):
    response = client.get("/verify/?p=v1.abc")
    assert response.status_code == 302
    assert response["Location"] == "/en/verify/?p=v1.abc"


def test_the_language_the_reader_chose_on_the_portal_wins(client, db):
    from django.conf import settings as django_settings

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "hi"
    response = client.get("/verify/?p=v1.abc", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == "/hi/verify/?p=v1.abc"


def test_the_printed_number_url_without_a_language(client, issued):
    certificate = issued()
    for path in (f"/verify/{certificate.number}", f"/verify/{certificate.number.lower()}/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="hi")
        assert response.status_code == 302
        assert response["Location"] == f"/hi/verify/{certificate.number}/"
    assert verdict(client.get(f"/hi/verify/{certificate.number}/")) == "genuine"


def test_the_bare_verify_url_goes_to_the_form(client, db):
    response = client.get("/verify/", HTTP_ACCEPT_LANGUAGE="hi")
    assert response["Location"] == "/hi/verify/"


# --------------------------------------------------------------------------- the limit


def test_more_than_the_limit_of_lookups_a_minute_is_refused_with_429(
    client, issued, frozen_clock, settings
):
    certificate = issued()
    page = url("verify_number", certificate.number)
    for _ in range(settings.CERTIFICATE_VERIFY_PER_MINUTE):
        assert client.get(page).status_code == 200
    refused = client.get(page)
    assert refused.status_code == 429
    text = text_of(refused)
    assert "Too many checks" in text
    assert f"more than {settings.CERTIFICATE_VERIFY_PER_MINUTE} certificates this minute" in text
    assert "Asha Verma" not in text and "data-verdict" not in refused.content.decode()
    # every kind of lookup counts, the form itself does not
    assert payload_page(client, certificate.qr_payload).status_code == 429
    assert upload(client, pdf_of(certificate)).status_code == 429
    assert client.get(url("verify")).status_code == 200
    # another address is not held back, and the next minute starts afresh
    assert client.get(page, REMOTE_ADDR="10.1.2.3").status_code == 200
    frozen_clock.advance(minutes=1)
    assert client.get(page).status_code == 200


def test_the_limit_can_be_set(client, issued, settings):
    settings.CERTIFICATE_VERIFY_PER_MINUTE = 2
    certificate = issued()
    page = url("verify_number", certificate.number)
    assert [client.get(page).status_code for _ in range(3)] == [200, 200, 429]


# --------------------------------------------------------------------------- Hindi


@pytest.mark.parametrize("lang", ["hi"])
def test_the_verdicts_in_hindi(client, issued, designated_officer, lang):
    certificate = issued()
    form = client.get(url("verify", lang=lang))
    assert "प्रमाण पत्र जाँचें" in text_of(form)
    genuine = client.get(url("verify_number", certificate.number, lang=lang))
    text = text_of(genuine)
    assert "असली" in text
    assert "परीक्षण परीक्षा" in text  # the service's Hindi name
    assert "धारक का नाम" in text
    forged = payload_page(client, tampered(certificate.qr_payload, name_en="X Y"), lang=lang)
    assert "QR कोड की सामग्री बदली गई है या उस पर विभाग के हस्ताक्षर नहीं हैं।" in text_of(forged)
    services.revoke(certificate, reason="Forged document", actor=designated_officer)
    revoked = client.get(url("verify_number", certificate.number, lang=lang))
    assert "निरस्त" in text_of(revoked)
    assert "Forged document" in text_of(revoked)


def test_the_limit_message_in_hindi(client, issued, settings):
    settings.CERTIFICATE_VERIFY_PER_MINUTE = 1
    certificate = issued()
    page = url("verify_number", certificate.number, lang="hi")
    client.get(page)
    refused = client.get(page)
    assert refused.status_code == 429
    assert "बहुत अधिक जाँच" in text_of(refused)


def test_a_kept_verdict_never_hides_a_revocation_or_a_renamed_service(
    client, issued, designated_officer
):
    """The page's verdict is kept rendered per process, keyed by everything it shows:
    what changes in the records shows at the next lookup."""
    certificate = issued()
    page = url("verify_number", certificate.number)
    assert verdict(client.get(page)) == "genuine"
    assert verdict(client.get(page)) == "genuine"  # the kept verdict
    service = certificate.application.service
    service.name_en = "Renamed Examination"
    service.save(update_fields=["name_en"])
    assert "Renamed Examination" in text_of(client.get(page))
    services.revoke(certificate, reason="Forged document", actor=designated_officer)
    response = client.get(page)
    assert verdict(response) == "revoked"
    assert "Forged document" in text_of(response)


def test_the_page_reads_the_certificate_in_one_query(client, issued, django_assert_num_queries):
    certificate = issued()
    with django_assert_num_queries(1):
        assert verdict(client.get(url("verify_number", certificate.number))) == "genuine"
