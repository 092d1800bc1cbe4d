"""The UI catalogs are complete and in step with the code (`make translations` refreshes them)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def source_msgids() -> set[str]:
    method_map = [("engine/**.py", "python"), ("themes/**/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_template_lists_exactly_the_strings_in_the_code():
    template = {m.id for m in catalog(ROOT / "locales" / "messages.pot") if m.id}
    assert source_msgids() == template, "run `make translations` and translate the new strings"


def test_russian_catalog_translates_every_string():
    ru = catalog(ROOT / "locales" / "ru" / "LC_MESSAGES" / "messages.po")
    untranslated = [m.id for m in ru if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert {m.id for m in ru if m.id} >= source_msgids()
