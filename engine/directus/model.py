"""The Directus data model of a cabinet, described once in code.

It is the source of the committed snapshot (``directus_extensions/snapshot.json``, made by
``cabinet directus snapshot``); provisioning applies that snapshot. Dropdowns of kinds, operations,
handlers and icons take their choices from the engine's registries here, so a test can tell when
the committed snapshot has fallen behind them.

Texts an operator translates are JSON lists of ``{"locale": "ru", "text": "..."}`` edited with a
repeater: one field per text for any number of languages, without Directus' translation junction
collections (the Core plan allows 25 collections; this model uses 14).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..billing.contract import OPERATIONS
from ..kinds.icons import ICONS
from ..schema.structure import INPUT_TYPES, ROLES, STYLES, InputSchema, keys_of

PREFIX = "cabinet_"
CURRENCIES = ("RUB", "USD", "EUR", "KZT", "BYN", "UZS", "AMD", "GEL", "KGS", "TJS", "AZN", "UAH")
LOCALES = ("ru", "en", "kk", "uz", "hy", "ka", "be", "uk", "de", "fr", "es", "tr")
#: collections the engine writes into (what subscribers submit), not part of the cabinet's design
SUBMITTED = ("cabinet_applications", "cabinet_support_requests")
#: an input's keys with their own place in the inputs editor; the rest go into its "more" JSON
INPUT_COLUMNS = ("name", "type", "label", "required", "default")


def theme_icons() -> list[str]:
    """The icon names a cabinet may use (engine/kinds/icons.py), in the vocabulary's order."""
    return list(ICONS)


@dataclass
class Collection:
    name: str
    note: str
    icon: str
    fields: list[dict] = field(default_factory=list)
    singleton: bool = False
    sort_field: str | None = None
    display_template: str | None = None
    archive: bool = False                   # has a status field with draft/published
    primary: dict | None = None

    def payload(self) -> dict:
        meta = {"note": self.note, "icon": self.icon, "singleton": self.singleton,
                "sort_field": self.sort_field, "display_template": self.display_template,
                "accountability": "all"}
        if self.archive:
            meta.update(archive_field="status", archive_value="archived", unarchive_value="draft",
                        archive_app_filter=True)
        return {"collection": self.name, "meta": meta, "schema": {}, "fields": [self.primary or _auto_id()]}


@dataclass
class Relation:
    collection: str
    field: str
    related_collection: str
    one_field: str | None = None
    sort_field: str | None = None
    junction_field: str | None = None
    on_delete: str = "SET NULL"

    def payload(self) -> dict:
        return {"collection": self.collection, "field": self.field, "related_collection": self.related_collection,
                "meta": {"one_field": self.one_field, "sort_field": self.sort_field,
                         "junction_field": self.junction_field, "one_deselect_action": "nullify"},
                "schema": {"on_delete": self.on_delete}}


@dataclass
class Model:
    collections: list[Collection]
    relations: list[Relation]
    aliases: list[tuple[str, dict]]          # (collection, field) added after the relations


# --- field constructors --------------------------------------------------------------------------
def _meta(note: str, interface: str, width: str = "full", **extra) -> dict:
    return {"note": note, "interface": interface, "width": width, **extra}


def _auto_id() -> dict:
    return {"field": "id", "type": "integer", "meta": {"hidden": True, "readonly": True, "interface": "input"},
            "schema": {"is_primary_key": True, "has_auto_increment": True}}


def _key_id(note: str) -> dict:
    return {"field": "id", "type": "string",
            "meta": _meta(note, "input", "half", required=True, options={"slug": True, "font": "monospace"},
                          validation={"_and": [{"id": {"_regex": "^[a-z][a-z0-9_\\-]*$"}}]},
                          validation_message="lowercase letters, digits, _ and - (e.g. top_up)"),
            "schema": {"is_primary_key": True, "max_length": 64}}


def string(name: str, note: str, width: str = "full", required: bool = False, monospace: bool = False,
           placeholder: str = "", length: int = 255) -> dict:
    options = {"font": "monospace"} if monospace else {}
    if placeholder:
        options["placeholder"] = placeholder
    return {"field": name, "type": "string", "meta": _meta(note, "input", width, required=required,
                                                             options=options or None),
            "schema": {"max_length": length}}


def expression(name: str, note: str, width: str = "full") -> dict:
    """A JMESPath expression over the screen's data (``account.balance``)."""
    return string(name, note + " (a JMESPath expression over the screen's data, e.g. account.balance)",
                  width, monospace=True, length=1000)


def text(name: str, note: str) -> dict:
    return {"field": name, "type": "text", "meta": _meta(note, "input-multiline")}


def number(name: str, note: str, kind: str = "integer", width: str = "half", **options) -> dict:
    return {"field": name, "type": kind, "meta": _meta(note, "input", width, options=options or None),
            "schema": {"numeric_precision": 14, "numeric_scale": 2} if kind == "decimal" else {}}


def boolean(name: str, note: str, default: bool = False) -> dict:
    return {"field": name, "type": "boolean", "meta": _meta(note, "boolean", "half", special=["cast-boolean"]),
            "schema": {"default_value": default}}


def dropdown(name: str, note: str, choices: Iterable[str], width: str = "half", required: bool = False,
             allow_other: bool = False) -> dict:
    return {"field": name, "type": "string",
            "meta": _meta(note, "select-dropdown", width, required=required,
                          options={"choices": [{"text": c, "value": c} for c in choices], "allowOther": allow_other,
                                   "allowNone": not required}),
            "schema": {"max_length": 64}}


def checkboxes(name: str, note: str, choices: Iterable[str]) -> dict:
    return {"field": name, "type": "json",
            "meta": _meta(note, "select-multiple-checkbox", "full", special=["cast-json"],
                          options={"choices": [{"text": c, "value": c} for c in choices]})}


def translated(name: str, note: str, markdown: bool = False, required: bool = False) -> dict:
    """A text in every language of the cabinet: a list of {locale, text}."""
    text_meta = {"interface": "input-rich-text-md" if markdown else "input-multiline", "width": "full"}
    return {"field": name, "type": "json",
            "meta": _meta(note + " — one row per language", "list", required=required, special=["cast-json"],
                          options={"template": "{{locale}}: {{text}}", "addLabel": "Add a language",
                                   "fields": [
                                       {"field": "locale", "name": "Language", "type": "string",
                                        "meta": {"interface": "select-dropdown", "width": "half", "required": True,
                                                 "options": {"choices": [{"text": c, "value": c} for c in LOCALES],
                                                             "allowOther": True}}},
                                       {"field": "text", "name": "Text", "type": "text", "meta": text_meta}]})}


def pairs(name: str, note: str, value_note: str) -> dict:
    """A name -> expression mapping as a list of {name, value}."""
    return {"field": name, "type": "json",
            "meta": _meta(note, "list", special=["cast-json"], options={
                "template": "{{name}} = {{value}}", "addLabel": "Add",
                "fields": [{"field": "name", "name": "Name", "type": "string",
                            "meta": {"interface": "input", "width": "half", "required": True}},
                           {"field": "value", "name": "Value", "type": "string",
                            "meta": {"interface": "input", "width": "half", "note": value_note,
                                     "options": {"font": "monospace"}}}]})}


def raw_json(name: str, note: str) -> dict:
    return {"field": name, "type": "json",
            "meta": _meta(note, "input-code", special=["cast-json"], options={"language": "JSON", "lineNumber": False})}


def m2o(name: str, note: str, related: str, template: str, width: str = "half", key_type: str = "string") -> dict:
    schema = {"max_length": 64} if key_type == "string" else {}
    return {"field": name, "type": key_type,
            "meta": _meta(note, "select-dropdown-m2o", width, special=["m2o"], options={"template": template}),
            "schema": schema}


def file(name: str, note: str, image: bool = True) -> dict:
    return {"field": name, "type": "uuid",
            "meta": _meta(note, "file-image" if image else "file", "half", special=["file"])}


def status() -> dict:
    choices = [{"text": "Published", "value": "published", "color": "#2ECDA7"},
               {"text": "Draft", "value": "draft", "color": "#A2B5CD"},
               {"text": "Archived", "value": "archived", "color": "#6B7280"}]
    return {"field": "status", "type": "string",
            "meta": _meta("Drafts are seen only in the preview, never by subscribers", "select-dropdown", "half",
                          required=True, options={"choices": choices}, display="labels",
                          display_options={"showAsDot": True, "choices": choices}),
            "schema": {"default_value": "draft", "max_length": 20, "is_nullable": False}}


def sort() -> dict:
    return {"field": "sort", "type": "integer", "meta": {"hidden": True, "interface": "input"}}


def o2m_alias(name: str, note: str, template: str) -> dict:
    return {"field": name, "type": "alias",
            "meta": _meta(note, "list-o2m", special=["o2m"], options={"template": template, "enableLink": True})}


def m2m_alias(name: str, note: str, template: str) -> dict:
    return {"field": name, "type": "alias",
            "meta": _meta(note, "list-m2m", special=["m2m"], options={"template": template, "enableLink": False})}


def readonly(spec: dict) -> dict:
    spec["meta"]["readonly"] = True
    return spec


# --- the model -----------------------------------------------------------------------------------
def cabinet_model(field_kinds: Iterable[str], section_kinds: Iterable[str], handlers: Iterable[str],
                  icons: Iterable[str] | None = None) -> Model:
    icons = list(icons if icons is not None else theme_icons())
    operations = sorted(OPERATIONS)
    handlers = sorted(handlers)
    c = PREFIX
    screen_ref = "{{id}}"

    settings = Collection(c + "settings", "The operator: name, currency, languages, contacts, payment limits",
                          "tune", singleton=True, fields=[
        translated("operator_name", "The operator's name as subscribers see it", required=True),
        dropdown("currency", "Currency of every amount (ISO 4217)", CURRENCIES, required=True, allow_other=True),
        string("timezone", "IANA time zone, e.g. Europe/Moscow", "half", placeholder="Europe/Moscow"),
        checkboxes("locales", "Languages of the cabinet; the first is the default", LOCALES),
        string("support_email", "Support requests are e-mailed here", "half"),
        string("sales_email", "Applications to become a client are e-mailed here", "half"),
        string("support_phone", "Shown on the support screen", "half"),
        m2o("support_screen", "Linked from the sign-in page as “Написать в поддержку”", c + "screens", screen_ref),
        m2o("join_screen", "Linked from the sign-in page as “Стать клиентом”", c + "screens", screen_ref),
        number("top_up_min", "Smallest card top-up", "decimal"),
        number("top_up_max", "Largest card top-up", "decimal"),
    ])
    branding = Collection(c + "branding", "Logo, colours, font and corner radius of the cabinet", "palette",
                          singleton=True, fields=[
        file("logo", "The logo in the header (SVG or PNG)"),
        *[{"field": f"color_{name}", "type": "string",
           "meta": _meta(note, "select-color", "half"), "schema": {"max_length": 9}}
          for name, note in (("primary", "Buttons and links"), ("on_primary", "Text on primary buttons"),
                             ("bg", "Page background"), ("surface", "Cards"), ("text", "Text"),
                             ("muted", "Secondary text"))],
        string("font", "A font family name, e.g. Inter", "half"),
        {"field": "radius", "type": "integer", "meta": _meta("Corner radius of cards and buttons, px", "slider", "half",
                                                            options={"minValue": 0, "maxValue": 32, "stepInterval": 1})},
    ])
    screens = Collection(c + "screens", "Screens of the cabinet: route, title, who sees them, data and sections",
                         "web", sort_field="sort", display_template="{{id}} {{route}}", archive=True,
                         primary=_key_id("Stable id of the screen (used in links and navigation)"), fields=[
        status(), sort(),
        string("route", "Address in the cabinet, e.g. /payment or /services/<service_id>", "half", required=True,
               monospace=True),
        translated("title", "Title of the screen", required=True),
        checkboxes("roles", "Who sees the screen (guest = without signing in)", ROLES),
        m2o("parent", "The screen “Назад” leads to", c + "screens", screen_ref),
        boolean("required", "When the billing lacks an operation its data needs: on, the cabinet is refused; "
                            "off, this screen is hidden"),
        {"field": "data", "type": "json", "meta": _meta(
            "Data the screen reads: a billing operation, an engine handler or a content collection, by name",
            "list", special=["cast-json"], options={"template": "{{name}}: {{op}}{{handler}}{{content}}",
                                                    "addLabel": "Add data", "fields": [
                {"field": "name", "name": "Name", "type": "string",
                 "meta": {"interface": "input", "width": "half", "required": True,
                          "note": "how sections refer to it, e.g. account"}},
                {"field": "op", "name": "Billing operation", "type": "string",
                 "meta": {"interface": "select-dropdown", "width": "half",
                          # allowOther: a binding's own declared operations are not in the contract's list
                          "options": {"choices": [{"text": o, "value": o} for o in operations], "allowNone": True,
                                      "allowOther": True}}},
                {"field": "handler", "name": "Engine handler", "type": "string",
                 "meta": {"interface": "select-dropdown", "width": "half",
                          "options": {"choices": [{"text": h, "value": h} for h in handlers], "allowNone": True}}},
                {"field": "content", "name": "Content collection", "type": "string",
                 "meta": {"interface": "select-dropdown", "width": "half",
                          "options": {"choices": [{"text": n, "value": n} for n in ("news", "faq", "pages")],
                                      "allowNone": True}}},
                {"field": "id", "name": "Content item", "type": "string",
                 "meta": {"interface": "input", "width": "half", "options": {"font": "monospace"},
                          "note": "with a content collection: an expression naming one item"}},
                {"field": "params", "name": "Parameters", "type": "json",
                 "meta": {"interface": "input-code", "width": "full", "options": {"language": "JSON"},
                          "note": "name → expression, e.g. {\"date_from\": \"query.date_from\"}"}},
                {"field": "optional", "name": "Optional", "type": "boolean",
                 "meta": {"interface": "boolean", "width": "half", "note": "a failure leaves it empty"}},
                {"field": "timeout", "name": "Timeout, s", "type": "float",
                 "meta": {"interface": "input", "width": "half"}},
            ]})},
        o2m_alias("sections", "Sections of the screen, top to bottom (drag to reorder)",
                  "{{type}} {{key}}"),
    ])
    sections = Collection(c + "sections", "Sections of screens, and shared sections other screens use",
                          "view_agenda", sort_field="sort", display_template="{{type}} {{key}}", fields=[
        sort(),
        m2o("screen", "The screen it is on (empty for a shared section)", c + "screens", screen_ref),
        m2o("parent", "The tabs or group it is inside", c + "sections", "{{type}} {{key}}", key_type="integer"),
        string("key", "Stable id of the section", "half", monospace=True, length=64),
        string("shared_key", "Makes it a shared section other screens use by this name", "half", monospace=True,
               length=64),
        string("use", "Use the shared section of this name; filled fields here override its own", "half",
               monospace=True, length=64),
        dropdown("type", "Kind of section", sorted(section_kinds)),
        translated("title", "Heading of the section"),
        expression("visible_if", "Shown only when this is true"),
        translated("body", "Text of a content section (Markdown)", markdown=True),
        translated("text", "Text of a notice or an empty state"),
        translated("intro", "A line above a form's inputs"),
        expression("items", "The list a list or table shows"),
        m2o("link_screen", "Each list item links to this screen", c + "screens", screen_ref),
        pairs("link_params", "Parameters of the item link", "expression over item, e.g. item.id"),
        m2m_alias("actions", "Buttons of the section (drag to reorder)", "{{action_id}}"),
        {"field": "item_actions", "type": "json", "meta": _meta(
            "Buttons on each list item: an action and its form values taken from the item", "list",
            special=["cast-json"], options={"template": "{{action}}", "fields": [
                {"field": "action", "name": "Action", "type": "string",
                 "meta": {"interface": "input", "width": "half", "required": True}},
                {"field": "visible_if", "name": "Shown when", "type": "string",
                 "meta": {"interface": "input", "width": "half", "options": {"font": "monospace"}}},
                {"field": "params", "name": "Form values", "type": "json",
                 "meta": {"interface": "input-code", "width": "full", "options": {"language": "JSON"}}}]})},
        {"field": "inputs", "type": "json", "meta": _meta(
            "Inputs of a form, top to bottom", "list", special=["cast-json"],
            options={"template": "{{name}} ({{type}})", "addLabel": "Add an input", "fields": [
                {"field": "name", "name": "Name", "type": "string",
                 "meta": {"interface": "input", "width": "half", "required": True}},
                {"field": "type", "name": "Type", "type": "string",
                 "meta": {"interface": "select-dropdown", "width": "half", "required": True,
                          "options": {"choices": [{"text": t, "value": t} for t in INPUT_TYPES]}}},
                {"field": "label", "name": "Label", "type": "json",
                 "meta": {"interface": "input-code", "width": "full", "options": {"language": "JSON"},
                          "note": "{\"ru\": \"...\", \"en\": \"...\"}"}},
                {"field": "required", "name": "Required", "type": "boolean",
                 "meta": {"interface": "boolean", "width": "half"}},
                {"field": "default", "name": "Default", "type": "string",
                 "meta": {"interface": "input", "width": "half", "options": {"font": "monospace"},
                          "note": "an expression"}},
                {"field": "more", "name": "More (" + ", ".join(k for k in keys_of(InputSchema())
                                                              if k not in INPUT_COLUMNS) + ")",
                 "type": "json",
                 "meta": {"interface": "input-code", "width": "full", "options": {"language": "JSON"}}}]})},
        m2o("submit", "The action the form submits", c + "actions", "{{id}}"),
        raw_json("options", "Other options of this kind of section (JSON), e.g. {\"tone\": \"warning\"}"),
        o2m_alias("fields", "Fields of the section, in order (drag to reorder)", "{{type}} {{key}}"),
        o2m_alias("sections", "Sections inside tabs or a group", "{{type}} {{key}}"),
    ])
    section_actions = Collection(c + "section_actions", "Which actions a section shows, in order", "link",
                                 sort_field="sort", fields=[
        sort(),
        m2o("section_id", "The section", c + "sections", "{{type}} {{key}}", key_type="integer"),
        m2o("action_id", "The action", c + "actions", "{{id}}"),
    ])
    fields_ = Collection(c + "fields", "Fields of sections: a label and a value from the screen's data",
                         "label", sort_field="sort", display_template="{{type}} {{key}}", fields=[
        sort(),
        m2o("section", "The section it is in", c + "sections", "{{type}} {{key}}", key_type="integer"),
        string("key", "Stable id of the field", "half", monospace=True, length=64),
        dropdown("type", "Kind of field", sorted(field_kinds), required=True),
        translated("label", "Label of the field"),
        expression("value", "Its value"),
        expression("visible_if", "Shown only when this is true"),
        raw_json("options", "Other options of this kind of field (JSON), e.g. {\"text\": {\"ru\": \"…\"}}"),
    ])
    actions = Collection(c + "actions", "Buttons: open a screen, run a billing operation or an engine handler",
                         "smart_button", sort_field="sort", display_template="{{id}}",
                         primary=_key_id("Stable id of the action"), fields=[
        sort(),
        translated("title", "Text of the button", required=True),
        dropdown("icon", "Icon of the button", icons),
        dropdown("style", "Look of the button", STYLES),
        m2o("screen", "Opens this screen …", c + "screens", screen_ref),
        dropdown("op", "… or runs this billing operation (or one the binding declares)", operations,
                 allow_other=True),
        dropdown("handler", "… or this engine handler", handlers),
        pairs("params", "Parameters of the operation", "an expression, e.g. form.amount"),
        expression("visible_if", "Shown only when this is true"),
        translated("confirm", "Asks this before running"),
        translated("confirm_label", "The confirming button, e.g. “Сменить”"),
        translated("success", "Said after it worked"),
        m2o("next", "Shows this screen after it worked", c + "screens", screen_ref),
        checkboxes("roles", "Only for these roles (empty: everyone who sees the screen)", ROLES),
        boolean("required", "When the billing lacks its operation: on, the cabinet is refused; off, this "
                            "button is hidden"),
    ])
    navigation = Collection(c + "navigation", "The bottom tab bar: screens in order", "menu",
                            sort_field="sort", display_template="{{screen}}", fields=[
        sort(),
        m2o("screen", "The screen the tab opens", c + "screens", screen_ref),
        dropdown("icon", "Icon of the tab", icons),
        translated("title", "Text of the tab (default: the screen's title)"),
    ])
    translations = Collection(c + "translations", "Your wording of the cabinet's own texts (buttons, messages)",
                              "translate", display_template="{{message}}", fields=[
        string("message", "The engine's text, in English, as in the catalogue (e.g. “Sign in”)", required=True,
               length=500),
        translated("translation", "Your text for it"),
    ])
    news = Collection(c + "news", "News with text, images and video", "newspaper", display_template="{{id}}",
                      archive=True, primary=_key_id("Stable id, used in the address (/news/<id>)"), fields=[
        status(),
        {"field": "date", "type": "date", "meta": _meta("Date of the news; newest first", "datetime", "half")},
        translated("title", "Headline", required=True),
        translated("summary", "A line for the list"),
        translated("body", "The article (Markdown)", markdown=True),
        file("image", "Picture"),
        translated("image_alt", "What the picture shows, for screen readers"),
        file("video", "Video (webm or mp4)", image=False),
        file("video_poster", "Picture shown before the video plays"),
        checkboxes("roles", "Who sees it (empty: everyone)", ROLES),
    ])
    faq = Collection(c + "faq", "Questions and answers", "quiz", sort_field="sort", display_template="{{id}}",
                     archive=True, primary=_key_id("Stable id"), fields=[
        status(), sort(),
        translated("question", "The question", required=True),
        translated("answer", "The answer (Markdown)", markdown=True, required=True),
        checkboxes("roles", "Who sees it (empty: everyone)", ROLES),
    ])
    pages = Collection(c + "pages", "Documents and pages: agreements, price lists, instructions", "description",
                       sort_field="sort", display_template="{{id}}", archive=True,
                       primary=_key_id("Stable id, used in the address"), fields=[
        status(), sort(),
        translated("title", "Title", required=True),
        translated("body", "Text (Markdown)", markdown=True),
        file("document", "A file to download (PDF …)", image=False),
        checkboxes("roles", "Who sees it (empty: everyone)", ROLES),
    ])
    applications = Collection(c + "applications", "Applications to become a client, sent from the cabinet",
                              "person_add", display_template="{{name}} {{phone}}", fields=[
        readonly({"field": "created_at", "type": "timestamp", "meta": _meta("When it was sent", "datetime", "half")}),
        readonly(string("name", "Name", "half")), readonly(string("phone", "Phone", "half")),
        readonly(string("email", "E-mail", "half")), readonly(text("address", "Address")),
        readonly(string("service", "Desired service", "half")), readonly(text("comment", "Comment")),
        dropdown("state", "Where it stands", ("new", "in_work", "connected", "refused")),
    ])
    support_requests = Collection(c + "support_requests", "Support requests sent from the cabinet", "support_agent",
                                  display_template="{{email}} {{account_number}}", fields=[
        readonly({"field": "created_at", "type": "timestamp", "meta": _meta("When it was sent", "datetime", "half")}),
        readonly(string("login", "Login (empty: sent without signing in)", "half")),
        readonly(string("account_number", "Personal account", "half")),
        readonly(string("email", "E-mail", "half")), readonly(string("phone", "Phone", "half")),
        readonly(text("message", "Message")),
        dropdown("state", "Where it stands", ("new", "answered", "closed")),
    ])

    relations = [
        Relation(c + "settings", "support_screen", c + "screens"),
        Relation(c + "settings", "join_screen", c + "screens"),
        Relation(c + "branding", "logo", "directus_files"),
        Relation(c + "screens", "parent", c + "screens"),
        Relation(c + "sections", "screen", c + "screens", one_field="sections", sort_field="sort", on_delete="CASCADE"),
        Relation(c + "sections", "parent", c + "sections", one_field="sections", sort_field="sort", on_delete="CASCADE"),
        Relation(c + "sections", "link_screen", c + "screens"),
        Relation(c + "sections", "submit", c + "actions"),
        Relation(c + "section_actions", "section_id", c + "sections", one_field="actions", sort_field="sort",
                 junction_field="action_id", on_delete="CASCADE"),
        Relation(c + "section_actions", "action_id", c + "actions", junction_field="section_id", on_delete="CASCADE"),
        Relation(c + "fields", "section", c + "sections", one_field="fields", sort_field="sort", on_delete="CASCADE"),
        Relation(c + "actions", "screen", c + "screens"),
        Relation(c + "actions", "next", c + "screens"),
        Relation(c + "navigation", "screen", c + "screens", on_delete="CASCADE"),
        Relation(c + "news", "image", "directus_files"),
        Relation(c + "news", "video", "directus_files"),
        Relation(c + "news", "video_poster", "directus_files"),
        Relation(c + "pages", "document", "directus_files"),
    ]
    collections = [settings, branding, screens, sections, section_actions, fields_, actions, navigation,
                   translations, news, faq, pages, applications, support_requests]
    aliases = [(col.name, spec) for col in collections for spec in col.fields if spec["type"] == "alias"]
    for col in collections:
        col.fields = [spec for spec in col.fields if spec["type"] != "alias"]
    return Model(collections, relations, aliases)
