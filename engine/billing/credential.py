"""What a binding needs to act for one signed-in subscriber: a billing's session key, or the
login and password a billing wants with every request. The engine keeps it on the server,
encrypted (``state/auth_sessions.py``), and hands it to every call made for that subscriber; it
never reaches a browser, a log or a traceback."""
from __future__ import annotations

import hashlib
import json
from typing import Iterator, Mapping


class Credential(Mapping[str, str]):
    """A read-only mapping of text values whose ``repr`` hides them (an exception or a log line
    that shows call parameters shows ``<credential 3f2a…>``, never a session key)."""

    __slots__ = ("_values", "_fingerprint")

    def __init__(self, values: Mapping[str, object] | None = None):
        self._values = {str(k): "" if v is None else str(v) for k, v in (values or {}).items()}
        digest = hashlib.sha256(json.dumps(self._values, sort_keys=True).encode()).hexdigest()
        self._fingerprint = digest[:16]

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def fingerprint(self) -> str:
        """Names this credential without revealing it: what caches key on."""
        return self._fingerprint

    def __repr__(self) -> str:
        return f"<credential {self._fingerprint[:8]}>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credential) and other._values == self._values

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def to_json(self) -> str:
        return json.dumps(self._values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Credential":
        loaded = json.loads(text) if text else {}
        return cls(loaded if isinstance(loaded, dict) else {})
