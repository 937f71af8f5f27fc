"""Evaluating a stored definition's rules at run time.

The definition was checked when it was loaded (``spec.check_service``), so here
a rule is compiled with exactly the names it reads; a name without an answer
evaluates to None (the form engine's convention).
"""

from __future__ import annotations

import ast
import datetime as dt
from functools import lru_cache
from typing import Any

from ekseva.core import clock
from ekseva.forms.definition import FormDefinition, parse_form
from ekseva.forms.expressions import Expression, compile_expression


@lru_cache(maxsize=4096)
def compiled(source: str) -> Expression:
    tree = ast.parse(" ".join(source.split()), mode="eval")
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in callees}
    return compile_expression(source, names)


def definition_of(version: Any) -> dict:
    """A ServiceVersion's definition, or the definition dict itself."""
    return version if isinstance(version, dict) else version.definition


def context(
    definition: dict,
    answers: dict,
    *,
    today: dt.date | None = None,
    channel: str = "online",
    late: bool = False,
) -> dict[str, Any]:
    """The values a rule may read: the answers plus the context names."""
    cutoff = definition.get("cutoff_date")
    return {
        **answers,
        "today": today or clock.today(),
        "cutoff_date": dt.date.fromisoformat(cutoff) if cutoff else None,
        "channel": channel,
        "late": late,
    }


_FORMS: dict[str, FormDefinition] = {}


def form_of(version: Any) -> FormDefinition:
    """The parsed form of a version (cached by content hash: versions never change)."""
    key = version.content_hash
    form = _FORMS.get(key)
    if form is None:
        from .spec import CONTEXT_NAMES

        form = parse_form(version.definition["form"], context_names=set(CONTEXT_NAMES))
        if len(_FORMS) > 512:
            _FORMS.clear()
        _FORMS[key] = form
    return form
