"""Themes as a chain of template folders: the operator's override folder, the chosen theme, then
``base``. A theme overrides only the templates it has; the rest fall through to ``base``."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound

from ..config import PROJECT_ROOT, ConfigError, Settings

THEMES = PROJECT_ROOT / "themes"


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
