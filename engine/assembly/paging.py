"""Lists shown a page at a time: which page a request asks for, the items of that page, and the
plan of which data calls the billing pages itself.

A ``list`` or ``table`` section shows ``page_size`` items, the page named by its ``page_param`` in
the query (``?page=3``), after its search (``search_in``, ``search_param``) has narrowed them. The
engine pages in memory, unless the compiled screen says the billing may do it (``ScreenSpec.paged``,
engine/schema/compile/lists.py: the section's ``items`` is exactly one data name, that data is a
pageable operation, and nothing else on the screen reads it). Then the call carries ``limit``,
``offset`` (and ``search``) and the billing answers one page (``records.Page``); a billing that
answers a plain list has given everything, and the engine pages that itself. No Flask here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..billing.records import Page
from ..kinds.listing import Listing
from ..schema.model import SectionSpec
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


def items_outcome(spec: SectionSpec, outcomes: Mapping[str, Outcome]) -> Outcome | None:
    """The outcome of the data call that is a section's items, when they are exactly one data name
    (the only case the billing may have paged)."""
    path = spec.items.path if spec.items is not None else None
    return outcomes.get(path[0]) if path is not None and len(path) == 1 else None


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
