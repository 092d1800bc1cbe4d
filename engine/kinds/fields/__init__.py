"""Built-in field kinds, one small module per nature of value."""
from __future__ import annotations

from .markdown import MarkdownKind, render_markdown
from .media import ImageKind, VideoKind
from .moments import DateKind, DateTimeKind
from .numbers import MoneyKind, NumberKind, PercentKind
from .status import StatusKind
from .text import EmailKind, LinkKind, PhoneKind, TextKind

BUILTIN_FIELD_KINDS = (
    TextKind, MoneyKind, NumberKind, PercentKind, DateKind, DateTimeKind, StatusKind,
    PhoneKind, EmailKind, LinkKind, ImageKind, VideoKind, MarkdownKind,
)

__all__ = ["BUILTIN_FIELD_KINDS", "render_markdown"] + [kind.__name__ for kind in BUILTIN_FIELD_KINDS]
