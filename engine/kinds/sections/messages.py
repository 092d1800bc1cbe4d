"""Texts the operator writes: markdown content, notices and empty states."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..base import LocalizedText, SectionKind
from ..fields.urls import SafeUrl

ICON_NAME = validate.Regexp(r"^[a-z][a-z0-9_\-]*$", error="use an icon name such as inbox or alert")


class ContentOptions(Schema):
    body = LocalizedText()                     # markdown, rendered by the markdown field kind's sanitizer
    image = fields.String(validate=SafeUrl())
    image_alt = LocalizedText()
    video = fields.String(validate=SafeUrl())


class ContentKind(SectionKind):
    """A text from the operator (body) and/or values from data shown as a document, without
    labels: a news article is a content section of date, image, markdown and video fields."""

    name = "content"
    options = ContentOptions
    preview_section = {
        "title": {"ru": "Обещанный платёж", "en": "Promised payment"},
        "body": {
            "ru": "«Обещанный платёж» разблокирует доступ к услугам.\n\n"
                  "- Предоставляется **кредит на сумму рекомендуемого платежа**\n"
                  "- Погасить кредит нужно в течение **3 дней**\n"
                  "- Воспользоваться услугой можно раз в 25 дней",
            "en": "A promised payment restores access to your services.\n\n"
                  "- You get **credit for the recommended payment**\n"
                  "- Repay it within **3 days**\n"
                  "- Available once in 25 days",
        },
        "actions": ["top_up"],
    }
    preview_data = {}


class NoticeOptions(Schema):
    tone = fields.String(load_default="info", validate=validate.OneOf(("success", "warning", "danger", "info")))
    text = LocalizedText(required=True)


class NoticeKind(SectionKind):
    name = "notice"
    options = NoticeOptions
    preview_section = {
        "tone": "warning",
        "text": {
            "ru": "Услуга «Цифровое ТВ» приостановлена: на счёте недостаточно средств.",
            "en": "Digital TV is suspended: the balance is too low.",
        },
        "actions": ["top_up"],
    }
    preview_data = {}


class EmptyStateOptions(Schema):
    text = LocalizedText(required=True)
    icon = fields.String(load_default="inbox", validate=ICON_NAME)


class EmptyStateKind(SectionKind):
    name = "empty_state"
    options = EmptyStateOptions
    preview_section = {
        "text": {"ru": "Новостей пока нет", "en": "No news yet"},
        "icon": "news",
    }
    preview_data = {}
