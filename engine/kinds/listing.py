"""How a section shows its items a page at a time: a kind that lists items says so (``SectionKind.listing``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Listing:
    """A section's paging and search, read once from its options."""

    page_size: int
    page_param: str
    search_keys: tuple[str, ...] = ()
    search_param: str = "q"

    def term(self, query: Mapping[str, Any]) -> str:
        """The search term of this section in ``query`` ("" when the section does not search)."""
        if not self.search_keys:
            return ""
        value = query.get(self.search_param)
        return "" if value is None else str(value).strip()
