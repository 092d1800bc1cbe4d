"""Render screens from sample data instead of billing calls: kind previews (every field and
section kind has a preview value) and, later, drafts in the operator's live preview.

A preview cabinet goes through the same compiler as a real one; only its data comes from
samples, so what a preview shows is what the kind renders for subscribers.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from ..schema.document import Document
from ..schema.migrate import CURRENT_VERSION
from ..schema.model import Cabinet
from ..schema.pipeline import compile_cabinet
from .calls import Outcome
from .page import Links, PageBuilder
from .screen import Identity
from .views import PageView

PREVIEW_SCREEN = "preview"
PREVIEW_OPERATION = "unblock_services"   # stands behind preview forms; a preview never submits
SAMPLE = "sample"


def _referenced_actions(section: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    links, submits = set(section.get("actions", [])), set()
    if section.get("submit"):
        submits.add(section["submit"])
    for child in section.get("sections", []):
        child_links, child_submits = _referenced_actions(child)
        links |= child_links
        submits |= child_submits
    return links - submits, submits


def kind_preview_document(kind: Any, is_field: bool) -> tuple[Document, dict[str, Any]]:
    """A one-screen cabinet showing ``kind`` from its preview value, and the sample data it reads."""
    if is_field:
        field = {"type": kind.name, "key": kind.name, "label": {"ru": kind.name, "en": kind.name},
                 "value": SAMPLE, **kind.preview_options}
        section: dict[str, Any] = {"type": "key_value", "id": "preview", "fields": [field]}
        samples = {SAMPLE: kind.preview_value}
    else:
        section = {"type": kind.name, "id": "preview", **kind.preview_section}
        samples = dict(kind.preview_data)
    links, submits = _referenced_actions(section)
    actions = [{"id": a, "title": {"ru": a, "en": a}, "screen": PREVIEW_SCREEN} for a in sorted(links)]
    actions += [{"id": a, "title": {"ru": a, "en": a}, "op": PREVIEW_OPERATION} for a in sorted(submits)]
    data = {
        "schema_version": CURRENT_VERSION,
        "operator": {"name": {"ru": "Превью", "en": "Preview"}, "currency": "RUB", "locales": ["ru", "en"]},
        "actions": actions,
        "screens": [{"id": PREVIEW_SCREEN, "route": "/", "title": {"ru": kind.name, "en": kind.name},
                     "roles": ["subscriber", "dealer", "operator"], "sections": [section]}],
    }
    return Document(data), samples


def compile_kind_preview(kind: Any, is_field: bool, field_kinds, section_kinds) -> tuple[Cabinet, dict[str, Any]]:
    doc, samples = kind_preview_document(kind, is_field)
    cabinet = compile_cabinet(doc, field_kinds, section_kinds, sample_names=frozenset(samples),
                              version=f"preview-{kind.name}", source_label="preview")
    return cabinet, samples


def preview_page(cabinet: Cabinet, screen_id: str, samples: Mapping[str, Any], formatter, links: Links,
                 gettext, today: date) -> PageView:
    screen = cabinet.screens[screen_id]
    identity = Identity("preview", "Preview", frozenset(screen.roles))
    context = {"params": {}, "query": {}, "user": identity.as_data(), "account_id": None,
               "today": today.isoformat(), "month_start": today.replace(day=1).isoformat(), **samples}
    outcomes = {name: Outcome(value=value) for name, value in samples.items()}
    builder = PageBuilder(cabinet, screen, outcomes, context, formatter, links, gettext, set(identity.roles))
    return builder.build([], None, [])
