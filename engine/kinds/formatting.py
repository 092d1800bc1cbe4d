"""Locale-aware formatting of billing values with Babel.

Billings send money as Decimal, float, int or strings, and dates as date objects or ISO strings.
Every method accepts all of these and never raises: a value it cannot read is shown as ``str()``,
because a subscriber seeing an odd text is better than a broken page.
"""
from __future__ import annotations

import copy
import math
from functools import lru_cache
from datetime import date as date_type, datetime as datetime_type, timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from .number_patterns import PreparedPattern

DATE_STYLES = ("short", "medium", "long", "full")


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a billing number, or None. Floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        return None  # True is an int, but never an amount
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\xa0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # "3146,10" from a Russian billing
        try:
            result = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def to_datetime(value: Any) -> datetime_type | None:
    """A datetime from a datetime, an ISO string or a Unix timestamp; None otherwise."""
    if isinstance(value, datetime_type):
        return value
    if isinstance(value, date_type):
        return datetime_type(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime_type.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime_type.fromtimestamp(value, dt_timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


class Formatter:
    """Formats values for one locale, currency and time zone (one per request)."""

    def __init__(self, locale: str = "en", currency: str = "RUB", timezone: str = "UTC"):
        self.locale = locale
        self.currency = currency
        self.timezone = timezone
        try:
            self._babel_locale = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            self._babel_locale = Locale.parse("en")  # an unknown locale still gets readable numbers
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self._tz = ZoneInfo("UTC")

    def __repr__(self) -> str:
        return f"Formatter({self.locale!r}, {self.currency!r}, {self.timezone!r})"

    # --- numbers -------------------------------------------------------------------------------

    def money(self, value: Any, currency: str | None = None) -> str:
        amount = to_decimal(value)
        if amount is None:
            return _as_text(value)
        try:
            # what Babel's format_currency gives, with the locale's pattern prepared once
            return _prepared(self._babel_locale, "currency", currency or self.currency).apply(amount)
        except Exception:  # noqa: BLE001 - an odd currency code must not break the page
            return _as_text(value)

    def number(self, value: Any, decimals: int | None = None) -> str:
        return self._apply("decimal", value, decimals)

    def percent(self, value: Any, decimals: int = 0) -> str:
        """``value`` is a fraction: 0.15 -> "15 %" (ru) / "15%" (en)."""
        return self._apply("percent", value, decimals)

    def _apply(self, kind: str, value: Any, decimals: int | None) -> str:
        amount = to_decimal(value)
        if amount is None:
            return _as_text(value)
        digits = None if decimals is None else max(0, min(int(decimals), 10))
        try:
            return _prepared(self._babel_locale, kind, None, digits).apply(amount)
        except Exception:  # noqa: BLE001 - a locale without the pattern, or a number too long to round
            return _as_text(value)

    # --- moments -------------------------------------------------------------------------------

    def date(self, value: Any, format: str = "medium") -> str:
        moment = self.local_datetime(value)   # an aware moment's date is the operator's date
        if moment is None:
            return _as_text(value)
        day = moment.date()
        try:
            return format_date(day, format=format, locale=self._babel_locale)
        except Exception:  # noqa: BLE001 - a bad pattern from a schema
            return day.isoformat()

    def datetime(self, value: Any, format: str = "medium") -> str:
        """Aware moments are shown in the operator's time zone; naive ones are taken as already
        local and shown unchanged (Babel reads them as UTC and, with no tzinfo, converts nothing)."""
        moment = to_datetime(value)
        if moment is None:
            return _as_text(value)
        tzinfo = self._tz if moment.tzinfo is not None else None
        try:
            return format_datetime(moment, format=format, tzinfo=tzinfo, locale=self._babel_locale)
        except Exception:  # noqa: BLE001
            return moment.isoformat()

    def local_datetime(self, value: Any) -> datetime_type | None:
        """The moment in the operator's time zone (for ``<time datetime>`` attributes)."""
        moment = to_datetime(value)
        if moment is not None and moment.tzinfo is not None:
            try:
                moment = moment.astimezone(self._tz)
            except (OverflowError, ValueError):   # year 1 or 9999 across a zone offset: keep it as sent
                pass
        return moment

    # --- texts ---------------------------------------------------------------------------------

    def text(self, value: Any) -> str:
        """An operator text in this locale: a compiled text, a plain string or {locale: text}."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        render = getattr(value, "render", None)
        if callable(render):
            return render(self.locale, {})
        if isinstance(value, Mapping):
            if not value:
                return ""
            language = self.locale.replace("-", "_").split("_")[0]
            for key in (self.locale, language):
                if key in value and value[key] is not None:
                    return str(value[key])
            return _as_text(next(iter(value.values())))
        return _as_text(value)


@lru_cache(maxsize=512)
def _prepared(locale: Locale, kind: str, currency: str | None = None, decimals: int | None = None) -> PreparedPattern:
    """The locale's standard ``kind`` pattern (currency, decimal, percent), prepared once;
    ``decimals``: a fixed number of fraction digits instead of the pattern's."""
    pattern = {"currency": locale.currency_formats, "decimal": locale.decimal_formats,
               "percent": locale.percent_formats}[kind].get("standard" if kind == "currency" else None)
    if pattern is None:
        raise LookupError(f"the locale {locale} has no {kind} pattern")
    if decimals is not None:
        pattern = copy.copy(pattern)
        pattern.frac_prec = (decimals, decimals)
    return PreparedPattern(pattern, locale, currency)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a __str__ that raises
        return ""
