"""The whole pipeline in one call: source -> resolve -> migrate -> compile."""
from __future__ import annotations

from .compile import Compiler
from .document import Document
from .migrate import migrate
from .model import Cabinet
from .resolve import resolve
from .sources import CabinetSource


def load_cabinet(source: CabinetSource, field_kinds, section_kinds, capabilities: frozenset[str] | None = None,
                 binding_name: str = "the billing binding", handlers=None, version: str | None = None) -> Cabinet:
    """Load and compile a cabinet; raises ``SchemaInvalid`` listing every problem.
    ``handlers`` maps the names of engine handlers to their parameters (an ``Operation``).
    ``version``: the fingerprint just read, whose content the source keeps for this compile."""
    if version is None:
        version = source.fingerprint()
    doc = migrate(resolve(source))
    return compile_cabinet(doc, field_kinds, section_kinds, capabilities, binding_name, version, source.label,
                           handlers=handlers)


def compile_cabinet(doc: Document, field_kinds, section_kinds, capabilities: frozenset[str] | None = None,
                    binding_name: str = "the billing binding", version: str = "", source_label: str = "",
                    sample_names: frozenset[str] = frozenset(), handlers=None) -> Cabinet:
    return Compiler(doc, field_kinds, section_kinds, capabilities, binding_name, version, source_label,
                    sample_names, handlers).compile()
