"""Field kinds and section kinds: the built-ins plus installed plugins.

Each call builds fresh registries (an app keeps its own), so two apps in one process never share
mutable state. Plugins advertise kind classes as entry points in the ``engine.field_kinds`` and
``engine.section_kinds`` groups; a registry holds instances.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Callable

from markupsafe import Markup

from ..registry import Registry
from .base import FieldKind, SectionKind
from .fields import BUILTIN_FIELD_KINDS, render_markdown
from .icons import DIRECTIONAL, ICONS, icon_name
from .sections import BUILTIN_SECTION_KINDS

FIELD_KINDS_GROUP = "engine.field_kinds"
SECTION_KINDS_GROUP = "engine.section_kinds"


def field_kind_registry() -> Registry[FieldKind]:
    registry: Registry[FieldKind] = Registry("field kind", ((kind.name, kind()) for kind in BUILTIN_FIELD_KINDS))
    _add_plugins(registry, FIELD_KINDS_GROUP, FieldKind)
    return registry


def section_kind_registry() -> Registry[SectionKind]:
    registry: Registry[SectionKind] = Registry(
        "section kind", ((kind.name, kind()) for kind in BUILTIN_SECTION_KINDS))
    _add_plugins(registry, SECTION_KINDS_GROUP, SectionKind)
    return registry


def kind_template_folders(*registries: Registry) -> list[str]:
    """The template folders kinds ship themselves (plugins), each once, in registration order."""
    folders: list[str] = []
    for registry in registries:
        for _name, kind in registry.items():
            if kind.templates and str(kind.templates) not in folders:
                folders.append(str(kind.templates))
    return folders


def template_globals() -> dict[str, Callable[..., Any]]:
    """Helpers the theme templates call; the web app adds them to its Jinja environment
    (``sections/content.html`` renders its markdown body with ``render_markdown``; ``icons.html``
    draws Lucide icons with ``lucide``)."""
    return {"render_markdown": render_markdown, "lucide": lucide_icon, "icon_lucide": icon_lucide,
            "icon_directional": lambda name: icon_name(name) in DIRECTIONAL}


def icon_lucide(name: object) -> str:
    """Lucide's icon for a name of the vocabulary; a plain circle for anything else."""
    return ICONS[icon_name(name) or "circle"]


def lucide_icon(name: str, size: int = 24, **attributes: str) -> Markup:
    """A Lucide icon as inline SVG; each one is drawn once (the package parses its SVG on every call)."""
    return _lucide_icon(name, size, tuple(attributes.items()))


@lru_cache(maxsize=1024)
def _lucide_icon(name: str, size: int, attributes: tuple[tuple[str, str], ...]) -> Markup:
    from lucide.jinja import lucide

    return Markup(lucide(name, size=size, **dict(attributes)))


def _add_plugins(registry: Registry, group: str, base: type) -> None:
    # Registry.add_entry_points would register the class itself; kinds are used as instances.
    builtin = set(registry.names())
    for ep in entry_points(group=group):
        if ep.name in builtin and ep.value.startswith("engine."):
            continue  # our own package advertising its built-ins
        loaded = ep.load()
        kind = loaded() if isinstance(loaded, type) else loaded
        origin = f"entry point {ep.value} ({ep.dist.name if ep.dist else '?'})"
        if not isinstance(kind, base):
            raise TypeError(f"{origin} gives {loaded!r}, which is not a {base.__name__} subclass")
        if getattr(kind, "name", None) != ep.name:
            raise ValueError(f"{origin} is named {ep.name!r} but its kind's name is "
                             f"{getattr(kind, 'name', None)!r}; make them equal")
        registry.add(ep.name, kind, origin=origin)
