"""JMESPath as the engine uses it: money (``Decimal``) counts as a number, so sum(), max() and
comparisons work on amounts; find() picks an item by a value from outside the list (a JMESPath
filter only sees the item itself) and merge_each() gives each item values from outside it; arithmetic and dates are functions (JMESPath has no operators
for them), so an operator derives a value — days left, a share of a fee, a date plus N days —
without code. Shared by the schema's expressions and the declarative bindings."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import jmespath
from jmespath import functions as jp_functions

# Bounded on purpose: arithmetic on billing data, not a calculator. Anything larger is "no value".
LARGEST = Decimal(10) ** 15
MOST_DAYS = 100_000
NUMBER_OR_NULL = {"types": ["number", "string", "null"]}
ANY_DAY: dict = {"types": []}     # ISO text, a date or a moment from a billing record: read by _day()


class MoneyFunctions(jp_functions.Functions):
    """JMESPath's functions, with money (Decimal) counted as a number: sum(), max() ... work on it."""

    def _get_allowed_pytypes(self, types):
        allowed, subtypes = super()._get_allowed_pytypes(types)
        if "float" in allowed:
            allowed = [*allowed, "Decimal"]
        subtypes = [[*s, "Decimal"] if "float" in s else s for s in subtypes]
        return allowed, subtypes

    @jp_functions.signature({"types": ["array", "null"]}, {"types": ["string"]},
                            {"types": ["string", "number", "null"]})
    def _func_find(self, items, field, value):
        """find(subscribers, 'id', params.subscriber_id): the first item whose ``field`` equals ``value``
        (compared as text, as route parameters are), else null."""
        if items is None or value is None:
            return None
        wanted = str(value)
        return next((item for item in items if isinstance(item, dict) and str(item.get(field)) == wanted), None)


    @jp_functions.signature({"types": ["array", "null"]}, {"types": ["object"]})
    def _func_merge_each(self, items, extra):
        """merge_each(rewards, {points: points}): each item with the object's keys added (replacing its
        own), so what is read on an item — a button's visible_if — can compare it with a value from
        outside the list. Items that are not objects are left out."""
        if items is None:
            return []
        return [{**item, **extra} for item in items if isinstance(item, dict)]


def _number(value: Any) -> Decimal | None:
    """A number, a money string ("1500.00") or a Decimal as a Decimal within bounds, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and abs(number) < LARGEST else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value is not None else None
    except ValueError:
        return None


def add_days(day: Any, days: Any) -> str | None:
    """The ISO date ``days`` after ``day`` (before it when negative); None without a day or count."""
    start, count = _day(day), _number(days)
    if start is None or count is None or abs(count) > MOST_DAYS:
        return None
    try:
        return (start + timedelta(days=int(count))).isoformat()
    except OverflowError:
        return None


def days_between(first: Any, second: Any) -> int | None:
    """Whole days from the first day to the second; None without both."""
    start, end = _day(first), _day(second)
    return None if start is None or end is None else (end - start).days


class ArithmeticFunctions(MoneyFunctions):
    """add(), subtract(), multiply(), divide(), round() on amounts (exact decimals; null in, or a
    division by zero, gives null), and add_days(), days_between() on dates (ISO text or dates)."""

    @jp_functions.signature(NUMBER_OR_NULL, NUMBER_OR_NULL)
    def _func_add(self, a, b):
        x, y = _number(a), _number(b)
        return None if x is None or y is None else x + y

    @jp_functions.signature(NUMBER_OR_NULL, NUMBER_OR_NULL)
    def _func_subtract(self, a, b):
        x, y = _number(a), _number(b)
        return None if x is None or y is None else x - y

    @jp_functions.signature(NUMBER_OR_NULL, NUMBER_OR_NULL)
    def _func_multiply(self, a, b):
        x, y = _number(a), _number(b)
        return None if x is None or y is None else x * y

    @jp_functions.signature(NUMBER_OR_NULL, NUMBER_OR_NULL)
    def _func_divide(self, a, b):
        x, y = _number(a), _number(b)
        return None if x is None or y is None or y == 0 else x / y

    @jp_functions.signature(NUMBER_OR_NULL, {"types": ["number"]})
    def _func_round(self, value, digits):
        """round(x, 2): half away from zero, as people round money; digits 0 to 6."""
        x = _number(value)
        if x is None or not 0 <= digits <= 6:
            return None
        return x.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)

    @jp_functions.signature(ANY_DAY, NUMBER_OR_NULL)
    def _func_add_days(self, day, days):
        """add_days(today, `14`): the ISO date that many days later (earlier when negative)."""
        return add_days(day, days)

    @jp_functions.signature(ANY_DAY, ANY_DAY)
    def _func_days_between(self, first, second):
        """days_between(today, account.recommended_payment.due_date): whole days from the first to the second."""
        return days_between(first, second)


def options(functions: jp_functions.Functions) -> jmespath.Options:
    return jmespath.Options(custom_functions=functions)
