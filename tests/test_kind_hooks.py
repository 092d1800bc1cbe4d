"""A kind owns its behaviour: the generic compiler, page builder and form check ask it (check,
query_names, listing, posts_to, build; an input kind's check) and never name one. Without Flask."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from marshmallow import Schema, fields

from engine.assembly.preview import compile_kind_preview, preview_page
from engine.kinds import field_kind_registry, section_kind_registry
from engine.kinds.base import SectionKind
from engine.kinds.formatting import Formatter
from engine.kinds.inputs import INPUT_KINDS, InputKind
from engine.schema import SchemaInvalid
from engine.schema.document import Document
from engine.schema.migrate import CURRENT_VERSION
from engine.schema.pipeline import compile_cabinet
from engine.schema.structure import INPUT_TYPES


class Links:
    def screen(self, screen_id, params):
        return "/" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))

    def action(self, action_id):
        return f"/actions/{action_id}"


def cabinet(*sections: dict, route: str = "/", actions: list | None = None, section_kinds=None):
    data = {
        "schema_version": CURRENT_VERSION,
        "operator": {"name": "Op", "currency": "RUB", "locales": ["ru"]},
        "actions": actions or [{"id": "go", "title": "Go", "op": "unblock_services"}],
        "screens": [{"id": "s", "route": route, "title": "S", "data": {"services": {"op": "services"}},
                     "sections": list(sections)}],
    }
    return compile_cabinet(Document(data), field_kind_registry(), section_kinds or section_kind_registry())


def problems(*sections: dict, **kwargs) -> list[str]:
    with pytest.raises(SchemaInvalid) as caught:
        cabinet(*sections, **kwargs)
    return [f"{'.'.join(map(str, issue.path))}: {issue.message}" for issue in caught.value.issues]


NAME = [{"type": "text", "value": "name"}]


# --- the page of a list is its own query parameter ---------------------------------------------------
def test_two_lists_on_one_screen_need_pages_of_their_own():
    [problem] = problems({"type": "list", "id": "a", "items": "services", "fields": NAME},
                         {"type": "table", "id": "b", "items": "services", "fields": NAME})
    assert problem.startswith("screens.0.sections.1.page_param: the page of this list is ?page, but section 'a'")
    assert "such as b_page" in problem
    cabinet({"type": "list", "id": "a", "items": "services", "fields": NAME},
            {"type": "table", "id": "b", "items": "services", "fields": NAME, "page_param": "b_page"})


def test_a_list_inside_tabs_is_checked_against_the_rest_of_the_screen():
    [problem] = problems({"type": "list", "id": "a", "items": "services", "fields": NAME},
                         {"type": "tabs", "sections": [{"type": "list", "id": "b", "items": "services",
                                                        "fields": NAME}]})
    assert problem.startswith("screens.0.sections.1.sections.0.page_param:")


def test_a_page_parameter_may_not_be_a_get_forms_input_or_a_route_parameter():
    [problem] = problems({"type": "form", "method": "get", "inputs": [{"name": "page", "type": "number"}]},
                         {"type": "list", "id": "a", "items": "services", "fields": NAME})
    assert problem.startswith("screens.0.sections.1.page_param:") and "section 'form_0' also reads ?page" in problem
    [problem] = problems({"type": "list", "id": "a", "items": "services", "fields": NAME}, route="/x/<page>")
    assert "the route has <page>" in problem


def test_a_search_box_may_narrow_two_lists():
    """Two lists reading one search term is meant (one box narrows both); only pages are exclusive."""
    cabinet({"type": "form", "method": "get", "inputs": [{"name": "q", "type": "text"}]},
            {"type": "list", "id": "a", "items": "services", "fields": NAME, "search_in": ["name"]},
            {"type": "list", "id": "b", "items": "services", "fields": NAME, "search_in": ["name"],
             "page_param": "b_page"})


# --- a form kind's own rules ------------------------------------------------------------------------------
def test_the_form_kind_checks_its_submit_against_its_method():
    assert problems({"type": "form", "inputs": [{"name": "n", "type": "text"}]}) == [
        "screens.0.sections.0.submit: a form needs submit: the id of an action"]
    [problem] = problems({"type": "form", "method": "get", "submit": "go", "inputs": [{"name": "n", "type": "text"}]})
    assert problem.startswith("screens.0.sections.0.submit: a form with method: get")


def test_a_get_form_posts_nothing_and_a_post_form_posts_its_submit():
    built = cabinet({"type": "form", "id": "get", "method": "get", "inputs": [{"name": "q", "type": "text"}]},
                    {"type": "form", "id": "post", "submit": "go", "inputs": [{"name": "n", "type": "text"}]})
    get, post = built.screens["s"].sections
    assert get.kind.posts_to(get) is None and post.kind.posts_to(post) == "go"
    assert get.kind.query_names(get) == {"q": "input"} and post.kind.query_names(post) == {}


# --- a plugin section kind draws itself --------------------------------------------------------------
class CountOptions(Schema):
    noun = fields.String(load_default="items")


class Counter(SectionKind):
    """A plugin kind: shows how many items there are instead of the items."""

    name = "counter"
    options = CountOptions
    has_items = True
    preview_section = {"items": "things", "noun": "things"}
    preview_data = {"things": [1, 2, 3]}

    def build(self, section: Any, view: Any, page: Any) -> None:
        items, _pager = page.items(section)
        view.options = {**view.options, "count": f"{len(items)} {section.options['noun']}"}


def test_a_plugin_section_kind_builds_its_own_view_and_lists_without_paging_by_default():
    registry = section_kind_registry()
    registry.add("counter", Counter(), origin="test")
    built, samples = compile_kind_preview(Counter(), False, field_kind_registry(), registry)
    page = preview_page(built, "preview", samples, Formatter("ru"), Links(), lambda s: s, date(2026, 12, 4))
    [view] = page.sections
    assert view.options["count"] == "3 things" and view.items == [] and view.pager is None


def test_a_list_kind_gives_its_listing_from_its_options():
    built = cabinet({"type": "table", "id": "t", "items": "services", "fields": NAME, "page_size": 20,
                     "search_in": ["name"], "search_param": "find"})
    [table] = built.screens["s"].sections
    listing = table.kind.listing(table)
    assert (listing.page_size, listing.page_param, listing.search_keys, listing.search_param) == \
        (20, "page", ("name",), "find")
    assert table.kind.query_names(table) == {"page": "page", "find": "search"}


# --- input kinds ------------------------------------------------------------------------------------------
def test_the_input_types_an_operator_writes_are_the_input_kinds():
    assert set(INPUT_TYPES) == set(INPUT_KINDS)
    assert all(isinstance(kind, InputKind) and kind.name == name for name, kind in INPUT_KINDS.items())


def test_the_compiler_asks_the_input_kind_which_rules_it_takes():
    [problem] = problems({"type": "form", "submit": "go", "inputs": [{"name": "n", "type": "email", "min": 3}]})
    assert problem.endswith("min limits number and date inputs; for a text use min_length")
    [problem] = problems({"type": "form", "submit": "go", "inputs": [{"name": "d", "type": "date", "step": 2}]})
    assert "step is a positive number, on a number input" in problem
    [problem] = problems({"type": "form", "submit": "go", "inputs": [{"name": "c", "type": "select"}]})
    assert problem.endswith("a select needs choices or choices_from")


def test_secret_and_trap_inputs_are_said_by_their_kinds():
    built = cabinet({"type": "form", "submit": "go", "inputs": [
        {"name": "p", "type": "password"}, {"name": "website", "type": "honeypot"}, {"name": "n", "type": "text"}]})
    assert built.honeypots == {"go": frozenset({"website"})}
    kinds = {i.name: i.kind for i in built.screens["s"].sections[0].inputs}
    assert kinds["p"].secret and not kinds["n"].secret and kinds["website"].trap
