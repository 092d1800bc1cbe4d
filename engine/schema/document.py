"""A loaded schema document: plain data plus where each node came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location, Path, SchemaIssue


@dataclass
class Document:
    data: Any
    locations: dict[Path, Location] = field(default_factory=dict)
    _under: dict[Path, list] = field(default_factory=dict, repr=False, compare=False)

    def locate(self, path: Path) -> Location | None:
        """The location of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            location = self.locations.get(tuple(path[:end]))
            if location is not None:
                return location
        return None

    def issue(self, path: Path, message: str) -> SchemaIssue:
        return SchemaIssue(tuple(path), message, self.locate(path))

    def graft(self, at: Path, other: "Document", other_root: Path = ()) -> None:
        """Record ``other``'s locations under ``at`` (for includes and shared sections)."""
        for suffix, location in other.locations_under(other_root):
            self.locations.setdefault(at + suffix, location)

    def locations_under(self, root: Path) -> list[tuple[Path, Location]]:
        """(path below ``root``, location) of every node under ``root``. Kept once asked: a shared
        section is grafted at each of its uses, and scanning the whole document for each use made
        compiling quadratic in the number of uses. Grafts add locations under other paths only
        (screens), never under a root already asked for."""
        cached = self._under.get(root)
        if cached is None:
            n = len(root)
            cached = [(path[n:], location) for path, location in self.locations.items() if path[:n] == root]
            if root:                       # the whole document keeps growing: never cached
                self._under[root] = cached
        return cached
