"""Fill an operation's parameters: explicit expressions, then names from the route, the form and
the selected account; engine-filled ones from the user (or, for paging, from the page a list
section shows); coerce types; check ownership."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from ..billing.contract import FROM_DEALER, FROM_SUBSCRIBER, IDEMPOTENCY_KEY, PAGING, Operation, Param
from .ownership import Ownership


class InvalidParam(ValueError):
    """A parameter is missing or does not have the right form: ``param`` names it and
    ``expected`` says what it should be (missing | int | decimal | date | too_long)."""

    def __init__(self, param: str, expected: str):
        super().__init__(f"{param}: {expected}")
        self.param = param
        self.expected = expected


class NotForThisUser(Exception):
    """The operation needs an identity this user does not have (a dealer id for a subscriber ...)."""


@dataclass
class CallContext:
    expression_data: Mapping[str, Any]      # what expressions see
    route_params: Mapping[str, str]
    form: Mapping[str, Any]
    selected_account: str | None
    subscriber_id: str | None
    dealer_id: str | None
    request_key: str | None = None
    #: limit / offset / search of the page a list section shows, when the billing pages it
    paging: Mapping[str, Any] = field(default_factory=dict)


def fill_params(operation: Operation, explicit: Mapping[str, Any], ctx: CallContext,
                ownership: Ownership) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in operation.params:
        value = _raw_value(param, explicit, ctx)
        if value is None or value == "":
            if param.required:
                raise InvalidParam(param.name, "missing")
            continue
        value = coerce(param, value)
        if param.owned:
            ownership.check(param.owned, value)
        values[param.name] = value
    return values


def _raw_value(param: Param, explicit: Mapping[str, Any], ctx: CallContext) -> Any:
    if param.filled_by_engine == FROM_SUBSCRIBER:
        if not ctx.subscriber_id:
            raise NotForThisUser(param.name)
        return ctx.subscriber_id
    if param.filled_by_engine == FROM_DEALER:
        if not ctx.dealer_id:
            raise NotForThisUser(param.name)
        return ctx.dealer_id
    if param.filled_by_engine == IDEMPOTENCY_KEY:
        return ctx.request_key
    if param.filled_by_engine == PAGING:
        return ctx.paging.get(param.name)     # never from the schema, the route or a form
    if param.name in explicit:
        return explicit[param.name].evaluate(ctx.expression_data)
    if param.name in ctx.route_params:
        return ctx.route_params[param.name]
    if param.name in ctx.form:
        return ctx.form[param.name]
    if param.name == "account_id":
        return ctx.selected_account
    return None


# Bounded on purpose: a number from a form is parsed only if it is of a sensible size, so a
# request cannot make the server compute with a million-digit number.
WHOLE_NUMBER = re.compile(r"[+-]?\d{1,15}")
AMOUNT = re.compile(r"[+-]?\d{1,13}(?:[.,]\d{1,4})?")
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
MAX_TEXT = 10_000    # characters of one text value; handlers may allow less


def coerce(param: Param, value: Any) -> Any:
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if param.type == "int":
        if isinstance(value, bool) or not WHOLE_NUMBER.fullmatch(text):
            raise InvalidParam(param.name, "int")
        return int(text)
    if param.type == "decimal":
        text = text.replace("\u00a0", "").replace(" ", "")
        if not AMOUNT.fullmatch(text):
            raise InvalidParam(param.name, "decimal")
        return Decimal(text.replace(",", "."))
    if param.type == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(text)
        except ValueError:
            raise InvalidParam(param.name, "date") from None
        if not EARLIEST <= day <= LATEST:
            raise InvalidParam(param.name, "date")
        return day
    if len(text) > MAX_TEXT:
        raise InvalidParam(param.name, "too_long")
    return text
