"""What certificates plug in below (called once from AppConfig.ready): issuing the
deliverable when the back office approves an application, permission rules and
message templates."""

from __future__ import annotations

from ekseva.accounts.models import Role
from ekseva.accounts.permissions import allow, register_rule

VIEW = "certificates.view"  # the certificate PDF (the holder, the department)
REVOKE = "certificates.revoke"  # revoke a certificate of one's department
KEYS = "certificates.keys"  # rotate a department's signing key


def register() -> None:
    register_rule(
        VIEW,
        allow(Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER, owner=True),
    )
    register_rule(REVOKE, allow(Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER))
    register_rule(KEYS, allow(Role.OPERATOR_STAFF))
    from . import issue, views

    issue.register()
    views.register()
