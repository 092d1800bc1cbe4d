"""Markdown texts (news, descriptions): commonmark without raw HTML, then sanitized.

Raw HTML is off in the parser, and nh3 still cleans the output: a link target or image source
that slips through the parser (or a future preset change) is filtered by the allow-list below.
"""
from __future__ import annotations

from typing import Any, Mapping

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..base import FieldKind, Presented

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}

# a parser is stateless between render() calls, so one is shared
_PARSER = MarkdownIt("commonmark", {"html": False})


def render_markdown(text: Any) -> Markup:
    """Safe HTML from markdown text; anything that is not a string gives an empty Markup."""
    if not isinstance(text, str) or not text.strip():
        return Markup("")
    html = _PARSER.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean.strip())


class MarkdownKind(FieldKind):
    name = "markdown"
    preview_value = (
        "## 5G уже в вашем районе\n\n"
        "Подключите **тариф «Скорость»** до 30 апреля и получите месяц *бесплатно*.\n\n"
        "- до 1 Гбит/с\n- безлимитный трафик\n\n"
        "[Подробнее](https://demo-telecom.example/5g)"
    )

    def present(self, value: Any, options: Mapping[str, Any], fmt) -> Presented:
        # fmt.text: a billing may send per-locale texts; numbers still render as text
        return Presented(display=render_markdown(fmt.text(value)))
