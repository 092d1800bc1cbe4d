"""Named registries for extension points (field kinds, section kinds, bindings, ...).

Each app builds its own registries (kept in ``app.extensions["cabinet"]``), so two apps in
one process never share mutable state. A duplicate name is a start-up error, never a silent
override: two plugins claiming one name is a packaging mistake the operator must see.
"""
from __future__ import annotations

from importlib.metadata import entry_points
from typing import Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


class DuplicateName(Exception):
    """Two entries registered under one name."""


class UnknownName(LookupError):
    """A name that no entry was registered under."""


class Registry(Generic[T]):
    """A name -> entry mapping that refuses duplicates."""

    def __init__(self, what: str, entries: Iterable[tuple[str, T]] = ()):
        self.what = what
        self._entries: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        for name, entry in entries:
            self.add(name, entry)

    def add(self, name: str, entry: T, origin: str = "built-in") -> None:
        if name in self._entries:
            raise DuplicateName(
                f"{self.what} {name!r} is registered twice: by {self._origins[name]} and by {origin}; "
                f"uninstall one of them or rename it"
            )
        self._entries[name] = entry
        self._origins[name] = origin

    def add_entry_points(self, group: str) -> None:
        """Add every entry point of ``group`` (installed plugins)."""
        for ep in entry_points(group=group):
            if ep.name in self._entries and self._origins[ep.name] == "built-in" and ep.value.startswith("engine."):
                continue  # our own package advertises its built-ins as entry points too
            self.add(ep.name, ep.load(), origin=f"entry point {ep.value} ({ep.dist.name if ep.dist else '?'})")

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(
                f"unknown {self.what} {name!r}; known: {', '.join(sorted(self._entries)) or 'none'}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def names(self) -> list[str]:
        return sorted(self._entries)
