"""Lists shown a page at a time: which page a request asks for, the items of that page, and the
plan of which data calls the billing pages itself.

A ``list`` or ``table`` section shows ``page_size`` items, the page named by its ``page_param`` in
the query (``?page=3``), after its search (``search_in``, ``search_param``) has narrowed them. The
engine pages in memory, unless the screen's plan (``billing_plan``, worked out once per compiled
screen) says the billing may do it: the section's ``items`` is exactly one data name, that data is
a pageable operation, and nothing else on the screen reads it. Then the call carries ``limit``,
``offset`` (and ``search``) and the billing answers one page (``records.Page``); a billing that
answers a plain list has given everything, and the engine pages that itself. No Flask here.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, fields, is_dataclass
from functools import partial
from typing import Any, Iterator, Mapping

from ..billing.records import Page
from ..kinds.listing import Listing
from ..schema.expressions import Expr, Text
from ..schema.model import ActionSpec, ScreenSpec, SectionSpec
from .calls import Outcome, Window

#: the form field that says which page an item's button was on, and the search that narrowed it
#: (they only point: the server reads that page again and looks for the item on it)
PAGE_FIELD, SEARCH_FIELD = "_page", "_search"
# a page number of a sensible size: a request cannot make the billing skip a billion rows
_PAGE_NUMBER = re.compile(r"\s*\+?(\d{1,7})\s*")
#: a longer search term is not sent to the billing (the engine searches the whole list itself)
MAX_BILLING_SEARCH = 200


def listing_of(spec: SectionSpec) -> Listing | None:
    """The section's listing (its kind's), or None when its items are shown all at once."""
    return spec.kind.listing(spec) if spec.items is not None else None


def requested_page(raw: Any) -> int:
    """The page a query or a form names: a missing, non-numeric, zero or negative value is page 1."""
    match = _PAGE_NUMBER.fullmatch(str(raw)) if raw is not None else None
    return max(1, int(match.group(1))) if match else 1


def searched(items: list, keys: tuple[str, ...] | list[str], term: str) -> list:
    """The items one of whose ``keys`` contains ``term``, ignoring case (all of them without a term)."""
    folded = term.strip().casefold()
    if not keys or not folded:
        return items
    return [item for item in items if isinstance(item, Mapping)
            and any(folded in str(item.get(key, "")).casefold() for key in keys)]


@dataclass(frozen=True)
class ListPage:
    """One page of a section's items and where it lies in the whole list."""

    items: list
    page: int
    page_size: int
    total: int | None               # items in the whole (searched) list, when known
    page_count: int | None          # when the total is known
    has_next: bool
    past_end: bool = False          # the page asked for lies after the last one: no items

    @property
    def has_previous(self) -> bool:
        return self.page > 1 and not self.past_end


def billed_page(outcome: Outcome | None, listing: Listing, page: int, term: str) -> Page | None:
    """The Page the billing answered for exactly this page, or None when the engine pages itself
    (no window was asked for, another one was, or the binding answered a plain list: everything)."""
    if outcome is None or outcome.window is None or not isinstance(outcome.record, Page):
        return None
    return outcome.record if outcome.window == window_at(listing, page, term) else None


def page_of(listing: Listing, items: list, page: int, term: str, billed: Page | None = None) -> ListPage:
    """Page ``page`` of ``items``: the billing's own page when ``billed`` (``items`` are then its
    rows), otherwise searched and cut out here. A page past the end is empty (``past_end``)."""
    size = listing.page_size
    if billed is not None:
        rows = items[:size]             # a billing that sent more than asked for shows no more
        total = billed.total if isinstance(billed.total, int) and billed.total >= 0 else None
        offset = (page - 1) * size
        if total is not None:
            has_next = offset + len(rows) < total
        elif billed.has_more is not None:
            has_next = bool(billed.has_more)
        else:
            has_next = len(rows) >= size
        count = max(1, -(-total // size)) if total is not None else None
        return ListPage(rows, page, size, total, count, has_next and bool(rows), past_end=page > 1 and not rows)
    rows = searched(items, listing.search_keys, term)
    total = len(rows)
    count = max(1, -(-total // size))
    if page > count:
        return ListPage([], page, size, total, count, has_next=False, past_end=True)
    start = (page - 1) * size
    return ListPage(rows[start:start + size], page, size, total, count, has_next=page < count)


def window_at(listing: Listing, page: int, term: str) -> Window:
    return Window(offset=(page - 1) * listing.page_size, limit=listing.page_size, search=term)


def window_for(listing: Listing, supported: frozenset[str], page: int, term: str) -> Window | None:
    """The window to ask the billing for, or None when it cannot give this page: the binding takes
    no limit and offset, or there is a search term it cannot apply (then it gives everything and
    the engine searches and pages)."""
    if not {"limit", "offset"} <= supported:
        return None
    if term and ("search" not in supported or len(term) > MAX_BILLING_SEARCH):
        return None
    return window_at(listing, page, term)


def pointing_values(shown: ListPage, term: str) -> dict[str, str]:
    """What an item's button carries to name the page it was on (page 1 without a search: nothing)."""
    values = {}
    if shown.page > 1:
        values[PAGE_FIELD] = str(shown.page)
    if term:
        values[SEARCH_FIELD] = term
    return values


# --- the plan: which data calls the billing pages ------------------------------------------------
@dataclass(frozen=True)
class PagedCall:
    """A data call the billing may page: one list section is the only thing on its screen that
    reads it, so the rest of the list is never needed."""

    name: str                       # the data name
    section_id: str
    listing: Listing


# no lock: two requests working out the same plan at once get equal plans, and a weakref callback
# (run by the garbage collector at any point) must never wait for one
_PLANS: dict[int, tuple[weakref.ref, Mapping[str, PagedCall]]] = {}


def billing_plan(screen: ScreenSpec, actions: Mapping[str, ActionSpec]) -> Mapping[str, PagedCall]:
    """Data name -> how the billing may page it, for one compiled screen (``actions``: the
    cabinet's, whose texts and rules read the screens offering them). Worked out once per
    compiled screen: a compiled screen never changes, and a new cabinet brings new ones."""
    key = id(screen)
    found = _PLANS.get(key)
    if found is not None and found[0]() is screen:
        return found[1]
    plan = _plan(screen, actions)
    # the entry goes with the screen (an old cabinet's screens are let go after a reload)
    _PLANS[key] = (weakref.ref(screen, partial(_forget, key)), plan)
    return plan


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _PLANS.get(key)
    if entry is not None and entry[0] is ref:
        _PLANS.pop(key, None)


def _plan(screen: ScreenSpec, actions: Mapping[str, ActionSpec]) -> Mapping[str, PagedCall]:
    reads = list(_reads(screen, actions))
    plan: dict[str, PagedCall] = {}
    for section in _walk(screen.sections):
        listing = listing_of(section)
        items = section.items
        if listing is None or items is None or items.path is None or len(items.path) != 1:
            continue
        name = items.path[0]
        call = screen.data.get(name)
        if (call is None or call.operation is None or call.handler is not None or call.content is not None
                or not call.operation.pageable):
            continue
        if any(name in roots for reader, roots in reads if reader != ("items", id(section))):
            continue                # read elsewhere (a total, a title, another list): it needs every item
        plan[name] = PagedCall(name, section.id, listing)
    return plan


def _walk(sections: tuple[SectionSpec, ...]) -> Iterator[SectionSpec]:
    for section in sections:
        yield section
        yield from _walk(section.children)


def _reads(screen: ScreenSpec, actions: Mapping[str, ActionSpec]) -> Iterator[tuple[tuple[str, int], frozenset[str]]]:
    """(reader, names it reads) for everything on the screen that reads the screen's data: a list
    section's ``items`` is a reader of its own (the one a paged call may have), the rest of a section
    is one reader (readers are named by kind and object identity: equal expressions are shared
    objects). Expressions evaluated on an item (item fields, item links, item buttons' values)
    read the item, not the screen, and are left out; anything else is counted, to be safe."""
    yield ("title", id(screen)), _roots_in(screen.title)
    for call in screen.data.values():
        yield ("data", id(call)), _roots_in((call.params, call.item_id))
    for section in _walk(screen.sections):
        if section.items is not None:
            yield ("items", id(section)), section.items.roots
        on_items = section.items is not None
        parts: list[Any] = [section.title, section.visible_if, section.options, section.inputs]
        for spec in section.fields:
            parts += [spec.label, spec.options]
            if not on_items:
                parts += [spec.value, spec.visible_if]
        if section.link is not None and not on_items:
            parts.append(section.link.params)
        offered = [*section.actions, *(a.action for a in section.item_actions),
                   *([section.submit] if section.submit else [])]
        parts += [actions[action_id] for action_id in offered if action_id in actions]
        yield ("section", id(section)), _roots_in(parts)


def _roots_in(value: Any) -> frozenset[str]:
    """Every name the expressions and texts inside ``value`` read (specs, mappings, sequences)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, (Expr, Text)):
            found |= current.roots
        elif isinstance(current, Mapping):
            stack.extend(current.values())
        elif isinstance(current, (list, tuple)):
            stack.extend(current)
        elif is_dataclass(current) and not isinstance(current, type):
            # a kind instance is not a spec and reads nothing of the screen
            stack.extend(getattr(current, f.name) for f in fields(current) if f.name != "kind")
    return frozenset(found)
