"""The whole pipeline in one call: source -> resolve -> migrate -> compile."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .compile import compile_cabinet
from .document import Document
from .errors import SchemaInvalid, SchemaIssue
from .migrate import migrate
from .model import Cabinet
from .resolve import resolve
from .sources import CabinetSource

MEDIA_PREFIX = "/media/"


def load_cabinet(source: CabinetSource, field_kinds, section_kinds, capabilities: frozenset[str] | None = None,
                 binding_name: str = "the billing binding", handlers=None, version: str | None = None,
                 operations=None) -> Cabinet:
    """Load and compile a cabinet; raises ``SchemaInvalid`` listing every problem.
    ``handlers`` maps the names of engine handlers to their parameters (an ``Operation``).
    ``version``: the fingerprint just read, whose content the source keeps for this compile.
    ``operations``: the binding's operations (the contract's and its own declared ones)."""
    if version is None:
        version = source.fingerprint()
    doc = migrate(resolve(source))
    missing = missing_media(doc, source.media_dir())
    try:
        cabinet = compile_cabinet(doc, field_kinds, section_kinds, capabilities, binding_name, version, source.label,
                                  handlers=handlers, operations=operations)
    except SchemaInvalid as invalid:
        raise SchemaInvalid(invalid.issues + missing) from None
    if missing:
        raise SchemaInvalid(missing)
    return cabinet


def missing_media(doc: Document, media_dir: Path | None) -> list[SchemaIssue]:
    """Every ``/media/...`` address the cabinet names must be a file of its media folder: a missing
    logo or picture is found here, not by a subscriber as a broken image."""
    issues = []
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + (key,), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), child) for index, child in enumerate(value))
        elif isinstance(value, str) and value.startswith(MEDIA_PREFIX):
            name = value[len(MEDIA_PREFIX):].split("?", 1)[0].split("#", 1)[0]
            if media_dir is None:
                issues.append(doc.issue(path, f"{value}: this cabinet has no media folder; put the file in "
                                              f"media/ next to cabinet.yaml"))
                continue
            target = (media_dir / name).resolve()
            if not target.is_relative_to(media_dir.resolve()) or not target.is_file():
                issues.append(doc.issue(path, f"{value}: no such file in the cabinet's media folder ({media_dir})"))
    return sorted(issues, key=lambda issue: (issue.location.file, issue.location.line or 0) if issue.location else ("", 0))

