"""Money is an integer number of paise, never a float.

``format_inr(12345600)`` → ``'₹1,23,456.00'`` (Indian digit grouping). This is the
one helper that turns paise into text for people; templates use the ``inr`` filter
that calls it.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException, Inexact, InvalidOperation, localcontext

Paise = int


# The largest amount a BigIntegerField column holds.
MAX_PAISE = 2**63 - 1


class MoneyError(ValueError):
    """Not an amount of money: a float, a fraction of a paisa, text that is no number."""


def group_indian(whole: int) -> str:
    """1234567 → '12,34,567' (last three digits, then pairs)."""
    digits = str(whole)
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join([*pairs, tail])


def _require_paise(paise: object) -> None:
    if isinstance(paise, bool) or not isinstance(paise, int):
        raise MoneyError(f"money must be integer paise, got {type(paise).__name__}")


def format_inr(paise: int, *, symbol: bool = True) -> str:
    """12345600 → '₹1,23,456.00'; -5 → '-₹0.05'. The one formatter for people."""
    _require_paise(paise)
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), 100)
    text = f"{group_indian(rupees)}.{rest:02d}"
    return f"{sign}{'₹' if symbol else ''}{text}"


def rupees(amount: str | int | Decimal) -> Paise:
    """Parse rupees ('1,234.50', '1234', 500) into paise, refusing fractions of a paisa."""
    if isinstance(amount, float | bool):
        raise MoneyError("money must not be a float; pass a string or Decimal")
    text = str(amount).replace(",", "").replace("₹", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount of rupees: {amount!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"not an amount of rupees: {amount!r}")
    try:
        with localcontext() as ctx:  # exact, however many digits
            ctx.prec = len(text) + 3
            ctx.traps[Inexact] = True
            paise = value * 100
    except DecimalException as exc:
        raise MoneyError(f"not an amount of rupees: {amount!r}") from exc
    if paise != paise.to_integral_value():
        raise MoneyError(f"{amount!r} is not a whole number of paise")
    if abs(paise) > MAX_PAISE:
        raise MoneyError(f"{amount!r} is more money than can be stored")
    return int(paise)


def percent_of(paise: Paise, basis_points: int) -> Paise:
    """``basis_points`` / 10000 of an amount (1800 = 18 % GST), to the paisa.

    Halves round away from zero, so the share of a refund is exactly the
    negative of the share of the payment it reverses.
    """
    _require_paise(paise)
    if isinstance(basis_points, bool) or not isinstance(basis_points, int):
        raise MoneyError(f"basis points must be an integer, got {type(basis_points).__name__}")
    numerator = paise * basis_points
    quotient, remainder = divmod(abs(numerator), 10000)
    rounded = quotient + (1 if remainder * 2 >= 10000 else 0)
    return -rounded if numerator < 0 else rounded
