"""The base layout's menu and footer, kept rendered where they are the same for many
pages.

The footer depends only on the language, the URLconf and the page's view name (its
"Service performance" link is marked on that page), and so does the menu of an
anonymous visitor: each is rendered once per process for each such key and reused
(a page of the public surge, status lookup or catalogue, then renders only its own
content). A signed-in person's menu depends on who they are and carries a CSRF
token: it is rendered for every page.

    {% load shell %}{% shell_nav %} ... {% shell_footer %}
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from ekseva.core.kept import Kept
from ekseva.web.context_processors import current_view, nav_urls, portal_names

register = template.Library()

# At most this many fragments are kept (view names x languages: a few hundred).
MAX_KEPT = 2000

_kept: Kept[SafeString] = Kept(MAX_KEPT)
setting_changed.connect(_kept.clear, dispatch_uid="ekseva.web.templatetags.shell")


def _missing(context: template.Context) -> dict[str, object]:
    """NAV, CURRENT and the names, for a page rendered without the context
    processor (a plain Context); nothing when it ran."""
    if "NAV" in context:
        return {}
    request = context.get("request")
    return {
        "NAV": nav_urls(),
        "CURRENT": current_view(request) if request is not None else "",
        "DEV_OUTBOX": settings.DEV_OUTBOX,
        **portal_names(),
    }


def _render(context: template.Context, name: str, extra: dict[str, object]) -> SafeString:
    engine = context.template.engine if context.template else template.engines["django"].engine
    with context.push(**extra):
        return mark_safe(engine.get_template(name).render(context))


def _kept_or_render(context: template.Context, name: str) -> SafeString:
    extra = _missing(context)
    key = (
        name,
        translation.get_language(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        extra.get("CURRENT", context.get("CURRENT", "")),
    )
    return _kept.get(key, lambda: _render(context, name, extra))


@register.simple_tag(takes_context=True)
def shell_nav(context: template.Context) -> SafeString:
    user = context.get("user")
    if user is not None and user.is_authenticated:
        return _render(context, "web/_nav.html", _missing(context))
    return _kept_or_render(context, "web/_nav.html")


@register.simple_tag(takes_context=True)
def shell_footer(context: template.Context) -> SafeString:
    return _kept_or_render(context, "web/_footer.html")
