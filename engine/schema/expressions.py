"""Compiled expressions (JMESPath) and operator texts (sandboxed Jinja2), compiled once per cabinet.

Expressions select data and never run code. Texts with ``{{ }}`` are Jinja2 templates run in a
sandbox with a few formatting filters; any other text is returned as is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Mapping
from typing import Any

import jmespath
from jmespath import exceptions as jp_exceptions
from jinja2 import TemplateSyntaxError, meta, pass_context
from jinja2.sandbox import SecurityError
from jmespath.exceptions import JMESPathError

from ..jmes import ArithmeticFunctions, add_days, days_between
from .sandbox import TICK, TextSandbox, render_within_budget, template_problems

log = logging.getLogger(__name__)

# Context names the engine provides besides the screen's own data.
RESERVED_ROOTS = frozenset({"params", "query", "form", "user", "account_id", "today", "month_start"})
FORMATTER_KEY = "__formatter__"


class ExpressionError(ValueError):
    pass


class TextFailed(Exception):
    """An operator text went over its budget or was refused by the sandbox at render time."""


MAX_EXPRESSION = 2_000          # characters: an expression selects data, it is never a program
MAX_EXPRESSION_NESTING = 32     # brackets and negations inside one another
MAX_TEXT_SOURCE = 20_000        # characters of one operator text in one language


_OPTIONS = jmespath.Options(custom_functions=ArithmeticFunctions())


@dataclass(frozen=True)
class Expr:
    source: str
    parsed: Any = field(repr=False, compare=False)
    roots: frozenset[str] = frozenset()
    #: for plain paths (``account.balance``), the keys to follow: most expressions are these, and
    #: following keys is many times faster than the general interpreter, with the same result
    path: tuple[str, ...] | None = None

    def evaluate(self, data: Mapping[str, Any]) -> Any:
        if self.path is not None:
            value: Any = data
            for key in self.path:
                if not isinstance(value, Mapping):
                    return None
                value = value.get(key)
            return value
        try:
            return self.parsed.search(data, options=_OPTIONS)
        except JMESPathError as exc:
            # a type mismatch on odd billing data: treat as "no value", never a 500
            log.warning("expression %r failed on data: %s", self.source, exc)
            return None


def truthy(value: Any) -> bool:
    """JMESPath truthiness: empty lists, objects and strings, false and null are false."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and len(value) == 0)


def compile_expr(source: Any) -> Expr:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("must be a JMESPath expression such as account.balance")
    if len(source) > MAX_EXPRESSION:
        raise ExpressionError(f"the expression is over {MAX_EXPRESSION} characters; an expression selects data "
                              f"(split the work between several fields)")
    if _nesting(source) > MAX_EXPRESSION_NESTING:
        raise ExpressionError(f"the expression nests brackets or ! more than {MAX_EXPRESSION_NESTING} deep")
    try:
        parsed = jmespath.compile(source)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    except jp_exceptions.IncompleteExpressionError:
        raise ExpressionError(f"invalid JMESPath expression {source!r}: it ends too early "
                              f"(an unclosed bracket or quote?)") from None
    except jp_exceptions.ParseError as exc:
        raise ExpressionError(f"invalid JMESPath expression {source!r}: {exc.msg} at character "
                              f"{exc.lex_position + 1}") from None
    except JMESPathError as exc:
        raise ExpressionError(f"invalid JMESPath expression {source!r}: {exc}") from None
    trap = _negation_trap(parsed.parsed)
    if trap:
        raise ExpressionError(f"in {source!r}, !{trap}.… reads as (!{trap}).…, which is always null; "
                              f"put the path in parentheses: !({trap}.…)")
    return Expr(source, parsed, frozenset(_roots(parsed.parsed)), _plain_path(parsed.parsed))


def _nesting(source: str) -> int:
    """How deep brackets, braces, parentheses and runs of ! go (quotes are not looked into)."""
    depth = deepest = run = 0
    quote = None
    for char in source:
        if quote:
            quote = None if char == quote else quote
            continue
        if char in "'`\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        run = run + 1 if char == "!" else 0
        deepest = max(deepest, depth + run)
    return deepest


def _negation_trap(node: dict) -> str | None:
    """``!a.b`` parses as ``(!a).b``: a negation on the left of a path. Returns ``a`` if found."""
    children = node.get("children", [])
    if node["type"] in _LEFT_ONLY and children and children[0]["type"] == "not_expression":
        inner = children[0]["children"][0]
        return inner.get("value", "…") if inner["type"] == "field" else "…"
    for child in children:
        if isinstance(child, dict):
            found = _negation_trap(child)
            if found:
                return found
    return None


def _plain_path(node: dict) -> tuple[str, ...] | None:
    if node["type"] == "field":
        return (node["value"],)
    if node["type"] == "subexpression" and all(child["type"] == "field" for child in node["children"]):
        return tuple(child["value"] for child in node["children"])
    return None


# Nodes whose first child is evaluated against the current value and the rest against its
# results (so only the first child can name a root of the data).
_LEFT_ONLY = {"subexpression", "index_expression", "projection", "value_projection", "filter_projection",
              "flatten", "pipe"}
_NO_ROOTS = {"literal", "current", "identity", "expref", "index", "slice", "raw_literal"}


def _roots(node: dict) -> set[str]:
    kind = node["type"]
    if kind == "field":
        return {node["value"]}
    if kind in _NO_ROOTS:
        return set()
    children = node.get("children", [])
    if kind in _LEFT_ONLY:
        return _roots(children[0]) if children else set()
    found: set[str] = set()
    for child in children:
        if child["type"] == "expref":
            continue  # evaluated against each element by sort_by/max_by ...
        found |= _roots(child)
    return found


# --- operator texts ----------------------------------------------------------------------------

def _make_environment() -> TextSandbox:
    env = TextSandbox(autoescape=False)  # themes escape on output

    def formatter_filter(method: str):
        @pass_context
        def apply(ctx, value, *args):
            fmt = ctx.get(FORMATTER_KEY)
            return getattr(fmt, method)(value, *args) if fmt is not None else value
        return apply

    for name in ("money", "number", "percent", "date", "datetime"):
        env.filters[name] = formatter_filter(name)
    # the date functions of expressions, for texts: {{ form.date_from | days_between(form.date_to) }}
    env.filters["days_between"] = days_between
    env.filters["add_days"] = add_days
    return env


TEXT_ENVIRONMENT = _make_environment()


@dataclass(frozen=True)
class Text:
    """An operator text in every locale; ``render`` picks the locale and fills the template."""

    by_locale: Mapping[str, Any]        # locale -> str, or a compiled jinja2 Template
    default_locale: str
    roots: frozenset[str] = frozenset()

    def render(self, locale: str, context: Mapping[str, Any] | None = None, formatter: Any = None) -> str:
        """The text, or "" when it cannot be rendered (see ``render_or_fail``)."""
        try:
            return self.render_or_fail(locale, context, formatter)
        except TextFailed as exc:
            log.warning("operator text refused: %s", exc)
            return ""

    def render_or_fail(self, locale: str, context: Mapping[str, Any] | None = None, formatter: Any = None) -> str:
        """The text; raises ``TextFailed`` when it goes over its budget or the sandbox refuses it
        (the page shows its section degraded). Odd data (a sum of a text and a number) gives ""."""
        value = self.by_locale.get(locale, self.by_locale.get(self.default_locale, ""))
        if isinstance(value, str):
            return value
        try:
            return render_within_budget(value, {**(context or {}), FORMATTER_KEY: formatter})
        except SecurityError as exc:      # over budget, or something the sandbox does not allow
            raise TextFailed(str(exc)) from None
        except RecursionError:
            raise TextFailed("recursion") from None
        except Exception as exc:  # odd data: show nothing rather than fail the page
            log.warning("operator text failed to render: %s", exc)
            return ""

    @property
    def is_template(self) -> bool:
        return any(not isinstance(v, str) for v in self.by_locale.values())


@lru_cache(maxsize=4096)
def _compiled_template(text: str) -> tuple[Any, frozenset[str], tuple[str, ...]]:
    """(template or None, names it reads, problems) of one text. A compiled template is immutable,
    so a text written many times (a shared section, a title on every screen) compiles once."""
    try:
        ast = TEXT_ENVIRONMENT.parse(text)
        refused = template_problems(ast)
        if refused:
            return None, frozenset(), tuple(f"in the text: {problem}" for problem in refused)
        names = frozenset(meta.find_undeclared_variables(ast) - {TICK})
        return TEXT_ENVIRONMENT.from_string(text), names, ()
    except TemplateSyntaxError as exc:
        return None, frozenset(), (f"template error in the text at its line {exc.lineno}: {exc.message}",)
    except (RecursionError, SyntaxError, MemoryError):
        return None, frozenset(), ("the text is nested too deeply; split it into simpler texts",)


def compile_text(value: Any, locales: list[str]) -> tuple[Text | None, list[str]]:
    """Compile a localized text. Returns the text and a list of problems (missing locales,
    template syntax errors)."""
    problems: list[str] = []
    if isinstance(value, str):
        if len(locales) > 1:
            problems.append(f"give a text for every locale of the cabinet ({', '.join(locales)}), "
                            f"e.g. {{{locales[0]}: ..., {locales[1]}: ...}}")
        texts = {locale: value for locale in locales}
    elif isinstance(value, Mapping) and value:
        texts = {}
        for locale, text in value.items():
            if locale not in locales:
                problems.append(f"locale {locale!r} is not declared in operator.locales ({', '.join(locales)})")
            elif not isinstance(text, str):
                problems.append(f"the {locale} text must be a string")
            else:
                texts[locale] = text
        missing = [locale for locale in locales if locale not in value]
        if missing:
            problems.append(f"missing translation for {', '.join(missing)}; add "
                            + ", ".join(f"{m}: ..." for m in missing))
    else:
        return None, ["must be a text or a mapping of locale to text, e.g. {ru: Баланс, en: Balance}"]

    compiled: dict[str, Any] = {}
    roots: set[str] = set()
    for locale, text in texts.items():
        if "{{" in text or "{%" in text or "{#" in text:
            compiled[locale] = text
            if len(text) > MAX_TEXT_SOURCE:
                problems.append(f"the {locale} text is over {MAX_TEXT_SOURCE} characters; shorten it")
                continue
            template, names, refused = _compiled_template(text)
            problems.extend(problem.replace("the text", f"the {locale} text", 1) for problem in refused)
            if template is not None:
                compiled[locale] = template
                roots |= names
        else:
            compiled[locale] = text
    return Text(compiled, locales[0], frozenset(roots)), problems
