"""Public tracking with the real captcha (not the test mode): checked in one
statement (views_public.SingleUseCaptchaField), with the package's rules kept —
single use whatever the answer, expiry, and expired captchas swept away."""

from __future__ import annotations

import datetime as dt

import pytest
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.utils import timezone, translation

from ekseva.applications import views_public

from .test_mine_views import paid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def real_captcha(settings):
    settings.CAPTCHA_TEST_MODE = False
    cache.clear()
    views_public._swept["at"] = 0.0
    with translation.override("en"):
        yield
    cache.clear()


def _captcha(answer: str = "abcde", *, minutes: int = 5) -> str:
    store = CaptchaStore.objects.create(
        challenge=answer.upper(),
        response=answer,
        expiration=timezone.now() + dt.timedelta(minutes=minutes),
    )
    return store.hashkey


def _track(client, app, hashkey: str, answer: str):
    return client.post(
        "/en/track/",
        {"number": app.number, "mobile": "9876500001", "captcha_0": hashkey, "captcha_1": answer},
    )


def _found(response) -> bool:
    return "data-found=" in response.content.decode()


def test_the_right_answer_finds_and_uses_the_captcha_up(client, service, citizen):
    app = paid(service, citizen)
    key = _captcha()
    assert _found(_track(client, app, key, " ABCDE "))  # case and spaces forgiven
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    assert not _found(_track(client, app, key, "abcde"))  # never twice


def test_a_wrong_answer_uses_the_captcha_up_too(client, service, citizen):
    app = paid(service, citizen)
    key = _captcha()
    response = _track(client, app, key, "wrong")
    assert not _found(response) and 'id="id_captcha_error"' in response.content.decode()
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    assert not _found(_track(client, app, key, "abcde"))


def test_an_expired_or_unknown_captcha_is_refused(client, service, citizen):
    app = paid(service, citizen)
    assert not _found(_track(client, app, _captcha(minutes=-1), "abcde"))
    assert not _found(_track(client, app, "no-such-key", "abcde"))
    assert not _found(_track(client, app, _captcha(), ""))


def test_expired_captchas_are_swept_at_most_once_a_minute(client, service, citizen):
    app = paid(service, citizen)
    old = _captcha(minutes=-1)
    assert _found(_track(client, app, _captcha(), "abcde"))
    assert not CaptchaStore.objects.filter(hashkey=old).exists()  # the first check swept
    later = _captcha(minutes=-1)
    assert _found(_track(client, app, _captcha(), "abcde"))
    assert CaptchaStore.objects.filter(hashkey=later).exists()  # not again within the minute
    views_public._swept["at"] -= views_public.SWEEP_SECONDS
    assert _found(_track(client, app, _captcha(), "abcde"))
    assert not CaptchaStore.objects.filter(hashkey=later).exists()


def test_a_lookup_costs_a_few_queries(client, service, citizen, django_assert_max_num_queries):
    app = paid(service, citizen)
    _track(client, app, _captcha(), "abcde")  # the first check sweeps
    key = _captcha()
    # The captcha (one statement), the application with its service and applicant,
    # its timeline.
    with django_assert_max_num_queries(3):
        assert _found(_track(client, app, key, "abcde"))
    with django_assert_max_num_queries(1):
        assert client.get("/en/track/").status_code == 200  # the form makes a captcha
