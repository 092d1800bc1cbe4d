"""Every registered field and section kind renders from its preview value through the real
pipeline (compile -> page model -> theme templates): one test per kind, generated from the registry."""
from __future__ import annotations

import html
from datetime import date

import pytest
from flask import render_template
from flask_babel import gettext

from engine.assembly.preview import PREVIEW_SCREEN, compile_kind_preview, preview_page
from engine.kinds import field_kind_registry, section_kind_registry
from engine.web.pages import FlaskLinks, formatter_for, url_adapter
from engine.web.runtime import LiveCabinet

FIELD_KINDS = field_kind_registry().names()
SECTION_KINDS = section_kind_registry().names()


def render_preview(app, kind, is_field: bool):
    rt = app.extensions["cabinet"]
    cabinet, samples = compile_kind_preview(kind, is_field, rt.field_kinds, rt.section_kinds)
    live, rt.live = rt.live, LiveCabinet.of(cabinet)   # serve the preview cabinet for this render
    try:
        with app.test_request_context("/"):
            page = preview_page(cabinet, PREVIEW_SCREEN, samples, formatter_for(cabinet),
                                FlaskLinks(url_adapter()), gettext, date(2026, 11, 23))
            return page, render_template("screen.html", page=page)
    finally:
        rt.live = live


def test_the_registries_have_every_required_kind():
    assert {"text", "money", "date", "datetime", "number", "percent", "status", "phone", "email", "link", "image",
            "video", "markdown"} <= set(FIELD_KINDS)
    assert {"balance_card", "key_value", "list", "table", "content", "form", "action_bar", "tabs", "group",
            "empty_state"} <= set(SECTION_KINDS)


@pytest.mark.parametrize("name", FIELD_KINDS)
def test_field_kind_renders_its_preview_value(app, name):
    kind = app.extensions["cabinet"].field_kinds.get(name)
    page, body = render_preview(app, kind, is_field=True)
    field = page.sections[0].fields[0]
    assert field.kind == name and field.display != ""
    shown = str(field.display) if name == "markdown" else html.escape(str(field.display), quote=False)
    assert shown in body, f"{name}: {field.display!r} is not in the page"


@pytest.mark.parametrize("name", SECTION_KINDS)
def test_section_kind_renders_its_preview(app, name):
    kind = app.extensions["cabinet"].section_kinds.get(name)
    page, body = render_preview(app, kind, is_field=False)
    section = page.sections[0]
    assert section.kind == name and section.state == "ok"
    assert 'id="section-preview"' in body
    if section.title:
        assert html.escape(section.title, quote=False) in body
    for field in section.fields + [f for item in section.items for f in item.fields]:
        assert html.escape(str(field.display), quote=False) in body or field.kind == "markdown"
    for child in section.children:
        assert f'id="section-{child.id}"' in body
