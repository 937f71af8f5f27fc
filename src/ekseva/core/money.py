"""Money is an integer number of paise, never a float.

``format_inr(12345600)`` → ``'₹1,23,456.00'`` (Indian digit grouping). This is the
one helper that turns paise into text for people; templates use the ``inr`` filter
that calls it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

Paise = int


class MoneyError(ValueError):
    pass


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


def format_inr(paise: int, *, symbol: bool = True) -> str:
    if isinstance(paise, bool) or not isinstance(paise, int):
        raise MoneyError(f"money must be integer paise, got {type(paise).__name__}")
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), 100)
    text = f"{group_indian(rupees)}.{rest:02d}"
    return f"{sign}{'₹' if symbol else ''}{text}"


def rupees(amount: str | int | Decimal) -> Paise:
    """Parse rupees ('1,234.50', '1234', 500) into paise, refusing fractions of a paisa."""
    if isinstance(amount, float):
        raise MoneyError("money must not be a float; pass a string or Decimal")
    text = str(amount).replace(",", "").replace("₹", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount of rupees: {amount!r}") from exc
    paise = value * 100
    if paise != paise.to_integral_value():
        raise MoneyError(f"{amount!r} is not a whole number of paise")
    return int(paise)


def percent_of(paise: Paise, basis_points: int) -> Paise:
    """``basis_points`` / 10000 of an amount, rounded half up to the paisa (GST, TDS)."""
    numerator = paise * basis_points
    quotient, remainder = divmod(numerator, 10000)
    return quotient + (1 if remainder * 2 >= 10000 else 0)
