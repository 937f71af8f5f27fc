"""Template tags of the application journey."""

from __future__ import annotations

import secrets

from django import template

register = template.Library()


@register.simple_tag
def pay_token() -> str:
    """A fresh idempotency token for a Pay button, made when the page is shown:
    pressing that button twice opens one payment; a page shown again gets a new one."""
    return secrets.token_urlsafe(24)
