"""Hooks for the apps above (the back office) to act when an application reaches
a point of its life, inside the transaction that moves it:

    lifecycle.register("received", open_case)      # fee paid (or none due): the clock starts
    lifecycle.register("resubmitted", resume_case)  # the applicant answered a return
    lifecycle.register("withdrawn", close_case)     # withdrawn before processing started

A hook takes the application (its row locked by the caller) and may write; an
exception rolls the move back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EVENTS = ("received", "resubmitted", "withdrawn")
_hooks: dict[str, list[Callable[[Any], None]]] = {event: [] for event in EVENTS}


def register(event: str, hook: Callable[[Any], None]) -> None:
    if event not in _hooks:
        raise ValueError(f"unknown application event {event!r}")
    if hook not in _hooks[event]:
        _hooks[event].append(hook)


def fire(event: str, app: Any) -> None:
    for hook in _hooks[event]:
        hook(app)
