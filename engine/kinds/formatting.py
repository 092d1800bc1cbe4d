"""Locale-aware formatting of billing values with Babel.

Billings send money as Decimal, float, int or strings, and dates as date objects or ISO strings.
Every method accepts all of these and never raises: a value it cannot read is shown as ``str()``,
because a subscriber seeing an odd text is better than a broken page.
"""
from __future__ import annotations

import copy
import math
from datetime import date as date_type, datetime as datetime_type, timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

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
            return format_currency(amount, currency or self.currency, locale=self._babel_locale)
        except Exception:  # noqa: BLE001 - an odd currency code must not break the page
            return _as_text(value)

    def number(self, value: Any, decimals: int | None = None) -> str:
        amount = to_decimal(value)
        if amount is None:
            return _as_text(value)
        return self._apply(self._babel_locale.decimal_formats.get(None), amount, decimals, value)

    def percent(self, value: Any, decimals: int = 0) -> str:
        """``value`` is a fraction: 0.15 -> "15 %" (ru) / "15%" (en)."""
        amount = to_decimal(value)
        if amount is None:
            return _as_text(value)
        return self._apply(self._babel_locale.percent_formats.get(None), amount, decimals, value)

    def _apply(self, pattern, amount: Decimal, decimals: int | None, original: Any) -> str:
        if pattern is None:
            return _as_text(original)
        if decimals is not None:
            # a copy of the locale's pattern with a fixed number of fraction digits
            pattern = copy.copy(pattern)
            digits = max(0, min(int(decimals), 10))
            pattern.frac_prec = (digits, digits)
        try:
            return pattern.apply(amount, self._babel_locale)
        except Exception:  # noqa: BLE001
            return _as_text(original)

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


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a __str__ that raises
        return ""
