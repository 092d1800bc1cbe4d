"""Sections that repeat their fields for each element of an ``items`` list."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..base import LocalizedText, SectionKind

_SERVICE_STATUS = {
    "labels": {
        "active": {"ru": "Активна", "en": "Active"},
        "blocked": {"ru": "Заблокирована", "en": "Blocked"},
        "suspended": {"ru": "Приостановлена", "en": "Suspended"},
    },
    "tones": {"active": "success", "blocked": "info", "suspended": "warning"},
}
_SERVICES = [
    {"id": "s1", "name": "Домашний интернет", "status": "active",
     "tariff": {"name": "Скорость 500", "fee": "650.00"}},
    {"id": "s2", "name": "Цифровое ТВ", "status": "suspended",
     "tariff": {"name": "Базовый", "fee": "299.00"}},
    {"id": "s3", "name": "Мобильная связь +7 916 123-45-67", "status": "blocked",
     "tariff": {"name": "Всё включено", "fee": "450.00"}},
]
_HISTORY = [
    {"id": "h1", "at": "2021-04-20T09:15:00+00:00", "description": "Пополнение картой", "amount": "1500.00"},
    {"id": "h2", "at": "2021-04-01T00:05:00+00:00", "description": "Абонентская плата: Скорость 500",
     "amount": "-650.00"},
    {"id": "h3", "at": "2021-04-01T00:05:00+00:00", "description": "Абонентская плата: Базовый",
     "amount": "-299.00"},
]


class SearchableOptions(Schema):
    """Items can be narrowed by a search term from the address (``?q=...``, e.g. from a get form):
    an item stays when one of the ``search_in`` keys contains the term, ignoring case."""

    search_in = fields.List(fields.String(), load_default=list)
    search_param = fields.String(load_default="q")


class ListOptions(SearchableOptions):
    empty_text = LocalizedText()


class ListKind(SectionKind):
    """Each item is a tappable row showing its fields (a link when the item has an url)."""

    name = "list"
    options = ListOptions
    has_items = True
    preview_section = {
        "title": {"ru": "Мои услуги", "en": "My services"},
        "items": "services",
        "fields": [
            {"type": "text", "key": "name", "label": {"ru": "Услуга", "en": "Service"}, "value": "name"},
            {"type": "text", "key": "tariff", "label": {"ru": "Тариф", "en": "Tariff"}, "value": "tariff.name"},
            {"type": "money", "key": "fee", "label": {"ru": "В месяц", "en": "Per month"}, "value": "tariff.fee"},
            {"type": "status", "key": "status", "label": {"ru": "Состояние", "en": "Status"}, "value": "status",
             **_SERVICE_STATUS},
        ],
        "empty_text": {"ru": "У вас пока нет услуг", "en": "You have no services yet"},
    }
    preview_data = {"services": _SERVICES}


class TableOptions(SearchableOptions):
    empty_text = LocalizedText()
    caption = LocalizedText()


class TableKind(SectionKind):
    """Fields are the columns; on phones the rows become stacked cards."""

    name = "table"
    options = TableOptions
    has_items = True
    preview_section = {
        "title": {"ru": "История операций", "en": "Transactions"},
        "items": "history",
        "fields": [
            {"type": "datetime", "key": "at", "label": {"ru": "Дата", "en": "Date"}, "value": "at"},
            {"type": "text", "key": "description", "label": {"ru": "Операция", "en": "Operation"},
             "value": "description"},
            {"type": "money", "key": "amount", "label": {"ru": "Сумма", "en": "Amount"}, "value": "amount"},
        ],
        "caption": {"ru": "Операции за апрель", "en": "April transactions"},
        "empty_text": {"ru": "За этот период операций нет", "en": "No transactions in this period"},
    }
    preview_data = {"history": _HISTORY}
