"""The cabinet as an installable app: manifest, monogram icons, service worker, offline page; and
Chromium's own verdict that the served demo is installable and keeps nothing personal offline."""
from __future__ import annotations

import dataclasses
import io
import json

import pytest
from PIL import Image

from engine.web.i18n import text_direction
from engine.web.pwa import monogram
from engine.web.runtime import LiveCabinet
from engine.schema.model import Branding
from engine.schema.palette import light_palette
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, html_text, sign_in
from tests.support.processes import free_port
from tests.support.serving import ThreadedServer



def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def effective(app, name: str) -> str:
    """The demo's colour as the theme uses it: the compiled effective palette (``branding.light``,
    adjusted for contrast) when there is one, else the colour as written."""
    branding = app.extensions["cabinet"].cabinet.branding
    return (getattr(branding, "light", None) or branding.colors)[name]


def with_branding(app, branding, version="test-branding"):
    """Serve the live cabinet with another branding (and version, as a schema change would)."""
    rt = app.extensions["cabinet"]
    rt.live = LiveCabinet.of(dataclasses.replace(rt.cabinet, branding=branding, version=version))


def png(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data)).convert("RGB")


# --- the manifest --------------------------------------------------------------------------------

def test_manifest_in_russian_and_english(app, client):
    ru = client.get("/manifest.webmanifest", headers={"Accept-Language": "ru"})
    assert ru.status_code == 200 and ru.mimetype == "application/manifest+json"
    body = json.loads(ru.data)
    assert body["name"] == body["short_name"] == "Демо Телеком"
    assert body["lang"] == "ru" and body["dir"] == "ltr"
    assert (body["start_url"], body["scope"], body["display"]) == ("/", "/", "standalone")
    assert body["theme_color"] == effective(app, "primary")
    assert body["background_color"] == effective(app, "bg")
    icons = {(icon["sizes"], icon["purpose"]): icon for icon in body["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    assert all(icon["type"] == "image/png" for icon in body["icons"])

    en = json.loads(client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).data)
    assert en["name"] == en["short_name"] == "Demo Telecom" and en["lang"] == "en"
    # the page names its language: the browser fetches the manifest without the session cookie
    assert json.loads(client.get("/manifest.webmanifest?lang=en",
                                 headers={"Accept-Language": "ru"}).data)["name"] == "Demo Telecom"
    assert json.loads(client.get("/manifest.webmanifest?lang=xx",
                                 headers={"Accept-Language": "ru"}).data)["lang"] == "ru"


def test_right_to_left_languages():
    assert [text_direction(code) for code in ("ar", "he", "fa", "ur")] == ["rtl"] * 4
    assert [text_direction(code) for code in ("ru", "en", "kk", "en-US")] == ["ltr"] * 4
    assert text_direction("not a locale") == "ltr"


def test_the_theme_defaults_stand_in_for_colours_the_operator_does_not_give(app):
    with_branding(app, Branding())
    body = json.loads(app.test_client().get("/manifest.webmanifest").data)
    assert (body["theme_color"], body["background_color"]) == ("#1565d8", "#f2f4f7")
    assert png(app.test_client().get("/icons/192.png")).getpixel((0, 0)) == rgb("#1565d8")


def test_the_effective_light_colours_are_the_operators(app):
    colors = {"primary": "#00796b", "bg": "#eef5f4"}
    with_branding(app, Branding(colors=colors, light=light_palette(colors)))
    body = json.loads(app.test_client().get("/manifest.webmanifest").data)
    assert (body["theme_color"], body["background_color"]) == ("#00796b", "#eef5f4")


# --- icons ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, size", [("/icons/192.png", 192), ("/icons/512.png", 512),
                                       ("/icons/maskable-512.png", 512), ("/icons/180.png", 180),
                                       ("/apple-touch-icon.png", 180)])
def test_icons_are_the_operators_monogram_on_its_primary_colour(app, client, url, size):
    image = png(client.get(url))
    assert image.size == (size, size)
    assert image.getpixel((0, 0)) == image.getpixel((size - 1, size - 1)) == rgb(effective(app, "primary"))
    letter = rgb(effective(app, "on_primary"))
    assert letter in {colour for _n, colour in image.getcolors(maxcolors=size * size)}


def test_unknown_icon_sizes_are_not_found(client):
    assert client.get("/icons/64.png").status_code == 404
    assert client.get("/icons/maskable-192.png").status_code == 404


def test_the_maskable_letter_stays_inside_the_safe_zone():
    image = Image.open(io.BytesIO(monogram("Wave", 512, True, "#000000", "#ffffff"))).convert("L")
    left, top, right, bottom = image.point(lambda v: 255 if v > 128 else 0).getbbox()
    centre, radius = 256, 512 * 0.4
    corners = [(left, top), (right, top), (left, bottom), (right, bottom)]
    assert all((x - centre) ** 2 + (y - centre) ** 2 <= radius ** 2 for x, y in corners)


def test_icons_are_cached_per_cabinet_version(app):
    client = app.test_client()
    first = client.get("/icons/192.png")
    assert client.get("/icons/192.png").data == first.data
    etag = first.headers["ETag"].strip('"')
    assert client.get("/icons/192.png", headers={"If-None-Match": etag}).status_code == 304
    with_branding(app, Branding(light=light_palette({"primary": "#00796B"})))
    assert png(client.get("/icons/192.png")).getpixel((0, 0)) == rgb("#00796B")


def test_a_theme_replaces_the_monogram_with_the_operators_own_icon(make_app, tmp_path):
    icons = tmp_path / "theme" / "static" / "icons"
    icons.mkdir(parents=True)
    drawn = io.BytesIO()
    Image.new("RGB", (192, 192), "#123456").save(drawn, format="PNG")
    (icons / "192.png").write_bytes(drawn.getvalue())
    client = make_app(theme_dir=tmp_path / "theme").test_client()
    assert client.get("/icons/192.png").data == drawn.getvalue()
    assert png(client.get("/icons/512.png")).size == (512, 512)       # the others stay monograms


# --- the service worker and the offline page -----------------------------------------------------

def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    config = json.loads(script.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["cache"].startswith("cabinet-") and config["offline"] == "/offline"
    assert "/static/cabinet.css" in config["precache"] and "/icons/512.png" in config["precache"]
    # nothing personal is ever precached
    assert not [url for url in config["precache"] if not url.startswith(("/static/", "/icons/", "/media/"))]
    assert "self.skipWaiting()" in script and "self.clients.claim()" in script


def test_the_cache_name_follows_the_cabinet_version(app):
    client = app.test_client()
    before = client.get("/sw.js").get_data(as_text=True)
    with_branding(app, app.extensions["cabinet"].cabinet.branding, version="a-newer-version")
    assert client.get("/sw.js").get_data(as_text=True) != before


def test_pwa_files_are_public_and_allowed_by_the_content_security_policy(client):
    for url in ("/manifest.webmanifest", "/sw.js", "/icons/192.png", "/offline"):
        assert client.get(url).status_code == 200, url
    policy = client.get("/offline").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


def test_the_offline_page_is_themed_and_offers_to_try_again(client):
    response = client.get("/offline", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No connection" in html_text(html) and "Demo Telecom" in html_text(html)
    assert '<a class="button button--primary" href="/">Try again</a>' in html
    assert client.get("/offline", headers={"Accept-Language": "ru"}).status_code == 200


def test_the_offline_page_shows_nothing_of_the_signed_in_subscriber(client):
    assert sign_in(client).status_code == 302
    html = client.get("/offline").get_data(as_text=True)
    assert "csrf_token" not in html and "/logout" not in html


def test_every_page_links_the_manifest_and_registers_the_worker(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=ru">' in html
    assert f'<meta name="theme-color" content="{effective(app, "primary")}">' in html
    assert 'rel="apple-touch-icon" href="/icons/180.png"' in html
    assert '<script src="/static/pwa.js" defer></script>' in html


# --- in Chromium ---------------------------------------------------------------------------------

@pytest.fixture
def served(make_app):
    port = free_port()
    base = f"http://127.0.0.1:{port}"       # 127.0.0.1 is a secure context: service workers run on it
    server = ThreadedServer(make_app(public_url=base), port, threads=6)
    yield base
    server.close()


@pytest.fixture
def phone(chromium, tmp_path):
    # A persistent profile: Chromium never offers to install from an incognito (default) context.
    context = chromium.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
        viewport={"width": 390, "height": 844}, locale="ru-RU")
    yield context
    context.close()


CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""


def test_chromium_installs_the_cabinet_and_keeps_nothing_personal_offline(served, phone):
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto(served + "/login")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)") is True
    page.wait_for_function("navigator.serviceWorker.controller !== null")   # clients.claim()

    session = phone.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], f"Chromium says the cabinet is not installable: {errors}"
    manifest = session.send("Page.getAppManifest")
    assert manifest.get("errors") == [], manifest.get("errors")
    assert manifest["url"].startswith(served + "/manifest.webmanifest")

    # offline: a page the subscriber opens is the offline page, served by the worker
    phone.set_offline(True)
    page.goto(served + "/news")
    assert "Нет соединения" in page.content() or "No connection" in page.content()
    assert page.get_by_role("link", name="Попробовать ещё раз").count() + \
        page.get_by_role("link", name="Try again").count() == 1
    phone.set_offline(False)

    # signed in, personal pages go through the worker and are not stored
    page.goto(served + "/login")
    page.get_by_label("Логин").fill("demo1")
    page.get_by_label("Пароль").fill("demo1")
    page.get_by_role("button", name="Войти", exact=True).click()
    page.wait_for_load_state()
    page.goto(served + "/")
    assert "108842" in page.content()
    page.goto(served + "/history")
    cached = page.evaluate(CACHED_URLS)
    assert "/offline" in cached and "/static/cabinet.css" in cached
    public = ("/static/", "/icons/", "/media/")
    personal = [url for url in cached if url != "/offline" and not url.startswith(public)]
    assert personal == [], f"personal pages in the cache storage: {personal}"
