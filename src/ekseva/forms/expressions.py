"""The safe rule language of service forms.

Analysts write small Python-like expressions in service YAML (``visible_if``,
``required_if``, ``compute``, cross-field ``validations``). They are parsed once
with :func:`compile_expression`, which refuses anything outside a short list of
syntax (``name.key`` only on context records, no subscripts, no lambdas, no comprehensions) and any
name the form does not define, and are evaluated by ``simpleeval`` — never by
Python's ``eval``.

    rule = compile_expression("age_on(dob, cutoff_date) >= 18", {"dob", "cutoff_date"})
    rule.evaluate({"dob": date(2000, 1, 1), "cutoff_date": date(2026, 1, 1)})  # True

A name without a value evaluates to ``None`` (an empty or hidden field).
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from simpleeval import DEFAULT_OPERATORS, EvalWithCompoundTypes, InvalidExpression

from ekseva.core import clock

MAX_SOURCE_LENGTH = 2000


class ExpressionError(ValueError):
    """A rule that does not parse, names something unknown, or fails to evaluate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ExpressionError(f"not a date (YYYY-MM-DD): {value!r}") from exc
    raise ExpressionError(f"not a date: {value!r}")


def years_between(start: Any, end: Any) -> int:
    """Whole years from ``start`` to ``end`` (negative when ``end`` is earlier).
    A birthday on 29 February is reached on 1 March in common years."""
    start, end = _as_date(start), _as_date(end)
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return sign * years


def age_on(date_of_birth: Any, on_date: Any) -> int:
    """Age in completed years on ``on_date`` (the usual eligibility cut-off rule)."""
    return years_between(date_of_birth, on_date)


def _date(value: Any) -> dt.date:
    return _as_date(value)


def _today() -> dt.date:
    return clock.today()


def _lower(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _upper(value: Any) -> str:
    return "" if value is None else str(value).upper()


def _contains(container: Any, item: Any) -> bool:
    """True when ``item`` is in ``container``; an empty container contains nothing."""
    if container is None:
        return False
    return item in container


def _sum(values: Iterable[Any]) -> Any:
    return sum(v for v in (values or []) if v is not None)


def _len(value: Any) -> int:
    return 0 if value is None else len(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "age_on": age_on,
    "years_between": years_between,
    "today": _today,
    "date": _date,
    "len": _len,
    "sum": _sum,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "lower": _lower,
    "upper": _upper,
    "contains": _contains,
    "round": round,
    "int": int,
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Attribute,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
)

_OPERATORS = {
    op: fn
    for op, fn in DEFAULT_OPERATORS.items()
    if op
    in (
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Div,
        ast.FloorDiv,
        ast.Mod,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.In,
        ast.NotIn,
        ast.Not,
        ast.USub,
        ast.UAdd,
    )
}


class _Evaluator(EvalWithCompoundTypes):
    """simpleeval with calls resolved only against FUNCTIONS, so a field or
    context value named like a function (``today``) cannot be called."""

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # guaranteed by compile_expression
        func = self.functions[node.func.id]
        return func(*(self._eval(a) for a in node.args))

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        # Only ``context.key`` on a dict the caller passed (``profile.district``).
        container = self._eval(node.value)
        if container is None:
            return None
        if not isinstance(container, dict):
            raise ExpressionError(f"{ast.unparse(node)}: only context records have fields")
        return container.get(node.attr)


class Expression:
    """A checked rule: its source, the names it reads, and how to evaluate it."""

    __slots__ = ("_tree", "names", "source")

    def __init__(self, source: str, names: frozenset[str], tree: ast.expr) -> None:
        self.source = source
        self.names = names
        self._tree = tree

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def evaluate(self, values: dict[str, Any]) -> Any:
        """The value of the rule over ``values``; a name with no value is None.
        Raises ExpressionError when evaluation fails (e.g. ``None < 5``)."""
        names = {name: values.get(name) for name in self.names}
        evaluator = _Evaluator(operators=_OPERATORS, functions=dict(FUNCTIONS), names=names)
        try:
            return evaluator.eval(self.source, previously_parsed=self._tree)
        except ExpressionError:
            raise
        except (InvalidExpression, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            raise ExpressionError(f"{self.source}: {exc}") from exc

    def test(self, values: dict[str, Any]) -> bool:
        """Truth of the rule; a rule that cannot be evaluated (a value missing)
        counts as false, so an unanswered question never shows or requires more."""
        try:
            return bool(self.evaluate(values))
        except ExpressionError:
            return False


def compile_expression(source: str, names: set[str] | frozenset[str]) -> Expression:
    """Parse and check ``source``: syntax within the allowed subset, calls only to
    FUNCTIONS with a fixed argument count, and names only from ``names``."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("an expression must be a non-empty string")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(f"an expression must be at most {MAX_SOURCE_LENGTH} characters")
    text = " ".join(source.split())  # YAML folded text may carry newlines
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg}") from exc
    used: set[str] = set()
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in a rule")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ExpressionError(f"unknown function: {called}")
            if node.keywords:
                raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
            _check_arity(node.func.id, len(node.args))
        elif isinstance(node, ast.Name):
            if id(node) in callees:
                continue
            if node.id not in names:
                raise ExpressionError(f"unknown name: {node.id}")
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            if not isinstance(node.value, ast.Name) or node.attr.startswith("_"):
                raise ExpressionError(f"only name.field is allowed: {ast.unparse(node)}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes | complex):
            raise ExpressionError("only numbers, strings, True, False and None are allowed")
    return Expression(text, frozenset(used), tree.body)


_ARITY: dict[str, tuple[int, int]] = {
    "age_on": (2, 2),
    "years_between": (2, 2),
    "today": (0, 0),
    "date": (1, 1),
    "len": (1, 1),
    "sum": (1, 1),
    "min": (1, 8),
    "max": (1, 8),
    "any": (1, 1),
    "all": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "contains": (2, 2),
    "round": (1, 2),
    "int": (1, 1),
}


def _check_arity(name: str, count: int) -> None:
    low, high = _ARITY[name]
    if not low <= count <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise ExpressionError(f"{name}() takes {expected} argument(s), got {count}")
