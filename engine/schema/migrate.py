"""Bring older schemas up to the current ``schema_version``, one step at a time.

Version 1 is the first draft of the format (DESIGN notes §2): navigation was a bare list of
screen ids. Version 2 makes each navigation entry a mapping, so it can carry an icon and a title.
"""
from __future__ import annotations

from typing import Any, Callable

from .document import Document
from .errors import SchemaInvalid

CURRENT_VERSION = 2


def _v1_to_v2(data: dict[str, Any]) -> None:
    navigation = data.get("navigation")
    if isinstance(navigation, list):
        data["navigation"] = [{"screen": item} if isinstance(item, str) else item for item in navigation]


# version -> the step that turns it into version + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], None]] = {1: _v1_to_v2}


def migrate(doc: Document) -> Document:
    if not isinstance(doc.data, dict):
        raise SchemaInvalid([doc.issue((), "a cabinet schema must be a mapping with schema_version, operator and screens")])
    version = doc.data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SchemaInvalid([doc.issue(("schema_version",),
                                       f"must be a whole number from 1 to {CURRENT_VERSION}; write schema_version: "
                                       f"{CURRENT_VERSION} for a new cabinet")])
    if version > CURRENT_VERSION:
        raise SchemaInvalid([doc.issue(("schema_version",),
                                       f"version {version} is newer than this engine understands ({CURRENT_VERSION}); "
                                       f"upgrade the engine")])
    while version < CURRENT_VERSION:
        MIGRATIONS[version](doc.data)
        version += 1
    doc.data["schema_version"] = CURRENT_VERSION
    return doc
