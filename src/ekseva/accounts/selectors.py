"""Read queries about people: their current postings and roles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ekseva.core import clock

from .models import STAFF_ROLES, Posting, Role, User

_CACHE_ATTR = "_ekseva_current_postings"


def current_postings_qs(user: User) -> QuerySet[Posting]:
    today = clock.today()
    return (
        Posting.objects.filter(user_id=user.pk, starts__lte=today)
        .filter(Q(ends__isnull=True) | Q(ends__gte=today))
        .select_related("admin_unit")
        .order_by("role", "pk")
    )


def postings_of(user: User | None) -> list[Posting]:
    """The user's postings that are current today (starts ≤ today ≤ ends).

    Cached on the user object for the day, so one request asking ``can()`` many
    times costs one query.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return []
    today = clock.today()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None and cached[0] == today:
        return cached[1]
    postings = list(current_postings_qs(user))
    setattr(user, _CACHE_ATTR, (today, postings))
    return postings


def forget_postings(user: User) -> None:
    """Drop the per-object cache (after postings change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_citizen(user: User | None) -> bool:
    """A citizen is known by the mobile they sign in with; staff accounts are not citizens."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.mobile) and not has_staff_history(user)


def has_staff_history(user: User) -> bool:
    """True if the user ever held a staff posting (current or not) or may use the admin."""
    if user.is_staff or user.is_superuser:
        return True
    return Posting.objects.filter(user_id=user.pk, role__in=list(STAFF_ROLES)).exists()


def roles_of(user: User | None) -> set[Role]:
    """Roles the user holds today: those of current postings, plus citizen."""
    roles = {Role(p.role) for p in postings_of(user)}
    if is_citizen(user):
        roles.add(Role.CITIZEN)
    return roles


def is_staff_member(user: User | None) -> bool:
    """Holds at least one current staff posting (needed for the staff sign-in)."""
    return any(p.role in STAFF_ROLES for p in postings_of(user))


def unit_or_below_q(field: str, unit_id: int) -> Q:
    """Rows whose ``field`` (a foreign key to AdminUnit) is ``unit_id`` or lies under
    it: a district under the state, a tehsil under a district (three levels, joined
    in the same query)."""
    return (
        Q(**{f"{field}_id": unit_id})
        | Q(**{f"{field}__parent_id": unit_id})
        | Q(**{f"{field}__parent__parent_id": unit_id})
    )


def reach_q(posting: Posting, *, department: str = "department_code", unit: str = "district") -> Q:
    """The rows one posting reaches, as ``permissions`` decides for one object: the
    posting's department (if it names one) in ``department``, and its unit or what
    lies under it (if it names one) in ``unit``. An empty Q: everywhere."""
    q = Q()
    if posting.department_code:
        q &= Q(**{department: posting.department_code})
    if posting.admin_unit_id:
        q &= unit_or_below_q(unit, posting.admin_unit_id)
    return q
