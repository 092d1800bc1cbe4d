"""Texts people read or tap: plain text, phone numbers, e-mail addresses and links."""
from __future__ import annotations

import re
from typing import Any, Mapping

from marshmallow import Schema

from ..base import FieldKind, LocalizedText, Presented
from .urls import LINK, safe_url

_EMAIL = re.compile(r"^[^@\s<>\"'()\[\],;:\\]+@[^@\s<>\"'()\[\],;:\\]+\.[^@\s<>\"'()\[\],;:\\]+$")


class TextKind(FieldKind):
    name = "text"
    preview_value = "Домашний интернет 500 Мбит/с"

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        # a billing may send {ru: ..., en: ...} names; fmt.text picks the locale
        return Presented(display=fmt.text(value))


class PhoneKind(FieldKind):
    """Shown as the billing wrote it; the tel: link keeps only digits (and a leading +)."""

    name = "phone"
    preview_value = "+7 (916) 123-45-67"

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return Presented(display=fmt.text(value))
        digits = re.sub(r"\D", "", value)
        if not digits:
            return Presented(display=value)
        plus = "+" if value.strip().startswith("+") else ""
        return Presented(display=value, href=f"tel:{plus}{digits}")


class EmailKind(FieldKind):
    name = "email"
    preview_value = "support@demo-telecom.example"

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        if isinstance(value, str) and _EMAIL.match(value.strip()):
            address = value.strip()
            return Presented(display=address, href=f"mailto:{address}")
        return Presented(display=fmt.text(value))


class LinkOptions(Schema):
    text = LocalizedText()


class LinkKind(FieldKind):
    """A link; only http(s), mailto, tel and site paths become links, anything else is text."""

    name = "link"
    options = LinkOptions
    preview_value = "https://demo-telecom.example/tariffs"
    preview_options = {"text": {"ru": "Все тарифы", "en": "All tariffs"}}

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        href = safe_url(value, LINK)
        if href is None:
            return Presented(display=fmt.text(value))
        label = fmt.text(options.get("text")) or href
        external = href.lower().startswith(("http://", "https://"))
        return Presented(display=label, href=href, external=external)
