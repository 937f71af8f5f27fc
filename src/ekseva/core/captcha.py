"""A captcha that keeps nothing in the database.

django-simple-captcha writes a ``CaptchaStore`` row for every form shown and deletes
it when the form is sent: two writes per lookup on the busiest public page. Here the
key *is* the captcha:

- the key is a random nonce signed with a timestamp (``django.core.signing``, salt
  ``ekseva.captcha``): it cannot be forged, and it expires after
  ``CAPTCHA_TIMEOUT`` minutes (5, as django-simple-captcha's default);
- the characters to type are derived from the nonce by an HMAC of the secret key,
  so the key does not reveal them: only the server can draw the picture
  (``image``, served from the key) or check the answer;
- a key is used once, whatever the answer: the first check claims it in the cache
  (``counters.claim``, SET NX: an atomic "first one wins", shared by every process when the
  cache is Redis, as in production) and any later check is refused.

The field renders the same markup as django-simple-captcha's (its widget template),
and ``CAPTCHA_TEST_MODE`` accepts the answer "PASSED" as it does.
"""

from __future__ import annotations

import hmac
import random
import secrets
from types import SimpleNamespace

from captcha.fields import CaptchaField, CaptchaTextInput
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.forms import MultiValueField
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe

from ekseva.core import counters
from ekseva.core.kept import Kept

SALT = "ekseva.captcha"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # django-simple-captcha's random_char_challenge


def timeout_seconds() -> int:
    return int(getattr(settings, "CAPTCHA_TIMEOUT", 5)) * 60


def _length() -> int:
    return int(getattr(settings, "CAPTCHA_LENGTH", 4))


def new_key() -> str:
    """A fresh captcha: ``<nonce>:<timestamp>:<signature>`` (URL-safe)."""
    return signing.TimestampSigner(salt=SALT).sign(secrets.token_hex(10))


def _nonce(key: str) -> str | None:
    """The nonce of an authentic, unexpired key; None otherwise."""
    try:
        return signing.TimestampSigner(salt=SALT).unsign(key, max_age=timeout_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        return None


def _challenge(nonce: str) -> str:
    digest = salted_hmac(SALT + ".challenge", nonce, algorithm="sha256").digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[: _length()])


def challenge_of(key: str) -> str | None:
    """The characters the picture of ``key`` shows (None for a forged or expired
    key). A solver reads them from the picture; the benchmarks call this."""
    nonce = _nonce(key)
    return _challenge(nonce) if nonce else None


def _used_key(nonce: str) -> str:
    return f"captcha:used:{nonce}"


def check(key: str, answer: str) -> bool:
    """True when ``answer`` is what the picture of ``key`` shows. Uses the key up
    whatever the answer: a key is checked at most once."""
    nonce = _nonce(key or "")
    if nonce is None:
        return False
    # A little longer than the key lives, so it is refused by its age after.
    if not counters.claim(_used_key(nonce), timeout_seconds() + 60):
        return False
    return hmac.compare_digest(_challenge(nonce).lower(), (answer or "").strip().lower())


# A stand-in for the key while the widget's markup is rendered once (it matches the
# URL's <str:key> and needs no escaping, like a real key).
_PLACEHOLDER = "0ekseva-captcha-key0"
_widgets: Kept[str] = Kept(512)
setting_changed.connect(_widgets.clear, dispatch_uid="ekseva.core.captcha")


class SignedCaptchaInput(CaptchaTextInput):
    """django-simple-captcha's widget (same template and markup), with a signed key
    and the picture served by ``image_url_name``.

    Its markup (three widget templates: a third of the tracking form's CPU) is
    rendered once per name, attributes, language and URLconf, with a stand-in for
    the key, which each rendering replaces with a fresh key."""

    def __init__(self, image_url_name: str, attrs=None) -> None:
        self.image_url_name = image_url_name
        self._placeholder = False
        super().__init__(attrs)

    def _markup(self, name, value, attrs, renderer) -> str:
        """The widget's markup with the stand-in key."""
        self._placeholder = True
        try:
            return str(super().render(name, value, attrs, renderer))
        finally:
            self._placeholder = False

    def render(self, name, value, attrs=None, renderer=None):
        memo = (
            name,
            tuple(sorted((attrs or {}).items())),
            tuple(sorted(self.attrs.items())),
            self.image_url_name,
            translation.get_language(),
            get_urlconf() or settings.ROOT_URLCONF,
            get_script_prefix(),
            id(renderer),
        )
        html = _widgets.get(memo, lambda: self._markup(name, value, attrs, renderer))
        key = new_key()
        self._key = key
        return mark_safe(html.replace(_PLACEHOLDER, key))

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        key = _PLACEHOLDER if self._placeholder else new_key()
        self._value = [key, ""]
        self._key = key
        self.id_ = self.build_attrs(attrs).get("id", None)

    def image_url(self) -> str:
        return reverse(self.image_url_name, kwargs={"key": self._key})

    def audio_url(self) -> None:
        return None


class SignedCaptchaField(CaptchaField):
    """A captcha field that writes nothing: see the module's docstring."""

    def __init__(self, *args, image_url_name: str, **kwargs) -> None:
        kwargs["widget"] = SignedCaptchaInput(image_url_name)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        MultiValueField.clean(self, value)
        response, value[1] = (value[1] or "").strip().lower(), ""
        if getattr(settings, "CAPTCHA_TEST_MODE", False) and response == "passed":
            return value
        if not self.required and not response:
            return value
        if not check(value[0] or "", response):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


def image(request: HttpRequest, key: str) -> HttpResponse:
    """The picture of ``key`` (PNG, drawn as django-simple-captcha draws it; the same
    key always gives the same picture). 410 for a forged or expired key."""
    from captcha.views import _captcha_image

    text = challenge_of(key)
    if text is None:
        return HttpResponse(status=410)
    try:
        random.seed(key)  # the same picture for the same key (as the package does)
        response = _captcha_image(SimpleNamespace(challenge=text), 1)
    finally:
        random.seed()  # never leave the shared generator predictable
    response["Cache-Control"] = "private, max-age=300"
    return response
