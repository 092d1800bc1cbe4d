"""`make screenshots`: every screen of the demo cabinet, in Russian at a phone's size, as PNG files in
docs/screenshots/, and the README's gallery between its screenshot markers rewritten to show them.

The demo is served from a throw-away folder (its own SQLite state and demo billing), so the pictures
show the demo's seeded data, never what a developer's own `make demo` changed."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from engine.web import create_app
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, DEMO_SCHEMAS, ROOT, VIEWPORTS
from tests.support.processes import free_port
from tests.support.screens import crawl
from tests.support.serving import ThreadedServer

OUT = ROOT / "docs" / "screenshots"
README = ROOT / "README.md"
BEGIN, END = "<!-- screenshots: begin (make screenshots writes this) -->", "<!-- screenshots: end -->"
COLUMNS = 4


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app = create_app(instance_dir=Path(folder) / "instance", schemas=DEMO_SCHEMAS, cookie_secure=False,
                         demo_users=True, public_url=base,
                         binding_options={"database_url": f"sqlite:///{Path(folder) / 'billing.sqlite'}"})
        server = ThreadedServer(app, port, threads=4)
        try:
            shots = take(app, base)
        finally:
            server.close()
            app.extensions["cabinet"].close()
    write_gallery(shots)
    print(f"screenshots: {len(shots)} in {OUT.relative_to(ROOT)}; README gallery updated")
    return 0


def take(app, base: str) -> list[tuple[str, str]]:
    """[(file name, caption)], in the order a person meets them."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    shots: list[tuple[str, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)

        def phone():
            return browser.new_context(viewport=VIEWPORTS["phone"], locale="ru-RU", is_mobile=True,
                                       has_touch=True).new_page()

        def shoot(page, name: str, caption: str = "") -> None:
            caption = caption or page.locator("h1").first.inner_text().strip()
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(OUT / f"{name}.png"))
            shots.append((f"{name}.png", caption))

        guest = phone()
        guest.goto(base + "/login")
        shoot(guest, "login", "Вход")
        public = crawl(guest, base, app, starts=("/login",))
        for login in ("demo1", "demo2"):
            page = phone()
            page.goto(base + "/login")
            page.get_by_label("Логин").fill(login)
            page.get_by_label("Пароль").fill(login)
            page.get_by_role("button", name="Войти", exact=True).click()
            if login == "demo1":
                shoot(page, "quick-code", "Код быстрого входа")
            page.get_by_role("button", name="Пропустить").click()
            for screen_id, url in crawl(page, base, app).items():
                if any(name == f"{screen_id}.png" for name, _ in shots):
                    continue
                page.goto(base + url)
                shoot(page, screen_id)
        for screen_id, url in public.items():        # the ones only guests reach (the application to join)
            if not any(name == f"{screen_id}.png" for name, _ in shots):
                guest.goto(base + url)
                shoot(guest, screen_id)
        browser.close()
    return shots


def write_gallery(shots: list[tuple[str, str]]) -> None:
    rows = ["| " + " | ".join([""] * COLUMNS) + " |", "|" + "---|" * COLUMNS]
    for start in range(0, len(shots), COLUMNS):
        cells = [f'<img src="docs/screenshots/{name}" width="195" alt="{caption}"><br>{caption}'
                 for name, caption in shots[start:start + COLUMNS]]
        rows.append("| " + " | ".join(cells + [""] * (COLUMNS - len(cells))) + " |")
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"README.md has no screenshot markers: add the lines {BEGIN!r} and {END!r} where the gallery goes")
    gallery = BEGIN + "\n" + "\n".join(rows) + "\n" + END
    README.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: gallery, text, flags=re.S),
                      encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
