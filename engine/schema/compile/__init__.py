"""Compile a resolved, migrated document into a ``Cabinet``.

The structure (engine/schema/structure.py) checks the document's shape once and gives each node its
defaults; the compilers here read only that checked data. A compiler per node, sharing one
``CompileContext``:

* cabinet.py   the order of compiling, operator, branding, navigation, checks across screens
* capabilities.py  what the binding cannot serve, left out before anything refers to it
* screens.py   a screen's address and data (billing operations, handlers, content)
* sections.py  what every section has, and what its kind lets it hold; the kind's own ``check``
* fields.py    fields (values shown by a field kind)
* inputs.py    a form's inputs and their rules
* actions.py   actions, and their params and texts on each screen that offers them
* options.py   a kind's options and their texts

Every problem is collected with its path (and file:line), so an operator sees all of them at once;
compiling goes on around what is wrong.
"""
from __future__ import annotations

from typing import Mapping

from ...billing.contract import Operation
from ..document import Document
from ..model import Cabinet
from .cabinet import compile_document
from .context import CompileContext
from .screens import RESERVED_PATHS

__all__ = ["RESERVED_PATHS", "CompileContext", "compile_cabinet"]


def compile_cabinet(doc: Document, field_kinds, section_kinds, capabilities: frozenset[str] | None = None,
                    binding_name: str = "the billing binding", version: str = "", source_label: str = "",
                    sample_names: frozenset[str] = frozenset(),
                    handlers: Mapping[str, Operation] | None = None,
                    operations: Mapping[str, Operation] | None = None) -> Cabinet:
    """``operations``: every operation the binding knows (the contract's and the ones it declares);
    the contract's without a binding."""
    ctx = CompileContext(doc, field_kinds, section_kinds, capabilities, binding_name, sample_names, handlers,
                         operations)
    return compile_document(ctx, version, source_label)
