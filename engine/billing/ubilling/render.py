"""``XMLAgent::renderResponse()``: every XMLAgent answer (and the creditor's and paycards' agent
answers), as XML or JSON, with its headers; and the plain text PHP sends when a script ``die()``s.

XML is written line by line with ``\\n``, fields TAB-indented, names and values concatenated
without escaping. JSON is ``json_encode()`` of an array built so that with a subsection (or for
announcements) each record is one object of a list and otherwise all records merge into one object.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import format_datetime

from werkzeug.wrappers import Response

from . import php

Record = Mapping[str, object]

XML_CONTENT_TYPE = "text; charset=UTF-8"          # literally "text", as XMLAgent sends it
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
PHP_DEFAULT_CONTENT_TYPE = "text/html; charset=UTF-8"   # what PHP sends when a script sets none


def render_xml(data: Sequence[Record], main_section: str, sub_section: str, messages: bool) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    if not php.is_empty(main_section):
        lines.append(f"<{main_section}>")
    for record in data:
        if not php.is_empty(sub_section):
            lines.append(f"<{sub_section}>")
        if not messages:
            lines.extend(f"\t<{tag}>{php.to_string(value)}</{tag}>" for tag, value in record.items())
        else:
            lines.append(f'<message unic="{php.to_string(record.get("unic"))}" '
                         f'title="{php.to_string(record.get("title"))}">{php.to_string(record.get("text"))}'
                         f"</message>")
        if not php.is_empty(sub_section):
            lines.append(f"</{sub_section}>")
    if not php.is_empty(main_section):
        lines.append(f"</{main_section}>")
    return "".join(line + "\n" for line in lines)


def render_json(data: Sequence[Record], sub_section: str, messages: bool) -> str:
    one_per_record = not php.is_empty(sub_section) or messages
    json_data: dict[object, object] = {}
    for index, record in enumerate(data):
        if php.is_empty(dict(record)):
            continue                               # skipped, yet it uses up its index
        for tag, value in record.items():
            if one_per_record:
                entry = json_data.setdefault(index, {})
                assert isinstance(entry, dict)
                entry[php.array_key(tag)] = value
            else:
                json_data[php.array_key(tag)] = value
    return php.json_encode(json_data)


def render_response(data: Sequence[Record], main_section: str = "", sub_section: str = "", fmt: str = "xml",
                    messages: bool = False) -> Response:
    """The answer to send; ``fmt`` is "xml" or "json"."""
    if fmt == "json":
        body, content_type = render_json(data, sub_section, messages), JSON_CONTENT_TYPE
    else:
        body, content_type = render_xml(data, main_section, sub_section, messages), XML_CONTENT_TYPE
    response = Response(body.encode("utf-8"), status=200)
    response.headers["Content-Type"] = content_type
    response.headers["Last-Modified"] = format_datetime(datetime.now(timezone.utc).replace(microsecond=0))
    response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate"
    response.headers["Pragma"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def plain_response(text: str, status: int = 200) -> Response:
    """What a script that ``die()``s with ``text`` sends (PHP's default Content-Type)."""
    response = Response(text.encode("utf-8"), status=status)
    response.headers["Content-Type"] = PHP_DEFAULT_CONTENT_TYPE
    return response
