"""Files attached to emails, made when the email is sent, not when it is queued.

A message names its attachment by a short spec, ``"<kind>:<reference>"`` (e.g.
``"applications.receipt:MP26ESB0000001P"``); the app that owns the kind
registers a function that renders it in the message's language::

    attachments.register("applications.receipt", render_receipt)
    # render_receipt(reference, language) -> Attachment(filename, content_type, data)

So the outbox row stays small, a retry sends the same document, and the
notifications app needs nothing from the app that owns the document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


Renderer = Callable[[str, str], Attachment]
_registry: dict[str, Renderer] = {}


class AttachmentError(ValueError):
    """An unknown kind or a spec that is not ``kind:reference``."""


def register(kind: str, render: Renderer) -> None:
    _registry[kind] = render


def split(spec: str) -> tuple[str, str]:
    kind, sep, reference = spec.partition(":")
    if not sep or not reference or kind not in _registry:
        raise AttachmentError(f"unknown attachment {spec!r}")
    return kind, reference


def render(spec: str, language: str) -> Attachment:
    kind, reference = split(spec)
    return _registry[kind](reference, language)
