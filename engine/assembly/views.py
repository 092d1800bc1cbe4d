"""The page model: what a screen shows, independent of HTML or JSON.

Theme templates render it to HTML and ``engine.web.api`` serialises it to JSON, so both always
show the same thing. Texts here are final (translated, formatted); raw values ride along for JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldView:
    kind: str
    key: str
    label: str
    value: Any                      # the value for the JSON API (the kind's json_value)
    display: str                    # text (or sanitized Markup) for people
    template: str
    attrs: dict[str, Any] = field(default_factory=dict)   # tone, href, src ... from the kind
    source: str | None = None       # in a preview: the CMS item it comes from ("cabinet_fields:12")


@dataclass
class ActionView:
    id: str
    title: str
    method: str                     # "get": a link to ``url``; "post": a form posting to ``url``
    url: str
    style: str = "secondary"        # primary | secondary | danger | link
    icon: str = ""
    confirm: str = ""               # non-empty when a confirmation step follows the button
    hidden: dict[str, str] = field(default_factory=dict)   # form fields of a POST action
    disabled_reason: str = ""       # shown instead of acting when the action is not allowed now


@dataclass
class ItemView:
    fields: list[FieldView]
    url: str | None = None          # where tapping the item leads
    title: str = ""
    actions: list["ActionView"] = field(default_factory=list)   # buttons of this item ("Выбрать")


@dataclass
class InputView:
    name: str
    label: str
    type: str                       # text | number | date | select | textarea | email | tel | checkbox
    value: Any = ""
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)    # (value, label)
    min: Any = None
    max: Any = None
    step: Any = None
    help: str = ""
    error: str = ""                 # why the server refused the submitted value
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None


@dataclass
class FormView:
    url: str
    inputs: list[InputView]
    submit: str
    hidden: dict[str, str] = field(default_factory=dict)
    method: str = "post"
    error: str = ""                 # why the server refused the form as a whole


@dataclass
class PagerView:
    """Where a page of a list section lies in the whole list, and the links to its neighbours
    (they keep the rest of the address: the search term, the period ...)."""

    page: int
    page_size: int
    param: str                      # the query parameter naming the page (?page=2)
    label: str                      # "Page 2 of 7", or "Page 2" when the billing did not say how many
    page_count: int | None = None   # when the total is known
    total: int | None = None        # items in the whole (searched) list, when known
    previous_url: str | None = None
    next_url: str | None = None
    past_end: bool = False          # the page asked for lies after the last one (it shows no items)
    back_url: str | None = None     # past the end: the last page (the first when the count is unknown)


@dataclass
class SectionView:
    id: str
    kind: str
    template: str
    title: str = ""
    state: str = "ok"               # ok | degraded
    message: str = ""               # plain-language text when degraded
    fields: list[FieldView] = field(default_factory=list)
    items: list[ItemView] = field(default_factory=list)
    actions: list[ActionView] = field(default_factory=list)
    children: list["SectionView"] = field(default_factory=list)
    form: FormView | None = None
    source: str | None = None       # in a preview: the CMS item it comes from ("cabinet_sections:28")
    options: dict[str, Any] = field(default_factory=dict)   # compiled, with operator texts rendered
    pager: PagerView | None = None  # a list or table section: which page of its items it shows


@dataclass
class NavItemView:
    screen_id: str
    title: str
    url: str
    icon: str
    active: bool


@dataclass
class AccountChoice:
    id: str
    number: str
    selected: bool


@dataclass
class PageView:
    screen_id: str
    title: str
    sections: list[SectionView]
    navigation: list[NavItemView] = field(default_factory=list)
    accounts: list[AccountChoice] = field(default_factory=list)
    back_url: str | None = None
    flash: list[tuple[str, str]] = field(default_factory=list)   # (category, text)
    source: str | None = None       # in a preview: the CMS item of the screen ("cabinet_screens:home")
