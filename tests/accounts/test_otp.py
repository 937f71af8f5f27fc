"""OTPs: hashed at rest, single use, expiry, attempt limit, rate limits per mobile and IP."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import override_settings

from ekseva.accounts import services
from ekseva.accounts.models import OtpChallenge
from ekseva.notifications.models import Message

from .conftest import last_otp

MOBILE = "9812345678"


def test_request_queues_an_sms_and_stores_only_a_hash(db):
    challenge = services.request_otp(MOBILE, "signin", "10.0.0.1", "en")
    code = last_otp(MOBILE)
    assert len(code) == 6 and code.isdigit()
    row = OtpChallenge.objects.filter(pk=challenge.pk).values().get()
    assert all(code not in str(value) for value in row.values())
    assert row["code_hash"] != code and len(row["code_hash"]) == 64
    message = Message.objects.get(recipient=MOBILE)
    assert code in message.body and "ekseva" in message.body


def test_sms_in_hindi(db):
    services.request_otp(MOBILE, "signin", None, "hi")
    message = Message.objects.get(recipient=MOBILE)
    assert "आपका" in message.body and last_otp(MOBILE) in message.body


def test_code_works_once(db):
    services.request_otp(MOBILE, "signin", None)
    code = last_otp(MOBILE)
    challenge = services.verify_otp(MOBILE, "signin", code)
    assert challenge.used_at is not None
    with pytest.raises(services.OtpError) as err:
        services.verify_otp(MOBILE, "signin", code)
    assert err.value.code == "no_challenge"


def test_code_is_bound_to_mobile_and_purpose(db):
    services.request_otp(MOBILE, "signin", None)
    code = last_otp(MOBILE)
    with pytest.raises(services.OtpError):
        services.verify_otp("9812345679", "signin", code)
    with pytest.raises(services.OtpError):
        services.verify_otp(MOBILE, "kiosk_consent", code)
    services.verify_otp(MOBILE, "signin", code)


def test_code_expires(db, frozen_clock, settings):
    services.request_otp(MOBILE, "signin", None)
    code = last_otp(MOBILE)
    frozen_clock.advance(seconds=settings.OTP_TTL_SECONDS)
    with pytest.raises(services.OtpError) as err:
        services.verify_otp(MOBILE, "signin", code)
    assert err.value.code == "expired"


def test_code_accepted_just_before_expiry(db, frozen_clock, settings):
    services.request_otp(MOBILE, "signin", None)
    frozen_clock.advance(seconds=settings.OTP_TTL_SECONDS - 1)
    services.verify_otp(MOBILE, "signin", last_otp(MOBILE))


def test_a_new_request_replaces_the_old_code(db):
    services.request_otp(MOBILE, "signin", None)
    old = last_otp(MOBILE)
    services.request_otp(MOBILE, "signin", None)
    new = last_otp(MOBILE)
    if old != new:
        with pytest.raises(services.OtpError):
            services.verify_otp(MOBILE, "signin", old)
    services.verify_otp(MOBILE, "signin", new)


@override_settings(OTP_MAX_ATTEMPTS=3)
def test_brute_force_burns_the_challenge(db):
    challenge = services.request_otp(MOBILE, "signin", None)
    code = last_otp(MOBILE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (2, 1):
        with pytest.raises(services.OtpError) as err:
            services.verify_otp(MOBILE, "signin", wrong)
        assert err.value.code == "wrong" and err.value.params == {"left": left}
    with pytest.raises(services.OtpError) as err:
        services.verify_otp(MOBILE, "signin", wrong)
    assert err.value.code == "burnt"
    challenge.refresh_from_db()
    assert challenge.attempts == 3 and challenge.burnt_at is not None
    # the right code no longer helps
    with pytest.raises(services.OtpError) as err:
        services.verify_otp(MOBILE, "signin", code)
    assert err.value.code == "no_challenge"


@override_settings(OTP_RATE_PER_MOBILE=3, OTP_RATE_PER_IP=100)
def test_rate_limit_per_mobile(db, frozen_clock):
    for i in range(3):
        services.request_otp(MOBILE, "signin", f"10.0.0.{i}")
    with pytest.raises(services.RateLimitedError) as err:
        services.request_otp(MOBILE, "signin", "10.0.0.9")
    assert err.value.params == {"minutes": 60}
    assert OtpChallenge.objects.filter(mobile=MOBILE).count() == 3
    services.request_otp("9812345679", "signin", "10.0.0.9")  # other numbers unaffected
    frozen_clock.advance(minutes=59)
    with pytest.raises(services.RateLimitedError) as err:
        services.request_otp(MOBILE, "signin", None)
    assert err.value.params == {"minutes": 1}
    frozen_clock.advance(minutes=1, seconds=1)
    services.request_otp(MOBILE, "signin", None)


@override_settings(OTP_RATE_PER_MOBILE=100, OTP_RATE_PER_IP=2)
def test_rate_limit_per_ip(db):
    services.request_otp("9812345671", "signin", "203.0.113.5")
    services.request_otp("9812345672", "signin", "203.0.113.5")
    with pytest.raises(services.RateLimitedError):
        services.request_otp("9812345673", "signin", "203.0.113.5")
    services.request_otp("9812345673", "signin", "203.0.113.6")
    assert not OtpChallenge.objects.filter(mobile="9812345673", requester_ip="203.0.113.5")


def test_bad_mobile_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.request_otp("12345", "signin", None)
    assert not OtpChallenge.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(OTP_RATE_PER_MOBILE=3, OTP_RATE_PER_IP=100)
def test_rate_limit_holds_under_concurrency():
    """Ten simultaneous requests for one number: exactly the limit gets through."""
    results: list[str] = []
    barrier = threading.Barrier(10)

    def ask() -> None:
        try:
            barrier.wait()
            services.request_otp(MOBILE, "signin", None)
            results.append("ok")
        except services.RateLimitedError:
            results.append("limited")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 3 and results.count("limited") == 7
    assert OtpChallenge.objects.filter(mobile=MOBILE).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_verifies_once_under_concurrency():
    services.request_otp(MOBILE, "signin", None)
    code = last_otp(MOBILE)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def verify() -> None:
        try:
            barrier.wait()
            services.verify_otp(MOBILE, "signin", code)
            results.append("ok")
        except services.OtpError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 1
