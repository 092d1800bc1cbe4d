"""Find every screen of a served cabinet the way a person does: by following its links.

Used by the browser tests (axe on every screen) and by `make screenshots`."""
from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

# Links that change state or leave the cabinet's screens: never followed while crawling.
NOT_SCREENS = ("/logout", "/language/", "/static/", "/media/", "/actions/", "/sandbox-acquirer/", "/icons/",
               "/quick-code", "/passkeys", "/password", "/login", "/sw.js", "/manifest", "/offline",
               "/api/", "/healthz", "/preview/", "/pay/")
ACCOUNT_SWITCH = "/account"


def screen_of(app, path: str) -> str | None:
    """The id of the screen ``path`` shows, or None for any other page."""
    if path.startswith(NOT_SCREENS) or path == ACCOUNT_SWITCH:
        return None
    try:
        screen_id, _ = app.extensions["cabinet"].live.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return screen_id


def crawl(page, base: str, app, starts: tuple[str, ...] = ("/",), limit: int = 80) -> dict[str, str]:
    """{screen id: the first URL showing it}, following same-origin links breadth first from ``starts``
    (pages whose links are followed even when they are not screens, such as /login); one URL per
    screen (a screen's other items look the same)."""
    host = urlsplit(base).netloc
    found: dict[str, str] = {}
    queue, seen = list(starts), set(starts)
    while queue and len(seen) <= limit:
        path = queue.pop(0)
        page.goto(base + path)
        landed = urlsplit(page.url)
        if landed.netloc != host:
            continue
        screen_id = screen_of(app, landed.path)
        if screen_id is not None and screen_id not in found:
            found[screen_id] = landed.path + (f"?{landed.query}" if landed.query else "")
        elif path not in starts:
            continue
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urlsplit(href)
            if target.netloc != host or target.path in seen or screen_of(app, target.path) in (None, *found):
                continue
            seen.add(target.path)
            queue.append(target.path)
    return found


def screens_for(app, roles: set[str]) -> set[str]:
    return {screen.id for screen in app.extensions["cabinet"].cabinet.screens_for(roles)}
