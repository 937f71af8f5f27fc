"""The one place that answers "may this user do X to this object".

    from ekseva.accounts.permissions import can, require, register_rule, allow, Scope

    # in a higher app's AppConfig.ready():
    register_rule("application.process",
                  allow(Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER, Role.OPERATOR_STAFF))

    # objects describe where they belong:
    class Application(models.Model):
        def access_scope(self) -> Scope:
            return Scope(department_code=..., admin_unit=self.tehsil_id,
                         kiosk_code=..., owner_user_id=self.applicant_id)

    require(request.user, "application.process", application)  # PermissionDenied if not

Built in, whatever the rule says:

- only active, signed-in users get anything; an unknown action is refused;
- only postings current today count (``starts`` ≤ today ≤ ``ends``);
- a posting covers an object when each part of the posting's scope that is set
  matches: the same department, the same kiosk, and the object's administrative
  unit is the posting's unit or lies under it (a district posting covers its
  tehsils); operator staff postings are state-wide;
- an auditor posting grants every ``*.view`` action within its scope and nothing else
  (auditor postings are dropped before any other action's rule runs);
- a citizen acts only on objects whose scope names them as owner;
- a posting refused by a registered posting guard does not count for that action
  (the kiosks app drops a suspended kiosk's postings for everything but viewing).

``obj=None`` asks "may the user do this at all" (e.g. to show a menu entry): any
posting with a suitable role answers yes. Views that act on an object pass it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from ekseva.geo.models import AdminUnit

from . import selectors
from .models import Posting, Role, User
from .scope import Scope

__all__ = ["Context", "Scope", "allow", "can", "register_rule", "require"]


@runtime_checkable
class ScopedObject(Protocol):
    def access_scope(self) -> Scope: ...


@dataclass
class Context:
    """What a rule sees: the user, the action, the object, its scope and the postings that count."""

    user: User
    action: str
    obj: Any
    scope: Scope | None
    postings: list[Posting]
    _lineage: frozenset[int] | None = None

    def unit_lineage(self) -> frozenset[int]:
        """The object's administrative unit and all its ancestors (ids)."""
        if self._lineage is None:
            self._lineage = frozenset(_lineage(self.scope.admin_unit_id if self.scope else None))
        return self._lineage

    def covers(self, posting: Posting) -> bool:
        """Does this posting's scope contain the object?"""
        if self.scope is None or posting.role == Role.OPERATOR_STAFF:
            return True
        scope = self.scope
        if posting.department_code and posting.department_code != scope.department_code:
            return False
        if posting.kiosk_code and posting.kiosk_code != scope.kiosk_code:
            return False
        return not (posting.admin_unit_id and posting.admin_unit_id not in self.unit_lineage())

    def owns(self) -> bool:
        return (
            self.scope is not None
            and self.scope.owner_user_id is not None
            and self.scope.owner_user_id == self.user.pk
        )


Rule = Callable[[Context], bool]
_rules: dict[str, Rule] = {}
# (posting, action) -> False drops the posting for that action: a higher app says
# a posting no longer counts (e.g. the kiosks app, for a suspended kiosk's logins).
PostingGuard = Callable[[Posting, str], bool]
_guards: list[PostingGuard] = []


def register_posting_guard(guard: PostingGuard) -> None:
    """Add a check every posting must pass before any rule sees it (idempotent)."""
    if guard not in _guards:
        _guards.append(guard)


def _lineage(unit_id: int | None) -> list[int]:
    ids: list[int] = []
    while unit_id is not None and unit_id not in ids and len(ids) < 12:
        ids.append(unit_id)
        unit_id = AdminUnit.objects.filter(pk=unit_id).values_list("parent_id", flat=True).first()
    return ids


def is_view_action(action: str) -> bool:
    return action.endswith(".view")


def register_rule(action: str, rule: Rule) -> None:
    """Declare who may do ``action``. Registering the same rule again is harmless;
    a different rule for an action already taken is a configuration error."""
    if "." not in action:
        raise ImproperlyConfigured(f"permission action {action!r} must be namespaced ('app.verb')")
    existing = _rules.get(action)
    if existing is not None and existing is not rule:
        raise ImproperlyConfigured(f"permission action {action!r} already has a rule")
    _rules[action] = rule


def registered_actions() -> list[str]:
    return sorted(_rules)


def allow(*roles: Role, owner: bool = False) -> Rule:
    """A rule: holders of a current posting in one of ``roles`` whose scope covers the
    object; citizens (if ``Role.CITIZEN`` is listed) for their own objects; and, with
    ``owner=True``, whoever the object names as owner."""
    role_set = frozenset(roles)

    def rule(ctx: Context) -> bool:
        if owner and ctx.owns():
            return True
        citizen = Role.CITIZEN in role_set and selectors.is_citizen(ctx.user)
        if citizen and (ctx.obj is None or ctx.owns()):
            return True
        return any(p.role in role_set and ctx.covers(p) for p in ctx.postings)

    rule.roles = role_set  # type: ignore[attr-defined]  # for docs and introspection
    return rule


def _scope_of(obj: Any) -> Scope | None:
    if obj is None:
        return None
    if isinstance(obj, Scope):
        return obj
    if isinstance(obj, ScopedObject):
        return obj.access_scope()
    raise ImproperlyConfigured(f"{type(obj).__name__} has no access_scope(); cannot check it")


def can(user: User | None, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (to ``obj``)? See the module docstring for the built-ins."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    rule = _rules.get(action)
    if rule is None:
        return False
    postings = selectors.postings_of(user)
    if _guards:
        postings = [p for p in postings if all(guard(p, action) for guard in _guards)]
    view = is_view_action(action)
    ctx = Context(
        user=user,
        action=action,
        obj=obj,
        scope=_scope_of(obj),
        postings=[p for p in postings if p.role != Role.AUDITOR],
    )
    if view and any(p.role == Role.AUDITOR and ctx.covers(p) for p in postings):
        return True
    return bool(rule(ctx))


def require(user: User | None, action: str, obj: Any = None) -> None:
    """Raise ``PermissionDenied`` unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise PermissionDenied(action)


def filter_allowed(user: User | None, action: str, objs: Iterable[Any]) -> list[Any]:
    """The objects of ``objs`` the user may ``action`` (for short lists; querysets
    of many rows should be narrowed by scope in a selector first)."""
    return [obj for obj in objs if can(user, action, obj)]


# --- the actions of this app ---------------------------------------------------------

register_rule("profile.view", allow(Role.OPERATOR_STAFF, Role.DISTRICT_COORDINATOR, owner=True))
register_rule("profile.edit", allow(Role.OPERATOR_STAFF, owner=True))
register_rule("staff.manage", allow(Role.OPERATOR_STAFF))
