"""Built-in section kinds. Layout lives in the theme's ``sections/<name>.html`` templates."""
from __future__ import annotations

from .cards import BalanceCardKind, KeyValueKind
from .lists import ListKind, TableKind
from .containers import GroupKind, TabsKind
from .interactive import ActionBarKind, FormKind
from .messages import ContentKind, EmptyStateKind, NoticeKind

BUILTIN_SECTION_KINDS = (
    BalanceCardKind, KeyValueKind, ListKind, TableKind, ContentKind, FormKind, ActionBarKind,
    TabsKind, GroupKind, EmptyStateKind, NoticeKind,
)

__all__ = ["BUILTIN_SECTION_KINDS"] + [kind.__name__ for kind in BUILTIN_SECTION_KINDS]
