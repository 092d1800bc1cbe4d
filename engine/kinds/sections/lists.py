"""Sections that repeat their fields for each element of an ``items`` list."""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..base import LocalizedText, SectionKind
from ..listing import Listing

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


#: rows of one page unless the operator says otherwise: more than any list of the demo shows
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# a query parameter's name as people type it into an address; `account` is the engine's own
_QUERY_NAME = validate.Regexp(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$",
                              error="a short name of letters, digits, - and _ (such as page)")
_ENGINE_QUERY_NAMES = frozenset({"account"})


class SearchableOptions(Schema):
    """Items can be narrowed by a search term from the address (``?q=...``, e.g. from a get form):
    an item stays when one of the ``search_in`` keys contains the term, ignoring case. The items
    left are shown ``page_size`` at a time, the page named by ``?page=N`` (or ``page_param``); a
    billing that can search and page does both itself (docs/bindings.md)."""

    search_in = fields.List(fields.String(), load_default=list)
    search_param = fields.String(load_default="q")
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, strict=True,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    page_param = fields.String(load_default="page", validate=_QUERY_NAME)

    @validates_schema
    def _own_page_param(self, data: dict[str, Any], **_kwargs: Any) -> None:
        page_param = data.get("page_param", "page")
        if page_param in _ENGINE_QUERY_NAMES:
            raise ValidationError(f"{page_param!r} is the engine's own query parameter; choose another name",
                                  "page_param")
        if page_param == data.get("search_param", "q"):
            raise ValidationError("the page and the search term need query parameters of their own",
                                  "page_param")


class ListedKind(SectionKind):
    """A kind whose items are searched and shown a page at a time (its options: SearchableOptions)."""

    has_items = True

    def listing(self, section: Any) -> Listing:
        options = section.options
        return Listing(options["page_size"], options["page_param"], tuple(options["search_in"]),
                       options["search_param"])

    def query_names(self, section: Any) -> Mapping[str, str]:
        listing = self.listing(section)
        return {listing.page_param: "page", **({listing.search_param: "search"} if listing.search_keys else {})}


class ListOptions(SearchableOptions):
    empty_text = LocalizedText()


class ListKind(ListedKind):
    """Each item is a tappable row showing its fields (a link when the item has an url)."""

    name = "list"
    options = ListOptions
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


class TableKind(ListedKind):
    """Fields are the columns; on phones the rows become stacked cards."""

    name = "table"
    options = TableOptions
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
