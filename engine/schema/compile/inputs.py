"""A form's inputs: their rules (required, min/max, length, pattern, choices) are compiled here and
applied on the server to what comes back (engine/assembly/forms.py)."""
from __future__ import annotations

import re
import re._parser as re_parser   # only to spot patterns that backtrack without end
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from ...kinds.inputs import INPUT_KINDS
from ..errors import Path
from ..expressions import Expr
from ..model import Choice, InputSpec
from .context import CompileContext

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMERIC = re.compile(r"[+-]?\d{1,13}(?:\.\d{1,6})?")


def compile_inputs(ctx: CompileContext, nodes: list[Mapping], path: Path, roots: frozenset[str]) -> list[InputSpec]:
    inputs = []
    for index, node in enumerate(nodes):
        here = path + (index,)
        if "name" not in node or "type" not in node:      # the structure named what is wrong
            continue
        kind = INPUT_KINDS[node["type"]]
        choices = tuple(Choice(choice["value"], ctx.title(choice.get("label"), here + ("choices", i, "label")))
                        for i, choice in enumerate(node.get("choices", [])) if "value" in choice)
        # a bound may read the inputs before it (form.date_from), as the server checked them; the
        # page is drawn before any form, so there form is null and a bound gives its fallback (||)
        low, high = (input_bound(ctx, node, key, here, roots | {"form"}) for key in ("min", "max"))
        if _above(low, high):
            ctx.error(here + ("min",), f"min ({node['min']}) is above max ({node['max']})")
        step = node.get("step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float))
                                 or step <= 0 or not kind.takes_step):
            ctx.error(here + ("step",), "step is a positive number, on a number input (e.g. 0.01)")
            step = None
        if kind.chooses and not choices and "choices_from" not in node:
            ctx.error(here, "a select needs choices or choices_from")
        inputs.append(InputSpec(
            name=node["name"], type=kind.name, label=ctx.text(node.get("label"), here + ("label",)),
            required=node["required"], min=low, max=high, step=step,
            default=ctx.expr(node.get("default"), here + ("default",), roots),
            choices=choices, choices_from=ctx.expr(node.get("choices_from"), here + ("choices_from",), roots),
            choice_value=ctx.expr(node.get("choice_value"), here + ("choice_value",)),
            choice_label=ctx.expr(node.get("choice_label"), here + ("choice_label",)),
            exclude=ctx.expr(node.get("excluded"), here + ("exclude",), roots),
            help=ctx.text(node.get("help"), here + ("help",)),
            min_length=node.get("min_length"), max_length=node.get("max_length"),
            pattern=input_pattern(ctx, node.get("pattern"), here + ("pattern",)),
            message=ctx.text(node.get("message"), here + ("message",), roots),
        ))
    return inputs


def input_bound(ctx: CompileContext, node: Mapping, key: str, path: Path, roots: frozenset[str]) -> Any:
    """min or max of an input: a number (number inputs), an ISO date (date inputs), or an
    expression over the screen's data giving one, such as terms.max_days, which may read the
    inputs above it as ``form`` (``form.date_from || terms.earliest_start``)."""
    value, bounds = node.get(key), INPUT_KINDS[node["type"]].bounds
    if value is None:
        return None
    if bounds is None:
        ctx.error(path + (key,), f"{key} limits number and date inputs; for a text use {key}_length")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and bounds == "number":
        return Decimal(str(value))
    if isinstance(value, date) and bounds == "date":     # YAML reads 2025-01-31 as a date
        return value
    if isinstance(value, str) and bounds == "number" and NUMERIC.fullmatch(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, str) and value.strip():
        if bounds == "date" and ISO_DATE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        return ctx.expr(value, path + (key,), roots)
    ctx.error(path + (key,), f"{key} of a {node['type']} input is "
                             + ("a number" if bounds == "number" else "a date such as 2025-01-31")
                             + " or an expression such as terms.max_days")
    return None


def input_pattern(ctx: CompileContext, source: str | None, path: Path) -> re.Pattern | None:
    if source is None:
        return None
    if len(source) > 500:
        ctx.error(path, "a pattern is at most 500 characters")
        return None
    try:
        compiled = re.compile(source)
    except re.error as exc:
        ctx.error(path, f"not a valid regular expression: {exc}")
        return None
    if _nested_repeat(re_parser.parse(source).data):
        ctx.error(path, "a repeat inside a repeat, such as (a+)+, can take the server minutes on one "
                        "wrong value; repeat the group once, such as a+")
        return None
    return compiled


def _above(low: Decimal | date | Expr | None, high: Decimal | date | Expr | None) -> bool:
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
