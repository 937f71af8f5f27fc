"""The two signatures of a certificate and their checks (certificates.qr,
certificates.pdf, certificates.verify): a genuine QR payload and PDF verify; a
changed QR field, a changed byte of the PDF or an incremental update that
changes the holder's name do not; nor does a signature by another department's
key or by a key that is not ours. The payload stays short enough for a QR code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ekseva.catalog.models import Department
from ekseva.certificates import keys, pdf, qr, verify
from ekseva.certificates.models import Certificate
from ekseva.core import clock
from ekseva.core import qr as qr_codes
from ekseva.core.files import check_upload
from tests.certificates import test_issue as life

# The back office's fixtures, as test_issue.py takes them from tests/workflow.
_gateway, english, fake_gateway, places, service = (
    life._gateway,
    life.english,
    life.fake_gateway,
    life.places,
    life.service,
)
citizen, received = life.citizen, life.received
scrutiny_officer, designated_officer = life.scrutiny_officer, life.designated_officer
issued_certificate = life.issued_certificate
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def certificate(received, scrutiny_officer, designated_officer) -> Certificate:
    return issued_certificate(received, scrutiny_officer, designated_officer)


@pytest.fixture
def other_department(db):
    return Department.objects.create(
        code="OTH", name_en="Other Department", name_hi="अन्य विभाग", kind="government"
    )


def payload_with(payload: str, **changes) -> str:
    """The payload with some fields changed and the original signature kept."""
    _version, _body, signature = payload.split(".")
    fields = dataclasses.replace(qr.peek(payload), **changes)
    return f"v1.{keys.b64url(qr.encode(fields))}.{signature}"


# --------------------------------------------------------------------------- the QR payload


def test_a_genuine_payload_verifies_online_and_offline(certificate):
    checked = verify.verify_payload(certificate.qr_payload)
    assert checked.ok and checked.reason == ""
    assert checked.certificate == certificate and checked.key == certificate.key
    assert checked.fields.number == certificate.number
    assert checked.fields.as_json() == certificate.fields
    assert checked.fields.issued == dt.date(2026, 6, 15)
    assert checked.fields.valid_until is None
    # Offline: the department's public key (raw, base64url) is all it takes.
    offline = qr.check_signature(certificate.qr_payload, certificate.key.public_key)
    assert offline == checked.fields


@pytest.mark.parametrize(
    ("name_en", "name_hi", "at_most"),
    [
        ("Asha Verma", "", 180),  # measured 176
        ("Asha Verma", "आशा वर्मा", 220),  # measured 212
        ("Ramkrishna Prasad Vishwakarma", "रामकृष्ण प्रसाद विश्वकर्मा", 300),  # measured 300
    ],
)
def test_the_payload_is_short_enough_for_a_readable_qr_code(
    received, scrutiny_officer, designated_officer, citizen, settings, name_en, name_hi, at_most
):
    citizen.profile.name_en, citizen.profile.name_hi = name_en, name_hi
    citizen.profile.save()
    settings.PUBLIC_BASE_URL = "https://ekseva.mp.gov.in"
    certificate = issued_certificate(received, scrutiny_officer, designated_officer)
    payload = certificate.qr_payload
    url = qr.url(payload)
    assert url == f"https://ekseva.mp.gov.in/verify/?p={payload}"
    assert len(payload) <= at_most, len(payload)
    # Version 14 at most: 73×73 modules, about 0.5 mm each in the 42 mm printed code.
    assert qr_codes.make(url).version <= 14
    assert all(c in B64 + "." for c in payload)  # nothing to escape in a URL
    assert qr.peek(payload).name_hi == name_hi


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"number": "CMP26TST0000002M"}, "bad_signature"),
        ({"name_en": "Asha Varma"}, "bad_signature"),
        ({"name_hi": "आशा"}, "bad_signature"),
        ({"service": "tst-other"}, "bad_signature"),
        ({"issued": dt.date(2026, 6, 14)}, "bad_signature"),
        ({"valid_until": dt.date(2036, 6, 14)}, "bad_signature"),
        ({"department": "OTH"}, "wrong_department"),
        ({"key_id": "TST-00000000"}, "unknown_key"),
    ],
)
def test_a_changed_field_fails(certificate, change, reason):
    tampered = payload_with(certificate.qr_payload, **change)
    checked = verify.verify_payload(tampered)
    assert not checked.ok and checked.reason == reason
    assert checked.certificate is None  # nothing of a record is vouched for
    if reason == "bad_signature":
        with pytest.raises(qr.BadPayload):
            qr.check_signature(tampered, certificate.key.public_key)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0, max_value=10_000), char=st.sampled_from(B64 + ".="))
def test_any_changed_character_fails(certificate, position, char):
    payload = certificate.qr_payload
    position %= len(payload)
    assume_changed = payload[position] != char
    tampered = payload[:position] + char + payload[position + 1 :]
    checked = verify.verify_payload(tampered)
    assert checked.ok is (not assume_changed)


def test_a_signature_by_another_departments_key_fails(certificate, other_department):
    genuine = qr.peek(certificate.qr_payload)
    other = keys.current_key("OTH")
    theirs = keys.private_key(other)

    # Another department's key, naming itself: it is not TST's certificate.
    claimed = dataclasses.replace(genuine, key_id=other.key_id)
    checked = verify.verify_payload(qr.sign(claimed, theirs))
    assert not checked.ok and checked.reason == "wrong_department"

    # Another department's key, pretending to be TST's key: the signature fails.
    checked = verify.verify_payload(qr.sign(genuine, theirs))
    assert not checked.ok and checked.reason == "bad_signature"

    # Their own department and key, with our number: not the certificate issued.
    own = dataclasses.replace(genuine, department="OTH", key_id=other.key_id)
    checked = verify.verify_payload(qr.sign(own, theirs))
    assert not checked.ok and checked.reason == "mismatch"

    with pytest.raises(qr.BadPayload) as refused:
        qr.check_signature(qr.sign(genuine, theirs), certificate.key.public_key)
    assert refused.value.reason == "bad_signature"


def test_a_validly_signed_payload_for_a_number_never_issued_is_unknown(certificate):
    genuine = qr.peek(certificate.qr_payload)
    made_up = dataclasses.replace(genuine, number="CMP26TST0009999X")
    checked = verify.verify_payload(qr.sign(made_up, keys.private_key(certificate.key)))
    assert not checked.ok and checked.reason == "unknown_certificate"
    assert checked.fields == made_up and checked.certificate is None


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "v1",
        "v1..",
        "v2.QUJD.AAAA",
        "not a payload",
        "v1.QUJD." + "A" * 86,  # a body that is not eight fields
        "v1." + "A" * 2000 + "." + "A" * 86,
    ],
)
def test_malformed_payloads_are_refused(db, payload):
    checked = verify.verify_payload(payload)
    assert not checked.ok and checked.reason == "malformed"
    assert checked.message("en") and checked.message("hi") != checked.message("en")


def test_the_body_has_one_canonical_form():
    fields = qr.Fields(
        number="CMP26TST0000001O",
        department="TST",
        service="tst-exam",
        issued=dt.date(2026, 6, 15),
        valid_until=None,
        key_id="TST-0123abcd",
        name_en="Asha Verma",
    )
    assert qr.decode(qr.encode(fields)) == fields
    with pytest.raises(ValueError):  # a line break would shift the fields
        qr.encode(dataclasses.replace(fields, name_en="Asha\nVerma"))
    body = qr.encode(fields).replace(b"20260615", b"2026-6-15")
    with pytest.raises(qr.BadPayload):
        qr.decode(body)
    assert qr.clean_text("  Asha \t Verma\n") == "Asha Verma"
    assert qr.clean_text("क्\u200dष") == "क्\u200dष"  # ZWJ stays: Hindi spelling uses it


# --------------------------------------------------------------------------- the PDF


def test_a_genuine_pdf_verifies(certificate):
    data = certificate.pdf.read()
    checked = verify.verify_pdf(data)
    assert checked.ok and checked.reason == "" and checked.certificate == certificate

    # What a PDF reader sees: one PAdES signature by the department, whole file.
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=[keys.asn1_certificate(certificate.key)], moment=clock.now()),
    )
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "Issued by Test Department"
    assert status.signing_cert.subject.native["common_name"] == "Test Department"
    assert status.signing_cert.subject.native["organization_name"] == (
        "Government of Madhya Pradesh"
    )
    assert status.md_algorithm == "sha512"


def test_a_pdf_still_verifies_after_its_keys_certificate_has_expired(certificate):
    """The department's X.509 certificate is itself the trust anchor (path
    validation does not expire anchors), so an eleven-year-old certificate's PDF
    still verifies, as its QR code and number do."""
    data = certificate.pdf.read()
    clock.advance(days=11 * 365)
    assert keys.certificate(certificate.key).not_valid_after_utc < clock.now()
    checked = verify.verify_pdf(data)
    assert checked.ok and checked.certificate == certificate


def test_the_signed_pdf_passes_the_upload_checks(certificate):
    data = certificate.pdf.read()
    info = check_upload(io.BytesIO(data), allowed={"pdf"}, max_bytes=5 * 1024 * 1024)
    assert info.kind == "pdf" and info.sha256 == certificate.pdf_sha256


def test_a_changed_byte_fails(certificate):
    data = certificate.pdf.read()
    # A byte in the middle of the page's content (inside the signed range).
    stream = data.index(b"stream", 2000) + 40
    edited = data[:stream] + bytes([data[stream] ^ 0x01]) + data[stream + 1 :]
    checked = verify.verify_pdf(edited)
    assert not checked.ok and checked.reason == "changed"
    assert checked.certificate is None

    # The number in the document's keywords, for another valid one.
    old = certificate.number.encode()
    swapped = data.replace(b"ekseva-certificate " + old, b"ekseva-certificate CMP26TST0000002M")
    assert swapped != data
    checked = verify.verify_pdf(swapped)
    assert not checked.ok and checked.reason == "changed"


def test_an_incremental_update_that_changes_the_name_fails(certificate):
    data = certificate.pdf.read()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject(
                {generic.NameObject("/FX"): writer.add_object(font)}
            )
        }
    )
    # White out the holder's name and write another over it.
    overlay = generic.StreamObject(
        stream_data=b"q 1 1 1 rg 200 640 180 16 re f Q BT /FX 11 Tf 205 645 Td (Ravi Kumar) Tj ET"
    )
    writer.add_stream_to_page(0, writer.add_object(overlay), resources=resources)
    out = io.BytesIO()
    writer.write(out)
    edited = out.getvalue()
    assert edited.startswith(data)  # the signed revision is untouched …

    checked = verify.verify_pdf(edited)
    assert not checked.ok and checked.reason == "modified"  # … but something was added
    assert checked.certificate is None


def test_a_pdf_signed_by_another_departments_key_fails(certificate, other_department):
    # A forger with another department's key prints our number and signs it.
    content = pdf.Content(
        number=certificate.number,
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test Examination",
        service_hi="परीक्षण परीक्षा",
        holder_en="Ravi Kumar",
        holder_hi="",
        application_number=certificate.application.number,
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url=qr.url(certificate.qr_payload),
    )
    forged = pdf.sign(pdf.render(content), keys.current_key("OTH"), reason="Issued by Test")
    checked = verify.verify_pdf(forged)
    assert not checked.ok and checked.reason == "wrong_key"

    # A key that is not ours at all (its own self-made certificate).
    stranger = keys._new_key("XYZ")
    forged = pdf.sign(pdf.render(content), stranger, reason="Issued by Test")
    checked = verify.verify_pdf(forged)
    assert not checked.ok and checked.reason == "unknown_signer"


def test_a_pdf_of_a_certificate_never_issued_is_unknown(certificate):
    content = pdf.Content(
        number="CMP26TST0009999X",
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test Examination",
        service_hi="परीक्षण परीक्षा",
        holder_en="Ravi Kumar",
        holder_hi="",
        application_number="MP26TST0000009X",
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url="https://example.invalid/",
    )
    # Signed with the department's own key (e.g. a leaked key): still no such certificate.
    signed = pdf.sign(pdf.render(content), certificate.key, reason="Issued by Test Department")
    checked = verify.verify_pdf(signed)
    assert not checked.ok and checked.reason == "unknown_certificate"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "unreadable"),
        (b"GIF89a not a pdf", "unreadable"),
        (b"%PDF-1.4\n garbage \n%%EOF", "unreadable"),
    ],
)
def test_files_that_are_not_signed_pdfs_are_refused(db, data, reason):
    checked = verify.verify_pdf(data)
    assert not checked.ok and checked.reason == reason
    assert checked.message("en") and checked.message("hi")


def test_an_unsigned_pdf_is_refused(certificate):
    content = pdf.Content(
        number=certificate.number,
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test Examination",
        service_hi="परीक्षण परीक्षा",
        holder_en="Asha Verma",
        holder_hi="",
        application_number=certificate.application.number,
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url=qr.url(certificate.qr_payload),
    )
    checked = verify.verify_pdf(pdf.render(content).data)
    assert not checked.ok and checked.reason == "unsigned"


def test_later_signatures_reuse_the_first_ones_room_and_still_verify(certificate):
    """pyHanko sizes the first signature of a key by a dummy signature; later ones
    reuse that size (pdf._reserved): the same file size, every one valid."""
    key = certificate.key
    content = pdf.Content(
        number=certificate.number,
        kind="certificate",
        department_en="Test Department",
        department_hi="परीक्षण विभाग",
        service_en="Test Examination",
        service_hi="परीक्षण परीक्षा",
        holder_en="Asha Verma",
        holder_hi="आशा वर्मा",
        application_number=certificate.application.number,
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url=qr.url(certificate.qr_payload),
    )
    rendered = pdf.render(content)
    pdf._reserved.pop(key.key_id, None)
    first = pdf.sign(rendered, key, reason="Issued by Test Department")
    assert pdf._reserved[key.key_id] > 0
    later = [pdf.sign(rendered, key, reason="Issued by Test Department") for _ in range(2)]
    context = ValidationContext(trust_roots=[keys.asn1_certificate(key)], moment=clock.now())
    for data in (first, *later):
        assert len(data) == len(first)
        signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
        assert 2 * len(signature.sig_object["/Contents"]) == pdf._reserved[key.key_id]
        status = validate_pdf_signature(signature, context)
        assert status.bottom_line and status.intact and status.valid
