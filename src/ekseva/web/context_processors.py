"""Template context shared by every page of the shell. Nothing here touches the database."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils import translation

# Each language is offered in its own script, so a reader finds it without
# understanding the current page.
_NATIVE_NAMES = {"en": "English", "hi": "हिन्दी"}


def other_language_url(request: HttpRequest, lang: str) -> str:
    """The URL of the same page (query string kept) in ``lang``.

    ``translate_url`` handles every routed page; a path that resolves to nothing
    (a 404) still gets its language prefix swapped so the reader can read the
    error in the other language.
    """
    full_path = request.get_full_path()
    url = translate_url(full_path, lang)
    if url != full_path:
        return url
    current = translation.get_language_from_path(request.path_info)
    if current and current != lang and full_path.startswith(f"/{current}/"):
        return f"/{lang}/{full_path[len(current) + 2 :]}"
    return url


def language_links(request: HttpRequest) -> list[dict[str, object]]:
    """One link per configured language, marked ``current`` for the active one."""
    current = translation.get_language()
    return [
        {
            "code": code,
            "name": _NATIVE_NAMES.get(code, code),
            "url": other_language_url(request, code) if code != current else "",
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]


def portal_names(lang: str | None = None) -> dict[str, str]:
    """Portal and state names in ``lang`` (default: the active language)."""
    hindi = (lang or translation.get_language()) == "hi"
    return {
        "PORTAL_NAME": settings.EKSEVA_PORTAL_NAME_HI if hindi else settings.EKSEVA_PORTAL_NAME,
        "STATE_NAME": settings.EKSEVA_STATE_NAME_HI if hindi else settings.EKSEVA_STATE_NAME,
    }


def portal(request: HttpRequest) -> dict[str, object]:
    """Portal and state names in the page language, and the language switch."""
    return {
        **portal_names(),
        "DEV_OUTBOX": settings.DEV_OUTBOX,
        "LANGUAGE_LINKS": language_links(request),
    }
