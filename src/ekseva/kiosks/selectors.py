"""Reading the kiosk network (see also each area module's own reads)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ekseva.accounts.permissions import can

from .hooks import VIEW
from .models import Kiosk


def kiosk_or_404(user: Any, code: str, action: str = VIEW) -> Kiosk:
    """The kiosk if ``user`` may ``action`` it; 404 otherwise (codes cannot be probed)."""
    kiosk = Kiosk.objects.select_related("district", "tehsil").filter(code=code.upper()).first()
    if kiosk is None or not can(user, action, kiosk):
        raise Http404("no such kiosk")
    return kiosk


def active_kiosks() -> QuerySet[Kiosk]:
    return Kiosk.objects.filter(status=Kiosk.Status.ACTIVE).select_related("district", "tehsil")
