"""Money and quantities as `Decimal`, built in one place.

Every amount in the engine is a `decimal.Decimal` made by `money`, and every quantity or unit
price by `quantity`. Both accept `str`, `int` or `Decimal` and refuse `float` (which cannot hold
12.30 exactly) and `bool` with `TypeError`. Bad values raise `ValueError` with a message that
names the value:

- strings must be plain decimals: ``"12"``, ``"12.5"``, ``"-3.25"`` (no exponent, no spaces,
  no thousands separators);
- NaN and Infinity are refused;
- amounts are exact to the cent (``"12.345"`` is refused, ``"12.300"`` is fine) and come back
  with exactly two places: ``money("12.3") == Decimal("12.30")``;
- quantities and unit prices are exact to six places and come back in their shortest form:
  ``quantity("2.500") == Decimal("2.5")``;
- at most `MAX_INTEGER_DIGITS` digits before the point, so that no arithmetic on them ever
  loses a digit.

`formatted` writes an amount as a person reads it in the company's currency:
``formatted(Decimal("1439954.4"), "USD") == "$1,439,954.40"``, ``"-$12.00"`` below zero, the
code after the figure for a currency without a symbol of its own here (``"1,200.00 CHF"``).

`line_amount` multiplies a quantity by a unit price and rounds half-up to the cent, the way
QuickBooks checks ``Amount == Qty * UnitPrice`` (fault 6070); `total` adds amounts up. All
arithmetic here runs in a private context, so a caller's `decimal.localcontext` cannot change
a result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = [
    "CENT",
    "MAX_INTEGER_DIGITS",
    "MONEY_PLACES",
    "QUANTITY_PLACES",
    "SYMBOLS",
    "ZERO",
    "formatted",
    "line_amount",
    "money",
    "quantity",
    "total",
]

MONEY_PLACES = 2
QUANTITY_PLACES = 6
MAX_INTEGER_DIGITS = 13
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# Wide enough that products of two in-range values are exact before rounding.
_CONTEXT = Context(prec=2 * (MAX_INTEGER_DIGITS + QUANTITY_PLACES) + 4, rounding=ROUND_HALF_UP)
_ONE = Decimal(1)
_SHOWN_LIMIT = 60
_HUGE_BITS = 256
# The sign each QuickBooks home currency is written with (ISO 4217 code -> symbol); others are
# written with their code after the figure.
SYMBOLS = {
    "USD": "$",
    "CAD": "$",
    "AUD": "$",
    "NZD": "$",
    "SGD": "$",
    "HKD": "$",
    "MXN": "$",
    "GBP": "£",
    "EUR": "€",
    "INR": "₹",
    "JPY": "¥",
    "ZAR": "R",
    "PHP": "₱",
}


def money(value: str | int | Decimal) -> Decimal:
    """An amount of money: exact to the cent, with exactly two places."""
    number = _decimal(value, "an amount", example="12.50")
    cents = number.quantize(CENT, context=_CONTEXT)
    if cents != number:
        raise ValueError(f"{_show(value)} has more than {MONEY_PLACES} decimal places")
    return _positive_zero(cents)


def quantity(value: str | int | Decimal) -> Decimal:
    """A quantity or unit price: exact to six places, in its shortest form."""
    number = _decimal(value, "a quantity", example="0.75")
    if number.quantize(Decimal(1).scaleb(-QUANTITY_PLACES), context=_CONTEXT) != number:
        raise ValueError(f"{_show(value)} has more than {QUANTITY_PLACES} decimal places")
    shortest = number.normalize(_CONTEXT)
    exponent = shortest.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:  # 1E+2 -> 100
        shortest = shortest.quantize(_ONE, context=_CONTEXT)
    return _positive_zero(shortest)


def line_amount(qty: Decimal, unit_price: Decimal) -> Decimal:
    """``qty * unit_price`` rounded half-up to the cent (half a cent goes away from zero).

    Raises `ValueError` when either factor is not finite or the result is too large to be an
    amount.
    """
    if not (qty.is_finite() and unit_price.is_finite()):
        raise ValueError(f"cannot multiply {qty} by {unit_price}")
    product = _CONTEXT.multiply(qty, unit_price)
    _check_size(product, lambda: f"{qty} x {unit_price}")
    rounded = product.quantize(CENT, context=_CONTEXT)
    _check_size(rounded, lambda: f"{qty} x {unit_price}")
    return _positive_zero(rounded)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The sum of amounts, exact, with two places (``0.00`` for none)."""
    result = ZERO
    for amount in amounts:
        result = _CONTEXT.add(result, amount)
    return _positive_zero(result.quantize(CENT, context=_CONTEXT))


def formatted(amount: Decimal, currency: str = "USD") -> str:
    """`amount` as a person reads it: thousands grouped, two places, the currency's sign
    (``"$1,439,954.40"``, ``"-$12.00"``, ``"1,200.00 CHF"``)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError(f"an amount must be a finite Decimal, not {amount!r}")
    cents = _positive_zero(amount.quantize(CENT, context=_CONTEXT))
    figure = f"{cents.copy_abs():,.2f}"
    sign = "-" if cents < 0 else ""
    symbol = SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{figure}" if symbol else f"{sign}{figure} {currency.upper()}"


def _decimal(value: object, what: str, *, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        hint = f': send it as a decimal string like "{example}"' if isinstance(value, float) else ""
        raise TypeError(f"{what} must be a str, int or Decimal, not {type(value).__name__}{hint}")
    if isinstance(value, str):
        if _PLAIN_DECIMAL.fullmatch(value) is None:
            raise ValueError(f'expected a decimal string like "{example}", got {_show(value)}')
        number = Decimal(value)
    elif isinstance(value, int):
        number = Decimal(value)
    else:
        if not value.is_finite():
            raise ValueError(f"{what} must be a finite number, got {value}")
        number = value
    _check_size(number, lambda: _show(value))
    return number


def _check_size(number: Decimal, shown: Callable[[], str]) -> None:
    """`shown`: how the error quotes the value (made only for an error)."""
    if not number.is_zero() and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(
            f"{shown()} is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point"
        )


def _positive_zero(number: Decimal) -> Decimal:
    """``-0.00`` reads as an error in a ledger; zero has no sign here."""
    return number.copy_abs() if number.is_zero() else number


def _show(value: object) -> str:
    """The value as an error message quotes it, shortened."""
    if isinstance(value, str):
        shown = json.dumps(value)
    elif isinstance(value, Decimal):
        shown = f'"{value}"'
    elif isinstance(value, int) and value.bit_length() > _HUGE_BITS:
        return "a very large integer"  # str() of it could itself fail
    else:
        shown = repr(value)
    return shown if len(shown) <= _SHOWN_LIMIT else shown[: _SHOWN_LIMIT - 3] + "..."
