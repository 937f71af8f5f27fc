"""``{% load money %}`` then ``{{ fee|inr }}``: paise shown as ₹1,23,456.00."""

from __future__ import annotations

from django import template

from ekseva.core.money import format_inr

register = template.Library()


@register.filter
def inr(paise: int | None) -> str:
    """Integer paise → '₹1,23,456.00'; nothing for None (an amount not set yet).

    Anything else that is not integer paise (a float, a string) raises
    ``MoneyError``: a wrong amount must not reach a receipt quietly.
    """
    if paise is None:
        return ""
    return format_inr(paise)
