"""A screen's route taken apart, to build its links without werkzeug's general builder (a page
builds one per item and tab)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import quote

# werkzeug's default converter quotes a value with these left as they are (BaseConverter.to_url)
URL_SAFE = "!$&'()*+,/:;=@"
PLACEHOLDER = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True)
class Route:
    """A screen's route taken apart: its literal pieces (quoted as werkzeug quotes them) around its
    parameters. A schema's routes take plain ``<name>`` parameters only; anything else is left to
    werkzeug (``route_of`` gives None)."""

    literals: tuple[str, ...]
    names: tuple[str, ...]

    def build(self, script_root: str, values: Mapping[str, str]) -> str | None:
        """The address werkzeug builds from exactly these values; None for any other set of values
        (a missing one, or one more that werkzeug would add as a query): werkzeug decides those."""
        if len(values) != len(self.names):
            return None
        parts = [self.literals[0]]
        for name, literal in zip(self.names, self.literals[1:]):
            value = values.get(name)
            if value is None:
                return None
            parts.append(quote(value, safe=URL_SAFE))
            parts.append(literal)
        return f"{script_root.rstrip('/')}/{''.join(parts).lstrip('/')}"


def route_of(route: str) -> Route | None:
    pieces = PLACEHOLDER.split(route)
    names = tuple(pieces[1::2])
    if not route.startswith("/") or not all(name.isidentifier() for name in names):
        return None
    return Route(tuple(quote(literal, safe=URL_SAFE) for literal in pieces[0::2]), names)
