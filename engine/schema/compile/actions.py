"""Actions: a link to a screen, a billing operation or an engine handler, with its texts. Params and
texts of an operation are read on each screen that offers it, so they are checked there."""
from __future__ import annotations

from typing import Mapping

from ..errors import Path
from ..expressions import RESERVED_ROOTS
from ..model import ActionSpec, frozen_map
from .context import CompileContext, ScreenScope


def compile_action(ctx: CompileContext, node: Mapping, path: Path) -> ActionSpec | None:
    if "id" not in node:
        return None
    targets = [key for key in ("screen", "op", "handler") if key in node]
    if len(targets) != 1:
        ctx.error(path, "an action needs exactly one of screen (a link), op (a billing operation) "
                        "or handler (an action of the engine)")
    screen, operation, handler, params = node.get("screen"), None, None, {}
    if screen is not None and screen not in ctx.screen_routes:
        ctx.error(path + ("screen",), f"no screen {screen!r}")
    if "op" in node:
        operation = ctx.operation(node["op"], path + ("op",))
    elif "handler" in node:
        operation = ctx.handler(node["handler"], path + ("handler",))
        handler = node["handler"] if operation is not None else None
    if operation is not None:
        # read on each screen that offers the action: checked there (check_offered_action)
        params = ctx.call_params(operation, node.get("params", {}), path + ("params",), None, (), from_form=True)
    elif screen is not None:
        params = ctx.exprs(node.get("params", {}), path + ("params",), RESERVED_ROOTS)
    if node.get("icon"):
        ctx.check_icon(node["icon"], path + ("icon",))
    next_screen = node.get("next")
    if ctx.unserved.hides_screen(next_screen):      # hidden: after success the subscriber stays where they were
        next_screen = None
    if next_screen is not None and next_screen not in ctx.screen_routes:
        ctx.error(path + ("next",), f"no screen {next_screen!r}")
    return ActionSpec(
        id=node["id"], title=ctx.title(node.get("title"), path + ("title",)),
        style=node.get("style", "secondary"), icon=node.get("icon", ""),
        screen=screen, operation=operation, handler=handler, params=frozen_map(params),
        visible_if=ctx.expr(node.get("visible_if"), path + ("visible_if",), None),
        confirm=ctx.text(node.get("confirm"), path + ("confirm",)),
        confirm_label=ctx.text(node.get("confirm_label"), path + ("confirm_label",)),
        success=ctx.text(node.get("success"), path + ("success",)),
        next=next_screen, roles=tuple(node.get("roles", ())), required=node["required"],
    )


def check_offered_action(ctx: CompileContext, action_id: str, scope: ScreenScope) -> None:
    """An action's params and texts read the screen that offers it (its data, the checked form,
    the engine's names): checked once for each screen."""
    action = ctx.actions.get(action_id)
    if action is None or action.operation is None or (action_id, scope.screen_id) in ctx.offers_checked:
        return
    ctx.offers_checked.add((action_id, scope.screen_id))
    check_action_texts(ctx, action, scope.roots | {"form"},
                       f"on screen {scope.screen_id!r}, which offers this action")


def check_action_texts(ctx: CompileContext, action: ActionSpec, roots: set[str] | frozenset[str],
                       where: str) -> None:
    path = ctx.action_paths.get(action.id, ("actions",))
    for name, expr in action.params.items():
        ctx.check_roots(expr.roots, roots, path + ("params", name), where=where)
    if action.confirm is not None:
        ctx.check_roots(action.confirm.roots, roots, path + ("confirm",), what="text", where=where)
    if action.success is not None:
        ctx.check_roots(action.success.roots, roots | {"result"}, path + ("success",), what="text", where=where)
