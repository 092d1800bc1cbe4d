"""A screen: its address, the data it reads (billing operations, engine handlers, content) and its
sections."""
from __future__ import annotations

import re
from typing import Mapping

from ..errors import Path
from ..expressions import RESERVED_ROOTS
from ..model import DataCall, ScreenSpec, SectionSpec, frozen_map
from .capabilities import lacking
from .context import CompileContext, ScreenScope
from .lists import billed_lists
from .sections import compile_sections

ROUTE_PARAM = re.compile(r"<([a-z_]+)>")
# The engine's own addresses: a screen there could never be reached. The schema knows no Flask, so
# this is a copy of the web app's URL map; tests/test_schema_pipeline.py compares the two.
RESERVED_PATHS = frozenset({"login", "logout", "account", "actions", "api", "healthz", "static", "media", "language",
                            "passkeys", "preview", "password", "payments", "pay", "sandbox-acquirer",
                            "offline", "icons", "quick-code"})
CALL_ROOTS = RESERVED_ROOTS - {"form"}          # a screen's data is read before any form


def compile_screen(ctx: CompileContext, node: Mapping, path: Path) -> ScreenSpec | None:
    if "id" not in node or "route" not in node:       # the structure named what is missing
        return None
    screen_id, route = node["id"], node["route"]
    route_params = tuple(ROUTE_PARAM.findall(route))
    if len(set(route_params)) != len(route_params):
        ctx.error(path + ("route",), "a route names each parameter once")
        return None
    first = route.split("/")[1]
    if first in RESERVED_PATHS:
        ctx.error(path + ("route",), f"/{first} is the engine's own address; choose another route")
        return None
    data, unserved = {}, {}
    for name, call_node in node.get("data", {}).items():
        missing = lacking(ctx.capabilities, [call_node.get("op")]) if isinstance(call_node, Mapping) else ()
        if missing and not node.get("required"):      # optional data (required data hid the screen)
            unserved[name] = missing
            continue
        call = compile_call(ctx, name, call_node, path + ("data", name), route_params)
        if call is not None:
            data[name] = call
    data_names = frozenset(data) | frozenset(unserved) | ctx.sample_names
    scope = ScreenScope(screen_id, data_names | CALL_ROOTS, route_params, data_names, frozen_map(unserved))
    sections = tuple(compile_sections(ctx, node.get("sections", []), path + ("sections",), scope))
    check_query_names(ctx, sections, path + ("sections",), route_params)
    title = ctx.title(node.get("title"), path + ("title",), scope.roots)
    return ScreenSpec(
        id=screen_id, route=route, title=title, roles=tuple(node["roles"]), data=frozen_map(data),
        sections=sections, route_params=route_params, parent=node.get("parent"), required=node["required"],
        paged=frozen_map(billed_lists(title, data, sections, ctx.actions)),
    )


def check_query_names(ctx: CompileContext, sections: tuple[SectionSpec, ...], path: Path,
                      route_params: tuple[str, ...]) -> None:
    """A list's page parameter is its own: another section reading it (another list's page, a
    search, a get form's input) or a route parameter of the same name would turn both pages."""
    readers: list[tuple[Path, SectionSpec, str, str]] = []

    def walk(specs: tuple[SectionSpec, ...], here: Path) -> None:
        for index, spec in enumerate(specs):
            for name, purpose in spec.kind.query_names(spec).items():
                readers.append((here + (index,), spec, name, purpose))
            walk(spec.children, here + (index, "sections"))

    walk(sections, path)
    for position, (where, spec, name, purpose) in enumerate(readers):
        if purpose != "page":
            continue
        # two lists: said once, at the second; a search or an input: said at the list
        others = [other for at, (_where, other, other_name, other_purpose) in enumerate(readers)
                  if other_name == name and other is not spec and (other_purpose != "page" or at < position)]
        if others or name in route_params:
            also = f"section {others[0].id!r} also reads ?{name}" if others else f"the route has <{name}>"
            ctx.error(where + ("page_param",), f"the page of this list is ?{name}, but {also}; give this list "
                                               f"a page_param of its own, such as {spec.id}_page")


def compile_call(ctx: CompileContext, name: str, node: Mapping, path: Path,
                 route_params: tuple[str, ...]) -> DataCall | None:
    """One named piece of a screen's data: a billing operation, an engine handler or content."""
    if name in RESERVED_ROOTS:
        ctx.error(path, f"{name!r} is a name the engine provides; call this data something else")
        return None
    if sum(key in node for key in ("op", "handler", "content")) != 1:
        ctx.error(path, "give one of op (a billing operation), handler (the engine's own data) "
                        "or content (a collection)")
        return None
    if "content" in node:
        return content_call(ctx, name, node, path)
    if "op" in node:
        source, handler, operation = "op", None, ctx.operation(node["op"], path + ("op",))
    else:
        source, handler = "handler", node["handler"]
        operation = ctx.handler(handler, path + ("handler",))
    if operation is None:
        return None
    if operation.mutation:
        ctx.error(path + (source,), f"{operation.name!r} changes data; run it from an action, "
                                    f"not from a screen's data")
        return None
    params = ctx.call_params(operation, node.get("params", {}), path + ("params",), CALL_ROOTS, route_params,
                             from_form=False)
    return DataCall(name, operation, frozen_map(params), node.get("timeout"), optional=node["optional"],
                    handler=handler)


def content_call(ctx: CompileContext, name: str, node: Mapping, path: Path) -> DataCall | None:
    collection = node["content"]
    if collection not in ctx.collections:
        known = ", ".join(sorted(ctx.collections)) or "none"
        ctx.error(path + ("content",), f"no content collection {collection!r} (content: {known})")
        return None
    if "params" in node or "timeout" in node:
        ctx.error(path, "content takes only id (an expression naming one item), no params or timeout")
    item_id = ctx.expr(node["id"], path + ("id",), CALL_ROOTS) if "id" in node else None
    return DataCall(name, None, frozen_map(), None, content=collection, item_id=item_id, optional=node["optional"])
