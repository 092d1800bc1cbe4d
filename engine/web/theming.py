"""Themes as a chain of template folders: the operator's override folder, the chosen theme, then
``base``. A theme overrides only the templates it has; the rest fall through to ``base``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, MutableMapping

from flask.templating import Environment as FlaskEnvironment
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound

from ..config import PROJECT_ROOT, ConfigError, Settings

THEMES = PROJECT_ROOT / "themes"


class ThemeEnvironment(FlaskEnvironment):
    """The app's Jinja environment (``Flask.jinja_environment``): each template keeps its globals
    as one plain dict. Jinja gives a template a ChainMap over the environment's globals and copies
    it into every context it makes (each include, each macro call with the caller's context):
    ChainMap copies key by key in Python, which made up a tenth of a page's rendering. The engine
    sets its globals at start-up; a later change empties the template cache, so templates are
    loaded again with it instead of keeping an old copy.

    Its template cache is a plain dict. Jinja's default, a 400-entry LRU, takes a lock and moves
    the name to the front of a queue (a scan of the whole queue) on every lookup, and a page looks
    up a template for every field it includes: for a table of 50 rows, with the 8 threads waiting
    on that one lock, it was a tenth of the page. A theme has a bounded set of templates, so
    nothing needs evicting."""

    def __init__(self, *args: Any, **options: Any):
        super().__init__(*args, **{**options, "cache_size": -1})
        self.globals = _Globals(self.globals, self._globals_changed)

    def _globals_changed(self) -> None:
        if self.cache is not None:
            self.cache.clear()

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class _Globals(dict):
    """A dict that says when it changes."""

    def __init__(self, values: MutableMapping[str, Any], changed: Callable[[], None]):
        super().__init__(values)
        self._changed = changed

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other: Any) -> "_Globals":     # type: ignore[misc]
        self.update(other)
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()


def theme_loader(settings: Settings, kind_folders: Iterable[str] = ()) -> ChoiceLoader:
    """The operator's folder, the theme, ``base``, then the folders plugin kinds ship their
    templates in (after the themes, so a theme may draw a plugin's kind its own way)."""
    folders: list[Path] = []
    if settings.theme_dir is not None:
        if not settings.theme_dir.is_dir():
            raise ConfigError(f"CABINET_THEME_DIR: no such folder: {settings.theme_dir}")
        folders.append(settings.theme_dir / "templates" if (settings.theme_dir / "templates").is_dir()
                       else settings.theme_dir)
    if settings.theme != "base":
        theme = THEMES / settings.theme / "templates"
        if not theme.is_dir():
            known = ", ".join(sorted(p.name for p in THEMES.iterdir() if p.is_dir()))
            raise ConfigError(f"CABINET_THEME: no theme {settings.theme!r} (themes: {known})")
        folders.append(theme)
    folders.append(THEMES / "base" / "templates")
    folders.extend(Path(folder) for folder in kind_folders)
    return ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders])


def static_folders(settings: Settings) -> list[Path]:
    """Static folders in the same order (override, theme, base)."""
    folders = []
    if settings.theme_dir is not None and (settings.theme_dir / "static").is_dir():
        folders.append(settings.theme_dir / "static")
    if settings.theme != "base" and (THEMES / settings.theme / "static").is_dir():
        folders.append(THEMES / settings.theme / "static")
    folders.append(THEMES / "base" / "static")
    return folders


def missing_kind_templates(env: Environment, *registries) -> list[str]:
    """Kinds whose template the theme chain cannot find: said at start-up; their sections and
    fields are drawn by sections/_plain.html and fields/_plain.html instead of failing a page."""
    missing = []
    for registry in registries:
        for name, kind in registry.items():
            try:
                env.get_template(kind.template)
            except TemplateNotFound:
                missing.append(f"the {name!r} kind's template {kind.template} is in no theme folder; "
                               f"it is drawn plainly until the template is added")
    return missing
