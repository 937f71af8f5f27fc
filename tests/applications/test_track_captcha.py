"""Public tracking with the real captcha (not the test mode): ``core.captcha``, a
signed key that writes nothing to the database, with django-simple-captcha's rules
kept — single use whatever the answer, expiry, a forged key refused — and its
picture served from the key."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.cache import cache
from django.utils import translation

from ekseva.core import captcha

from .test_mine_views import paid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def real_captcha(settings):
    settings.CAPTCHA_TEST_MODE = False
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


def _track(client, app, key: str, answer: str):
    return client.post(
        "/en/track/",
        {"number": app.number, "mobile": "9876500001", "captcha_0": key, "captcha_1": answer},
    )


def _found(response) -> bool:
    return "data-found=" in response.content.decode()


def _key_on(page) -> str:
    match = re.search(r'name="captcha_0" value="([^"]+)"', page.content.decode())
    assert match, page.content.decode()[:2000]
    return match.group(1)


def test_the_right_answer_finds_and_uses_the_captcha_up(client, service, citizen):
    app = paid(service, citizen)
    key = _key_on(client.get("/en/track/"))
    answer = captcha.challenge_of(key)
    assert answer and len(answer) == 5 and answer.isupper()
    assert _found(_track(client, app, key, f" {answer.lower()} "))  # case and spaces forgiven
    assert not _found(_track(client, app, key, answer))  # never twice


def test_a_wrong_answer_uses_the_captcha_up_too(client, service, citizen):
    app = paid(service, citizen)
    key = captcha.new_key()
    response = _track(client, app, key, "wrong")
    assert not _found(response) and 'id="id_captcha_error"' in response.content.decode()
    assert not _found(_track(client, app, key, captcha.challenge_of(key)))


def test_an_expired_forged_or_unknown_captcha_is_refused(client, service, citizen, settings):
    app = paid(service, citizen)
    key = captcha.new_key()
    answer = captcha.challenge_of(key)
    nonce, stamp, _signature = key.split(":")
    other = signing.TimestampSigner(salt="another").sign(nonce)
    assert not _found(_track(client, app, other, answer))  # not signed for the captcha
    assert not _found(_track(client, app, f"{nonce}x:{stamp}:{_signature}", answer))
    assert not _found(_track(client, app, "no-such-key", answer))
    assert not _found(_track(client, app, captcha.new_key(), ""))
    settings.CAPTCHA_TIMEOUT = -1  # every key is now past its age
    assert captcha.challenge_of(key) is None
    assert not _found(_track(client, app, key, answer))


def test_a_refused_form_offers_a_new_captcha(client, service, citizen):
    app = paid(service, citizen)
    key = captcha.new_key()
    again = _track(client, app, key, "wrong")
    fresh = _key_on(again)
    assert fresh != key
    assert _found(_track(client, app, fresh, captcha.challenge_of(fresh)))


def test_the_key_does_not_give_the_answer_away():
    key = captcha.new_key()
    answer = captcha.challenge_of(key)
    assert answer.lower() not in key.lower()
    assert captcha.challenge_of(key) == answer  # the same key, the same characters


def test_the_picture_is_served_from_the_key(client, db):
    page = client.get("/en/track/")
    key = _key_on(page)
    html = page.content.decode()
    src = f'<img src="/en/track/captcha/{key}/" alt="captcha" class="captcha" />'
    assert src in html
    assert '<input type="text" name="captcha_1" required id="id_captcha_1"' in html
    first = client.get(f"/en/track/captcha/{key}/")
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first.content.startswith(b"\x89PNG")
    assert client.get(f"/en/track/captcha/{key}/").content == first.content
    assert client.get("/en/track/captcha/forged:key:here/").status_code == 410


def test_neither_the_form_nor_a_lookup_writes(client, service, citizen, django_assert_num_queries):
    app = paid(service, citizen)
    key = captcha.new_key()
    with django_assert_num_queries(0):
        assert client.get("/en/track/").status_code == 200
    # The application with its service and applicant, its timeline: no captcha query.
    with django_assert_num_queries(2):
        assert _found(_track(client, app, key, captcha.challenge_of(key)))


def test_the_test_mode_accepts_passed(client, service, citizen, settings):
    settings.CAPTCHA_TEST_MODE = True
    app = paid(service, citizen)
    assert _found(_track(client, app, "x", "PASSED"))


def test_each_form_gets_its_own_key_in_the_same_markup(client, db):
    first, second = (client.get("/en/track/").content.decode() for _ in range(2))
    keys = [_key_on(SimpleNamespace(content=page.encode())) for page in (first, second)]
    assert keys[0] != keys[1]
    for page, key in zip((first, second), keys, strict=True):
        assert f'src="/en/track/captcha/{key}/"' in page  # the picture of that key
        assert captcha.challenge_of(key)
    marked = [page.replace(key, "KEY") for page, key in zip((first, second), keys, strict=True)]
    field = [
        re.search(r'<img src="/en/track/captcha/KEY/".*?</div>', m, re.S).group(0) for m in marked
    ]
    assert field[0] == field[1]
