"""Where operator texts run: Jinja2's sandbox, with a budget on every render and checks at
validation for what would exceed it.

A text formats data; it does not compute. So a render may take at most ``MAX_TICKS`` loop
iterations and macro calls, ``MAX_SECONDS`` of time and ``MAX_OUTPUT`` characters; ``range`` and
the numbers given to string methods and filters are small; a power or a repetition is refused.
What exceeds a budget raises ``BudgetExceeded``, which the page turns into one degraded section.
At validation, the shapes that can only exceed it are refused where the operator sees them: a macro
that calls itself, loops nested deeper than ``MAX_LOOP_NESTING``, a literal ``range`` above the
limit, nesting deeper than ``MAX_DEPTH``.
"""
from __future__ import annotations

import functools
import time
from typing import Any, Iterator

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_TICKS = 50_000          # loop iterations and macro calls in one render
MAX_SECONDS = 0.5           # a backstop for what ticks do not count (one huge sort ...)
MAX_OUTPUT = 200_000        # characters one text may produce
MAX_RANGE = 10_000          # items of range(); a text never needs more
MAX_SIZE = 100_000          # a number given to a string method or filter (center, ljust, indent ...)
MAX_LOOP_NESTING = 3
MAX_DEPTH = 24              # nodes inside nodes: deeper templates are refused before compiling
TICK = "__tick__"           # the render's budget, as a name the injected calls use


class BudgetExceeded(SecurityError):
    """A render went over its budget (time, loop iterations, output size)."""


class Budget:
    """One render's allowance; ``tick`` is called at each loop iteration and macro call."""

    def __init__(self) -> None:
        self.ticks = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> str:
        self.ticks += 1
        if self.ticks > MAX_TICKS:
            raise BudgetExceeded(f"more than {MAX_TICKS} loop iterations or macro calls")
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"more than {MAX_SECONDS} s")
        return ""


class TickEachIteration(Extension):
    """Puts ``{{ __tick__() }}`` at the start of every loop body, macro and call block, so the
    render's budget counts them (the compiled loop itself checks nothing)."""

    COUNTED = frozenset({"for", "macro", "call"})

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        counted = False
        previous = None
        for token in stream:
            yield token
            if previous is not None and previous.type == "block_begin":
                counted = token.type == "name" and token.value in self.COUNTED
            if token.type == "block_end" and counted:
                counted = False
                line = token.lineno
                yield from (Token(line, "variable_begin", "{{"), Token(line, "name", TICK),
                            Token(line, "lparen", "("), Token(line, "rparen", ")"), Token(line, "variable_end", "}}"))
            previous = token


class TextSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing arithmetic, ranges and sizes that would take the server's time or
    memory (``10 ** 10 ** 9``, ``'x' * 10 ** 10``, ``'x'.center(10 ** 9)``)."""

    intercepted_binops = frozenset({"**", "*"})

    def __init__(self, **options: Any) -> None:
        super().__init__(extensions=[TickEachIteration], **options)
        self.globals["range"] = bounded_range
        self.filters = {name: _bounded_filter(function) for name, function in self.filters.items()
                        if name not in UNSAFE_FILTERS}

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (not isinstance(right, (int, float)) or abs(right) > 64
                                 or not isinstance(left, (int, float)) or abs(left) > MAX_SIZE):
            raise SecurityError("a power in an operator text is limited to small numbers")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) \
                        and len(sequence) * max(times, 0) > MAX_SIZE:
                    raise SecurityError("repetition in an operator text is limited")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        if isinstance(getattr(__obj, "__self__", None), (str, list)):      # 'x'.center(n), 'x'.zfill(n) ...
            _check_sizes(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


# filters that print Python internals or take the server's time for nothing a subscriber reads
UNSAFE_FILTERS = frozenset({"pprint", "random", "xmlattr", "urlize", "filesizeformat", "forceescape"})


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() in an operator text is limited to {MAX_RANGE} items")
    return numbers


def _check_sizes(args, kwargs) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise SecurityError(f"a number given to a function in an operator text is limited to {MAX_SIZE}")


def _bounded_filter(function):
    # the filtered value comes after the context or environment Jinja passes first to some filters
    skip = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)        # keeps Jinja's pass_context / pass_environment marks
    def bounded(*args, **kwargs):
        _check_sizes(args[skip:], kwargs)         # the filter's own arguments: center(10 ** 9) ...
        result = function(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_OUTPUT:
            raise BudgetExceeded(f"a filter produced more than {MAX_OUTPUT} characters")
        return result
    return bounded


def render_within_budget(template, context: dict[str, Any]) -> str:
    """Render ``template`` under a fresh budget; raises ``BudgetExceeded`` or the sandbox's refusal."""
    budget = Budget()
    chunks: list[str] = []
    size = 0
    for chunk in template.generate({**context, TICK: budget.tick}):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise BudgetExceeded(f"more than {MAX_OUTPUT} characters of output")
        chunks.append(chunk)
    return "".join(chunks)


# --- checks at validation --------------------------------------------------------------------------

def template_problems(ast: nodes.Template) -> list[str]:
    """What in a parsed text can only go over its budget, in words an operator can act on."""
    problems: list[str] = []
    macros: dict[str, set[str]] = {}
    stack: list[tuple[nodes.Node, int, int, str | None]] = [(ast, 0, 0, None)]   # node, depth, loops, macro
    while stack:
        node, depth, loops, macro = stack.pop()
        if depth > MAX_DEPTH:
            return [f"the template is nested more than {MAX_DEPTH} levels deep; split it into simpler texts"]
        if isinstance(node, nodes.For):
            loops += 1
            if loops > MAX_LOOP_NESTING:
                problems.append(f"loops are nested more than {MAX_LOOP_NESTING} deep")
                loops = -10 ** 6          # said once
        if isinstance(node, nodes.Macro):
            macro = node.name
            macros.setdefault(macro, set())
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if macro is not None:
                macros[macro].add(node.node.name)
            if node.node.name == "range":
                too_big = [a.value for a in node.args if isinstance(a, nodes.Const) and isinstance(a.value, int)
                           and abs(a.value) > MAX_RANGE]
                if too_big:
                    problems.append(f"range({too_big[0]}) is above the limit of {MAX_RANGE} items")
        stack.extend((child, depth + 1, loops, macro) for child in node.iter_child_nodes())
    for name in sorted(macros):
        if _reaches(name, name, macros, set()):
            problems.append(f"the macro {name!r} calls itself (directly or through another); a text cannot recurse")
    return problems


def _reaches(start: str, target: str, calls: dict[str, set[str]], seen: set[str]) -> bool:
    for called in calls.get(start, ()):
        if called == target:
            return True
        if called in calls and called not in seen:
            seen.add(called)
            if _reaches(called, target, calls, seen):
                return True
    return False
