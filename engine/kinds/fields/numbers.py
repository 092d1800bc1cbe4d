"""Amounts: money in a currency, plain numbers and percentages."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from ..base import FieldKind, Presented
from ..formatting import to_decimal

DECIMALS = validate.Range(0, 6)


class MoneyOptions(Schema):
    # default: the cabinet's currency (the Formatter's)
    currency = fields.String(validate=validate.Regexp(
        r"^[A-Z]{3}$", error="use an ISO 4217 currency code such as RUB, USD or EUR"))


class MoneyKind(FieldKind):
    name = "money"
    options = MoneyOptions
    preview_value = Decimal("3146.10")

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        amount = to_decimal(value)
        # ``negative`` lets the theme colour a debt
        return Presented(display=fmt.money(value, options.get("currency")),
                         negative=amount is not None and amount < 0)


class NumberOptions(Schema):
    decimals = fields.Integer(validate=DECIMALS)


class NumberKind(FieldKind):
    name = "number"
    options = NumberOptions
    preview_value = Decimal("12.5")
    preview_options = {"decimals": 1}

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        return Presented(display=fmt.number(value, options.get("decimals")))


class PercentOptions(Schema):
    decimals = fields.Integer(load_default=0, validate=DECIMALS)


class PercentKind(FieldKind):
    """The value is a fraction: 0.15 is shown as 15 %."""

    name = "percent"
    options = PercentOptions
    preview_value = Decimal("0.15")

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        decimals = options.get("decimals")
        return Presented(display=fmt.percent(value, 0 if decimals is None else decimals))
