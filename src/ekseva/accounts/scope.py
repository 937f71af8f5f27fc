"""``Scope``: how an object tells the permission check where it belongs.

Kept apart from ``permissions`` so models (here and in higher apps) can return one
without importing the rule machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

from ekseva.geo.models import AdminUnit


@dataclass(frozen=True)
class Scope:
    """Where an object belongs. Empty parts are "not tied to any"."""

    department_code: str = ""
    admin_unit: AdminUnit | int | None = None
    kiosk_code: str = ""
    owner_user_id: int | None = None

    @property
    def admin_unit_id(self) -> int | None:
        if isinstance(self.admin_unit, AdminUnit):
            return self.admin_unit.pk
        return self.admin_unit
