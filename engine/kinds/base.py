"""Base classes of field kinds and section kinds.

A kind is one small class: its ``name`` (the ``type`` an operator writes in a schema), a
marshmallow ``options`` schema, the ``template`` that renders it, and a preview (so the live
preview and the tests can render every kind without a billing). Adding a kind is one module with
one class and one template; ``engine.kinds`` picks it up. A plugin kind ships its template in its
own package (``templates``).
"""
from __future__ import annotations

from typing import Any, ClassVar, Iterable, Mapping

from marshmallow import Schema, fields

from ..jsonable import jsonable
from .listing import Listing


class LocalizedText(fields.Raw):
    """An operator text: one string per locale (``{ru: ..., en: ...}``), or a plain string for a
    one-locale cabinet. May contain a sandboxed Jinja2 template (``{{ account.number }}``).

    The schema compiler turns values of such option fields into compiled texts and checks that
    every declared locale has a translation.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping) and value and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return dict(value)
        raise self.make_error("invalid")

    # marshmallow formats these with str.format: literal braces are doubled
    default_error_messages = {"invalid": "must be a text or a mapping of locale to text, e.g. {{ru: Баланс, en: Balance}}; "
                                         "quote values YAML reads as other types (\"Yes\", \"On\", \"2024\")"}


#: a problem a kind finds in its section: (path below the section, message)
Problem = tuple[tuple[str | int, ...], str]


class NoOptions(Schema):
    """Options schema of kinds that take none."""


class Presented(dict):
    """What a field kind hands to its template: ``display`` (text for people) plus extra keys
    (``tone`` of a badge, ``href`` of a link, ``src`` of an image ...)."""


class FieldKind:
    """One kind of value shown to a person: money, date, status badge ..."""

    name: ClassVar[str]
    options: ClassVar[type[Schema]] = NoOptions
    #: template path inside the theme; defaults to ``fields/<name>.html``
    template: ClassVar[str] = ""
    #: a folder of templates shipped with the kind (a plugin's own ``fields/<name>.html``); the
    #: themes are looked in first, so an operator's theme can still draw the kind its own way
    templates: ClassVar[str | None] = None
    #: a value the kind renders in previews and tests
    preview_value: ClassVar[Any] = None
    #: options used with the preview value
    preview_options: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("template") and "name" in cls.__dict__:
            cls.template = f"fields/{cls.name}.html"

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        """Format ``value`` for people. ``fmt`` is an ``engine.kinds.formatting.Formatter``.
        Must not raise on odd input from a billing: show it as text instead."""
        return Presented(display="" if value is None else str(value))

    def json_value(self, value: Any, options: Mapping[str, Any]) -> Any:
        """The value for the JSON API (native apps format it themselves)."""
        return jsonable(value)


class SectionKind:
    """One kind of block on a screen: balance card, list, table, form ..."""

    name: ClassVar[str]
    options: ClassVar[type[Schema]] = NoOptions
    template: ClassVar[str] = ""
    #: a folder of templates shipped with the kind, as for a field kind
    templates: ClassVar[str | None] = None
    #: the section iterates an ``items`` expression; its fields are evaluated per item
    has_items: ClassVar[bool] = False
    #: the section holds child sections (tabs, groups)
    has_children: ClassVar[bool] = False
    #: the section holds form inputs and submits an action
    has_form: ClassVar[bool] = False
    #: a section node as an operator writes it in YAML (without ``type``), for previews and tests
    preview_section: ClassVar[dict[str, Any]] = {}
    #: the screen data the preview section reads (data name -> value)
    preview_data: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("template") and "name" in cls.__dict__:
            cls.template = f"sections/{cls.name}.html"

    # --- hooks: what the generic compiler, page builder and form check ask a kind -------------------
    # ``section`` is the compiled section (engine.schema.model.SectionSpec).

    def check(self, section: Any, node: Mapping[str, Any]) -> Iterable[Problem]:
        """Problems only this kind can see in a compiled ``section`` (``node`` is the section as
        written, checked by the structure), reported at their place. The generic compiler has
        checked what every section has; a kind checks its options together."""
        return ()

    def query_names(self, section: Any) -> Mapping[str, str]:
        """The query parameters of the address the section reads, each with what for: "page" (one
        list's page: no other section may read it), "search" or "input"."""
        return {}

    def listing(self, section: Any) -> Listing | None:
        """How the section shows its items a page at a time; None shows them all."""
        return None

    def posts_to(self, section: Any) -> str | None:
        """The action the section's form posts to (its ``submit``), if it posts one."""
        return section.submit if self.has_form else None

    def build(self, section: Any, view: Any, page: Any) -> None:
        """Fill ``view`` (an ``engine.assembly.views.SectionView``) with what this kind shows, for one
        request. ``page`` is the request's ``PageBuilder``: it draws items (a page of them when
        the kind lists), fields and forms; the title, actions and child sections are drawn for
        every kind before this is called."""
        if section.items is not None:
            view.items, view.pager = page.items(section)
        else:
            view.fields = page.fields(section)
        if self.posts_to(section):
            view.form = page.form(section)
