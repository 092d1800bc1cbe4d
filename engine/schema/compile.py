"""Validate a resolved, migrated document and compile it into a ``Cabinet``.

Every problem is collected with its path (and file:line), so an operator sees all of them at
once. The compiler reads the raw document defensively: structural problems are reported by the
marshmallow structure schemas, and compiling goes on around them.
"""
from __future__ import annotations

import difflib
import re
import re._parser as re_parser   # only to spot patterns that backtrack without end
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from marshmallow import Schema, ValidationError, fields as mfields

from ..billing.contract import OPERATIONS, Operation
from ..kinds.base import LocalizedText
from ..kinds.icons import all_names as all_icon_names, icon_name
from .content import compile_collections
from .document import Document
from .ui_texts import compile_ui_texts
from .errors import Path, SchemaInvalid, SchemaIssue, merge_repeated
from .expressions import RESERVED_ROOTS, Expr, ExpressionError, Text, compile_expr, compile_text
from .model import (
    ActionSpec, Branding, Cabinet, Choice, DataCall, FieldSpec, InputSpec, ItemAction, LinkSpec, NavItem, Operator,
    ScreenSpec, SectionSpec, frozen_map,
)
from .palette import contrast_problems, dark_palette, light_palette
from .structure import CabinetSchema, FieldSchema, SectionSchema, flatten_errors, is_known_locale, keys_of

ROUTE_PARAM = re.compile(r"<([a-z_]+)>")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMERIC = re.compile(r"[+-]?\d{1,13}(?:\.\d{1,6})?")
_COMMON_SECTION_KEYS = keys_of(SectionSchema())
_COMMON_FIELD_KEYS = keys_of(FieldSchema())
# The engine's own addresses: a screen there could never be reached. The schema knows no Flask, so
# this is a copy of the web app's URL map; tests/test_schema_pipeline.py compares the two.
RESERVED_PATHS = frozenset({"login", "logout", "account", "actions", "api", "healthz", "static", "media", "language",
                            "passkeys", "preview", "password", "payments", "pay", "sandbox-acquirer",
                            "offline", "icons", "quick-code"})
ACTION_ROOTS = frozenset({"params", "query", "form", "user", "account_id", "today", "month_start"})


class Compiler:
    def __init__(self, doc: Document, field_kinds, section_kinds, capabilities: frozenset[str] | None,
                 binding_name: str = "the billing binding", version: str = "", source_label: str = "",
                 sample_names: frozenset[str] = frozenset(), handlers: Mapping[str, Operation] | None = None):
        self.doc = doc
        # engine handlers a schema may name (name -> their parameters), from the web layer
        self.handlers = handlers or {}
        # names of sample data a preview supplies instead of billing calls (kind previews, drafts)
        self.sample_names = sample_names
        self.field_kinds = field_kinds
        self.section_kinds = section_kinds
        self.capabilities = capabilities
        self.binding_name = binding_name
        self.version = version
        self.source_label = source_label
        self.issues: list[SchemaIssue] = []
        self.locales: list[str] = ["ru"]
        self.operations_used: set[str] = set()
        self.actions: dict[str, ActionSpec] = {}
        self.collections: Mapping = {}
        self.honeypots: dict[str, frozenset[str]] = {}
        self.action_paths: dict[str, Path] = {}
        self.offers_checked: set[tuple[str, str]] = set()     # (action, screen) whose texts were checked

    # --- helpers --------------------------------------------------------------------------------
    def error(self, path: Path, message: str) -> None:
        self.issues.append(self.doc.issue(path, message))

    def text(self, value: Any, path: Path, roots: Iterable[str] | None = None) -> Text | None:
        if value is None:
            return None
        text, problems = compile_text(value, self.locales)
        for problem in problems:
            self.error(path, problem)
        if text is not None and roots is not None:
            self.check_roots(text.roots, roots, path, what="text")
        return text

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

    def check_icon(self, name: Any, path: Path) -> None:
        if icon_name(name) is None:
            hint = difflib.get_close_matches(str(name).replace("_", "-"), all_icon_names(), n=1)
            self.error(path, f"unknown icon {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                       + " (the icons are listed in the README, under Writing a cabinet)")

    def operation(self, name: Any, path: Path) -> Operation | None:
        if not isinstance(name, str):
            return None
        operation = OPERATIONS.get(name)
        if operation is None:
            hint = difflib.get_close_matches(name, OPERATIONS, n=1)
            self.error(path, f"unknown billing operation {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))
            return None
        if self.capabilities is not None and name not in self.capabilities:
            self.error(path, f"{self.binding_name} does not provide the operation {name!r}; "
                             f"remove it or choose a binding that has it")
        self.operations_used.add(name)
        return operation

    # --- whole cabinet ----------------------------------------------------------------------------
    def compile(self) -> Cabinet:
        data = self.doc.data
        try:
            CabinetSchema().load(data)
        except ValidationError as exc:
            for path, message in flatten_errors(exc.messages):
                self.error(path, message)

        operator_raw = _mapping(data.get("operator"))
        # an unknown language is reported once, above, not again as a translation missing everywhere
        locales = [x for x in operator_raw.get("locales") or [] if isinstance(x, str) and is_known_locale(x)]
        if locales:
            self.locales = locales
        operator = Operator(
            name=self.text(operator_raw.get("name", ""), ("operator", "name")) or Text({}, self.locales[0]),
            currency=str(operator_raw.get("currency", "RUB")),
            timezone=str(operator_raw.get("timezone", "Europe/Moscow")),
            locales=tuple(self.locales),
            support_email=str(operator_raw.get("support_email", "")),
            sales_email=str(operator_raw.get("sales_email", "")),
            support_screen=str(operator_raw.get("support_screen", "")),
            join_screen=str(operator_raw.get("join_screen", "")),
            **_limits(operator_raw),
            support_phone=str(operator_raw.get("support_phone", "")),
        )
        branding_raw = _mapping(data.get("branding"))
        colors = _mapping(branding_raw.get("colors"))
        # Text the subscriber cannot read is a schema error like any other (WCAG AA, 4.5:1).
        for name, message in contrast_problems(colors):
            self.error(("branding", "colors", name), message)
        light = light_palette(colors)
        branding = Branding(
            logo=str(branding_raw.get("logo", "")),
            colors=frozen_map(colors),
            font=str(branding_raw.get("font", "")),
            radius=branding_raw.get("radius") if isinstance(branding_raw.get("radius"), int) else None,
            light=light,
            dark=dark_palette(light),
        )

        self.collections = compile_collections(data.get("content"), self.locales, self.error, self.text)
        screens_raw = [s for s in _list(data.get("screens"))]
        actions_raw = _list(data.get("actions"))
        self.screen_routes = {
            s["id"]: tuple(ROUTE_PARAM.findall(s.get("route", "") if isinstance(s.get("route"), str) else ""))
            for s in screens_raw if isinstance(s, dict) and isinstance(s.get("id"), str)
        }
        self.action_ids = {_name(a.get("id")) for a in actions_raw if isinstance(a, dict)} - {None}

        actions = self.actions = {}
        for index, raw in enumerate(actions_raw):
            action = self.compile_action(_mapping(raw), ("actions", index))
            if action is None:
                continue
            if action.id in actions:
                self.error(("actions", index, "id"), f"the action id {action.id!r} is used twice")
            actions[action.id] = action
            self.action_paths.setdefault(action.id, ("actions", index))

        screens: dict[str, ScreenSpec] = {}
        routes: dict[str, str] = {}
        for index, raw in enumerate(screens_raw):
            screen = self.compile_screen(_mapping(raw), ("screens", index))
            if screen is None:
                continue
            if screen.id in screens:
                self.error(("screens", index, "id"), f"the screen id {screen.id!r} is used twice")
            normalized = ROUTE_PARAM.sub("<>", screen.route)
            if normalized in routes:
                self.error(("screens", index, "route"), f"the route {screen.route} is also used by screen "
                                                        f"{routes[normalized]!r}")
            routes[normalized] = screen.id
            screens[screen.id] = screen

        navigation = []
        for index, raw in enumerate(_list(data.get("navigation"))):
            raw = _mapping(raw)
            target = screens.get(_name(raw.get("screen")) or "")
            if target is None:
                self.error(("navigation", index, "screen"), f"no screen {raw.get('screen')!r}")
                continue
            if target.route_params:
                self.error(("navigation", index, "screen"),
                           f"screen {target.id!r} needs {', '.join(target.route_params)} and cannot be a tab")
            title = (self.text(raw["title"], ("navigation", index, "title")) if "title" in raw else None) \
                or target.title
            if "icon" in raw:
                self.check_icon(raw["icon"], ("navigation", index, "icon"))
            navigation.append(NavItem(target.id, str(raw.get("icon", target.id)), title))

        for key in ("support_screen", "join_screen"):
            target = getattr(operator, key)
            if target and (target not in screens or "guest" not in screens[target].roles
                           or screens[target].route_params):
                self.error(("operator", key), f"{key} names a screen for the sign-in page: it must exist, "
                                              f"be public (roles include guest) and need no parameters")
        for screen in screens.values():
            if screen.parent and screen.parent not in screens:
                self.error(self._screen_path(screen.id) + ("parent",), f"no screen {screen.parent!r}")

        offered = {action_id for action_id, _screen in self.offers_checked}
        for action in actions.values():
            if action.operation is not None and action.id not in offered:   # shown nowhere: the engine's names only
                self.check_action_texts(action, set(ACTION_ROOTS), "")
        ui_texts = compile_ui_texts(data.get("translations"), list(self.locales), self.error)

        if self.issues:
            raise SchemaInvalid(merge_repeated(self.issues))
        return Cabinet(
            version=self.version, source_label=self.source_label, operator=operator, branding=branding,
            navigation=tuple(navigation), screens=frozen_map(screens), actions=frozen_map(actions),
            operations_used=frozenset(self.operations_used), content=self.collections,
            honeypots=frozen_map(self.honeypots),
            ui_texts=frozen_map({locale: frozen_map(texts) for locale, texts in ui_texts.items()}),
        )

    def _screen_path(self, screen_id: str) -> Path:
        for index, raw in enumerate(_list(self.doc.data.get("screens"))):
            if isinstance(raw, dict) and raw.get("id") == screen_id:
                return ("screens", index)
        return ("screens",)

    # --- screens ----------------------------------------------------------------------------------
    def compile_screen(self, raw: Mapping, path: Path) -> ScreenSpec | None:
        screen_id = raw.get("id")
        route = raw.get("route")
        if not isinstance(screen_id, str) or not isinstance(route, str):
            return None
        route_params = tuple(ROUTE_PARAM.findall(route))
        if len(set(route_params)) != len(route_params):
            self.error(path + ("route",), "a route names each parameter once")
            return None
        if route.startswith("/") and route.split("/")[1] in RESERVED_PATHS:
            self.error(path + ("route",), f"/{route.split('/')[1]} is the engine's own address; "
                                          f"choose another route")
            return None
        data: dict[str, DataCall] = {}
        call_roots = RESERVED_ROOTS - {"form"}
        for name, call_raw in _mapping(raw.get("data")).items():
            call_path = path + ("data", name)
            if name in RESERVED_ROOTS:
                self.error(call_path, f"{name!r} is a name the engine provides; call this data something else")
                continue
            call_raw = _mapping(call_raw)
            if sum(k in call_raw for k in ("op", "handler", "content")) != 1:
                self.error(call_path, "give one of op (a billing operation), handler (the engine's own data) "
                                      "or content (a collection)")
                continue
            if "content" in call_raw:
                content_call = self.content_call(name, call_raw, call_path, call_roots)
                if content_call is not None:
                    data[name] = content_call
                continue
            source = "op" if "op" in call_raw else "handler"
            handler = _name(call_raw.get("handler")) if source == "handler" else None
            if source == "op":
                operation = self.operation(call_raw.get("op"), call_path + ("op",))
            else:
                operation = self.handlers.get(handler or "")
                if operation is None:
                    self.error(call_path + ("handler",), f"unknown handler {call_raw.get('handler')!r} "
                                                         f"(known: {', '.join(sorted(self.handlers)) or 'none'})")
            if operation is None:
                continue
            if operation.mutation:
                self.error(call_path + (source,), f"{operation.name!r} changes data; run it from an action, "
                                                  f"not from a screen's data")
                continue
            params = self.call_params(operation, _mapping(call_raw.get("params")), call_path + ("params",),
                                      call_roots, route_params, from_form=False)
            timeout = call_raw.get("timeout")
            data[name] = DataCall(name, operation, frozen_map(params),
                                  float(timeout) if isinstance(timeout, (int, float)) else None,
                                  optional=call_raw.get("optional") is True, handler=handler)

        data_names = set(data) | self.sample_names
        scope = ScreenScope(data_names | RESERVED_ROOTS - {"form"}, route_params, data_names, screen_id)
        sections = self.compile_sections(_list(raw.get("sections")), path + ("sections",), scope)
        return ScreenSpec(
            id=screen_id, route=route,
            title=self.text(raw.get("title"), path + ("title",), scope.roots) or Text({}, self.locales[0]),
            roles=tuple(x for x in _list(raw.get("roles")) if isinstance(x, str)) or ("subscriber",),
            data=frozen_map(data), sections=tuple(sections), route_params=route_params,
            parent=raw.get("parent") if isinstance(raw.get("parent"), str) else None,
        )

    def content_call(self, name: str, raw: Mapping, path: Path, roots: Iterable[str]) -> DataCall | None:
        collection = _name(raw.get("content"))
        if collection not in self.collections:
            known = ", ".join(sorted(self.collections)) or "none"
            self.error(path + ("content",), f"no content collection {raw.get('content')!r} (content: {known})")
            return None
        if "params" in raw or "timeout" in raw or "op" in raw:
            self.error(path, "content takes only id (an expression naming one item), no params or timeout")
        item_id = self.expr(raw["id"], path + ("id",), roots) if "id" in raw else None
        return DataCall(name, None, frozen_map(), None, content=collection, item_id=item_id,
                        optional=raw.get("optional") is True)

    def call_params(self, operation: Operation, raw: Mapping, path: Path, roots: Iterable[str] | None,
                    available: Iterable[str], from_form: bool) -> dict[str, Expr]:
        """Compile explicit params and check that every required one can be filled."""
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

    # --- sections ---------------------------------------------------------------------------------
    def compile_sections(self, raws: list, path: Path, scope: "ScreenScope") -> list[SectionSpec]:
        sections, ids = [], set()
        for index, raw in enumerate(raws):
            section = self.compile_section(_mapping(raw), path + (index,), scope, index)
            if section is None:
                continue
            if section.id in ids:
                self.error(path + (index, "id"), f"the section id {section.id!r} is used twice on this screen")
            ids.add(section.id)
            sections.append(section)
        return sections

    def compile_section(self, raw: Mapping, path: Path, scope: "ScreenScope", index: int) -> SectionSpec | None:
        kind_name = raw.get("type")
        if not isinstance(kind_name, str):
            return None
        if kind_name not in self.section_kinds:
            self.unknown_kind("section", kind_name, path + ("type",), self.section_kinds)
            return None
        kind = self.section_kinds.get(kind_name)
        extra = {k: v for k, v in raw.items() if k not in _COMMON_SECTION_KEYS}
        # a section's option texts (intro, empty_text ...) are rendered with the screen's data
        options = self.kind_options(kind, {**_mapping(raw.get("options")), **extra}, path, scope.roots)

        items = None
        if kind.has_items:
            items = self.expr(raw.get("items"), path + ("items",), scope.roots)
            if raw.get("items") is None:
                self.error(path + ("items",), f"a {kind_name} section needs items: an expression giving a list")
        elif "items" in raw:
            self.error(path + ("items",), f"a {kind_name} section takes no items")
        field_roots = None if kind.has_items else scope.roots   # item fields read the item, not the screen
        fields = self.compile_fields(_list(raw.get("fields")), path + ("fields",), field_roots)

        link = None
        if "link" in raw:
            link = self.link(_mapping(raw["link"]), path + ("link",), None if kind.has_items else scope.roots)

        actions = []
        for a_index, action_id in enumerate(_list(raw.get("actions"))):
            if _name(action_id) not in self.action_ids:
                self.error(path + ("actions", a_index), f"no action {action_id!r} in actions")
            else:
                actions.append(action_id)
                action = self.actions.get(action_id)
                if action is not None and action.visible_if is not None:
                    self.check_roots(action.visible_if.roots, scope.roots, path + ("actions", a_index))

        item_actions = self.compile_item_actions(_list(raw.get("item_actions")), path + ("item_actions",))
        for action_id in {*actions, *(a.action for a in item_actions), *([raw["submit"]] if kind.has_form and
                                                                        isinstance(raw.get("submit"), str) else [])}:
            self.check_offered_action(action_id, scope)
        if item_actions and not kind.has_items:
            self.error(path + ("item_actions",), f"a {kind_name} section has no items to put actions on")

        children: tuple[SectionSpec, ...] = ()
        if kind.has_children:
            children = tuple(self.compile_sections(_list(raw.get("sections")), path + ("sections",), scope))
            if not children:
                self.error(path + ("sections",), f"a {kind_name} section needs sections inside it")
        elif "sections" in raw:
            self.error(path + ("sections",), f"a {kind_name} section cannot hold sections")

        inputs: tuple[InputSpec, ...] = ()
        submit: str | None = None
        if kind.has_form:
            inputs = tuple(self.compile_inputs(_list(raw.get("inputs")), path + ("inputs",), scope.roots))
            submit = _name(raw.get("submit"))
            traps = {i.name for i in inputs if i.type == "honeypot"}
            if traps and submit:
                self.honeypots[submit] = self.honeypots.get(submit, frozenset()) | traps
            if options.get("method") == "get":
                if "submit" in raw:
                    self.error(path + ("submit",), "a form with method: get shows this screen again with its "
                                                   "inputs in the address; it takes submit_label, not submit")
            elif submit not in self.action_ids:
                self.error(path + ("submit",), f"a form needs submit: the id of an action (no action {submit!r})")
        elif "inputs" in raw or "submit" in raw:
            self.error(path + ("inputs" if "inputs" in raw else "submit",), f"a {kind_name} section has no form")

        visible_if = self.expr(raw.get("visible_if"), path + ("visible_if",), scope.roots)
        title = self.text(raw.get("title"), path + ("title",), scope.roots)
        used: set[str] = set()
        for expr in (items, visible_if):
            used |= expr.roots if expr else set()
        if kind.has_items is False:
            for f in fields:
                used |= (f.value.roots if f.value else set()) | (f.visible_if.roots if f.visible_if else set())
        for child in children:
            used |= child.depends_on
        for action_id in actions:
            action = self.actions.get(action_id)
            used |= action.visible_if.roots if action and action.visible_if else set()
        for inp in inputs:
            for expr in (inp.default, inp.choices_from):
                used |= expr.roots if expr else set()
        used |= title.roots if title else set()
        for value in options.values():
            used |= value.roots if isinstance(value, Text) else set()
        return SectionSpec(
            id=str(raw.get("id") or f"{kind_name}_{index}"), kind=kind, title=title, options=frozen_map(options),
            fields=tuple(fields), visible_if=visible_if, items=items, link=link, actions=tuple(actions),
            item_actions=tuple(item_actions),
            children=children, inputs=inputs, submit=submit if isinstance(submit, str) else None,
            depends_on=frozenset(used & scope.data_names),
        )

    def check_offered_action(self, action_id: str, scope: "ScreenScope") -> None:
        """An action's params and texts read the screen that offers it (its data, the checked form,
        the engine's names): checked once for each screen."""
        action = self.actions.get(action_id)
        if action is None or action.operation is None or (action_id, scope.screen_id) in self.offers_checked:
            return
        self.offers_checked.add((action_id, scope.screen_id))
        self.check_action_texts(action, scope.roots | {"form"}, f"on screen {scope.screen_id!r}, which offers "
                                                                f"this action")

    def check_action_texts(self, action: ActionSpec, roots: set[str], where: str) -> None:
        path = self.action_paths.get(action.id, ("actions",))
        for name, expr in action.params.items():
            self.check_roots(expr.roots, roots, path + ("params", name), where=where)
        if action.confirm is not None:
            self.check_roots(action.confirm.roots, roots, path + ("confirm",), what="text", where=where)
        if action.success is not None:
            self.check_roots(action.success.roots, roots | {"result"}, path + ("success",), what="text", where=where)

    def compile_item_actions(self, raws: list, path: Path) -> list[ItemAction]:
        """Buttons on each item: an op or handler action, its form values taken from the item."""
        compiled = []
        for index, raw in enumerate(raws):
            raw, here = _mapping(raw), path + (index,)
            action = self.actions.get(_name(raw.get("action")) or "")
            if action is None or action.operation is None:
                self.error(here + ("action",), f"no op or handler action {raw.get('action')!r} in actions")
                continue
            params = {}
            for name, source in _mapping(raw.get("params")).items():
                expr = self.expr(source, here + ("params", name))     # read on the item: no root check
                if expr is not None:
                    params[name] = expr
            compiled.append(ItemAction(action.id, frozen_map(params),
                                       self.expr(raw.get("visible_if"), here + ("visible_if",))))
        return compiled

    def unknown_kind(self, what: str, name: str, path: Path, registry) -> None:
        hint = difflib.get_close_matches(name, registry.names(), n=1)
        self.error(path, f"unknown {what} type {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                   + f" (known: {', '.join(registry.names())})")

    def kind_options(self, kind, raw: Mapping, path: Path, roots: Iterable[str]) -> dict[str, Any]:
        """A kind's options, checked by its schema; texts in them may read ``roots``."""
        try:
            loaded = kind.options().load(raw)
        except ValidationError as exc:
            for sub_path, message in flatten_errors(exc.messages):
                self.error(path + sub_path, message)
            return {}
        return self.compile_option_texts(kind.options(), loaded, path, roots)

    def compile_option_texts(self, schema: Schema, loaded: dict, path: Path, roots: Iterable[str]) -> dict[str, Any]:
        """Turn LocalizedText option values (also inside lists, dicts and nested schemas) into Texts."""
        def convert(field, value, here):
            if value is None:
                return None
            if isinstance(field, LocalizedText):
                return self.text(value, here, roots)
            if isinstance(field, mfields.List) and isinstance(value, list):
                return [convert(field.inner, v, here + (i,)) for i, v in enumerate(value)]
            if isinstance(field, mfields.Dict) and isinstance(value, dict) and field.value_field is not None:
                return {k: convert(field.value_field, v, here + (k,)) for k, v in value.items()}
            if isinstance(field, mfields.Nested) and isinstance(value, dict):
                return self.compile_option_texts(field.schema, value, here, roots)
            return value

        return {name: convert(schema.fields.get(name), value, path + (name,)) for name, value in loaded.items()}

    def compile_fields(self, raws: list, path: Path, roots: set | None) -> list[FieldSpec]:
        fields = []
        for index, raw in enumerate(raws):
            raw, here = _mapping(raw), path + (index,)
            kind_name = raw.get("type")
            if not isinstance(kind_name, str):
                continue
            if kind_name not in self.field_kinds:
                self.unknown_kind("field", kind_name, here + ("type",), self.field_kinds)
                continue
            kind = self.field_kinds.get(kind_name)
            extra = {k: v for k, v in raw.items() if k not in _COMMON_FIELD_KEYS}
            # a field's option texts (a status's labels ...) are words, rendered without data
            options = self.kind_options(kind, {**_mapping(raw.get("options")), **extra}, here, ())
            value = self.expr(raw.get("value"), here + ("value",), roots)
            if raw.get("value") is None:
                self.error(here + ("value",), "a field needs value: an expression such as account.balance")
            key = raw.get("key") or (raw.get("value") if isinstance(raw.get("value"), str) else f"field_{index}")
            fields.append(FieldSpec(
                key=str(key), kind=kind, label=self.text(raw.get("label"), here + ("label",), roots),
                value=value, options=frozen_map(options),
                visible_if=self.expr(raw.get("visible_if"), here + ("visible_if",), roots),
            ))
        return fields

    def compile_inputs(self, raws: list, path: Path, roots: set) -> list[InputSpec]:
        inputs = []
        for index, raw in enumerate(raws):
            raw, here = _mapping(raw), path + (index,)
            if not isinstance(raw.get("name"), str) or not isinstance(raw.get("type"), str):
                continue
            choices = tuple(
                Choice(str(c.get("value")), self.text(c.get("label"), here + ("choices", i, "label"))
                       or Text({}, self.locales[0]))
                for i, c in enumerate(_list(raw.get("choices"))) if isinstance(c, dict)
            )
            low, high = (self.input_bound(raw, key, here, roots) for key in ("min", "max"))
            if _above(low, high):
                self.error(here + ("min",), f"min ({raw['min']}) is above max ({raw['max']})")
            step = raw.get("step")
            if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float))
                                     or step <= 0 or raw["type"] != "number"):
                self.error(here + ("step",), "step is a positive number, on a number input (e.g. 0.01)")
                step = None
            inputs.append(InputSpec(
                name=raw["name"], type=raw["type"], label=self.text(raw.get("label"), here + ("label",)),
                required=bool(raw.get("required", False)), min=low, max=high,
                step=step, default=self.expr(raw.get("default"), here + ("default",), roots),
                choices=choices, choices_from=self.expr(raw.get("choices_from"), here + ("choices_from",), roots),
                choice_value=self.expr(raw.get("choice_value"), here + ("choice_value",)),
                choice_label=self.expr(raw.get("choice_label"), here + ("choice_label",)),
                exclude=self.expr(raw.get("exclude"), here + ("exclude",), roots),
                help=self.text(raw.get("help"), here + ("help",)),
                min_length=raw.get("min_length") if isinstance(raw.get("min_length"), int) else None,
                max_length=raw.get("max_length") if isinstance(raw.get("max_length"), int) else None,
                pattern=self.input_pattern(raw.get("pattern"), here + ("pattern",)),
                message=self.text(raw.get("message"), here + ("message",), roots),
            ))
            if raw["type"] == "select" and not choices and raw.get("choices_from") is None:
                self.error(here, "a select needs choices or choices_from")
        return inputs

    def input_bound(self, raw: Mapping, key: str, path: Path, roots: set) -> Any:
        """min or max of an input: a number (number inputs), an ISO date (date inputs), or an
        expression over the screen's data giving one, such as terms.max_days."""
        value = raw.get(key)
        if value is None:
            return None
        if raw["type"] not in ("number", "date"):
            self.error(path + (key,), f"{key} limits number and date inputs; for a text use {key}_length")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and raw["type"] == "number":
            return Decimal(str(value))
        if isinstance(value, date) and raw["type"] == "date":     # YAML reads 2025-01-31 as a date
            return value
        if isinstance(value, str) and raw["type"] == "number" and NUMERIC.fullmatch(value.strip()):
            return Decimal(value.strip())
        if isinstance(value, str) and value.strip():
            if raw["type"] == "date" and ISO_DATE.fullmatch(value.strip()):
                try:
                    return date.fromisoformat(value.strip())
                except ValueError:
                    pass
            return self.expr(value, path + (key,), roots)
        self.error(path + (key,), f"{key} of a {raw['type']} input is "
                                  + ("a number" if raw["type"] == "number" else "a date such as 2025-01-31")
                                  + " or an expression such as terms.max_days")
        return None

    def input_pattern(self, source: Any, path: Path) -> re.Pattern | None:
        if not isinstance(source, str):
            return None
        if len(source) > 500:
            self.error(path, "a pattern is at most 500 characters")
            return None
        try:
            compiled = re.compile(source)
        except re.error as exc:
            self.error(path, f"not a valid regular expression: {exc}")
            return None
        if _nested_repeat(re_parser.parse(source).data):
            self.error(path, "a repeat inside a repeat, such as (a+)+, can take the server minutes on one "
                             "wrong value; repeat the group once, such as a+")
            return None
        return compiled

    def link(self, raw: Mapping, path: Path, roots: set | None) -> LinkSpec | None:
        target = _name(raw.get("screen"))
        if target is None or target not in self.screen_routes:
            self.error(path + ("screen",), f"no screen {target!r}")
            return None
        params = {}
        for name, source in _mapping(raw.get("params")).items():
            expr = self.expr(source, path + ("params", name), roots)
            if expr is not None:
                params[name] = expr
        missing = [p for p in self.screen_routes[target] if p not in params]
        if missing:
            self.error(path + ("params",), f"screen {target!r} needs {', '.join(missing)}; add params: "
                                           + "{" + ", ".join(f"{m}: ..." for m in missing) + "}")
        return LinkSpec(target, frozen_map(params))

    # --- actions ----------------------------------------------------------------------------------
    def compile_action(self, raw: Mapping, path: Path) -> ActionSpec | None:
        action_id = raw.get("id")
        if not isinstance(action_id, str):
            return None
        screen, operation, handler, params = _name(raw.get("screen")), None, None, {}
        if sum(raw.get(k) is not None for k in ("screen", "op", "handler")) != 1:
            self.error(path, "an action needs exactly one of screen (a link), op (a billing operation) "
                             "or handler (an action of the engine)")
        if raw.get("screen") is not None and screen not in self.screen_routes:
            self.error(path + ("screen",), f"no screen {raw.get('screen')!r}")
        if raw.get("op") is not None or raw.get("handler") is not None:
            if raw.get("op") is not None:
                operation = self.operation(raw.get("op"), path + ("op",))
            else:
                handler = _name(raw.get("handler"))
                operation = self.handlers.get(handler or "")
                if operation is None:
                    self.error(path + ("handler",), f"unknown handler {raw.get('handler')!r} "
                                                    f"(known: {', '.join(sorted(self.handlers)) or 'none'})")
            if operation is not None:
                # read on each screen that offers the action: checked there (check_offered_action)
                params = self.call_params(operation, _mapping(raw.get("params")), path + ("params",),
                                          None, (), from_form=True)
        elif screen is not None:
            for name, source in _mapping(raw.get("params")).items():
                expr = self.expr(source, path + ("params", name), ACTION_ROOTS)
                if expr is not None:
                    params[name] = expr
        if raw.get("icon") not in (None, ""):
            self.check_icon(raw["icon"], path + ("icon",))
        next_screen = _name(raw.get("next"))
        if raw.get("next") is not None and next_screen not in self.screen_routes:
            self.error(path + ("next",), f"no screen {next_screen!r}")
        return ActionSpec(
            id=action_id, title=self.text(raw.get("title"), path + ("title",)) or Text({}, self.locales[0]),
            style=str(raw.get("style", "secondary")), icon=str(raw.get("icon", "")),
            screen=screen, operation=operation, handler=handler if operation else None, params=frozen_map(params),
            visible_if=self.expr(raw.get("visible_if"), path + ("visible_if",), None),
            confirm=self.text(raw.get("confirm"), path + ("confirm",)),
            confirm_label=self.text(raw.get("confirm_label"), path + ("confirm_label",)),
            success=self.text(raw.get("success"), path + ("success",)),
            next=next_screen if isinstance(next_screen, str) else None,
            roles=tuple(x for x in _list(raw.get("roles")) if isinstance(x, str)),
        )


class ScreenScope:
    def __init__(self, roots: set[str], route_params: tuple[str, ...], data_names: set[str], screen_id: str):
        self.screen_id = screen_id
        self.roots = roots
        self.route_params = route_params
        self.data_names = data_names


def _limits(operator: Mapping) -> dict:
    """The operator's top-up limits, where given as numbers (a structure error reports the rest)."""
    from decimal import Decimal, InvalidOperation

    limits = {}
    for key in ("top_up_min", "top_up_max"):
        try:
            if isinstance(operator.get(key), (int, float, str)) and not isinstance(operator.get(key), bool):
                limits[key] = Decimal(str(operator[key])).quantize(Decimal("0.01"))
        except InvalidOperation:
            pass
    return limits


def _above(low: Any, high: Any) -> bool:
    """Whether a literal min is above a literal max (two numbers, or two dates)."""
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        return low > high
    if isinstance(low, date) and isinstance(high, date):
        return low > high
    return False


def _nested_repeat(items, inside: bool = False) -> bool:
    """Whether a parsed regular expression repeats something that itself repeats (the shape whose
    matching time grows exponentially with a wrong value)."""
    for op, arg in items:
        if op in (re_parser.MAX_REPEAT, re_parser.MIN_REPEAT, re_parser.POSSESSIVE_REPEAT):
            low, high, body = arg
            repeats = high > low          # a fixed count such as {2} cannot backtrack
            if (repeats and inside) or _nested_repeat(body.data if hasattr(body, "data") else body,
                                                      inside or repeats):
                return True
        elif op == re_parser.SUBPATTERN and _nested_repeat(arg[-1].data if hasattr(arg[-1], "data") else arg[-1],
                                                           inside):
            return True
        elif op == re_parser.BRANCH and any(_nested_repeat(b.data if hasattr(b, "data") else b, inside)
                                            for b in arg[1]):
            return True
    return False


def _name(value: Any) -> str | None:
    """An id or name as written, or None when it is not a string (a structure error reports that)."""
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
