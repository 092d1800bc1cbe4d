"""Between the cabinet document (what YAML holds) and the items of the Directus data model.

``document_from_items`` builds the document the schema pipeline compiles, with a location per item
(``cabinet_fields #12``) so an error names what the operator edits. ``payloads_from_document``
turns a document into the items an import creates, in an order their references allow.

Translated texts are ``{ru: ..., en: ...}`` in the document and ``[{locale, text}]`` in Directus;
one row with locale ``*`` is a text for every language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..schema.document import Document
from ..schema.errors import Location, Path
from ..schema.migrate import CURRENT_VERSION
from ..schema.structure import (
    ActionSchema, BrandingSchema, DataCallSchema, FieldSchema, NavItemSchema, OperatorSchema, ScreenSchema,
    SectionSchema, keys_of, text_keys_of,
)
from .model import INPUT_COLUMNS, PREFIX

EVERY_LANGUAGE = "*"
COLORS = ("primary", "on_primary", "bg", "surface", "text", "muted")
# The document's keys come from the structure (engine/schema/structure.py); tests/test_shape.py
# checks that the Directus model has a column for each.
OPERATOR_KEYS = tuple(k for k in keys_of(OperatorSchema()) if k != "name")
SECTION_TEXTS = ("body", "text", "intro")           # translated options of kinds kept in their own columns
SECTION_COLUMNS = (*keys_of(SectionSchema()), "use", *SECTION_TEXTS)
FIELD_COLUMNS = keys_of(FieldSchema())
ACTION_TEXTS = text_keys_of(ActionSchema())
ACTION_PLAIN = tuple(k for k in keys_of(ActionSchema()) if k not in (*ACTION_TEXTS, "id", "params"))
DATA_KEYS = keys_of(DataCallSchema())
CONTENT = {"news": "news", "faq": "faq", "pages": "pages"}   # document collection -> Directus suffix
NEWS_TEXTS = ("title", "summary", "body", "image_alt")
FAQ_TEXTS = ("question", "answer")
PAGE_TEXTS = ("title", "body")

Items = Mapping[str, list[dict]]
# the document's keys of an item, and (where the names differ) the Directus column each comes from
COLUMNS = {"sections": SECTION_COLUMNS, "fields": FIELD_COLUMNS, "actions": keys_of(ActionSchema()),
           "screens": tuple(k for k in keys_of(ScreenSchema()) if k != "sections"),
           "navigation": keys_of(NavItemSchema()), "settings": keys_of(OperatorSchema()),
           "branding": keys_of(BrandingSchema()),
           "news": ("id", "date", "image", "video", "roles", *NEWS_TEXTS), "faq": ("id", "roles", *FAQ_TEXTS),
           "pages": ("id", "document", "roles", *PAGE_TEXTS)}
RENAMED = {("sections", "id"): "key", ("sections", "link"): "link_screen", ("settings", "name"): "operator_name",
           ("branding", "colors"): "color_*", ("sections", "fields"): "fields", ("sections", "sections"): "sections"}


# --- translated texts ----------------------------------------------------------------------------
def to_rows(value: Any) -> list[dict] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return [{"locale": str(k), "text": "" if v is None else str(v)} for k, v in value.items()]
    return [{"locale": EVERY_LANGUAGE, "text": str(value)}]


def from_rows(rows: Any) -> Any:
    if not rows:
        return None
    if isinstance(rows, (str, Mapping)):        # written by hand as a plain text or a mapping
        return rows
    pairs = [(r.get("locale"), r.get("text")) for r in rows if isinstance(r, Mapping)]
    if len(pairs) == 1 and pairs[0][0] == EVERY_LANGUAGE:
        return pairs[0][1]
    return {str(k): v for k, v in pairs if k}


def ref(value: Any) -> Any:
    """The key of a related item, whether Directus gave the key or the item."""
    return value.get("id") if isinstance(value, Mapping) else value


def _pairs_to_dict(rows: Any) -> dict | None:
    if not rows:
        return None
    if isinstance(rows, Mapping):
        return dict(rows)
    return {r["name"]: r.get("value") for r in rows if isinstance(r, Mapping) and r.get("name")}


def _dict_to_pairs(value: Any) -> list[dict] | None:
    if not isinstance(value, Mapping) or not value:
        return None
    return [{"name": k, "value": v} for k, v in value.items()]


def _clean(mapping: Mapping[str, Any]) -> dict:
    """Without empty values: a key Directus leaves empty is a key the YAML does not write."""
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {} and v != ""}


# --- Directus -> document ----------------------------------------------------------------------------
@dataclass
class DocumentBuilder:
    items: Items
    media_url: Callable[[str], str]          # a file id -> the address the cabinet serves it at
    drafts: bool = False                     # the preview's document: drafts count as published
    locations: dict[Path, Location] = field(default_factory=dict)

    def build(self) -> Document:
        settings = self._one("settings")
        branding = self._one("branding")
        data: dict[str, Any] = {"schema_version": CURRENT_VERSION}
        data["operator"] = _clean({"name": from_rows(settings.get("operator_name")),
                                   **{k: ref(settings.get(k)) for k in OPERATOR_KEYS}})
        self._at(("operator",), "settings", None)
        if branding:
            colors = {name: branding.get(f"color_{name}") for name in COLORS}
            data["branding"] = _clean({"logo": self._media(branding.get("logo")), "colors": _clean(colors),
                                       "font": branding.get("font"), "radius": branding.get("radius")})
            self._at(("branding",), "branding", None)
        screens = [s for s in self._list("screens") if self._shown(s)]
        screen_ids = {s["id"] for s in screens}
        data["navigation"] = []
        for item in self._list("navigation"):
            if ref(item.get("screen")) in screen_ids:
                self._at(("navigation", len(data["navigation"])), "navigation", item["id"])
                data["navigation"].append(_clean({"screen": ref(item["screen"]), "icon": item.get("icon"),
                                                  "title": from_rows(item.get("title"))}))
        data["actions"] = []
        for item in self._list("actions"):
            self._at(("actions", len(data["actions"])), "actions", item["id"])
            data["actions"].append(self._action(item))
        sections = self._list("sections")
        children: dict[Any, list[dict]] = {}
        for section in sections:
            children.setdefault(("screen", ref(section.get("screen"))) if ref(section.get("parent")) is None
                                else ("parent", ref(section.get("parent"))), []).append(section)
        fields_of: dict[Any, list[dict]] = {}
        for item in self._list("fields"):
            fields_of.setdefault(ref(item.get("section")), []).append(item)
        actions_of: dict[Any, list[dict]] = {}
        for link in self._list("section_actions"):
            actions_of.setdefault(ref(link.get("section_id")), []).append(link)
        self._tree = (children, fields_of, actions_of)
        shared = {s["shared_key"]: s for s in sections if s.get("shared_key") and ref(s.get("screen")) is None
                  and ref(s.get("parent")) is None}
        if shared:
            data["shared_sections"] = {name: self._section(s, ("shared_sections", name))
                                       for name, s in sorted(shared.items())}
        data["screens"] = []
        for screen in screens:
            path = ("screens", len(data["screens"]))
            self._at(path, "screens", screen["id"])
            data["screens"].append(self._screen(screen, path))
        content = {}
        for name, suffix in CONTENT.items():
            rows = [i for i in self._list(suffix) if i.get("status") != "archived"]
            if rows or name in ("news", "faq"):
                content[name] = [self._content_item(name, item, ("content", name, n)) for n, item in enumerate(rows)]
        data["content"] = content
        translations = {}
        for item in self._list("translations"):
            if item.get("message"):
                self._at(("translations", item["message"]), "translations", item["id"])
                translations[item["message"]] = from_rows(item.get("translation"))
        if translations:
            data["translations"] = translations
        return Document(data, dict(self.locations))

    # --- pieces --------------------------------------------------------------------------------------
    def _screen(self, item: Mapping, path: Path) -> dict:
        data = {}
        for call in item.get("data") or []:
            if isinstance(call, Mapping) and call.get("name"):
                data[call["name"]] = _clean({k: call.get(k) for k in DATA_KEYS if k != "optional"}
                                            | {"optional": call.get("optional") or None})
        children, _, _ = self._tree
        sections = [self._section(s, path + ("sections", n))
                    for n, s in enumerate(children.get(("screen", item["id"]), []))]
        return _clean({"id": item["id"], "route": item.get("route"), "title": from_rows(item.get("title")),
                       "roles": item.get("roles") or None, "parent": ref(item.get("parent")), "data": data or None,
                       "required": item.get("required") or None}) \
            | {"sections": sections}

    def _section(self, item: Mapping, path: Path) -> dict:
        self._at(path, "sections", item["id"])
        children, fields_of, actions_of = self._tree
        section = {"use": item.get("use"), "type": item.get("type"), "id": item.get("key"),
                   "title": from_rows(item.get("title")), "visible_if": item.get("visible_if"),
                   "items": item.get("items"), "submit": ref(item.get("submit")),
                   "item_actions": [_clean({"action": a.get("action"), "params": a.get("params"),
                                            "visible_if": a.get("visible_if")})
                                    for a in item.get("item_actions") or [] if isinstance(a, Mapping)] or None,
                   "inputs": [self._input(i) for i in item.get("inputs") or [] if isinstance(i, Mapping)] or None}
        for name in SECTION_TEXTS:
            section[name] = from_rows(item.get(name))
        if item.get("link_screen"):
            section["link"] = _clean({"screen": ref(item["link_screen"]), "params": _pairs_to_dict(item.get("link_params"))})
        linked = [ref(link.get("action_id")) for link in sorted(actions_of.get(item["id"], []),
                                                                key=lambda r: r.get("sort") or 0)]
        section["actions"] = [a for a in linked if a] or None
        section = _clean(section)
        section.update({k: v for k, v in (item.get("options") or {}).items() if k not in section})
        fields = fields_of.get(item["id"], [])
        if fields:
            section["fields"] = [self._field(f, path + ("fields", n)) for n, f in enumerate(fields)]
        inner = children.get(("parent", item["id"]), [])
        if inner:
            section["sections"] = [self._section(s, path + ("sections", n)) for n, s in enumerate(inner)]
        return section

    def _field(self, item: Mapping, path: Path) -> dict:
        self._at(path, "fields", item["id"])
        spec = _clean({"type": item.get("type"), "key": item.get("key"), "label": from_rows(item.get("label")),
                       "value": item.get("value"), "visible_if": item.get("visible_if")})
        spec.update({k: v for k, v in (item.get("options") or {}).items() if k not in spec})
        return spec

    @staticmethod
    def _input(item: Mapping) -> dict:
        spec = _clean({k: item.get(k) for k in INPUT_COLUMNS})
        if spec.get("required") is False:
            del spec["required"]
        spec.update({k: v for k, v in (item.get("more") or {}).items() if k not in spec})
        return spec

    @staticmethod
    def _action(item: Mapping) -> dict:
        spec = {"id": item["id"], **{k: from_rows(item.get(k)) for k in ACTION_TEXTS},
                **{k: ref(item.get(k)) for k in ACTION_PLAIN}, "params": _pairs_to_dict(item.get("params"))}
        spec["required"] = spec.get("required") or None         # off is the default: not written
        return _clean(spec)

    def _content_item(self, name: str, item: Mapping, path: Path) -> dict:
        self._at(path, CONTENT[name], item["id"])
        spec: dict[str, Any] = {"id": item["id"], "roles": item.get("roles") or None}
        if item.get("status") != "published" and not self.drafts:
            spec["published"] = False
        if name == "news":
            spec.update({k: from_rows(item.get(k)) for k in NEWS_TEXTS})
            spec["date"] = item.get("date")
            spec["image"] = self._media(item.get("image"))
            if item.get("video"):
                spec["video"] = _clean({"src": self._media(item["video"]), "poster": self._media(item.get("video_poster"))})
        elif name == "faq":
            spec.update({k: from_rows(item.get(k)) for k in FAQ_TEXTS})
        else:
            spec.update({k: from_rows(item.get(k)) for k in PAGE_TEXTS})
            spec["document"] = self._media(item.get("document"))
        return _clean(spec)

    # --- helpers -------------------------------------------------------------------------------------
    def _shown(self, screen: Mapping) -> bool:
        status = screen.get("status") or "published"
        return status == "published" or (self.drafts and status == "draft")

    def _one(self, suffix: str) -> dict:
        rows = self.items.get(PREFIX + suffix) or []
        return dict(rows[0]) if rows else {}

    def _list(self, suffix: str) -> list[dict]:
        rows = list(self.items.get(PREFIX + suffix) or [])
        return sorted(rows, key=lambda r: (r.get("sort") is None, r.get("sort") or 0, str(r.get("id"))))

    def _media(self, file_id: Any) -> str | None:
        if isinstance(file_id, Mapping):
            file_id = file_id.get("id")
        return self.media_url(str(file_id)) if file_id else None

    def _at(self, path: Path, suffix: str, key: Any) -> None:
        where = PREFIX + suffix + ("" if key is None else f" #{key}")
        self.locations[path] = Location(where, None)
        for name in COLUMNS.get(suffix, ()):              # the column an operator edits, for each key
            column = RENAMED.get((suffix, name), name)
            self.locations[path + (name,)] = Location(f"{where} ({column})", None)


def document_from_items(items: Items, media_url: Callable[[str], str], drafts: bool = False) -> Document:
    return DocumentBuilder(items, media_url, drafts).build()


# --- document -> Directus ------------------------------------------------------------------------------
@dataclass
class ImportPlan:
    """What an import creates, in order: screens (without parents), actions, parents of screens,
    sections (with their fields, inner sections and action links nested), navigation, settings,
    branding and content."""

    screens: list[dict]
    screen_parents: dict[str, str]
    actions: list[dict]
    sections: list[dict]
    navigation: list[dict]
    settings: dict
    branding: dict
    content: dict[str, list[dict]]
    translations: list[dict]
    skipped: list[str]                      # what the Directus model has no place for


def payloads_from_document(data: Mapping[str, Any], upload: Callable[[str], str | None]) -> ImportPlan:
    """``data`` is a migrated document with includes expanded; ``upload(path)`` puts a /media/ file
    into Directus and returns its id."""
    skipped: list[str] = []
    operator = data.get("operator") or {}
    settings = _clean({"operator_name": to_rows(operator.get("name")),
                       **{k: operator.get(k) for k in OPERATOR_KEYS}})
    branding_raw = data.get("branding") or {}
    colors = branding_raw.get("colors") or {}
    skipped += [f"branding.colors.{name}" for name in colors if name not in COLORS]
    branding = _clean({"logo": upload(branding_raw["logo"]) if branding_raw.get("logo") else None,
                       **{f"color_{k}": v for k, v in colors.items() if k in COLORS},
                       "font": branding_raw.get("font"), "radius": branding_raw.get("radius")})
    screens, parents, sections = [], {}, []
    for order, screen in enumerate(data.get("screens") or []):
        calls = [{"name": name, **call} for name, call in (screen.get("data") or {}).items()]
        screens.append(_clean({"id": screen["id"], "status": "published", "sort": order + 1,
                               "route": screen.get("route"), "title": to_rows(screen.get("title")),
                               "roles": screen.get("roles"), "data": calls, "required": screen.get("required")}))
        if screen.get("parent"):
            parents[screen["id"]] = screen["parent"]
        for position, section in enumerate(screen.get("sections") or []):
            sections.append({"screen": screen["id"], **_section_payload(section, position + 1)})
    for position, (name, section) in enumerate((data.get("shared_sections") or {}).items()):
        sections.append({"shared_key": name, **_section_payload(section, position + 1)})
    actions = []
    for order, action in enumerate(data.get("actions") or []):
        actions.append(_clean({"id": action["id"], "sort": order + 1,
                               **{k: to_rows(action.get(k)) for k in ACTION_TEXTS},
                               **{k: action.get(k) for k in ACTION_PLAIN},
                               "params": _dict_to_pairs(action.get("params"))}))
    navigation = [_clean({"screen": item.get("screen"), "icon": item.get("icon"), "title": to_rows(item.get("title")),
                          "sort": n + 1}) for n, item in enumerate(data.get("navigation") or [])]
    content: dict[str, list[dict]] = {}
    for name, items in (data.get("content") or {}).items():
        if name not in CONTENT:
            skipped.append(f"content.{name}")
            continue
        content[CONTENT[name]] = [_content_payload(name, item, n + 1, upload, skipped) for n, item in enumerate(items)]
    translations = [{"message": message, "translation": to_rows(text)}
                    for message, text in (data.get("translations") or {}).items()]
    return ImportPlan(screens, parents, actions, sections, navigation, settings, branding, content, translations,
                      skipped)


def _section_payload(section: Mapping[str, Any], position: int) -> dict:
    options = dict(section.get("options") or {})
    options.update({k: v for k, v in section.items() if k not in SECTION_COLUMNS})
    texts = {name: section.get(name) for name in SECTION_TEXTS}
    for name, value in list(texts.items()):
        if value is not None and not isinstance(value, (str, Mapping)):
            options[name], texts[name] = value, None          # not a text of this kind: keep as it is
    link = section.get("link") or {}
    payload = _clean({
        "sort": position, "key": section.get("id"), "use": section.get("use"), "type": section.get("type"),
        "title": to_rows(section.get("title")), "visible_if": section.get("visible_if"), "items": section.get("items"),
        **{name: to_rows(value) for name, value in texts.items()},
        "link_screen": link.get("screen"), "link_params": _dict_to_pairs(link.get("params")),
        "item_actions": section.get("item_actions"), "submit": section.get("submit"),
        "inputs": [_input_payload(i) for i in section.get("inputs") or []] or None,
        "options": options or None,
    })
    payload["actions"] = [{"action_id": a, "sort": n + 1} for n, a in enumerate(section.get("actions") or [])]
    payload["fields"] = [_field_payload(f, n + 1) for n, f in enumerate(section.get("fields") or [])]
    payload["sections"] = [_section_payload(s, n + 1) for n, s in enumerate(section.get("sections") or [])]
    return payload


def _field_payload(spec: Mapping[str, Any], position: int) -> dict:
    options = dict(spec.get("options") or {})
    options.update({k: v for k, v in spec.items() if k not in FIELD_COLUMNS})
    return _clean({"sort": position, "key": spec.get("key"), "type": spec.get("type"),
                   "label": to_rows(spec.get("label")), "value": spec.get("value"),
                   "visible_if": spec.get("visible_if"), "options": options or None})


def _input_payload(spec: Mapping[str, Any]) -> dict:
    more = {k: v for k, v in spec.items() if k not in INPUT_COLUMNS}
    return _clean({**{k: spec.get(k) for k in INPUT_COLUMNS}, "more": more or None})


def _content_payload(name: str, item: Mapping[str, Any], position: int, upload, skipped: list[str]) -> dict:
    status = "draft" if item.get("published") is False else "published"
    payload: dict[str, Any] = {"id": item["id"], "status": status, "roles": item.get("roles")}
    if name == "news":
        payload.update({k: to_rows(item.get(k)) for k in NEWS_TEXTS})
        payload["date"] = str(item["date"]) if item.get("date") else None
        payload["image"] = upload(item["image"]) if item.get("image") else None
        video = item.get("video")
        if isinstance(video, Mapping):
            payload["video"] = upload(video["src"]) if video.get("src") else None
            payload["video_poster"] = upload(video["poster"]) if video.get("poster") else None
        elif isinstance(video, str):
            payload["video"] = upload(video)
        known: tuple[str, ...] = ("id", "published", "roles", "date", "image", "video", *NEWS_TEXTS)
    elif name == "faq":
        payload.update({k: to_rows(item.get(k)) for k in FAQ_TEXTS}, sort=position)
        known = ("id", "published", "roles", *FAQ_TEXTS)
    else:
        payload.update({k: to_rows(item.get(k)) for k in PAGE_TEXTS}, sort=position)
        payload["document"] = upload(item["document"]) if item.get("document") else None
        known = ("id", "published", "roles", "document", *PAGE_TEXTS)
    skipped += [f"content.{name}.{item['id']}.{k}" for k in item if k not in known]
    return _clean(payload)
