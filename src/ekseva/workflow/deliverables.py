"""What happens when a case is approved: the apps above register the issue of the
deliverable (certificates issues the signed certificate and delivers it):

    deliverables.register(issue_certificate)   # (case, actor) -> None

``services.act`` fires them inside the approval's transaction, after the
application has moved to approved; an exception rolls the approval back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_hooks: list[Callable[[Any, Any], None]] = []


def register(hook: Callable[[Any, Any], None]) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def fire(case: Any, actor: Any) -> None:
    for hook in _hooks:
        hook(case, actor)
