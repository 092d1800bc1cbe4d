"""Sections: what every section has (title, visibility, fields, actions, a link), what its kind lets it
hold (items, child sections, a form), and the kind's own options and checks."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..errors import Path
from ..expressions import Text
from ..model import InputSpec, ItemAction, LinkSpec, SectionSpec, frozen_map
from ..structure import SectionSchema, keys_of
from .actions import check_offered_action
from .context import CompileContext, ScreenScope
from .fields import compile_fields
from .inputs import compile_inputs
from .options import kind_options

_COMMON_KEYS = keys_of(SectionSchema())


def compile_sections(ctx: CompileContext, nodes: list[Mapping], path: Path, scope: ScreenScope) -> list[SectionSpec]:
    sections, ids = [], set()
    for index, node in enumerate(nodes):
        section = compile_section(ctx, node, path + (index,), scope, index)
        if section is None:
            continue
        lacking = sorted({op for name in section.depends_on & set(scope.unserved) for op in scope.unserved[name]})
        if lacking:         # it reads optional data the binding cannot give: hidden (capabilities.py)
            ctx.unserved.sections[f"{scope.screen_id}.{section.id}"] = tuple(lacking)
            continue
        if section.id in ids:
            ctx.error(path + (index, "id"), f"the section id {section.id!r} is used twice on this screen")
        ids.add(section.id)
        sections.append(section)
    return sections


def compile_section(ctx: CompileContext, node: Mapping, path: Path, scope: ScreenScope,
                    index: int) -> SectionSpec | None:
    if ctx.unserved.hides_action(node.get("submit")):      # a form whose action the binding cannot run
        section_id = node.get("id") or f"{node.get('type')}_{index}"
        ctx.unserved.sections[f"{scope.screen_id}.{section_id}"] = ctx.unserved.actions[node["submit"]]
        return None
    kind = ctx.kind("section", node.get("type"), path + ("type",), ctx.section_kinds)
    if kind is None:
        return None
    extra = {key: value for key, value in node.items() if key not in _COMMON_KEYS and key != "field_list"}
    # a section's option texts (intro, empty_text ...) are rendered with the screen's data
    options = kind_options(ctx, kind, {**node.get("options", {}), **extra}, path, scope.roots)

    items = None
    if kind.has_items:
        if "items" not in node:
            ctx.error(path + ("items",), f"a {kind.name} section needs items: an expression giving a list")
        items = ctx.expr(node.get("items"), path + ("items",), scope.roots)
    elif "items" in node:
        ctx.error(path + ("items",), f"a {kind.name} section takes no items")
    # item fields, links and actions read the item, not the screen
    item_roots = None if kind.has_items else scope.roots
    fields = compile_fields(ctx, node.get("field_list", []), path + ("fields",), item_roots)
    link = compile_link(ctx, node["link"], path + ("link",), item_roots) if "link" in node else None

    actions = compile_section_actions(ctx, node.get("actions", []), path + ("actions",), scope)
    item_actions = compile_item_actions(ctx, node.get("item_actions", []), path + ("item_actions",))
    if item_actions and not kind.has_items:
        ctx.error(path + ("item_actions",), f"a {kind.name} section has no items to put actions on")

    children: tuple[SectionSpec, ...] = ()
    if kind.has_children:
        children = tuple(compile_sections(ctx, node.get("sections", []), path + ("sections",), scope))
        if not children:
            ctx.error(path + ("sections",), f"a {kind.name} section needs sections inside it")
    elif "sections" in node:
        ctx.error(path + ("sections",), f"a {kind.name} section cannot hold sections")

    inputs: tuple[InputSpec, ...] = ()
    submit = node.get("submit")
    if kind.has_form:
        inputs = tuple(compile_inputs(ctx, node.get("inputs", []), path + ("inputs",), scope.roots))
        if submit is not None and submit not in ctx.action_ids:
            ctx.error(path + ("submit",), f"a form needs submit: the id of an action (no action {submit!r})")
            submit = None
        traps = frozenset(i.name for i in inputs if i.kind.trap)
        if traps and submit:
            ctx.honeypots[submit] = ctx.honeypots.get(submit, frozenset()) | traps
    elif "inputs" in node or "submit" in node:
        ctx.error(path + ("inputs" if "inputs" in node else "submit",), f"a {kind.name} section has no form")
        submit = None

    for action_id in {*actions, *(a.action for a in item_actions), *([submit] if submit else [])}:
        check_offered_action(ctx, action_id, scope)
    visible_if = ctx.expr(node.get("visible_if"), path + ("visible_if",), scope.roots)
    section = SectionSpec(
        id=node.get("id") or f"{kind.name}_{index}", kind=kind,
        title=ctx.text(node.get("title"), path + ("title",), scope.roots), options=frozen_map(options),
        fields=tuple(fields), visible_if=visible_if, items=items, link=link, actions=tuple(actions),
        item_actions=tuple(item_actions), children=children, inputs=inputs, submit=submit,
        origin=ctx.doc.locations.get(path),
    )
    section = replace(section, depends_on=frozenset(reads(ctx, section) & scope.data_names))
    # what only this kind knows: its options together, its form's rules ...
    for sub_path, message in kind.check(section, node):
        ctx.error(path + tuple(sub_path), message)
    return section


def reads(ctx: CompileContext, section: SectionSpec) -> set[str]:
    """The data names a section reads where a failure of that data would make it wrong."""
    used: set[str] = set()
    for expr in (section.items, section.visible_if):
        used |= expr.roots if expr else set()
    if section.items is None:
        for field in section.fields:
            for expr in (field.value, field.visible_if):
                used |= expr.roots if expr else set()
    for child in section.children:
        used |= child.depends_on
    for action_id in section.actions:
        visible_if = ctx.actions[action_id].visible_if
        used |= visible_if.roots if visible_if else set()
    for inp in section.inputs:
        for expr in (inp.default, inp.choices_from):
            used |= expr.roots if expr else set()
    used |= section.title.roots if section.title else set()
    for value in section.options.values():
        used |= value.roots if isinstance(value, Text) else set()
    return used


def compile_section_actions(ctx: CompileContext, ids: list[Any], path: Path, scope: ScreenScope) -> list[str]:
    """Buttons under a section; their visibility rules read this screen."""
    actions = []
    for index, action_id in enumerate(ids):
        if ctx.unserved.hides_action(action_id):       # hidden: its button goes with it
            continue
        if not isinstance(action_id, str) or action_id not in ctx.action_ids:
            ctx.error(path + (index,), f"no action {action_id!r} in actions")
            continue
        actions.append(action_id)
        action = ctx.actions.get(action_id)
        if action is not None and action.visible_if is not None:
            ctx.check_roots(action.visible_if.roots, scope.roots, path + (index,))
    return actions


def compile_item_actions(ctx: CompileContext, nodes: list[Mapping], path: Path) -> list[ItemAction]:
    """Buttons on each item: an op or handler action, its form values taken from the item."""
    compiled = []
    for index, node in enumerate(nodes):
        here = path + (index,)
        if ctx.unserved.hides_action(node.get("action")):  # hidden: its button goes with it
            continue
        action = ctx.actions.get(node.get("action", ""))
        if action is None or action.operation is None:
            if "action" in node:
                ctx.error(here + ("action",), f"no op or handler action {node['action']!r} in actions")
            continue
        params = ctx.exprs(node.get("params", {}), here + ("params",))     # read on the item: no root check
        compiled.append(ItemAction(action.id, frozen_map(params),
                                   ctx.expr(node.get("visible_if"), here + ("visible_if",))))
    return compiled


def compile_link(ctx: CompileContext, node: Mapping, path: Path, roots) -> LinkSpec | None:
    target = node.get("screen")
    if ctx.unserved.hides_screen(target):                 # hidden: its items lead nowhere
        return None
    if target not in ctx.screen_routes:
        if "screen" in node:
            ctx.error(path + ("screen",), f"no screen {target!r}")
        return None
    params = ctx.exprs(node.get("params", {}), path + ("params",), roots)
    missing = [p for p in ctx.screen_routes[target] if p not in params]
    if missing:
        ctx.error(path + ("params",), f"screen {target!r} needs {', '.join(missing)}; add params: "
                                      + "{" + ", ".join(f"{m}: ..." for m in missing) + "}")
    return LinkSpec(target, frozen_map(params))
