"""What every node compiler shares: the document (for locations), the registries, the problems found
so far, and the names the cabinet declares that later nodes refer to."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Iterable, Mapping

from marshmallow import Schema, ValidationError, fields as mf, missing

from ...billing.contract import OPERATIONS, Operation
from ...kinds.icons import all_names as all_icon_names, icon_name
from ..document import Document
from ..errors import Path, SchemaIssue
from ..expressions import RESERVED_ROOTS, Expr, ExpressionError, Text, compile_expr, compile_text
from ..model import ActionSpec
from ..structure import flatten_errors
from .capabilities import Unserved


@dataclass(frozen=True)
class ScreenScope:
    """What the nodes of one screen may read."""
    screen_id: str
    roots: frozenset[str]              # data names and the engine's names
    route_params: tuple[str, ...]
    data_names: frozenset[str]         # the screen's own data (whose failure degrades a section)
    #: optional data the binding cannot give (name -> the operations it lacks): the sections that
    #: read it are hidden
    unserved: Mapping[str, tuple[str, ...]] = dataclass_field(default_factory=dict)


class CompileContext:
    def __init__(self, doc: Document, field_kinds, section_kinds, capabilities: frozenset[str] | None,
                 binding_name: str = "the billing binding", sample_names: frozenset[str] = frozenset(),
                 handlers: Mapping[str, Operation] | None = None,
                 operations: Mapping[str, Operation] | None = None):
        self.doc = doc
        # the operations a schema may name: the contract's, and the binding's own declared ones
        self.known_operations: Mapping[str, Operation] = operations or OPERATIONS
        self.field_kinds = field_kinds
        self.section_kinds = section_kinds
        self.capabilities = capabilities
        self.binding_name = binding_name
        # names of sample data a preview supplies instead of billing calls (kind previews, drafts)
        self.sample_names = sample_names
        # engine handlers a schema may name (name -> their parameters), from the web layer
        self.handlers: Mapping[str, Operation] = handlers or {}
        self.issues: list[SchemaIssue] = []
        self.locales: list[str] = ["ru"]
        self.operations_used: set[str] = set()
        # declared before the nodes that refer to them are compiled
        self.screen_routes: dict[str, tuple[str, ...]] = {}
        self.action_ids: set[str] = set()
        self.collections: Mapping = {}
        # filled while compiling
        self.actions: dict[str, ActionSpec] = {}
        self.action_paths: dict[str, Path] = {}
        self.offers_checked: set[tuple[str, str]] = set()     # (action, screen) whose texts were checked
        self.honeypots: dict[str, frozenset[str]] = {}
        # what the binding cannot serve, left out (capabilities.py)
        self.unserved = Unserved()

    # --- problems ---------------------------------------------------------------------------------
    def error(self, path: Path, message: str) -> None:
        self.issues.append(self.doc.issue(path, message))

    def load(self, schema: Schema, raw: Any, path: Path) -> dict:
        """``raw`` checked by a marshmallow schema, with its defaults: what is wrong is reported and
        left out, so compiling goes on with the rest."""
        try:
            return schema.load(raw)
        except ValidationError as exc:
            for sub_path, message in flatten_errors(exc.messages):
                self.error(path + sub_path, message)
            valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
            return _with_defaults(schema, valid)

    # --- texts and expressions -----------------------------------------------------------------------
    def text(self, value: Any, path: Path, roots: Iterable[str] | None = None) -> Text | None:
        """An operator text; with ``roots``, the data names it may read are checked."""
        if value is None:
            return None
        text, problems = compile_text(value, self.locales)
        for problem in problems:
            self.error(path, problem)
        if text is not None and roots is not None:
            self.check_roots(text.roots, roots, path, what="text")
        return text

    def title(self, value: Any, path: Path, roots: Iterable[str] | None = None) -> Text:
        """A text every node of this kind has (a missing one is a structure error)."""
        return self.text(value, path, roots) or Text({}, self.locales[0])

    def expr(self, source: Any, path: Path, roots: Iterable[str] | None = None) -> Expr | None:
        if source is None:
            return None
        try:
            expr = compile_expr(source)
        except ExpressionError as exc:
            self.error(path, str(exc))
            return None
        if roots is not None:
            self.check_roots(expr.roots, roots, path)
        return expr

    def exprs(self, sources: Mapping[str, Any], path: Path, roots: Iterable[str] | None = None) -> dict[str, Expr]:
        """Named expressions (params), the ones that compile."""
        compiled = {}
        for name, source in sources.items():
            expr = self.expr(source, path + (name,), roots)
            if expr is not None:
                compiled[name] = expr
        return compiled

    def check_roots(self, used: Iterable[str], allowed: Iterable[str], path: Path, what: str = "expression",
                    where: str = "") -> None:
        allowed = set(allowed)
        for name in sorted(set(used) - allowed):
            hint = difflib.get_close_matches(name, allowed, n=1)
            data_names = sorted(allowed - RESERVED_ROOTS)
            message = f"unknown data source {name!r}" + (f" {where}" if where else "")
            message += f"; did you mean {hint[0]!r}?" if hint else ""
            message += f" (data here: {', '.join(data_names) or 'none'}; " \
                       f"also {', '.join(sorted(allowed & RESERVED_ROOTS))})"
            self.error(path, message)

    # --- names the engine knows ------------------------------------------------------------------------
    def check_icon(self, name: Any, path: Path) -> None:
        if icon_name(name) is None:
            hint = difflib.get_close_matches(str(name).replace("_", "-"), all_icon_names(), n=1)
            self.error(path, f"unknown icon {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                       + " (the icons are listed in the README, under Writing a cabinet)")

    def operation(self, name: Any, path: Path) -> Operation | None:
        """A billing operation by name, which the binding must provide."""
        if not isinstance(name, str):
            return None
        operation = self.known_operations.get(name)
        if operation is None:
            hint = difflib.get_close_matches(name, self.known_operations, n=1)
            self.error(path, f"unknown billing operation {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
            return None
        if self.capabilities is not None and name not in self.capabilities:
            # only for what is marked required: anything else needing it was hidden (capabilities.py)
            self.error(path, f"{self.binding_name} does not provide the operation {name!r}, and what needs it is "
                             f"marked required: true; choose a binding that has it, or remove required to hide it")
        self.operations_used.add(name)
        return operation

    def handler(self, name: Any, path: Path) -> Operation | None:
        """An engine handler by name (its parameters look like an operation's)."""
        operation = self.handlers.get(name) if isinstance(name, str) else None
        if operation is None:
            self.error(path, f"unknown handler {name!r} (known: {', '.join(sorted(self.handlers)) or 'none'})")
        return operation

    def kind(self, what: str, name: Any, path: Path, registry) -> Any:
        """A field or section kind by name, or None (reported) when the registry has none."""
        if not isinstance(name, str):
            return None
        if name not in registry:
            hint = difflib.get_close_matches(name, registry.names(), n=1)
            self.error(path, f"unknown {what} type {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                       + f" (known: {', '.join(registry.names())})")
            return None
        return registry.get(name)

    def call_params(self, operation: Operation, raw: Mapping, path: Path, roots: Iterable[str] | None,
                    available: Iterable[str], from_form: bool) -> dict[str, Expr]:
        """Explicit params of a call, and a check that every required one can be filled."""
        params: dict[str, Expr] = {}
        for name, source in raw.items():
            spec = operation.param(name)
            if spec is None:
                known = ", ".join(p.name for p in operation.schema_params) or "none"
                self.error(path + (name,), f"{operation.name!r} has no parameter {name!r} (it takes: {known})")
                continue
            if spec.filled_by_engine:
                self.error(path + (name,), f"{name!r} is filled by the engine; remove it")
                continue
            expr = self.expr(source, path + (name,), roots)
            if expr is not None:
                params[name] = expr
        available = set(available) | {"account_id"}
        for spec in operation.schema_params:
            if spec.name in params or spec.name in available or from_form or not spec.required:
                continue
            self.error(path, f"{operation.name!r} needs {spec.name!r}; add params: {{{spec.name}: ...}}")
        return params



def _with_defaults(schema: Schema, data: dict) -> dict:
    """What marshmallow keeps of a node with a wrong value lacks that key's default, down the tree:
    put the defaults back, so a compiler reads every node the same way (defaults are written once,
    in the structure)."""
    def fill(field: mf.Field, value: Any) -> None:
        if isinstance(field, mf.Nested) and isinstance(value, dict):
            _with_defaults(field.schema, value)
        elif isinstance(field, mf.List) and isinstance(value, list):
            for element in value:
                fill(field.inner, element)
        elif isinstance(field, mf.Dict) and field.value_field is not None and isinstance(value, dict):
            for element in value.values():
                fill(field.value_field, element)

    for name, field in schema.fields.items():
        key = field.attribute or name
        if key in data:
            fill(field, data[key])
        elif field.load_default is not missing:
            data[key] = field.load_default() if callable(field.load_default) else field.load_default
    return data
