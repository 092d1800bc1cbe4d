"""A status badge: the billing's status code, in the operator's words and a colour tone."""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, fields, validate

from ..base import FieldKind, LocalizedText, Presented

TONES = ("success", "warning", "danger", "neutral", "info")


class StatusOptions(Schema):
    labels = fields.Dict(keys=fields.String(), values=LocalizedText(), load_default=dict)
    tones = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(TONES)),
                        load_default=dict)


class StatusKind(FieldKind):
    name = "status"
    options = StatusOptions
    preview_value = "suspended"
    preview_options = {
        "labels": {
            "active": {"ru": "Активна", "en": "Active"},
            "blocked": {"ru": "Заблокирована", "en": "Blocked"},
            "suspended": {"ru": "Приостановлена", "en": "Suspended"},
        },
        "tones": {"active": "success", "blocked": "info", "suspended": "warning"},
    }

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        value = getattr(value, "value", value)   # a status enum from a billing record
        if value is None or value == "":
            return Presented(display="", tone="neutral", code="")
        code = str(value)
        labels = options.get("labels") or {}
        tones = options.get("tones") or {}
        label = labels.get(code)
        display = fmt.text(label) if label is not None else fmt.text(value)
        tone = tones.get(code, "neutral")
        return Presented(display=display, tone=tone if tone in TONES else "neutral", code=code)
