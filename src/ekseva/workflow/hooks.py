"""What the back office plugs into the lower apps (called once from AppConfig.ready):
the lifecycle hook that opens a case when an application is received, the holiday
source of the working-day calendar, permission rules and message templates. Each
area module (``sla``, ``appeals``, ``reports``) adds its own in ``register()``."""

from __future__ import annotations

from ekseva.accounts.models import Role
from ekseva.accounts.permissions import allow, register_rule
from ekseva.applications import lifecycle
from ekseva.core import workdays

# Permission actions of this app.
VIEW = "workflow.view"  # see a case: its application, documents, history
ACT = "workflow.act"  # act on a case at a stage (the stage's role is checked too)
ASSIGN = "workflow.assign"  # reassign or transfer a case
APPEAL = "workflow.appeal"  # hear appeals and pass orders
HOLIDAYS = "workflow.holidays"  # add the state's holidays
DATA = "workflow.data"  # the department's figures and exports

OFFICERS = (Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER)


def register() -> None:
    from . import services

    lifecycle.register("received", services.open_case)
    lifecycle.register("withdrawn", services.close_withdrawn)
    workdays.register_holiday_source(services.holiday_dates)
    register_rule(VIEW, allow(*OFFICERS, Role.OPERATOR_STAFF, owner=True))
    register_rule(ACT, allow(Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER))
    # The appellate officer a breached case was escalated to may hand it on.
    register_rule(
        ASSIGN, allow(Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER, Role.OPERATOR_STAFF)
    )
    register_rule(APPEAL, allow(Role.APPELLATE_OFFICER))
    register_rule(HOLIDAYS, allow(Role.OPERATOR_STAFF))
    register_rule(DATA, allow(*OFFICERS, Role.OPERATOR_STAFF))
    from . import appeals, inbox, reports, sla, views_citizen

    views_citizen.register()  # act's and resubmission's templates, the applicant's next step

    for area in (inbox, sla, appeals, reports):
        area.register()
