"""A loaded schema document: plain data plus where each node came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Location, Path, SchemaIssue


@dataclass
class Document:
    data: Any
    locations: dict[Path, Location] = field(default_factory=dict)

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
        n = len(other_root)
        for path, location in list(other.locations.items()):
            if path[:n] == other_root:
                self.locations.setdefault(at + path[n:], location)
