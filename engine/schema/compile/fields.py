"""Fields: one value shown by a field kind."""
from __future__ import annotations

from typing import Mapping

from ..errors import Path
from ..model import FieldSpec, frozen_map
from ..structure import FieldSchema, keys_of
from .context import CompileContext
from .options import kind_options

_COMMON_KEYS = keys_of(FieldSchema())


def compile_fields(ctx: CompileContext, nodes: list[Mapping], path: Path, roots: frozenset[str] | None) -> list[FieldSpec]:
    """``roots`` are the data names values may read; None on an item (a list's row reads its item)."""
    fields = []
    for index, node in enumerate(nodes):
        here = path + (index,)
        kind = ctx.kind("field", node.get("type"), here + ("type",), ctx.field_kinds)
        if kind is None:
            continue
        extra = {key: value for key, value in node.items() if key not in _COMMON_KEYS}
        # a field's option texts (a status's labels ...) are words, rendered without data
        options = kind_options(ctx, kind, {**node.get("options", {}), **extra}, here, ())
        if "value" not in node:
            ctx.error(here + ("value",), "a field needs value: an expression such as account.balance")
        fields.append(FieldSpec(
            key=node.get("key") or node.get("value") or f"field_{index}", kind=kind,
            label=ctx.text(node.get("label"), here + ("label",), roots),
            value=ctx.expr(node.get("value"), here + ("value",), roots), options=frozen_map(options),
            visible_if=ctx.expr(node.get("visible_if"), here + ("visible_if",), roots),
            origin=ctx.doc.locations.get(here),
        ))
    return fields
