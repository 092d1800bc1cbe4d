"""One request as the PHP scripts see it: ``$_GET`` built the way PHP builds it, ``ubRouting``'s
checks on it, the parts of ``$_SERVER``/``$_POST``/``$_COOKIE`` they read, and ``die()``."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from werkzeug.wrappers import Response

from . import php
from .state import BillingState


class Die(Exception):
    """A script ended with ``die()`` (or ``header(); die()``): this is all it sent."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def php_variable_name(name: str) -> str | None:
    """The ``$_GET`` key PHP makes of a query parameter name: leading spaces dropped, spaces and dots
    turned into "_"; None for an empty name or an array (``name[...]``), which this simulator does
    not build."""
    name = name.lstrip(" ")
    bracket = name.find("[")
    if bracket >= 0:
        if "]" in name[bracket:]:
            return None
        name = name[:bracket] + "_" + name[bracket + 1:]
    name = name.replace(" ", "_").replace(".", "_")
    return name or None


class GetParams:
    """``$_GET``: the last of repeated parameters wins."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        for raw_name, value in pairs:
            name = php_variable_name(raw_name)
            if name is not None:
                self._values[name] = value

    @classmethod
    def from_query_string(cls, query_string: str) -> GetParams:
        return cls(parse_qsl(query_string, keep_blank_values=True))

    def check(self, *names: str) -> bool:
        """``ubRouting::checkGet($names)``: every one present and not ``empty()``."""
        return all(not php.is_empty(self._values.get(name)) for name in names)

    def check_any(self, names: Iterable[str]) -> bool:
        """``ubRouting::checkGet($names, true, true)``: at least one present and not ``empty()``."""
        return any(not php.is_empty(self._values.get(name)) for name in names)

    def get(self, name: str) -> str | None:
        """``ubRouting::get($name)`` (raw); None where PHP gives false."""
        return self._values.get(name)


@dataclass
class Call:
    """What the scripts read of the request, and the billing they act on."""
    state: BillingState
    query: GetParams
    post: Mapping[str, str]
    cookies: Mapping[str, str]
    body: bytes                       # php://input
    remote_addr: str                  # $_SERVER['REMOTE_ADDR']
    method: str                       # $_SERVER['REQUEST_METHOD']
    uri: str                          # $_SERVER['REQUEST_URI']

    @property
    def output_format(self) -> str:
        """XMLAgent's (and the agent modules') format switch."""
        return "json" if self.query.check("json") else "xml"
