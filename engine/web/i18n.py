"""Languages: the UI through gettext catalogs in ``locales/``, operator texts from the schema.

The locale is the one the user chose (remembered in the session), else the browser's best match
among the cabinet's locales, else the cabinet's first locale.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import g, has_request_context, request, session
from flask_babel import get_locale, get_translations

from ..config import PROJECT_ROOT
from ..schema.model import Cabinet
from .runtime import live

CATALOGS = PROJECT_ROOT / "locales"
log = logging.getLogger(__name__)


def select_locale() -> Locale:
    locales = list(live().cabinet.operator.locales)
    chosen = session.get("locale")
    if chosen not in locales:
        chosen = request.accept_languages.best_match(locales) or locales[0]
    return babel_locale(chosen)


def request_locale(cabinet: Cabinet) -> str:
    """This request's language code (``select_locale`` chose it); the cabinet's first language
    outside a request (a scheduled job)."""
    chosen = get_locale() if has_request_context() else None
    return str(chosen or cabinet.operator.default_locale)


@lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale:
    # flask-babel parses what the selector gives on every request; a Locale it takes as it is
    return Locale.parse(code)


def compile_catalogs(directory: Path = CATALOGS) -> None:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older (compiled files stay out of git)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp.replace(mo_path)
        except OSError as exc:   # a read-only install: use whatever was compiled at build time
            log.warning("cannot compile %s: %s", po_path, exc)


def template_gettext(string: str, **variables) -> str:
    """``_()`` for templates and screens: the operator's own wording of the text when the cabinet
    has one (``translations:``), else flask-babel's catalog; this request's translations are looked
    up once instead of at every one of the page's few dozen strings."""
    found = g.get("ui_texts")      # one lookup through Flask's context per text, not three
    if found is None:
        found = g.ui_texts = (live().cabinet.ui_texts.get(str(get_locale()), {}), get_translations())
    overrides, translations = found
    text = overrides.get(string) or translations.ugettext(string)
    return text % variables if variables else text


@lru_cache(maxsize=64)
def text_direction(code: str) -> str:
    """"rtl" for right-to-left languages (ar, he, fa, ur ...), else "ltr"."""
    try:
        return Locale.parse(code.replace("-", "_")).text_direction
    except (UnknownLocaleError, ValueError, TypeError):
        return "ltr"
