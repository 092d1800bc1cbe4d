"""Resolve references: ``$include`` of other files and ``use`` of shared sections.

* ``{$include: screens/home.yaml}`` anywhere is replaced by that file's content.
* ``shared_sections: {id: section}`` at the root defines sections once; a section written as
  ``{use: id, ...}`` takes the shared one, with its own keys overriding (keyed on the stable id,
  never on position). A missing target is an error at the place that names it.
"""
from __future__ import annotations

import copy
from typing import Any

from .document import Document
from .errors import Path, SchemaInvalid, SchemaIssue
from .sources import CabinetSource

INCLUDE = "$include"
MAX_INCLUDE_DEPTH = 8


def resolve(source: CabinetSource) -> Document:
    root, issues = _included(source)
    if isinstance(root.data, dict):
        _expand_shared_sections(root, issues)
    if issues:
        raise SchemaInvalid(issues)
    return root


def expand_includes(source: CabinetSource) -> Document:
    """The root document with every ``$include`` replaced; shared sections still named by ``use``
    (what an import into Directus keeps as it is)."""
    root, issues = _included(source)
    if issues:
        raise SchemaInvalid(issues)
    return root


def _included(source: CabinetSource) -> tuple[Document, list[SchemaIssue]]:
    root = source.load_root()
    issues: list[SchemaIssue] = []
    root.data = _expand_includes(root.data, (), root, source, issues, depth=0, chain=())
    return root, issues


def _expand_includes(value: Any, path: Path, doc: Document, source: CabinetSource,
                     issues: list, depth: int, chain: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        if INCLUDE in value:
            reference = value[INCLUDE]
            if len(value) != 1 or not isinstance(reference, str):
                issues.append(doc.issue(path, f"{INCLUDE} takes one file name and no other keys"))
                return value
            if reference in chain or depth >= MAX_INCLUDE_DEPTH:
                issues.append(doc.issue(path, f"{INCLUDE} {reference!r} includes itself "
                                              f"({' -> '.join(chain + (reference,))})"))
                return value
            try:
                included = source.load_include(reference, doc.locate(path))
            except SchemaInvalid as exc:
                issues.extend(exc.issues)
                return value
            doc.graft(path, included)
            # the included file may include further files; its paths now live under ``path``
            return _expand_includes(included.data, path, doc, source, issues, depth + 1, chain + (reference,))
        return {k: _expand_includes(v, path + (k,), doc, source, issues, depth, chain) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_includes(v, path + (i,), doc, source, issues, depth, chain) for i, v in enumerate(value)]
    return value


def _expand_shared_sections(doc: Document, issues: list) -> None:
    shared = doc.data.get("shared_sections") or {}
    if not isinstance(shared, dict):
        issues.append(doc.issue(("shared_sections",), "must be a mapping of id to section"))
        return
    screens = doc.data.get("screens")
    for s_index, screen in enumerate(screens if isinstance(screens, list) else []):
        if isinstance(screen, dict) and isinstance(screen.get("sections"), list):
            screen["sections"] = _use_in(screen["sections"], ("screens", s_index, "sections"), shared, doc, issues)


def _use_in(sections: list, path: Path, shared: dict, doc: Document, issues: list,
            chain: tuple[str, ...] = ()) -> list:
    out = []
    for index, section in enumerate(sections):
        here = path + (index,)
        if isinstance(section, dict) and "use" in section:
            name = section["use"]
            if not isinstance(name, str):
                issues.append(doc.issue(here + ("use",), "use takes the id of a shared section"))
                out.append(section)
                continue
            if name in chain:
                issues.append(doc.issue(here + ("use",), f"shared section {name!r} uses itself "
                                                         f"({' -> '.join(chain + (name,))})"))
                out.append(section)
                continue
            if name not in shared:
                known = ", ".join(sorted(shared)) or "none defined"
                issues.append(doc.issue(here + ("use",), f"no shared section {name!r} (shared_sections: {known})"))
                out.append(section)
                continue
            merged = copy.deepcopy(shared[name])
            if not isinstance(merged, dict):
                issues.append(doc.issue(("shared_sections", name), "a shared section must be a mapping"))
                out.append(section)
                continue
            merged.update({k: v for k, v in section.items() if k != "use"})
            doc.graft(here, doc, ("shared_sections", name))
            section, inner_chain = merged, chain + (name,)
        else:
            inner_chain = chain
        if isinstance(section, dict) and isinstance(section.get("sections"), list):
            section["sections"] = _use_in(section["sections"], here + ("sections",), shared, doc, issues,
                                          inner_chain)
        out.append(section)
    return out
