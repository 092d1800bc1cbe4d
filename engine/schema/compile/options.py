"""A kind's options: checked by the kind's own marshmallow schema, their texts compiled."""
from __future__ import annotations

from functools import cache
from typing import Any, Iterable, Mapping

from marshmallow import Schema, fields as mf

from ...kinds.base import LocalizedText
from ..errors import Path
from .context import CompileContext


def kind_options(ctx: CompileContext, kind, raw: Mapping, path: Path, roots: Iterable[str]) -> dict[str, Any]:
    """A kind's options, checked by its schema; texts in them may read ``roots``."""
    schema = options_schema(kind.options)
    return option_texts(ctx, schema, ctx.load(schema, raw, path), path, roots)


@cache
def options_schema(schema_class: type[Schema]) -> Schema:
    """One instance of each options schema (making one costs more than loading a section with it)."""
    return schema_class()


def option_texts(ctx: CompileContext, schema: Schema, loaded: dict, path: Path, roots: Iterable[str]) -> dict[str, Any]:
    """LocalizedText option values (also inside lists, dicts and nested schemas) as compiled Texts."""
    def convert(field, value, here):
        if value is None:
            return None
        if isinstance(field, LocalizedText):
            return ctx.text(value, here, roots)
        if isinstance(field, mf.List) and isinstance(value, list):
            return [convert(field.inner, v, here + (i,)) for i, v in enumerate(value)]
        if isinstance(field, mf.Dict) and isinstance(value, dict) and field.value_field is not None:
            return {k: convert(field.value_field, v, here + (k,)) for k, v in value.items()}
        if isinstance(field, mf.Nested) and isinstance(value, dict):
            return option_texts(ctx, field.schema, value, here, roots)
        return value

    return {name: convert(schema.fields.get(name), value, path + (name,)) for name, value in loaded.items()}
