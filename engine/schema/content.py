"""Content collections of a cabinet: news, FAQ, documents — texts an operator publishes.

```yaml
content:
  news:
    - id: fiber-2026                       # stable id, used in addresses (/news/<news_id>)
      date: 2026-11-01
      title: {ru: ..., en: ...}            # a mapping of every locale is a translated text
      body: {ru: "markdown ...", en: "..."}
      image: /media/news/fiber.svg
      roles: [subscriber, dealer, guest]   # who sees it (default: everyone)
      published: false                     # a draft: never shown to subscribers
```

Screens read a collection as data: ``news: {content: news}`` (the published items for the user's
roles, newest first when they have dates) or one item: ``article: {content: news, id: params.news_id}``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .errors import Path
from .expressions import Text

ALL_ROLES = ("subscriber", "dealer", "operator", "guest")


@dataclass(frozen=True)
class ContentItem:
    id: str
    fields: Mapping[str, Any]            # plain values and Texts
    roles: tuple[str, ...] = ALL_ROLES
    published: bool = True
    sort_key: str = ""                   # the item's date as ISO text, for newest-first order


@dataclass(frozen=True)
class Collection:
    name: str
    items: tuple[ContentItem, ...] = field(default_factory=tuple)

    def visible(self, roles) -> list[ContentItem]:
        roles = set(roles)
        shown = [i for i in self.items if i.published and roles & set(i.roles)]
        return sorted(shown, key=lambda i: i.sort_key, reverse=True) if any(i.sort_key for i in shown) else shown


def compile_collections(raw: Any, locales: list[str], error: Callable[[Path, str], None],
                        text: Callable[[Any, Path], Text | None]) -> Mapping[str, Collection]:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, Mapping):
        error(("content",), "must be a mapping of collection name to a list of items")
        return MappingProxyType({})
    collections = {}
    for name, items in raw.items():
        path: Path = ("content", name)
        if not isinstance(items, list):
            error(path, "a collection is a list of items")
            continue
        compiled, ids = [], set()
        for index, item in enumerate(items):
            here = path + (index,)
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str) or not item["id"]:
                error(here, "an item is a mapping with an id (a short name such as fiber-2026)")
                continue
            if item["id"] in ids:
                error(here + ("id",), f"the id {item['id']!r} is used twice in {name}")
            ids.add(item["id"])
            compiled.append(_item(item, here, locales, error, text))
        collections[name] = Collection(name, tuple(compiled))
    return MappingProxyType(collections)


def _item(raw: Mapping, path: Path, locales: list[str], error, text) -> ContentItem:
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("roles", "published"):
            continue
        if _is_translated(value, locales):
            fields[key] = text(value, path + (key,))
        elif isinstance(value, (date, datetime)):
            fields[key] = value.isoformat()
        else:
            fields[key] = value
    roles = raw.get("roles")
    if roles is None:
        roles = ALL_ROLES
    elif not isinstance(roles, list) or not all(r in ALL_ROLES for r in roles):
        error(path + ("roles",), f"roles are some of {', '.join(ALL_ROLES)}")
        roles = ALL_ROLES
    published = raw.get("published", True)
    if not isinstance(published, bool):
        error(path + ("published",), "published is true or false")
        published = False
    date_text = fields.get("date")
    sort_key = date_text if isinstance(date_text, str) else ""
    return ContentItem(raw["id"], MappingProxyType(fields), tuple(roles), published, sort_key)


def _is_translated(value: Any, locales: list[str]) -> bool:
    """A mapping whose keys are locale codes (some of them may be missing: reported as such)."""
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(k, str) and (k in locales or len(k) == 2) for k in value)


def localized(item: ContentItem, locale: str) -> dict[str, Any]:
    """The item as plain data in one locale (what expressions and field kinds read)."""
    data = {k: (v.render(locale) if isinstance(v, Text) else v) for k, v in item.fields.items()}
    data["id"] = item.id
    return data
