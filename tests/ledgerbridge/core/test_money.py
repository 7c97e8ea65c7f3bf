"""Money, quantities and line amounts: one constructor each, Decimal only, exact or refused."""

from __future__ import annotations

import decimal
import re
from decimal import Decimal

import pytest

from ledgerbridge.core.money import (
    CENT,
    MAX_INTEGER_DIGITS,
    ZERO,
    formatted,
    line_amount,
    money,
    quantity,
    total,
)


def exponent(value: Decimal) -> int:
    result = value.as_tuple().exponent
    assert isinstance(result, int)
    return result


# money


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.3", "12.30"),
        ("12", "12.00"),
        ("12.30", "12.30"),
        ("12.300", "12.30"),
        ("0", "0.00"),
        ("-3.5", "-3.50"),
        ("007.10", "7.10"),
        (12, "12.00"),
        (0, "0.00"),
        (-4, "-4.00"),
        (Decimal("1.5"), "1.50"),
        (Decimal("1E+2"), "100.00"),
        (Decimal("2.0000"), "2.00"),
    ],
)
def test_money_normalises_to_two_places(given: str | int | Decimal, expected: str) -> None:
    value = money(given)
    assert value == Decimal(expected)
    assert str(value) == expected
    assert exponent(value) == -2


def test_money_of_negative_zero_has_no_sign() -> None:
    assert str(money("-0")) == "0.00"
    assert str(money(Decimal("-0.00"))) == "0.00"


@pytest.mark.parametrize("given", ["12.345", "0.001", Decimal("0.005"), Decimal("1.999")])
def test_money_refuses_more_than_two_places(given: str | Decimal) -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        money(given)


@pytest.mark.parametrize(
    "given", ["", " 12", "12 ", "1,000.00", "1_000", "1e3", "12.", ".5", "+1", "abc", "--1"]
)
def test_money_refuses_strings_that_are_not_plain_decimals(given: str) -> None:
    with pytest.raises(ValueError, match=re.escape('expected a decimal string like "12.50"')):
        money(given)


@pytest.mark.parametrize("given", ["NaN", "Infinity", "-Infinity", "inf"])
def test_money_refuses_special_strings(given: str) -> None:
    with pytest.raises(ValueError, match="expected a decimal string"):
        money(given)


@pytest.mark.parametrize("given", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_money_refuses_special_decimals(given: Decimal) -> None:
    with pytest.raises(ValueError, match="must be a finite number"):
        money(given)


def test_money_refuses_float_with_a_hint() -> None:
    with pytest.raises(
        TypeError, match=re.escape('not float: send it as a decimal string like "12.50"')
    ):
        money(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("given", [True, False, None, [1], object()])
def test_money_refuses_other_types(given: object) -> None:
    with pytest.raises(TypeError, match="must be a str, int or Decimal"):
        money(given)  # type: ignore[arg-type]


def test_money_bounds_the_integer_part() -> None:
    largest = "9" * MAX_INTEGER_DIGITS + ".99"
    assert money(largest) == Decimal(largest)
    with pytest.raises(ValueError, match="too large"):
        money("1" + "0" * MAX_INTEGER_DIGITS)
    with pytest.raises(ValueError, match="too large"):
        money(10**40)
    with pytest.raises(ValueError, match="too large"):
        money(Decimal("1E+999999"))


def test_money_ignores_the_callers_decimal_context() -> None:
    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_DOWN
        assert money("12345.67") == Decimal("12345.67")
        assert line_amount(Decimal("3"), Decimal("0.335")) == Decimal("1.01")
        assert total([Decimal("1234.56"), Decimal("0.01")]) == Decimal("1234.57")


def test_money_error_quotes_the_value() -> None:
    with pytest.raises(
        ValueError,
        match="^" + re.escape('expected a decimal string like "12.50", got "12,50"') + "$",
    ):
        money("12,50")
    with pytest.raises(
        ValueError, match="^" + re.escape('"12.345" has more than 2 decimal places') + "$"
    ):
        money("12.345")


# quantity


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2", "2"),
        ("2.500", "2.5"),
        ("1.000000", "1"),
        ("0.000001", "0.000001"),
        ("100", "100"),
        ("120.50", "120.5"),
        ("0.0", "0"),
        ("-0", "0"),
        ("-1.25", "-1.25"),
        (3, "3"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.2345600"), "1.23456"),
    ],
)
def test_quantity_keeps_up_to_six_places_in_shortest_form(
    given: str | int | Decimal, expected: str
) -> None:
    value = quantity(given)
    assert value == Decimal(expected)
    assert str(value) == expected
    assert exponent(value) <= 0


def test_quantity_refuses_more_than_six_places() -> None:
    with pytest.raises(ValueError, match="more than 6 decimal places"):
        quantity("0.0000001")


def test_quantity_shares_the_input_rules_of_money() -> None:
    with pytest.raises(
        TypeError, match=re.escape('not float: send it as a decimal string like "0.75"')
    ):
        quantity(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        quantity(True)
    with pytest.raises(ValueError, match=re.escape('expected a decimal string like "0.75"')):
        quantity("1/2")
    with pytest.raises(ValueError, match="finite"):
        quantity(Decimal("NaN"))
    with pytest.raises(ValueError, match="too large"):
        quantity("1" + "0" * MAX_INTEGER_DIGITS)


# line_amount and total


@pytest.mark.parametrize(
    ("qty", "price", "expected"),
    [
        ("1", "10", "10.00"),
        ("3", "0.335", "1.01"),  # 1.005 rounds half-up
        ("2", "1.005", "2.01"),  # 2.010
        ("1", "0.005", "0.01"),  # half a cent goes up
        ("1", "0.004999", "0.00"),
        ("0.5", "0.01", "0.01"),  # 0.005 -> 0.01
        ("1.333333", "3", "4.00"),  # 3.999999
        ("0", "99.99", "0.00"),
        ("-1", "0.005", "-0.01"),  # half-up is away from zero
        ("9999999", "999999.999999", "9999998999990.00"),  # 9999998999990.000001
    ],
)
def test_line_amount_rounds_half_up_to_the_cent(qty: str, price: str, expected: str) -> None:
    value = line_amount(quantity(qty), quantity(price))
    assert str(value) == expected


def test_line_amount_of_zero_has_no_sign() -> None:
    assert str(line_amount(Decimal("-1"), Decimal("0.001"))) == "0.00"


def test_line_amount_refuses_results_too_large_to_be_amounts() -> None:
    with pytest.raises(ValueError, match="too large"):
        line_amount(quantity("10000000"), quantity("1000000"))
    with pytest.raises(ValueError, match="too large"):  # rounding pushes it over
        line_amount(Decimal("1"), Decimal("9999999999999.995"))
    with pytest.raises(ValueError, match="too large"):
        line_amount(Decimal("1E+30"), Decimal("1E+30"))


def test_line_amount_refuses_special_values() -> None:
    with pytest.raises(ValueError, match="cannot multiply"):
        line_amount(Decimal("NaN"), Decimal("1"))
    with pytest.raises(ValueError, match="cannot multiply"):
        line_amount(Decimal("1"), Decimal("Infinity"))


def test_total_adds_amounts_with_two_places() -> None:
    assert str(total([])) == "0.00"
    assert str(total([money("1.10"), money("2.20"), money("3.30")])) == "6.60"
    assert str(total(iter([money("0.01")] * 3))) == "0.03"
    assert str(total([money("-1.00"), money("1.00")])) == "0.00"


def test_constants() -> None:
    assert Decimal("0.01") == CENT
    assert str(ZERO) == "0.00"


def test_amounts_are_formatted_in_the_companys_currency() -> None:
    assert formatted(Decimal("1439954.4")) == "$1,439,954.40"
    assert formatted(Decimal("-12"), "USD") == "-$12.00"
    assert formatted(Decimal("-0.00"), "GBP") == "£0.00"
    assert formatted(Decimal("1200"), "chf") == "1,200.00 CHF"
    with pytest.raises(TypeError):
        formatted(12.5, "USD")  # type: ignore[arg-type]
