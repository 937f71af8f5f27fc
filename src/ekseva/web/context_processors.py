"""Template context shared by every page of the shell. Nothing here touches the database.

Every page pays for this, so it is cheap: the links of the header and footer are
reversed once per language per process (the URL patterns do not change while the
process runs), the language switch swaps the path's language prefix instead of
resolving the path again, and the current page's view name is read once.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse, translate_url
from django.utils import translation

# Each language is offered in its own script, so a reader finds it without
# understanding the current page.
_NATIVE_NAMES = {"en": "English", "hi": "हिन्दी"}

# The shell's links (header menu and footer): name in the template -> URL name.
# A name the URLconf does not have gives "" and the template leaves its link out
# (the shell renders before the other apps have routes: tests/web).
NAV_ROUTES = {
    "home": "web:home",
    "catalog": "catalog:index",
    "track": "applications:track",
    "locator": "kiosks:locator",
    "staff_home": "accounts:staff_home",
    "console": "kiosks:console",
    "mine": "applications:mine",
    "profile": "accounts:profile",
    "signout": "accounts:signout",
    "signin": "accounts:signin",
    "performance": "performance:index",
    "staff_signin": "accounts:staff_signin",
    "outbox": "notifications:outbox",
}

_lock = threading.Lock()
_nav_urls: dict[tuple, dict[str, str]] = {}
_assets: dict[str, str] = {}


def _forget(**kwargs) -> None:
    """A changed setting (tests: ROOT_URLCONF, storages, names) is read again."""
    with _lock:
        _nav_urls.clear()
        _assets.clear()


setting_changed.connect(_forget, dispatch_uid="ekseva.web.context_processors")


def nav_urls() -> dict[str, str]:
    """The shell's links in the active language, reversed once per language,
    URLconf and script prefix in this process."""
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), translation.get_language())
    urls = _nav_urls.get(key)
    if urls is None:
        urls = {}
        for name, route in NAV_ROUTES.items():
            try:
                urls[name] = reverse(route)
            except NoReverseMatch:
                urls[name] = ""
        with _lock:
            _nav_urls[key] = urls
    return urls


def assets() -> dict[str, str]:
    """The stylesheet's and script's URLs (hashed names in production), once."""
    if not _assets:
        found = {
            "css": static("web/site.css"),
            "htmx": static("web/vendor/htmx-2.0.11.min.js"),
        }
        with _lock:
            _assets.update(found)
    return _assets


def _language_of_path(path_info: str) -> str:
    """The language prefix of ``path_info`` (``/hi/track/`` -> ``hi``), or ""."""
    end = path_info.find("/", 1)
    code = path_info[1:end] if end > 0 else ""
    return code if code and any(code == known for known, _ in settings.LANGUAGES) else ""


def other_language_url(request: HttpRequest, lang: str) -> str:
    """The URL of the same page (query string kept) in ``lang``.

    Every page under a language prefix has the same URL patterns in each language
    (``i18n_patterns``), so the prefix is swapped: no resolving. A path without a
    prefix goes through ``translate_url``.
    """
    full_path = request.get_full_path()
    current = _language_of_path(request.path_info)
    if current:
        script = request.path[: len(request.path) - len(request.path_info)]
        rest = full_path[len(script) + len(current) + 1 :]
        return f"{script}/{lang}{rest}"
    return translate_url(full_path, lang)


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


def current_view(request: HttpRequest) -> str:
    """The view name of the page being shown ("" for a page no route matched)."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


def portal(request: HttpRequest) -> dict[str, object]:
    """Portal and state names in the page language, the language switch, the shell's
    links (``NAV``), the current page's view name (``CURRENT``) and the assets."""
    nav = nav_urls()
    return {
        **portal_names(),
        "DEV_OUTBOX": settings.DEV_OUTBOX,
        "LANGUAGE_LINKS": language_links(request),
        "NAV": nav,
        "home_url": nav["home"],
        "CURRENT": current_view(request),
        "ASSETS": assets(),
    }
