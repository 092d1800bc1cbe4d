"""Which of a screen's data the billing may give a page at a time: a list's ``items`` that is
exactly one data name of the screen, a pageable billing operation, read by nothing else on the
screen (a total, a title, a rule, another section, an action the screen offers). Then only that
list needs the data, and only the page it shows; anything else needs every item."""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any, Iterator, Mapping

from ...kinds.listing import Listing
from ..expressions import Expr, Text
from ..model import ActionSpec, DataCall, SectionSpec


def billed_lists(title: Text, data: Mapping[str, DataCall], sections: tuple[SectionSpec, ...],
                 actions: Mapping[str, ActionSpec]) -> dict[str, Listing]:
    """Data name -> the listing of the one list that reads it, where the billing may page it."""
    reads = list(_reads(title, data, sections, actions))
    paged: dict[str, Listing] = {}
    for section in _walk(sections):
        items = section.items
        listing = section.kind.listing(section) if items is not None else None
        if listing is None or items is None or items.path is None or len(items.path) != 1:
            continue
        name = items.path[0]
        call = data.get(name)
        if call is None or call.operation is None or call.handler is not None or not call.operation.pageable:
            continue
        if any(name in roots for reader, roots in reads if reader != ("items", id(section))):
            continue                # read elsewhere (a total, a title, another list): it needs every item
        paged[name] = listing
    return paged


def _walk(sections: tuple[SectionSpec, ...]) -> Iterator[SectionSpec]:
    for section in sections:
        yield section
        yield from _walk(section.children)


def _reads(title: Text, data: Mapping[str, DataCall], sections: tuple[SectionSpec, ...],
           actions: Mapping[str, ActionSpec]) -> Iterator[tuple[tuple[str, int], frozenset[str]]]:
    """(reader, names it reads) for everything on the screen that reads the screen's data: a list
    section's ``items`` is a reader of its own (the one a paged call may have), the rest of a section
    is one reader (readers are named by kind and object identity). Expressions evaluated on an item
    (item fields, item links, item buttons' values) read the item, not the screen, and are left
    out; anything else is counted, to be safe."""
    yield ("title", id(title)), _roots_in(title)
    for call in data.values():
        yield ("data", id(call)), _roots_in((call.params, call.item_id))
    for section in _walk(sections):
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
