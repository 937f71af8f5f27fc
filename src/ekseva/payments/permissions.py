"""Who may do what with payments (the rules live in accounts.permissions)."""

from ekseva.accounts.models import Role
from ekseva.accounts.permissions import allow, register_rule

# Actions, one name each, used by views and tests.
VIEW = "payments.view"  # a payment's details and history
REFUND = "payments.refund"  # give money back
RECONCILE = "payments.reconcile"  # import a gateway settlement file, see the report
SETTLE = "payments.settle"  # make and post department settlement batches
TEST_PAYMENT = "payments.test_payment"  # pay a small sum through a gateway to check it works


def register() -> None:
    register_rule(VIEW, allow(Role.OPERATOR_STAFF, Role.DEPARTMENT_OFFICER, owner=True))
    register_rule(REFUND, allow(Role.OPERATOR_STAFF))
    register_rule(RECONCILE, allow(Role.OPERATOR_STAFF))
    register_rule(SETTLE, allow(Role.OPERATOR_STAFF))
    register_rule(TEST_PAYMENT, allow(Role.OPERATOR_STAFF))
    _workspace()


def _workspace() -> None:
    from django.utils.translation import gettext_lazy as _

    from ekseva.accounts import workspace
    from ekseva.accounts.workspace import Link

    workspace.register(
        Link(
            "payments.console",
            _("Payments"),
            "payments:manage_list",
            REFUND,
            order=40,
            hint=_("Find a payment, refund, check a gateway"),
        ),
        Link(
            "payments.reconcile",
            _("Reconciliation"),
            "payments:reconcile_list",
            RECONCILE,
            order=41,
            hint=_("Match gateway settlement files with the ledger"),
        ),
        Link(
            "payments.settle",
            _("Department settlements"),
            "payments:settlement_list",
            SETTLE,
            order=42,
            hint=_("Pay departments what was collected for them"),
        ),
    )
