"""Plain data (what a JSON answer maps to) into the typed records of ``records.py``, checked.

``build(hint, value)`` follows the type hints of the record classes: dataclasses from mappings,
``Decimal`` from numbers or numeric strings (never from floats' binary noise: they go through
``str``), dates and datetimes from ISO strings, enums from their values, optional fields from
``None`` or absence (and a date a billing writes as "no date": ``0000-00-00``, empty text). A time
without its zone is read in ``zone`` (the binding file's ``timezone``); with no zone given it is an
error, never silently UTC. A value of the wrong type raises ``WrongData`` naming the place
(``services[2].tariff.fee: expected an amount, got 'abc'``) — a billing that answers nonsense is
an unavailable billing, not a crash.
"""
from __future__ import annotations

import collections.abc
import dataclasses
import enum
import types
import typing
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Union

#: how billings write "no date" (MySQL's zero date, an empty field)
EMPTY_DATES = frozenset({"", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00"})


class WrongData(ValueError):
    def __init__(self, where: str, message: str):
        super().__init__(f"{where or 'the answer'}: {message}")
        self.where = where


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def build(hint: Any, value: Any, where: str = "", zone: tzinfo | None = None) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or _no_date(options[0], value):
            if len(options) < len(typing.get_args(hint)):
                return None
            raise WrongData(where, "is missing")
        return build(options[0], value, where, zone)
    if origin in (list, tuple, collections.abc.Sequence):
        if not isinstance(value, list):
            raise WrongData(where, f"expected a list, got {_show(value)}")
        item = typing.get_args(hint)[0]
        built = [build(item, v, f"{where}[{i}]", zone) for i, v in enumerate(value)]
        return tuple(built) if origin is tuple else built
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise WrongData(where, f"expected a mapping, got {_show(value)}")
        return dict(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _record(hint, value, where, zone)
    if hint is Any:
        return value
    if value is None or _no_date(hint, value):
        raise WrongData(where, "is missing")
    return _scalar(hint, value, where, zone)


def _no_date(hint: Any, value: Any) -> bool:
    """A billing's way of writing "no date" where a date or a moment belongs."""
    return hint in (date, datetime) and isinstance(value, str) and value in EMPTY_DATES


def _record(cls: type, value: Any, where: str, zone: tzinfo | None) -> Any:
    if not isinstance(value, dict):
        raise WrongData(where, f"expected an object, got {_show(value)}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        here = f"{where}.{f.name}" if where else f.name
        if f.name not in value or value[f.name] is None:
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            optional = type(None) in typing.get_args(hints[f.name])
            if has_default:
                continue
            if optional:
                values[f.name] = None
                continue
            raise WrongData(here, "is missing")
        values[f.name] = build(hints[f.name], value[f.name], here, zone)
    return cls(**values)


def _scalar(hint: Any, value: Any, where: str, zone: tzinfo | None = None) -> Any:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in hint)
            raise WrongData(where, f"{_show(value)} is not one of {allowed}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise WrongData(where, f"expected true or false, got {_show(value)}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise WrongData(where, f"expected text, got {_show(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise WrongData(where, f"expected a whole number, got {_show(value)}")
        return value
    if hint is Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise WrongData(where, f"expected an amount, got {_show(value)}")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise WrongData(where, f"expected an amount, got {_show(value)}") from None
        if not amount.is_finite():
            raise WrongData(where, f"expected an amount, got {_show(value)}")
        return amount
    if hint is datetime:
        moment = _iso(datetime, value, where)
        if moment.tzinfo is not None:
            return moment
        if zone is None:
            raise WrongData(where, f"{_show(value)} is a time without its zone: give the binding file the "
                                   f"billing's timezone (timezone: Europe/Moscow)")
        return moment.replace(tzinfo=zone)
    if hint is date:
        if isinstance(value, str) and "T" in value:
            return _iso(datetime, value, where).date()
        return _iso(date, value, where)
    raise WrongData(where, f"cannot make a {getattr(hint, '__name__', hint)} of {_show(value)}")


def _iso(kind, value: Any, where: str):
    if not isinstance(value, str):
        raise WrongData(where, f"expected an ISO {kind.__name__} text, got {_show(value)}")
    try:
        return kind.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WrongData(where, f"{_show(value)} is not an ISO {kind.__name__}") from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
