"""Department signing keys (certificates.keys): made on first use (once, even when
two ask at once), a self-issued X.509 certificate fit for PAdES, the private key
encrypted at rest, rotation by operator staff only (audited), and after a
rotation old certificates still verify while new ones use the new key."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from ekseva.accounts.models import Role
from ekseva.catalog.models import Department
from ekseva.certificates import keys, qr, services, verify
from ekseva.certificates.models import CertificateError, SigningKey
from ekseva.core import clock
from ekseva.core.audit import AuditEvent
from tests.certificates import test_issue as life
from tests.workflow.conftest import officer

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


@pytest.fixture
def department(db):
    return Department.objects.create(
        code="REV", name_en="Revenue Department", name_hi="राजस्व विभाग", kind="government"
    )


@pytest.fixture
def operator(places):
    return officer(Role.OPERATOR_STAFF, None, department="")


# --------------------------------------------------------------------------- making keys


def test_the_first_use_makes_the_key_and_later_uses_get_it(department, frozen_clock):
    key = keys.current_key("REV")
    assert keys.current_key("REV") == key
    assert SigningKey.objects.filter(department_code="REV").count() == 1
    assert key.key_id.startswith("REV-") and len(key.key_id) == len("REV-") + 8
    assert key.created_at == clock.now() and key.retired_at is None
    # The stored public key is the private key's.
    assert keys.b64url(keys.private_key(key).public_key().public_bytes_raw()) == key.public_key
    assert AuditEvent.objects.filter(action="certificates.key.created").count() == 1


def test_the_x509_certificate_names_the_department_and_lasts_ten_years(department, frozen_clock):
    key = keys.current_key("REV")
    cert = keys.certificate(key)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Revenue Department"
    assert (
        subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        == "Government of Madhya Pradesh"
    )
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "IN"
    assert cert.issuer == subject  # self-issued
    cert.verify_directly_issued_by(cert)  # and self-signed, by the key itself
    lasts = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=3650) <= lasts <= dt.timedelta(days=3660)
    assert cert.not_valid_before_utc <= clock.now() <= cert.not_valid_after_utc
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    public = cert.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert keys.b64url(public) == key.public_key


def test_the_private_key_is_encrypted_at_rest(department, settings):
    key = keys.current_key("REV")
    raw = keys.private_key(key).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    stored = key.private_key_encrypted
    assert stored.startswith("fernet1:")
    assert keys.b64url(raw) not in stored and raw.hex() not in stored
    assert "PRIVATE KEY" not in stored

    # Another secret cannot open it …
    settings.CERTIFICATE_KEY_SECRET = "another secret entirely"
    with pytest.raises(CertificateError):
        keys.private_key(key)


def test_the_secret_falls_back_to_secret_key(department, settings):
    settings.CERTIFICATE_KEY_SECRET = ""
    key = keys.current_key("REV")
    assert keys.private_key(key)  # opened under SECRET_KEY
    settings.SECRET_KEY = "a different django secret key for this test only"
    with pytest.raises(CertificateError):
        keys.private_key(key)


def test_a_damaged_key_is_refused(department):
    key = keys.current_key("REV")
    other = keys._new_key("REV")
    key.private_key_encrypted = other.private_key_encrypted  # not this key's private half
    with pytest.raises(CertificateError):
        keys.private_key(key)
    key.private_key_encrypted = "plain:whatever"
    with pytest.raises(CertificateError):
        keys.private_key(key)


@pytest.mark.parametrize("code", ["", "rev", "R", "REV;DROP", "R" * 21])
def test_bad_department_codes_are_refused(db, code):
    with pytest.raises(CertificateError):
        keys.current_key(code)


def test_one_current_key_per_department_is_enforced_by_the_database(department):
    keys.current_key("REV")
    second = keys._new_key("REV")
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_a_first_use_that_loses_the_race_takes_the_winners_key(department, monkeypatch):
    """Two first uses at once: the other one saves its key between our look-up and
    our insert; ours hits the partial unique constraint and returns theirs."""
    made = keys._new_key
    winner = {}

    def racing(code):
        theirs = made(code)
        theirs.save()
        winner["key"] = theirs
        return made(code)

    monkeypatch.setattr(keys, "_new_key", racing)
    key = keys.current_key("REV")
    assert key == winner["key"]
    assert SigningKey.objects.filter(department_code="REV").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_first_uses_at_once_make_one_key():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    Department.objects.create(code="RACE", name_en="Race", name_hi="दौड़", kind="government")
    barrier = threading.Barrier(4)

    def first_use(_i):
        try:
            barrier.wait(timeout=5)
            return keys.current_key("RACE").key_id
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(first_use, range(4)))
    assert len(ids) == 1
    assert SigningKey.objects.filter(department_code="RACE").count() == 1


# --------------------------------------------------------------------------- rotation


def test_operator_staff_rotate_a_key(department, operator):
    old = keys.current_key("REV")
    new = keys.rotate_key("REV", actor=operator)
    old.refresh_from_db()
    assert old.retired_at is not None and new.retired_at is None
    assert new.key_id != old.key_id and new.public_key != old.public_key
    assert keys.current_key("REV") == new
    event = AuditEvent.objects.get(action="certificates.key.rotated")
    assert event.before == {"key_id": old.key_id}
    assert event.after == {"department": "REV", "key_id": new.key_id}
    assert event.actor_id == operator.pk


def test_the_first_rotation_of_a_department_without_keys_makes_one(department, operator):
    new = keys.rotate_key("REV", actor=operator)
    assert keys.current_key("REV") == new


def test_only_operator_staff_rotate_keys(department, designated_officer, scrutiny_officer, citizen):
    keys.current_key("REV")
    for person in (designated_officer, scrutiny_officer, citizen, None):
        with pytest.raises(services.NotPermitted):
            keys.rotate_key("REV", actor=person)
    assert SigningKey.objects.filter(department_code="REV").count() == 1
    assert not AuditEvent.objects.filter(action="certificates.key.rotated").exists()


def test_a_department_not_in_the_catalogue_gets_no_key_by_rotation(db, operator):
    with pytest.raises(CertificateError):
        keys.rotate_key("NONE", actor=operator)
    assert not SigningKey.objects.exists()


def test_after_a_rotation_old_certificates_verify_and_new_ones_use_the_new_key(
    received, scrutiny_officer, designated_officer, operator
):
    old = life.issued_certificate(received, scrutiny_officer, designated_officer)
    old_pdf = old.pdf.read()
    retired = old.key
    new_key = keys.rotate_key("TST", actor=operator)

    # The old certificate keeps its key and still verifies every way.
    old.refresh_from_db()
    assert old.key == retired and old.key.retired_at is not None
    assert verify.verify_number(old.number).status == "genuine"
    assert verify.verify_payload(old.qr_payload).ok
    assert verify.verify_pdf(old_pdf).ok

    # A new one is signed with the new key, and verifies too.
    new = life.issued_certificate(received, scrutiny_officer, designated_officer)
    assert new.key == new_key
    assert qr.peek(new.qr_payload).key_id == new_key.key_id
    assert verify.verify_payload(new.qr_payload).ok
    assert verify.verify_pdf(new.pdf.read()).ok


# --------------------------------------------------------------------------- the command


def test_the_command_rotates_a_key(department, operator, capsys):
    old = keys.current_key("REV")
    call_command("certificates", "rotate-key", "REV", "--by", operator.username)
    new = keys.current_key("REV")
    assert new != old
    assert f"REV now signs with key {new.key_id}" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="certificates.key.rotated").actor_id == operator.pk


def test_the_command_refuses_an_unknown_department_or_user(department):
    with pytest.raises(CommandError):
        call_command("certificates", "rotate-key", "NOPE")
    with pytest.raises(CommandError):
        call_command("certificates", "rotate-key", "REV", "--by", "nobody")
    assert not SigningKey.objects.filter(department_code="REV").exists()


def test_the_command_verifies_a_file(
    received, scrutiny_officer, designated_officer, tmp_path, capsys
):
    certificate = life.issued_certificate(received, scrutiny_officer, designated_officer)
    data = certificate.pdf.read()
    good = tmp_path / "good.pdf"
    good.write_bytes(data)
    call_command("certificates", "verify", str(good))
    assert f"genuine: certificate {certificate.number}" in capsys.readouterr().out

    bad = tmp_path / "bad.pdf"
    stream = data.index(b"stream", 2000) + 40
    bad.write_bytes(data[:stream] + bytes([data[stream] ^ 1]) + data[stream + 1 :])
    with pytest.raises(SystemExit) as exited:
        call_command("certificates", "verify", str(bad))
    assert exited.value.code == 1
    assert "NOT GENUINE (changed)" in capsys.readouterr().out

    with pytest.raises(CommandError):
        call_command("certificates", "verify", str(tmp_path / "missing.pdf"))


# --------------------------------------------------------------------------- the cache


def test_the_decrypted_key_and_signer_are_kept_per_key(department):
    keys.forget()
    key = keys.current_key("REV")
    assert keys.private_key(key) is keys.private_key(key)
    assert keys.pades_signer(key) is keys.pades_signer(key)
    # The same key read again from the database: the same cached objects.
    again = type(key).objects.get(pk=key.pk)
    assert keys.pades_signer(again) is keys.pades_signer(key)


def test_a_cached_key_is_checked_again_when_the_secret_or_the_row_changes(department, settings):
    key = keys.current_key("REV")
    assert keys.private_key(key)  # cached now
    settings.CERTIFICATE_KEY_SECRET = "another secret entirely"
    with pytest.raises(CertificateError):
        keys.private_key(key)  # not the cached one: the secret is part of the entry
    with pytest.raises(CertificateError):
        keys.pades_signer(key)


def test_a_damaged_key_is_refused_even_after_the_good_one_was_cached(department):
    key = keys.current_key("REV")
    assert keys.private_key(key)
    key.private_key_encrypted = keys._new_key("REV").private_key_encrypted
    with pytest.raises(CertificateError):
        keys.private_key(key)


def test_rotation_forgets_the_retired_keys_signer(department, operator):
    old = keys.current_key("REV")
    old_signer = keys.pades_signer(old)
    assert any(entry[1] == old.key_id for entry in keys._cache)
    new = keys.rotate_key("REV", actor=operator)
    assert not any(entry[1] == old.key_id for entry in keys._cache)
    current = keys.current_key("REV")
    assert current.key_id == new.key_id != old.key_id
    signer = keys.pades_signer(current)
    assert signer is not old_signer
    assert signer.signing_cert.dump() == keys.asn1_certificate(new).dump()


def test_the_cache_is_bounded(department, monkeypatch):
    monkeypatch.setattr(keys, "CACHE_SIZE", 3)
    keys.forget()
    for _ in range(5):
        keys.private_key(keys._new_key("REV"))
    assert len(keys._cache) == 3
