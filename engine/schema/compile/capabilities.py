"""What the billing binding cannot serve is hidden, not refused.

A screen whose data needs an operation the binding lacks (its required data: optional data only
hides the sections that read it), an action that runs one, and a link action to a hidden screen
are left out of the compiled cabinet, and so are the tabs, buttons and links that lead to them.
Nothing of that reaches a subscriber, and one line at start-up (``Cabinet.hidden_note``, also
printed by ``cabinet validate``) says what was hidden and why. A screen or action the operator
marks ``required: true`` is never hidden: without its operation the cabinet is refused, as before,
with the place named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ...billing.contract import OPERATIONS


@dataclass
class Unserved:
    """What is hidden for want of operations: id -> the operations it lacks."""

    screens: dict[str, tuple[str, ...]] = field(default_factory=dict)
    actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)    # "screen.section" -> ...

    def hides_screen(self, name: Any) -> bool:
        return isinstance(name, str) and name in self.screens

    def hides_action(self, name: Any) -> bool:
        return isinstance(name, str) and name in self.actions

    def note(self, binding_name: str) -> str:
        """The start-up line, or "" when nothing is hidden."""
        lacking = sorted({op for ops in (*self.screens.values(), *self.actions.values(), *self.sections.values())
                          for op in ops})
        if not lacking:
            return ""
        parts = [f"{what} {', '.join(sorted(ids))}" for what, ids in
                 (("screens", self.screens), ("sections", self.sections), ("actions", self.actions)) if ids]
        return (f"hidden because {binding_name} does not provide {', '.join(lacking)}: {'; '.join(parts)} "
                f"(mark a screen or an action required: true to refuse the cabinet instead)")


def lacking(capabilities: frozenset[str] | None, operations: Iterable[Any]) -> tuple[str, ...]:
    """The contract's operations among ``operations`` that the binding does not provide (an unknown
    name is not lacking: compiling reports it)."""
    if capabilities is None:
        return ()
    return tuple(sorted({op for op in operations
                         if isinstance(op, str) and op in OPERATIONS and op not in capabilities}))


def plan(capabilities: frozenset[str] | None, screen_nodes: list[Mapping], action_nodes: list[Mapping]) -> Unserved:
    """The screens and actions to leave out, before anything refers to them."""
    unserved = Unserved()
    if capabilities is None:
        return unserved
    for node in screen_nodes:
        data = node.get("data") or {}
        needed = [call.get("op") for call in data.values() if isinstance(call, Mapping) and not call.get("optional")]
        missing = lacking(capabilities, needed)
        if missing and isinstance(node.get("id"), str) and not node.get("required"):
            unserved.screens[node["id"]] = missing
    for node in action_nodes:
        missing = lacking(capabilities, [node.get("op")])
        if missing and isinstance(node.get("id"), str) and not node.get("required"):
            unserved.actions[node["id"]] = missing
    for node in action_nodes:       # a link to a hidden screen opens nothing: hidden with it
        action_id, target = node.get("id"), node.get("screen")
        if (isinstance(action_id, str) and isinstance(target, str) and target in unserved.screens
                and not unserved.hides_action(action_id) and not node.get("required")):
            unserved.actions[action_id] = unserved.screens[target]
    return unserved
