"""The permission function, role by role: what each may do, and what each is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from ekseva.accounts import selectors
from ekseva.accounts.models import Posting, Role
from ekseva.accounts.permissions import Scope, allow, can, register_rule, require
from ekseva.core import clock

# Rules as a higher app would register them (names prefixed so they never clash).
register_rule("t_application.create", allow(Role.CITIZEN, Role.KIOSK_OPERATOR))
register_rule(
    "t_application.view",
    allow(
        Role.CITIZEN,
        Role.DEPARTMENT_OFFICER,
        Role.DESIGNATED_OFFICER,
        Role.APPELLATE_OFFICER,
        Role.DISTRICT_COORDINATOR,
        Role.OPERATOR_STAFF,
    ),
)
register_rule(
    "t_application.process",
    allow(Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER, Role.OPERATOR_STAFF),
)
register_rule("t_application.decide", allow(Role.DESIGNATED_OFFICER))
register_rule("t_appeal.decide", allow(Role.APPELLATE_OFFICER))
register_rule("t_district.monitor", allow(Role.DISTRICT_COORDINATOR, Role.OPERATOR_STAFF))
register_rule("t_kiosk.operate", allow(Role.KIOSK_OPERATOR, Role.FRANCHISEE))
register_rule("t_kiosk.statement", allow(Role.FRANCHISEE, owner=True))
# A careless rule that lists auditors for a change: auditors must still be refused.
register_rule("t_ledger.adjust", allow(Role.AUDITOR, Role.OPERATOR_STAFF))


@dataclass
class Application:
    department_code: str
    unit: object
    owner_id: int | None = None
    kiosk_code: str = ""

    def access_scope(self) -> Scope:
        return Scope(
            department_code=self.department_code,
            admin_unit=self.unit,
            kiosk_code=self.kiosk_code,
            owner_user_id=self.owner_id,
        )


@dataclass
class Kiosk:
    code: str
    unit: object
    franchisee_id: int | None = None

    def access_scope(self) -> Scope:
        return Scope(kiosk_code=self.code, admin_unit=self.unit, owner_user_id=self.franchisee_id)


@pytest.fixture
def apps(geo):
    """Applications in different departments and places."""
    return {
        "rev_huzur": Application("REV", geo.huzur),
        "rev_ward": Application("REV", geo.ward.pk),  # an id works as well as a unit
        "rev_bhopal": Application("REV", geo.bhopal),
        "rev_indore": Application("REV", geo.mhow),
        "health_bhopal": Application("HLTH", geo.huzur),
    }


def test_citizen_acts_only_on_own_objects(make_citizen, geo):
    asha, ravi = make_citizen(), make_citizen()
    own = Application("REV", geo.huzur, owner_id=asha.pk)
    other = Application("REV", geo.huzur, owner_id=ravi.pk)
    assert can(asha, "t_application.view", own)
    assert not can(asha, "t_application.view", other)
    assert can(asha, "t_application.create")  # "at all": citizens may apply
    assert not can(asha, "t_application.process", own)  # not even their own
    assert not can(asha, "t_application.decide", own)
    assert not can(asha, "t_kiosk.operate", Kiosk("K1", geo.huzur))
    assert selectors.roles_of(asha) == {Role.CITIZEN}


def test_kiosk_operator_works_only_at_their_kiosk(make_staff, geo, apps):
    operator = make_staff(Role.KIOSK_OPERATOR, kiosk_code="K1")
    assert can(operator, "t_kiosk.operate", Kiosk("K1", geo.huzur))
    assert not can(operator, "t_kiosk.operate", Kiosk("K2", geo.huzur))
    assert can(operator, "t_application.create")
    assert not can(operator, "t_application.process", apps["rev_huzur"])
    assert not can(operator, "t_kiosk.statement", Kiosk("K1", geo.huzur))
    assert selectors.roles_of(operator) == {Role.KIOSK_OPERATOR}  # staff are not citizens


def test_franchisee_owns_their_kiosks(make_staff, geo):
    franchisee = make_staff(Role.FRANCHISEE, kiosk_code="K1")
    assert can(franchisee, "t_kiosk.operate", Kiosk("K1", geo.huzur))
    assert not can(franchisee, "t_kiosk.operate", Kiosk("K2", geo.huzur))
    # ownership through the object's scope (a kiosk names its franchisee)
    assert can(franchisee, "t_kiosk.statement", Kiosk("K9", geo.mhow, franchisee_id=franchisee.pk))
    assert not can(franchisee, "t_kiosk.statement", Kiosk("K9", geo.mhow, franchisee_id=None))
    assert not can(franchisee, "t_application.process", Application("REV", geo.huzur))


def test_department_officer_sees_own_department_in_own_district(make_staff, geo, apps):
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.bhopal)
    assert can(officer, "t_application.process", apps["rev_huzur"])  # tehsil under district
    assert can(officer, "t_application.process", apps["rev_ward"])  # deeper still
    assert can(officer, "t_application.process", apps["rev_bhopal"])
    assert not can(officer, "t_application.process", apps["rev_indore"])  # wrong district
    assert not can(officer, "t_application.process", apps["health_bhopal"])  # wrong department
    assert not can(officer, "t_application.decide", apps["rev_huzur"])  # not a designated officer
    assert not can(officer, "t_application.process", Application("REV", None))  # no place
    with pytest.raises(PermissionDenied):
        require(officer, "t_application.process", apps["rev_indore"])
    require(officer, "t_application.process", apps["rev_huzur"])


def test_tehsil_posting_does_not_cover_its_district(make_staff, geo, apps):
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.huzur)
    assert can(officer, "t_application.process", apps["rev_ward"])
    assert not can(officer, "t_application.process", apps["rev_bhopal"])


def test_designated_officer_decides_in_scope(make_staff, geo, apps):
    officer = make_staff(Role.DESIGNATED_OFFICER, department_code="REV", admin_unit=geo.bhopal)
    assert can(officer, "t_application.decide", apps["rev_huzur"])
    assert can(officer, "t_application.process", apps["rev_huzur"])
    assert not can(officer, "t_application.decide", apps["rev_indore"])
    assert not can(officer, "t_application.decide", apps["health_bhopal"])
    assert not can(officer, "t_appeal.decide", apps["rev_huzur"])


def test_appellate_officer_hears_appeals_in_scope(make_staff, geo, apps):
    officer = make_staff(Role.APPELLATE_OFFICER, department_code="REV", admin_unit=geo.bhopal)
    assert can(officer, "t_appeal.decide", apps["rev_huzur"])
    assert can(officer, "t_application.view", apps["rev_huzur"])
    assert not can(officer, "t_appeal.decide", apps["rev_indore"])
    assert not can(officer, "t_appeal.decide", apps["health_bhopal"])
    assert not can(officer, "t_application.decide", apps["rev_huzur"])
    assert not can(officer, "t_application.process", apps["rev_huzur"])


def test_district_coordinator_sees_all_departments_of_the_district(make_staff, geo, apps):
    coordinator = make_staff(Role.DISTRICT_COORDINATOR, admin_unit=geo.bhopal)
    assert can(coordinator, "t_district.monitor", apps["rev_huzur"])
    assert can(coordinator, "t_district.monitor", apps["health_bhopal"])
    assert can(coordinator, "t_application.view", apps["health_bhopal"])
    assert not can(coordinator, "t_district.monitor", apps["rev_indore"])
    assert not can(coordinator, "t_application.process", apps["rev_huzur"])


def test_operator_staff_is_state_wide(make_staff, geo, apps):
    ops = make_staff(Role.OPERATOR_STAFF)
    for app in apps.values():
        assert can(ops, "t_application.process", app)
    # even a posting that names a place does not narrow operator staff
    ops_posted = make_staff(Role.OPERATOR_STAFF, admin_unit=geo.indore)
    assert can(ops_posted, "t_application.process", apps["rev_huzur"])
    assert can(ops, "staff.manage")
    assert not can(ops, "t_application.decide", apps["rev_huzur"])  # not their role
    assert not can(ops, "t_appeal.decide", apps["rev_huzur"])


def test_auditor_reads_everything_and_changes_nothing(make_staff, geo, apps):
    auditor = make_staff(Role.AUDITOR)
    for app in apps.values():
        assert can(auditor, "t_application.view", app)
    assert can(auditor, "profile.view", Application("REV", geo.mhow))
    assert not can(auditor, "t_application.process", apps["rev_huzur"])
    assert not can(auditor, "t_ledger.adjust", apps["rev_huzur"])  # even if a rule lists them
    assert not can(auditor, "t_ledger.adjust")
    assert not can(auditor, "staff.manage")


def test_auditor_posted_to_a_district_reads_only_there(make_staff, geo, apps):
    auditor = make_staff(Role.AUDITOR, admin_unit=geo.bhopal)
    assert can(auditor, "t_application.view", apps["rev_huzur"])
    assert not can(auditor, "t_application.view", apps["rev_indore"])


def test_only_current_postings_count(make_staff, geo, apps, frozen_clock):
    today = clock.today()
    expired = make_staff(
        Role.DEPARTMENT_OFFICER,
        department_code="REV",
        admin_unit=geo.bhopal,
        starts=today - dt.timedelta(days=30),
        ends=today - dt.timedelta(days=1),
    )
    future = make_staff(
        Role.DEPARTMENT_OFFICER,
        department_code="REV",
        admin_unit=geo.bhopal,
        starts=today + dt.timedelta(days=1),
    )
    last_day = make_staff(
        Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.bhopal, ends=today
    )
    assert not can(expired, "t_application.process", apps["rev_huzur"])
    assert not can(future, "t_application.process", apps["rev_huzur"])
    assert can(last_day, "t_application.process", apps["rev_huzur"])
    assert selectors.roles_of(expired) == set()
    # a day later the last-day posting has ended and the future one has begun
    frozen_clock.advance(days=1)
    assert not can(last_day, "t_application.process", apps["rev_huzur"])
    assert can(future, "t_application.process", apps["rev_huzur"])


def test_several_postings_add_up(make_staff, geo, apps):
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.bhopal)
    assert not can(officer, "t_application.process", apps["rev_indore"])
    Posting.objects.create(
        user=officer, role=Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.indore
    )
    selectors.forget_postings(officer)
    assert can(officer, "t_application.process", apps["rev_indore"])
    assert len(selectors.postings_of(officer)) == 2


def test_nobody_without_an_active_account(make_staff, apps):
    officer = make_staff(Role.OPERATOR_STAFF)
    assert not can(AnonymousUser(), "t_application.view", apps["rev_huzur"])
    assert not can(None, "t_application.view")
    officer.is_active = False
    assert not can(officer, "t_application.process", apps["rev_huzur"])


def test_unknown_action_is_refused(make_staff):
    ops = make_staff(Role.OPERATOR_STAFF)
    assert not can(ops, "t_nothing.registered")
    with pytest.raises(PermissionDenied):
        require(ops, "t_nothing.registered")


def test_rule_registry_refuses_conflicts_and_bad_names():
    rule = allow(Role.OPERATOR_STAFF)
    register_rule("t_registry.same", rule)
    register_rule("t_registry.same", rule)  # same rule again: fine (ready() may run twice)
    with pytest.raises(ImproperlyConfigured):
        register_rule("t_registry.same", allow(Role.AUDITOR))
    with pytest.raises(ImproperlyConfigured):
        register_rule("unnamespaced", rule)


def test_object_without_scope_is_a_programming_error(make_staff):
    ops = make_staff(Role.OPERATOR_STAFF)
    with pytest.raises(ImproperlyConfigured):
        can(ops, "t_application.process", object())


def test_profile_rules(make_citizen, make_staff, geo):
    asha, ravi = make_citizen(), make_citizen()
    asha.profile.district = geo.bhopal
    asha.profile.save()
    coordinator = make_staff(Role.DISTRICT_COORDINATOR, admin_unit=geo.bhopal)
    other_coordinator = make_staff(Role.DISTRICT_COORDINATOR, admin_unit=geo.indore)
    auditor = make_staff(Role.AUDITOR)
    ops = make_staff(Role.OPERATOR_STAFF)
    profile = asha.profile
    assert can(asha, "profile.view", profile) and can(asha, "profile.edit", profile)
    assert not can(ravi, "profile.view", profile) and not can(ravi, "profile.edit", profile)
    assert can(coordinator, "profile.view", profile)
    assert not can(coordinator, "profile.edit", profile)
    assert not can(other_coordinator, "profile.view", profile)
    assert can(auditor, "profile.view", profile) and not can(auditor, "profile.edit", profile)
    assert can(ops, "profile.edit", profile)


def test_postings_are_read_once_per_user(make_staff, geo, apps, django_assert_max_num_queries):
    officer = make_staff(Role.DEPARTMENT_OFFICER, department_code="REV", admin_unit=geo.bhopal)
    can(officer, "t_application.process", apps["rev_huzur"])
    with django_assert_max_num_queries(3):  # no postings query; only the unit's ancestry
        assert can(officer, "t_application.process", apps["rev_huzur"])
