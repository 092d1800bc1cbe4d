"""Compiled expressions (JMESPath) and operator texts (sandboxed Jinja2), compiled once per cabinet.

Expressions select data and never run code. Texts with ``{{ }}`` are Jinja2 templates run in a
sandbox with a few formatting filters; any other text is returned as is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

import jmespath
from jmespath import exceptions as jp_exceptions
from jinja2 import TemplateSyntaxError, meta, pass_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jmespath.exceptions import JMESPathError

from ..jmes import ArithmeticFunctions

log = logging.getLogger(__name__)

# Context names the engine provides besides the screen's own data.
RESERVED_ROOTS = frozenset({"params", "query", "form", "user", "account_id", "today", "month_start"})
FORMATTER_KEY = "__formatter__"


class ExpressionError(ValueError):
    pass


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
    try:
        parsed = jmespath.compile(source)
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

class _TextSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing arithmetic that would take the server's time or memory
    (``10 ** 10 ** 9``, ``'x' * 10 ** 10``): operator texts format data, they do not compute."""

    intercepted_binops = frozenset({"**", "*"})
    LIMIT = 100_000

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (not isinstance(right, (int, float)) or abs(right) > 64
                                 or not isinstance(left, (int, float)) or abs(left) > self.LIMIT):
            raise SecurityError("a power in an operator text is limited to small numbers")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) \
                        and len(sequence) * max(times, 0) > self.LIMIT:
                    raise SecurityError("repetition in an operator text is limited")
        return super().call_binop(context, operator, left, right)


def _make_environment() -> ImmutableSandboxedEnvironment:
    env = _TextSandbox(autoescape=False)  # themes escape on output

    def formatter_filter(method: str):
        @pass_context
        def apply(ctx, value, *args):
            fmt = ctx.get(FORMATTER_KEY)
            return getattr(fmt, method)(value, *args) if fmt is not None else value
        return apply

    for name in ("money", "number", "percent", "date", "datetime"):
        env.filters[name] = formatter_filter(name)
    return env


TEXT_ENVIRONMENT = _make_environment()


@dataclass(frozen=True)
class Text:
    """An operator text in every locale; ``render`` picks the locale and fills the template."""

    by_locale: Mapping[str, Any]        # locale -> str, or a compiled jinja2 Template
    default_locale: str
    roots: frozenset[str] = frozenset()

    def render(self, locale: str, context: Mapping[str, Any] | None = None, formatter: Any = None) -> str:
        value = self.by_locale.get(locale, self.by_locale.get(self.default_locale, ""))
        if isinstance(value, str):
            return value
        try:
            return value.render({**(context or {}), FORMATTER_KEY: formatter})
        except Exception as exc:  # sandbox refusal or odd data: show nothing rather than fail the page
            log.warning("operator text failed to render: %s", exc)
            return ""

    @property
    def is_template(self) -> bool:
        return any(not isinstance(v, str) for v in self.by_locale.values())


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
        if "{{" in text or "{%" in text:
            try:
                ast = TEXT_ENVIRONMENT.parse(text)
                roots |= meta.find_undeclared_variables(ast)
                compiled[locale] = TEXT_ENVIRONMENT.from_string(text)
            except TemplateSyntaxError as exc:
                problems.append(f"template error in the {locale} text at its line {exc.lineno}: {exc.message}")
                compiled[locale] = text
        else:
            compiled[locale] = text
    return Text(compiled, locales[0], frozenset(roots)), problems
