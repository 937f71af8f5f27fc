"""Read queries over the outbox."""

from __future__ import annotations

import contextlib

from django.db.models import QuerySet

from .models import Channel, Message
from .services import InvalidRecipientError, normalise_email, normalise_mobile


def outbox_messages(*, to: str = "", limit: int = 100) -> QuerySet[Message]:
    """Newest messages first, optionally only those to one address (a mobile
    number in any usual spelling, an email, or a user id)."""
    messages = Message.objects.order_by("-created_at", "-pk")
    to = (to or "").strip()
    if to:
        # Anything that is not a valid address (a user id) is matched as typed.
        with contextlib.suppress(InvalidRecipientError):
            to = normalise_email(to) if "@" in to else normalise_mobile(to)
        messages = messages.filter(recipient=to)
    return messages[:limit]


def inbox(user_id: int, *, unread_only: bool = False, limit: int = 50) -> QuerySet[Message]:
    """A user's in-app messages, newest first."""
    messages = Message.objects.filter(channel=Channel.INAPP, user_id=user_id)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")[:limit]
