"""Dates and moments, in the subscriber's locale and the operator's time zone."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from ..base import FieldKind, Presented
from ..formatting import DATE_STYLES

# a Babel style name, or a pattern such as dd.MM.yyyy / d MMMM, HH:mm
FORMAT = validate.Regexp(
    rf"^(?:{'|'.join(DATE_STYLES)}|[A-Za-z .,:/\-]{{1,40}})$",
    error="use short, medium, long, full or a pattern such as dd.MM.yyyy",
)


class MomentOptions(Schema):
    format = fields.String(load_default="medium", validate=FORMAT)


class DateKind(FieldKind):
    name = "date"
    options = MomentOptions
    preview_value = date(2021, 4, 24)

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        display = fmt.date(value, options.get("format") or "medium")
        moment = fmt.local_datetime(value)
        day = moment.date() if moment is not None else None
        # ``iso`` feeds <time datetime> so assistive tech and browsers read the real date
        return Presented(display=display, iso=day.isoformat() if day else "")


class DateTimeKind(FieldKind):
    name = "datetime"
    options = MomentOptions
    preview_value = datetime(2021, 4, 24, 7, 30, tzinfo=timezone.utc)

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        moment = fmt.local_datetime(value)
        return Presented(display=fmt.datetime(value, options.get("format") or "medium"),
                         iso=moment.isoformat() if moment else "")
