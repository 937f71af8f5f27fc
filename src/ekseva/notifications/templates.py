"""The message template registry.

Every app registers its own message templates at import time (usually in its
``AppConfig.ready()``)::

    from ekseva.notifications import templates

    templates.register(
        "accounts.otp",
        sms={"en": "{code} is your OTP. Valid {minutes} min.",
             "hi": "{code} आपका OTP है। {minutes} मिनट तक मान्य।"},
        dlt_template_id="1107160000000000001",
    )

Texts are ``str.format`` strings over the params given to ``queue()``; only
plain names (``{code}``) are allowed, so a template cannot reach into objects.
Both languages are required for every channel a template offers.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "hi")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    """A template is badly defined, unknown, or cannot be rendered with the given params."""


class UnknownTemplateError(TemplateError, LookupError):
    pass


class MissingParamsError(TemplateError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass(frozen=True)
class MessageTemplate:
    code: str
    sms: Mapping[str, str] = field(default_factory=dict)
    email_subject: Mapping[str, str] = field(default_factory=dict)
    email_body: Mapping[str, str] = field(default_factory=dict)
    inapp: Mapping[str, str] = field(default_factory=dict)
    dlt_template_id: str = ""

    @property
    def channels(self) -> frozenset[str]:
        offered = set()
        if self.sms:
            offered.add("sms")
        if self.email_body:
            offered.add("email")
        if self.inapp:
            offered.add("inapp")
        return frozenset(offered)

    def _texts(self, channel: str, language: str) -> list[str]:
        if channel == "sms":
            return [self.sms[language]]
        if channel == "email":
            return [self.email_subject[language], self.email_body[language]]
        return [self.inapp[language]]

    def required_params(self, channel: str) -> set[str]:
        """The param names the channel's texts use (the same in both languages)."""
        return _fields(self._texts(channel, "en")) | _fields(self._texts(channel, "hi"))

    def render(self, channel: str, language: str, params: Mapping[str, Any]) -> Rendered:
        if channel not in self.channels:
            raise TemplateError(
                f"template {self.code!r} has no {channel!r} text "
                f"(it offers: {', '.join(sorted(self.channels))})"
            )
        if language not in LANGUAGES:
            raise TemplateError(f"language must be one of {LANGUAGES}, not {language!r}")
        missing = self.required_params(channel) - set(params)
        if missing:
            raise MissingParamsError(
                f"template {self.code!r} needs param(s) {', '.join(sorted(missing))}"
            )
        texts = [text.format_map(params) for text in self._texts(channel, language)]
        if channel == "email":
            return Rendered(subject=texts[0], body=texts[1])
        return Rendered(subject="", body=texts[0])


_registry: dict[str, MessageTemplate] = {}


def _fields(texts: list[str]) -> set[str]:
    names = set()
    for text in texts:
        for _literal, name, _spec, _conversion in string.Formatter().parse(text):
            if name is None:
                continue
            if not _NAME_RE.match(name):
                raise TemplateError(
                    f"placeholder {{{name}}} is not allowed: use plain names like {{code}}"
                )
            names.add(name)
    return names


def _check_languages(code: str, what: str, texts: Mapping[str, str] | None) -> dict[str, str]:
    if not texts:
        return {}
    if set(texts) != set(LANGUAGES) or not all(str(v).strip() for v in texts.values()):
        raise TemplateError(
            f"template {code!r}: {what} needs non-empty texts for exactly {LANGUAGES}"
        )
    return {lang: str(texts[lang]) for lang in LANGUAGES}


def register(
    code: str,
    *,
    sms: Mapping[str, str] | None = None,
    email_subject: Mapping[str, str] | None = None,
    email_body: Mapping[str, str] | None = None,
    inapp: Mapping[str, str] | None = None,
    dlt_template_id: str = "",
) -> MessageTemplate:
    """Register a template. Registering the same definition again is a no-op
    (``ready()`` may run twice); a different definition under a taken code is an error."""
    if not CODE_RE.match(code):
        raise TemplateError(f"template code {code!r} must look like 'app.name' (lower case)")
    template = MessageTemplate(
        code=code,
        sms=_check_languages(code, "sms", sms),
        email_subject=_check_languages(code, "email_subject", email_subject),
        email_body=_check_languages(code, "email_body", email_body),
        inapp=_check_languages(code, "inapp", inapp),
        dlt_template_id=str(dlt_template_id or ""),
    )
    if bool(template.email_subject) != bool(template.email_body):
        raise TemplateError(f"template {code!r}: email needs both a subject and a body")
    if not template.channels:
        raise TemplateError(f"template {code!r} offers no channel (sms, email or inapp)")
    for channel in template.channels:
        en = _fields(template._texts(channel, "en"))
        hi = _fields(template._texts(channel, "hi"))
        if en != hi:
            raise TemplateError(
                f"template {code!r}: {channel} texts use different params in en {sorted(en)} "
                f"and hi {sorted(hi)}"
            )
    existing = _registry.get(code)
    if existing is not None and existing != template:
        raise TemplateError(f"template code {code!r} is already registered differently")
    _registry[code] = template
    return template


def get(code: str) -> MessageTemplate:
    try:
        return _registry[code]
    except KeyError:
        raise UnknownTemplateError(f"unknown message template {code!r}") from None


def registered() -> list[MessageTemplate]:
    return [_registry[code] for code in sorted(_registry)]


# --- the platform's own templates ---------------------------------------------------

register(
    "test.ping",
    sms={
        "en": "ekseva test message {nonce}: your messages reach you.",
        "hi": "ई-सेवा परीक्षण संदेश {nonce}: आपके संदेश आप तक पहुँच रहे हैं।",
    },
    email_subject={"en": "ekseva test message {nonce}", "hi": "ई-सेवा परीक्षण संदेश {nonce}"},
    email_body={
        "en": "This is a test message ({nonce}) from ekseva. No action is needed.",
        "hi": "यह ई-सेवा का परीक्षण संदेश ({nonce}) है। कोई कार्रवाई आवश्यक नहीं है।",
    },
    inapp={
        "en": "Test notification {nonce}.",
        "hi": "परीक्षण सूचना {nonce}।",
    },
)
