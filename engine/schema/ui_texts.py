"""The operator's wording of the engine's own texts (buttons, messages of the theme):

```yaml
translations:
  "Sign in": {ru: Войти в кабинет, en: Log in}
```

The key is the engine's text as in ``locales/messages.pot`` (English); a key the engine does not
have is an error with the nearest one it does, since a misspelt key would silently change nothing.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

CATALOG = Path(__file__).resolve().parent.parent.parent / "locales" / "messages.pot"


@lru_cache(maxsize=1)
def known_messages(catalog: Path = CATALOG) -> frozenset[str]:
    from babel.messages.pofile import read_po

    if not catalog.exists():
        return frozenset()
    with catalog.open("rb") as handle:
        return frozenset(m.id for m in read_po(handle) if m.id and isinstance(m.id, str))


def compile_ui_texts(raw: Any, locales: list[str], error: Callable[[tuple, str], None],
                     known: frozenset[str] | None = None) -> dict[str, dict[str, str]]:
    """locale -> {engine text -> the operator's text}."""
    known = known_messages() if known is None else known
    result: dict[str, dict[str, str]] = {locale: {} for locale in locales}
    if raw is None:
        return result
    if not isinstance(raw, Mapping):
        error(("translations",), "must be a mapping of the engine's text to your text, e.g. "
                                 "{\"Sign in\": {ru: Войти, en: Log in}}")
        return result
    for message, texts in raw.items():
        path = ("translations", message)
        if known and message not in known:
            close = difflib.get_close_matches(str(message), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            error(path, f"the engine has no text {message!r} (see locales/messages.pot){hint}")
            continue
        if isinstance(texts, str):
            texts = {locale: texts for locale in locales}
        if not isinstance(texts, Mapping):
            error(path, "give the text for each language, e.g. {ru: ..., en: ...}")
            continue
        for locale, text in texts.items():
            if locale not in result:
                error(path + (locale,), f"locale {locale!r} is not declared in operator.locales")
            elif isinstance(text, str) and text.strip():
                result[locale][str(message)] = text
    return result
