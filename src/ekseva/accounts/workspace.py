"""The staff home's links to each place of work, registered by the apps that own
them (accounts knows them only by URL name and permission action):

    workspace.register(workspace.Link("payments.console", _("Payments"),
                       "payments:manage_list", "payments.refund", order=40))

``links_for(user)`` keeps the links whose action the user may do at all
(``permissions.can(user, action)`` with no object) and whose URL resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from .permissions import can


@dataclass(frozen=True)
class Link:
    key: str
    label: Any  # a lazy translation
    url_name: str
    action: str
    order: int = 100
    hint: Any = ""


_links: dict[str, Link] = {}


def register(*links: Link) -> None:
    """Add (or, under the same key, replace) links of the staff home."""
    for link in links:
        _links[link.key] = link


def links_for(user: Any) -> list[dict[str, Any]]:
    """The links ``user`` may follow, in order: label, hint, url."""
    shown = []
    for link in sorted(_links.values(), key=lambda item: (item.order, item.key)):
        if not can(user, link.action):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        shown.append({"label": link.label, "hint": link.hint, "url": url})
    return shown
