"""The cabinet's shape is written once, in the structure (engine/schema/structure.py). What is derived
from it is derived; the copies that remain (the compiled model, the Directus model's columns, the
page views of inputs) are compared with it here, so adding a key shows everything it must reach."""
from __future__ import annotations

import dataclasses

import pytest

from engine.assembly.views import InputView
from engine.directus import mapping
from engine.directus.model import INPUT_COLUMNS, PREFIX, cabinet_model
from engine.kinds import field_kind_registry, section_kind_registry
from engine.kinds.base import LocalizedText
from engine.schema import model
from engine.schema import structure as s
from engine.web.handlers import handler_registry

# structure key -> compiled attribute, where the names differ
COMPILED = [
    (s.OperatorSchema, model.Operator, {}),
    (s.BrandingSchema, model.Branding, {}),
    (s.NavItemSchema, model.NavItem, {}),
    (s.ScreenSchema, model.ScreenSpec, {}),
    (s.DataCallSchema, model.DataCall, {"op": "operation", "id": "item_id"}),
    (s.SectionSchema, model.SectionSpec, {"type": "kind", "sections": "children"}),
    (s.FieldSchema, model.FieldSpec, {"type": "kind"}),
    (s.InputSchema, model.InputSpec, {}),
    (s.ChoiceSchema, model.Choice, {}),
    (s.LinkSchema, model.LinkSpec, {}),
    (s.ItemActionSchema, model.ItemAction, {}),
    (s.ActionSchema, model.ActionSpec, {"op": "operation"}),
]


@pytest.mark.parametrize("schema, compiled, renamed", COMPILED, ids=lambda v: getattr(v, "__name__", ""))
def test_the_compiled_model_keeps_every_key_of_the_structure(schema, compiled, renamed):
    attributes = {f.name for f in dataclasses.fields(compiled)}
    missing = [key for key in s.keys_of(schema()) if renamed.get(key, key) not in attributes]
    assert not missing, f"{compiled.__name__} has nothing for {missing} of {schema.__name__}"


def _directus_columns() -> dict[str, set[str]]:
    directus = cabinet_model(field_kind_registry().names(), section_kind_registry().names(),
                             handler_registry().names())
    columns = {c.name: {spec["field"] for spec in c.fields} for c in directus.collections}
    for collection, spec in directus.aliases:
        columns[collection].add(spec["field"])
    return columns


def _list_fields(collection: str, column: str) -> set[str]:
    """The keys of a JSON list column (the repeater's fields)."""
    directus = cabinet_model(field_kind_registry().names(), section_kind_registry().names(),
                             handler_registry().names())
    collection_ = next(c for c in directus.collections if c.name == collection)
    spec = next(spec for spec in collection_.fields if spec["field"] == column)
    return {f["field"] for f in spec["meta"]["options"]["fields"]}


@pytest.mark.parametrize("suffix", sorted(set(mapping.COLUMNS) - set(mapping.CONTENT)))
def test_directus_has_a_column_for_every_key_the_document_has(suffix):
    columns = _directus_columns()[PREFIX + suffix]
    missing = []
    for key in mapping.COLUMNS[suffix]:
        column = mapping.RENAMED.get((suffix, key), key)
        if key == "id" and suffix in ("screens", "actions"):
            continue                                   # their primary key
        names = [f"color_{c}" for c in mapping.COLORS] if column.endswith("*") else [column]
        missing += [name for name in names if name not in columns]
    assert not missing, f"{PREFIX}{suffix} has no column for {missing}"


def test_every_section_key_reaches_directus():
    """A key added to the structure's section is in the mapping's columns, so it is imported and
    exported with its place named (and the Directus test above requires a column for it)."""
    assert set(s.keys_of(s.SectionSchema())) <= set(mapping.SECTION_COLUMNS)
    assert set(s.keys_of(s.FieldSchema())) <= set(mapping.FIELD_COLUMNS)


def test_data_calls_and_inputs_have_their_keys_in_the_directus_editors():
    assert set(mapping.DATA_KEYS) | {"name"} == _list_fields(PREFIX + "screens", "data")
    inputs = _list_fields(PREFIX + "sections", "inputs")
    assert set(INPUT_COLUMNS) | {"more"} == inputs
    assert set(INPUT_COLUMNS) <= set(s.keys_of(s.InputSchema()))


def test_texts_kept_in_their_own_section_columns_are_texts_of_section_kinds():
    texts = {name for _, kind in section_kind_registry().items() for name, field in kind.options().fields.items()
             if isinstance(field, LocalizedText)}
    assert set(mapping.SECTION_TEXTS) <= texts


def test_the_colours_directus_edits_are_the_palette_operators_write():
    from engine.schema.palette import light_palette

    assert set(mapping.COLORS) <= set(light_palette({}))


def test_the_page_view_of_an_input_carries_every_rule_the_browser_can_help_with():
    """The server checks every rule (engine/assembly/forms.py); the page offers the browser the
    same ones, so a person learns of a mistake before sending."""
    rules = {"required", "min", "max", "step", "min_length", "max_length", "pattern"}
    view = {f.name for f in dataclasses.fields(InputView)}
    spec = {f.name for f in dataclasses.fields(model.InputSpec)}
    assert rules <= view and rules <= spec and rules <= set(s.keys_of(s.InputSchema()))
