"""Sections that hold other sections."""
from __future__ import annotations

from ..base import SectionKind
from .cards import KeyValueKind
from .lists import ListKind

_CHILDREN = [
    {"type": "list", **ListKind.preview_section},
    {"type": "key_value", **KeyValueKind.preview_section},
]
_CHILDREN_DATA = {**ListKind.preview_data, **KeyValueKind.preview_data}


class TabsKind(SectionKind):
    """A tab strip over the child sections; works without JavaScript (radio inputs + CSS)."""

    name = "tabs"
    has_children = True
    preview_section = {"sections": _CHILDREN}
    preview_data = _CHILDREN_DATA


class GroupKind(SectionKind):
    """Child sections stacked under an optional title."""

    name = "group"
    has_children = True
    preview_section = {"title": {"ru": "Мой кабинет", "en": "My cabinet"}, "sections": _CHILDREN}
    preview_data = _CHILDREN_DATA
