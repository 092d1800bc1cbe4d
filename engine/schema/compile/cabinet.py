"""The whole cabinet: operator, branding, the order nodes are compiled in, and the checks that span
screens (navigation, parents, the sign-in page's screens)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from ..content import compile_collections
from ..errors import SchemaInvalid, merge_repeated
from ..expressions import RESERVED_ROOTS
from ..model import Branding, Cabinet, NavItem, Operator, ScreenSpec, frozen_map
from ..palette import contrast_problems, dark_palette, light_palette
from ..structure import CabinetSchema
from ..ui_texts import compile_ui_texts
from .actions import check_action_texts, compile_action
from .capabilities import plan
from .context import CompileContext
from .screens import ROUTE_PARAM, compile_screen


def compile_document(ctx: CompileContext, version: str = "", source_label: str = "") -> Cabinet:
    """The cabinet, or ``SchemaInvalid`` with every problem found."""
    cabinet = ctx.load(CabinetSchema(), ctx.doc.data, ())
    # the language(s) texts are checked in: an unknown one was reported by the structure, once
    ctx.locales = list(_mapping(cabinet.get("operator")).get("locales") or ["ru"])
    operator = compile_operator(ctx, _mapping(cabinet.get("operator")))
    branding = compile_branding(ctx, _mapping(cabinet.get("branding")))
    ctx.collections = compile_collections(ctx.doc.data.get("content"), ctx.locales, ctx.error, ctx.text)

    screen_nodes: list[Mapping] = cabinet.get("screens", [])
    action_nodes: list[Mapping] = cabinet.get("actions", [])
    # what the binding cannot serve is left out, and everything leading to it with it
    ctx.unserved = plan(ctx.capabilities, screen_nodes, action_nodes)
    # what links, actions and navigation may name, known before any of them is compiled
    ctx.screen_routes = {node["id"]: tuple(ROUTE_PARAM.findall(node.get("route", "")))
                         for node in screen_nodes if "id" in node and not ctx.unserved.hides_screen(node["id"])}
    ctx.action_ids = {node["id"] for node in action_nodes
                      if "id" in node and not ctx.unserved.hides_action(node["id"])}

    for index, node in enumerate(action_nodes):
        if ctx.unserved.hides_action(node.get("id")):
            continue
        action = compile_action(ctx, node, ("actions", index))
        if action is None:
            continue
        if action.id in ctx.actions:
            ctx.error(("actions", index, "id"), f"the action id {action.id!r} is used twice")
        ctx.actions[action.id] = action
        ctx.action_paths.setdefault(action.id, ("actions", index))

    screens: dict[str, ScreenSpec] = {}
    screen_paths: dict[str, tuple] = {}
    routes: dict[str, str] = {}
    for index, node in enumerate(screen_nodes):
        if ctx.unserved.hides_screen(node.get("id")):
            continue
        screen = compile_screen(ctx, node, ("screens", index))
        if screen is None:
            continue
        if ctx.unserved.hides_screen(screen.parent):       # its back link would lead nowhere
            screen = replace(screen, parent=None)
        if screen.id in screens:
            ctx.error(("screens", index, "id"), f"the screen id {screen.id!r} is used twice")
        normalized = ROUTE_PARAM.sub("<>", screen.route)
        if normalized in routes:
            ctx.error(("screens", index, "route"), f"the route {screen.route} is also used by screen "
                                                   f"{routes[normalized]!r}")
        routes[normalized] = screen.id
        screens[screen.id] = screen
        screen_paths.setdefault(screen.id, ("screens", index))

    navigation = compile_navigation(ctx, cabinet.get("navigation", []), screens)
    for key in ("support_screen", "join_screen"):
        target = getattr(operator, key)
        if target and (target not in screens or "guest" not in screens[target].roles
                       or screens[target].route_params):
            ctx.error(("operator", key), f"{key} names a screen for the sign-in page: it must exist, "
                                         f"be public (roles include guest) and need no parameters")
    for screen in screens.values():
        if screen.parent and screen.parent not in screens:
            ctx.error(screen_paths[screen.id] + ("parent",), f"no screen {screen.parent!r}")

    offered = {action_id for action_id, _screen in ctx.offers_checked}
    for action in ctx.actions.values():
        if action.operation is not None and action.id not in offered:   # shown nowhere: the engine's names only
            check_action_texts(ctx, action, set(RESERVED_ROOTS), "")
    ui_texts = compile_ui_texts(ctx.doc.data.get("translations"), list(ctx.locales), ctx.error)

    if ctx.issues:
        raise SchemaInvalid(merge_repeated(ctx.issues))
    return Cabinet(
        version=version, source_label=source_label, operator=operator, branding=branding,
        navigation=tuple(navigation), screens=frozen_map(screens), actions=frozen_map(ctx.actions),
        operations_used=frozenset(ctx.operations_used), content=ctx.collections,
        hidden_note=ctx.unserved.note(ctx.binding_name),
        honeypots=frozen_map(ctx.honeypots),
        ui_texts=frozen_map({locale: frozen_map(texts) for locale, texts in ui_texts.items()}),
    )


def compile_operator(ctx: CompileContext, node: Mapping) -> Operator:
    limits = {key: node[key] for key in ("top_up_min", "top_up_max") if node.get(key) is not None}
    return Operator(
        name=ctx.title(node.get("name", ""), ("operator", "name")),
        currency=node.get("currency", ""), timezone=node.get("timezone", ""), locales=tuple(ctx.locales),
        **{key: node[key] for key in ("support_email", "sales_email", "support_phone", "support_screen",
                                      "join_screen") if key in node},
        **limits,
    )


def compile_branding(ctx: CompileContext, node: Mapping) -> Branding:
    colors = node.get("colors", {})
    # Text the subscriber cannot read is a schema error like any other (WCAG AA, 4.5:1).
    for name, message in contrast_problems(colors):
        ctx.error(("branding", "colors", name), message)
    light = light_palette(colors)
    return Branding(logo=node.get("logo", ""), colors=frozen_map(colors), font=node.get("font", ""),
                    radius=node.get("radius"), light=light, dark=dark_palette(light))


def compile_navigation(ctx: CompileContext, nodes: list[Mapping], screens: Mapping[str, ScreenSpec]) -> list[NavItem]:
    """The tab bar: screens that need no parameters."""
    navigation = []
    for index, node in enumerate(nodes):
        path = ("navigation", index)
        target = screens.get(node.get("screen", ""))
        if target is None:
            if "screen" in node and not ctx.unserved.hides_screen(node["screen"]):   # a hidden screen's tab goes
                ctx.error(path + ("screen",), f"no screen {node['screen']!r}")
            continue
        if target.route_params:
            ctx.error(path + ("screen",), f"screen {target.id!r} needs {', '.join(target.route_params)} "
                                          f"and cannot be a tab")
        title = ctx.text(node["title"], path + ("title",)) if "title" in node else None
        if "icon" in node:
            ctx.check_icon(node["icon"], path + ("icon",))
        navigation.append(NavItem(target.id, node.get("icon", target.id), title or target.title))
    return navigation


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}
